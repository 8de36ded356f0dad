"""The ``docbot`` command under a hostile user: every failure is one clear line and a documented status."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from docbot.cli import EXIT_BROKEN_PIPE
from tests.conftest import GitRepo

PIPE_BUFFER = 64 * 1024  # Linux's pipe capacity: more output than this blocks until the reader reads


def docbot(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "docbot", *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=cwd,
        check=False,
    )


def read_one_line_then_close(*args: str) -> tuple[int, str]:
    """``docbot ARGS | head -1``: the reader takes one line and goes away while docbot still writes."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "docbot", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None and proc.stderr is not None
    first = proc.stdout.readline()
    proc.stdout.close()
    try:
        err = proc.stderr.read().decode()
        code = proc.wait(timeout=120)
    finally:
        proc.kill()
    assert first, "docbot printed nothing"
    return code, err


@pytest.fixture
def many_functions(tmp_path: Path) -> Path:
    path = tmp_path / "many.py"
    path.write_text("".join(f"def f{i}():\n    return {i}\n" for i in range(4000)))
    return path


@pytest.mark.parametrize("json_flag", [(), ("--json",)], ids=["text", "json"])
def test_a_reader_that_closes_the_pipe_early_ends_chunks_quietly(
    many_functions: Path, json_flag: tuple[str, ...]
) -> None:
    code, err = read_one_line_then_close("chunks", str(many_functions), "--max-lines", "2", *json_flag)
    assert code == EXIT_BROKEN_PIPE == 141
    assert err == ""


def test_a_reader_that_closes_the_pipe_early_ends_changes_quietly(git_repo: GitRepo) -> None:
    for i in range(1500):
        git_repo.write(f"pkg/module_{i:04}.py", f"x = {i}\n")
    git_repo.commit("many files")
    code, err = read_one_line_then_close("changes", "--repo", str(git_repo.path), "--all", "--json")
    assert (code, err) == (EXIT_BROKEN_PIPE, "")
