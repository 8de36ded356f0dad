"""The pre-commit hooks of .pre-commit-hooks.yaml, run by pre-commit itself against a temporary repository.

``pre-commit try-repo`` clones this checkout (uncommitted changes included) and installs it into a
virtualenv of its own with pip, exactly as a user's ``rev:`` would; ``PRE_COMMIT_HOME`` keeps that
environment in the test's temporary folder. Both hooks run in one test so the environment is built once.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.conftest import ROOT, GitRepo

PRE_COMMIT = Path(sys.executable).parent / "pre-commit"


def _try_repo(repo: GitRepo, hook: str, home: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PRE_COMMIT_HOME": str(home), "PRE_COMMIT_COLOR": "never"}
    return subprocess.run(
        [str(PRE_COMMIT), "try-repo", str(ROOT), hook, "--verbose"],
        cwd=repo.path,
        capture_output=True,
        text=True,
        timeout=540,
        check=False,
        env=env,
    )


def test_the_hooks_file_declares_both_hooks() -> None:
    hooks = {h["id"]: h for h in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())}
    assert set(hooks) == {"docbot-check", "docbot-docs"}
    assert hooks["docbot-check"]["entry"] == "docbot check" and hooks["docbot-check"]["pass_filenames"]
    assert hooks["docbot-docs"]["entry"] == "docbot run --staged"


# pre-commit builds its own virtualenv of docbot and its dependencies once: minutes on a busy machine.
@pytest.mark.timeout(600)
def test_try_repo_runs_docbot_docs_then_docbot_check_on_the_staged_files(
    git_repo: GitRepo, tmp_path: Path
) -> None:
    git_repo.write("app.py", "def greet(name):\n    return 'hi ' + name\n")
    git_repo.commit("first")
    git_repo.write("app.py", "def greet(name, punctuation):\n    return 'hi ' + name + punctuation\n")
    git_repo.write("util.py", "def helper():\n    pass\n")
    git_repo.git("add", "app.py", "util.py")
    home = tmp_path / "pre-commit-home"

    # Nothing documented yet: the check fails and names both staged sources.
    check = _try_repo(git_repo, "docbot-check", home)
    assert check.returncode == 1, check.stdout + check.stderr
    assert "app.py: missing" in check.stdout and "util.py: missing" in check.stdout

    # docbot-docs writes the pages of the staged files and fails, so the author reviews and stages them.
    docs = _try_repo(git_repo, "docbot-docs", home)
    assert docs.returncode == 1, docs.stdout + docs.stderr
    assert "pages under docs/api changed; review and stage them" in docs.stdout
    page = (git_repo.path / "docs/api/app.py.md").read_text()
    assert "greet(name, punctuation)" in page
    assert (git_repo.path / "docs/api/util.py.md").is_file()

    git_repo.git("add", "docs")
    again = _try_repo(git_repo, "docbot-check", home)
    assert again.returncode == 0, again.stdout + again.stderr
