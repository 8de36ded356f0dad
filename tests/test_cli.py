"""The ``docbot`` command as a user runs it: a real process, real repository, real output."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import GitRepo


def docbot(
    *args: str, cwd: Path | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """``python -m docbot ARGS`` in a subprocess; ``env`` is added to this process's environment."""
    return subprocess.run(
        [sys.executable, "-m", "docbot", *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=cwd,
        check=False,
        env={**os.environ, **env} if env else None,
    )


def test_help_lists_the_subcommands() -> None:
    proc = docbot("--help")
    assert proc.returncode == 0
    for sub in ("run", "changes", "chunks", "cache"):
        assert f"    {sub} " in proc.stdout


def test_run_twice_writes_pages_report_and_hits_the_cache(git_repo: GitRepo, tmp_path: Path) -> None:
    git_repo.write("app/main.py", "def main():\n    '''Entry point.'''\n    return 0\n")
    git_repo.write("notes.txt", "not code\n")
    git_repo.commit("first")
    cache = tmp_path / "cache.sqlite3"
    report_path = tmp_path / "report.json"
    args = (
        "run",
        "--repo",
        str(git_repo.path),
        "--all",
        "--cache-path",
        str(cache),
        "--report",
        str(report_path),
    )

    first = docbot(*args)
    assert first.returncode == 0, first.stderr
    assert "Files documented" in first.stdout and "0 / 1 (0% hit rate)" in first.stdout
    report = json.loads(report_path.read_text())
    assert report["files"] == {
        "documented": ["app/main.py"],
        "skipped": [{"path": "notes.txt", "reason": "unsupported language"}],
        "failed": [],
    }
    assert report["cache"]["backend"] == "sqlite" and report["cache"]["available"] is True
    assert (report["cache"]["hits"], report["cache"]["misses"]) == (0, 1)
    assert report["api"] == {
        "requests": 0,
        "retries": 0,
        "rate_limited": 0,
        "input_tokens": 0,
        "output_tokens": 0,
        "cache_read_tokens": 0,
        "cache_write_tokens": 0,
        "thinking_tokens": 0,
        "saved_by_prompt_cache_usd": 0.0,
    }
    assert report["cost_usd"] == 0 and report["saved_usd"] == 0
    assert isinstance(report["duration_s"], float)
    assert (git_repo.path / "docs/api/app/main.py.md").read_text().count("Entry point.") == 1

    second = docbot(*args)
    assert second.returncode == 0, second.stderr
    assert "1 / 0 (100% hit rate)" in second.stdout
    assert json.loads(report_path.read_text())["cache"]["hit_rate"] == 1.0

    stats = docbot("cache", "stats", "--cache-path", str(cache), "--json")
    # The chunk's answer, the file's page, the symbol's own entry and the file overview's.
    assert json.loads(stats.stdout)["entries"] == 4


def test_changes_json_contract(git_repo: GitRepo) -> None:
    git_repo.write("a.py", "x = 1\n")
    base = git_repo.commit("base")
    git_repo.write("a.py", "x = 1\ny = 2\n")
    head = git_repo.commit("head")
    proc = docbot("changes", "--repo", str(git_repo.path), "--base", base, "--head", head, "--json")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == [
        {"path": "a.py", "old_path": None, "status": "modified", "binary": False, "changed_lines": [[2, 2]]}
    ]


def test_chunks_json_contract(tmp_path: Path) -> None:
    source = tmp_path / "m.py"
    source.write_text("import os\n\n\nclass A:\n    def f(self):\n        pass\n\n\ndef g():\n    pass\n")
    proc = docbot("chunks", str(source), "--json")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == {
        "language": "python",
        "symbols": [
            {"name": "A", "kind": "class", "start": 4, "end": 6},
            {"name": "A.f", "kind": "method", "start": 5, "end": 6},
            {"name": "g", "kind": "function", "start": 9, "end": 10},
        ],
        "chunks": [{"start": 1, "end": 10, "context_start": 1, "symbols": ["A", "A.f", "g"]}],
    }


def test_bad_input_is_a_clear_error_not_a_traceback(tmp_path: Path) -> None:
    not_repo = docbot("run", "--repo", str(tmp_path))
    assert not_repo.returncode == 2
    assert "is not a git repository" in not_repo.stderr
    assert "Traceback" not in not_repo.stderr

    bad_flag = docbot("run", "--repo", str(tmp_path), "--max-concurrency", "many")
    assert bad_flag.returncode == 2
    assert "max_concurrency: expected a whole number, got 'many'" in bad_flag.stderr

    unknown = docbot("chunks", str(tmp_path / "x.unknownext"))
    assert unknown.returncode == 2 and "no parser for this file type" in unknown.stderr


def test_missing_revision_names_fetch_depth(git_repo: GitRepo, tmp_path: Path) -> None:
    git_repo.write("a.py", "x = 1\n")
    git_repo.commit("one")
    proc = docbot("run", "--repo", str(git_repo.path), "--base", "deadbeef" * 5, "--cache", "none")
    assert proc.returncode == 2
    assert "fetch-depth: 0" in proc.stderr and "Traceback" not in proc.stderr
