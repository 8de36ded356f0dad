"""``docbot check``: stale, missing and orphaned pages, through the real command and a real repository."""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import subprocess
import sys
from pathlib import Path

from docbot import cli
from docbot.check import check
from docbot.config import load_settings
from docbot.git import Git
from docbot.markers import front_matter, marker_line, source_sha256_of
from tests.conftest import GitRepo


def docbot(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "docbot", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env=env,
    )


def _run(repo: GitRepo) -> None:
    # In process: the command's own code path, without a second interpreter's start-up per call.
    with contextlib.redirect_stdout(io.StringIO()):
        assert cli.main(["run", "--repo", str(repo.path), "--all", "--cache", "none"]) == 0


def _check_json(repo: GitRepo, *files: str) -> tuple[int, dict[str, object]]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = cli.main(["check", "--repo", str(repo.path), "--json", *files])
    assert code in (0, 1)
    data: dict[str, object] = json.loads(out.getvalue())
    return code, data


def test_check_fails_on_a_stale_page_and_passes_after_docbot_run(git_repo: GitRepo) -> None:
    git_repo.write("app/main.py", "def main():\n    return 0\n")
    git_repo.commit("first")
    _run(git_repo)
    assert _check_json(git_repo)[0] == 0

    git_repo.write("app/main.py", "def main(argv):\n    return len(argv)\n")
    git_repo.commit("main takes arguments")
    code, data = _check_json(git_repo)
    assert code == 1 and data["ok"] is False
    assert data["findings"] == [
        {
            "kind": "stale",
            "source": "app/main.py",
            "page": "docs/api/app/main.py.md",
            "message": "the source changed since its page was generated; "
            "run docbot to regenerate docs/api/app/main.py.md",
        }
    ]

    _run(git_repo)
    code, data = _check_json(git_repo)
    assert (code, data["findings"], data["pages"]) == (0, [], 1)


def test_check_reports_missing_and_orphaned_pages_and_honours_the_file_rules(git_repo: GitRepo) -> None:
    git_repo.write("a.py", "def a():\n    pass\n")
    git_repo.write("gone.py", "def g():\n    pass\n")
    git_repo.commit("first")
    _run(git_repo)
    git_repo.remove("gone.py")
    git_repo.write("b.py", "def b():\n    pass\n")
    git_repo.write("vendor/lib.py", "def v():\n    pass\n")  # vendored: never documented
    git_repo.write("notes.txt", "not code\n")
    git_repo.write(".gitignore", "ignored.py\n")
    git_repo.write("ignored.py", "def i():\n    pass\n")
    code, data = _check_json(git_repo)
    assert code == 1
    found = [(f["kind"], f["source"]) for f in data["findings"]]  # type: ignore[attr-defined]
    assert found == [("missing", "b.py"), ("orphan", "gone.py")]


def test_check_limited_to_files_checks_only_those_sources(git_repo: GitRepo) -> None:
    git_repo.write("a.py", "def a():\n    pass\n")
    git_repo.write("b.py", "def b():\n    pass\n")
    git_repo.commit("first")
    _run(git_repo)
    git_repo.write("a.py", "def a(x):\n    pass\n")
    git_repo.write("b.py", "def b(y):\n    pass\n")
    assert [f["source"] for f in _check_json(git_repo, "b.py")[1]["findings"]] == ["b.py"]  # type: ignore[attr-defined]
    # A page named on its own checks its source.
    staged_page = _check_json(git_repo, "docs/api/a.py.md")[1]
    assert [f["source"] for f in staged_page["findings"]] == ["a.py"]  # type: ignore[attr-defined]


def test_check_writes_error_annotations_on_the_source_files_in_actions(git_repo: GitRepo) -> None:
    git_repo.write("src/x, y.py", "def x():\n    pass\n")
    git_repo.commit("first")
    env = {"GITHUB_ACTIONS": "true", "PATH": "/usr/bin:/bin", "HOME": str(git_repo.path)}
    proc = docbot("check", "--repo", str(git_repo.path), env=env)
    assert proc.returncode == 1
    assert proc.stdout.startswith("::error file=src/x%2C y.py,title=docbot check%3A missing page::no page")


def test_a_hand_written_file_in_the_docs_folder_is_not_a_page(git_repo: GitRepo) -> None:
    git_repo.write("docs/api/guide.md", "# Guide\n\nsource sha256 `0123456789ab`\n")
    git_repo.write("a.txt", "text\n")
    git_repo.commit("first")
    result = check(load_settings({"repo": git_repo.path}), Git(git_repo.path))
    assert result.ok and result.pages == 0


def test_the_recorded_hash_is_read_only_from_the_page_metadata_line() -> None:
    page = "marker\n\n# `a.py`\n\nOverview says source sha256 `aaaaaaaaaaaa`.\n\n"
    page += "*python, 2 lines, 1 function; source sha256 `0123456789ab`*\n"
    assert source_sha256_of(page) == "0123456789ab"
    assert source_sha256_of("no hash here\n") is None


def test_the_recorded_hash_is_read_from_the_front_matter_first() -> None:
    sha = hashlib.sha256(b"x").hexdigest()
    italic = "*python, 2 lines, 1 function; source sha256 `0123456789ab`*\n"
    assert source_sha256_of(front_matter("a.py", sha) + "\n# a\n") == sha
    assert source_sha256_of(front_matter("a.py", sha) + "\n# a\n\n" + italic) == sha
    assert source_sha256_of((front_matter("a.py", sha) + "\n# a\n").replace("\n", "\r\n")) == sha
    # No hash in the front matter (the index), a hash that is not one, and a page of docbot 0.1.
    assert source_sha256_of(front_matter("index.md") + "\n# API\n") is None
    assert source_sha256_of(front_matter("a.py", "not-hex") + "\n# a\n\n" + italic) is None
    assert source_sha256_of(front_matter("a.py", extra={"source_sha256": sha}) + "\n# a\n") is None
    assert source_sha256_of(marker_line("a.py") + "\n\n# a\n\n" + italic) == "0123456789ab"


def test_check_reads_a_pages_source_hash_from_its_front_matter(git_repo: GitRepo) -> None:
    source = b"def a():\n    return 1\n"
    git_repo.write("a.py", source.decode())
    git_repo.write("docs/api/a.py.md", front_matter("a.py", hashlib.sha256(source).hexdigest()) + "\n# a\n")
    git_repo.commit("first")
    assert _check_json(git_repo)[0] == 0

    git_repo.write("a.py", "def a():\n    return 2\n")
    git_repo.commit("a returns 2")
    code, data = _check_json(git_repo)
    assert code == 1 and isinstance(data["findings"], list)
    assert [f["kind"] for f in data["findings"]] == ["stale"]


def test_check_outside_a_repository_is_a_clear_error(tmp_path: Path) -> None:
    proc = docbot("check", "--repo", str(tmp_path))
    assert proc.returncode == 2 and "is not a git repository" in proc.stderr


def test_the_check_command_never_loads_the_model_sdk(git_repo: GitRepo) -> None:
    # Importing anthropic takes about 2 s, the whole budget of a check of 1,000 files.
    git_repo.write("src/a.py", "def a():\n    return 1\n")
    git_repo.commit("a")
    probe = (
        "import sys\nfrom docbot import cli\n"
        f"code = cli.main(['check', '--repo', {str(git_repo.path)!r}])\n"
        "print(code, sorted(m for m in sys.modules if m.split('.')[0] in {'anthropic', 'boto3', 'github'}))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=120
    ).stdout
    assert out.splitlines()[-1] == "1 []"  # a source without a page: the check ran, and failed
