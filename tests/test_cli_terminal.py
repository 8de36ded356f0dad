"""``docbot run`` for people at a terminal: uncommitted changes are named and ``--worktree`` documents
them (``--staged``: only the index, for the pre-commit hook); the summary says which provider, cache
and folder the run used; ``--quiet`` and ``--json`` for scripts. In-process ``cli.main`` (the same code
path as the console script, without the start-up)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from docbot import cli
from tests.conftest import GitRepo


@pytest.fixture
def repo(git_repo: GitRepo) -> GitRepo:
    git_repo.write("app/core.py", "def core():\n    return 1\n")
    git_repo.commit("core")
    git_repo.write("app/later.py", "def later():\n    return 2\n")
    git_repo.commit("later")
    return git_repo


def run(
    repo: GitRepo, tmp_path: Path, capsys: pytest.CaptureFixture[str], *flags: str
) -> tuple[int, str, str]:
    code = cli.main(
        [
            "run",
            "--repo",
            str(repo.path),
            "--provider",
            "offline",
            "--cache-path",
            str(tmp_path / "c.db"),
            *flags,
        ]
    )
    out, err = capsys.readouterr()
    return code, out, err


def state(repo: GitRepo) -> tuple[str, str, str]:
    """HEAD, the refs and what is staged: what documenting the working tree must not change."""
    return repo.head(), repo.git("for-each-ref"), repo.git("diff", "--cached", "--name-status")


def test_uncommitted_changes_are_named_with_the_way_to_document_them(
    repo: GitRepo, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo.write("app/core.py", "def core():\n    return 1\n\n\ndef extra():\n    return 3\n")
    repo.write("app/new.py", "def fresh():\n    return 4\n")

    code, out, err = run(repo, tmp_path, capsys, "--json")

    assert code == 0
    assert json.loads(out)["files"]["documented"] == ["app/later.py"]  # HEAD~1..HEAD only
    assert "2 uncommitted changes were not documented (app/core.py, app/new.py)" in err
    assert "--worktree" in err
    # A second run leaves docbot's own pages out of the count: they are its output, not the user's work.
    _, _, again = run(repo, tmp_path, capsys)
    assert "2 uncommitted changes" in again


def test_worktree_documents_uncommitted_and_untracked_files_against_head(
    repo: GitRepo, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo.write("app/core.py", "def core():\n    return 1\n\n\ndef extra():\n    return 3\n")
    repo.write("app/new.py", "def fresh():\n    return 4\n")
    repo.git("add", "app/core.py")  # one staged, one untracked: both are the working tree
    before = state(repo)

    code, out, err = run(repo, tmp_path, capsys, "--worktree", "--json")

    report = json.loads(out)
    assert code == 0, err
    assert report["files"]["documented"] == ["app/core.py", "app/new.py"]  # not app/later.py: committed
    pages = "".join((repo.path / p).read_text(encoding="utf-8") for p in report["pages"]["written"])
    assert "extra" in pages  # the uncommitted function is documented
    assert "fresh" in pages  # and the untracked file's
    assert state(repo) == before  # no commit, ref or index change
    assert "uncommitted" not in err


def test_worktree_with_a_range_is_a_clear_error(
    repo: GitRepo, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(repo, tmp_path, capsys, "--worktree", "--base", "HEAD~1")
    assert code == cli.EXIT_ERROR
    assert "--worktree documents the working tree against HEAD" in err
    assert "Traceback" not in err


def test_staged_documents_the_index_and_does_not_name_the_unstaged_edits(
    repo: GitRepo, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The pre-commit hook's run: what is staged is documented; the rest is not news to the committer."""
    repo.write("app/core.py", "def core():\n    return 1\n\n\ndef extra():\n    return 3\n")
    repo.write("app/new.py", "def fresh():\n    return 4\n")
    repo.git("add", "app/core.py")

    code, out, err = run(repo, tmp_path, capsys, "--staged", "--json")

    assert code == cli.EXIT_FAILED_FILES, err  # pages changed: the commit stops for a review
    assert json.loads(out)["files"]["documented"] == ["app/core.py"]
    assert "uncommitted" not in err


def test_staged_and_worktree_together_is_a_clear_error(
    repo: GitRepo, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(repo, tmp_path, capsys, "--staged", "--worktree")
    assert code == cli.EXIT_ERROR
    assert "pass one" in err


def test_the_summary_names_the_provider_the_cache_and_the_output_folder(
    repo: GitRepo, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "400")  # one table row per line, however long the paths
    code, out, _ = run(repo, tmp_path, capsys, "--out", "build/api")
    flat = " ".join(out.split())
    assert code == 0
    assert "Provider │ offline" in flat
    assert f"Cache │ sqlite at {tmp_path / 'c.db'}" in flat
    assert f"Output folder │ {repo.path / 'build/api'}" in flat


def test_quiet_prints_nothing_and_json_prints_only_the_report(
    repo: GitRepo, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(repo, tmp_path, capsys, "--quiet")
    assert (code, out, err) == (0, "", "")
    code, out, _ = run(repo, tmp_path, capsys, "--json")
    assert code == 0
    assert json.loads(out)["provider"] == "offline"
