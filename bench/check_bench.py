"""Benchmark: ``docbot check`` on a repository of N source files with current pages (default 1,000).

Builds a throwaway repository and documents it with the offline provider (not timed), then times, best
of ``repeat`` runs: ``check.check`` in process, and the ``docbot check`` command as a user runs it (a
new interpreter each time); then edits 1% of the files and times the check again (it parses only the
stale sources).

Run: ``./dev bench --check 1000`` (or ``PYTHONPATH=. .venv/bin/python -m bench.check_bench --files 1000``).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from docbot import cli
from docbot.check import check
from docbot.config import load_settings
from docbot.git import Git


def _git(repo: Path, *args: str) -> None:
    env = {**os.environ, "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull}
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, env=env, timeout=600)


def build(repo: Path, files: int) -> None:
    """``files`` Python modules of 40 lines in 50 folders, committed and documented (offline)."""
    _git(repo, "init", "-q", "-b", "main")
    _git(repo, "config", "user.email", "bench@example.com")
    _git(repo, "config", "user.name", "bench")
    body = "".join(f"def f{j}(x):\n    return x + {j}\n" for j in range(20))
    for i in range(files):
        path = repo / f"pkg{i % 50:02}" / f"mod_{i:05}.py"
        path.parent.mkdir(exist_ok=True)
        path.write_text(f"# module {i}\n{body}", encoding="utf-8")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "sources")
    with contextlib.redirect_stdout(io.StringIO()):
        code = cli.main(["run", "--repo", str(repo), "--all", "--cache", "none", "--provider", "offline"])
    assert code == 0, "documenting the benchmark repository failed"


def best(fn: Callable[[], Any], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return min(times)


def measure(files: int, repeat: int = 3) -> dict[str, float | int]:
    with tempfile.TemporaryDirectory(prefix="docbot-check-bench-") as tmp:
        repo = Path(tmp)
        build(repo, files)
        settings = load_settings({"repo": repo})
        git = Git(repo)
        current = check(settings, git)
        assert current.ok and current.pages == files, current.findings[:3]
        in_process = best(lambda: check(settings, git), repeat)
        command = [sys.executable, "-m", "docbot", "check", "--repo", str(repo)]
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        process = best(lambda: subprocess.run(command, check=True, capture_output=True, timeout=600), repeat)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        # CPU time is what the machine's load does not inflate (a busy shared machine stretches wall time).
        cpu = (after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime) / repeat
        edited = max(1, files // 100)
        for i in range(edited):
            path = repo / f"pkg{i % 50:02}" / f"mod_{i:05}.py"
            path.write_text(path.read_text(encoding="utf-8") + "\n\ndef extra(y):\n    return y\n")
        stale = check(settings, git)
        assert len(stale.findings) == edited
        stale_s = best(lambda: check(settings, git), repeat)
    return {
        "files": files,
        "check_s": round(in_process, 3),
        "command_s": round(process, 3),
        "command_cpu_s": round(cpu, 3),
        "stale_files": edited,
        "check_stale_s": round(stale_s, 3),
    }


def report(figures: dict[str, float | int]) -> str:
    return (
        f"docbot check, {figures['files']} files with current pages: {figures['check_s']:.3f} s in process, "
        f"{figures['command_s']:.3f} s as a command ({figures['command_cpu_s']:.3f} s CPU); "
        f"with {figures['stale_files']} stale: "
        f"{figures['check_stale_s']:.3f} s in process"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print(report(measure(args.files, args.repeat)))


if __name__ == "__main__":
    main()
