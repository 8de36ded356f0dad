"""Benchmark: change detection for a push of N changed files (default 5,000).

Builds a throwaway repository (not timed), then times, best of ``--repeat`` runs:

- ``changed_files`` for the push (``git diff --raw -z`` + ``--unified=0`` patch parsed by unidiff),
- ``changed_files(everything=True)`` (``--numstat`` against the empty tree),
- ``Git.attributes`` plus the path filter for every changed path.

Run: ``.venv/bin/python bench/bench_changes.py [--files 5000] [--repeat 3]``
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from docbot.changes import changed_files
from docbot.config import load_settings
from docbot.filters import ATTRIBUTES, FileFilter
from docbot.git import Git


def git(repo: Path, *args: str) -> str:
    env = {**os.environ, "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull}
    return subprocess.run(
        ["git", "-C", str(repo), *args], check=True, capture_output=True, text=True, env=env
    ).stdout.strip()


def build(repo: Path, files: int) -> tuple[str, str]:
    """A base commit with ``files`` Python files of 40 lines, and a head commit that edits every one
    of them in two places, renames 5% (with an edit) and deletes 1%."""
    git(repo, "init", "-q", "-b", "main")
    git(repo, "config", "user.email", "bench@example.com")
    git(repo, "config", "user.name", "bench")
    body = [f"def f{j}(x):\n    return x + {j}\n" for j in range(20)]
    for i in range(files):
        path = repo / f"pkg{i % 50:02}" / f"mod_{i:05}.py"
        path.parent.mkdir(exist_ok=True)
        path.write_text(f"# module {i}\n" + "".join(body), encoding="utf-8")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "base")
    base = git(repo, "rev-parse", "HEAD")
    for i in range(files):
        path = repo / f"pkg{i % 50:02}" / f"mod_{i:05}.py"
        if i % 100 == 99:
            path.unlink()
            continue
        lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
        lines[3] = "    return x * 2  # edited\n"
        lines[30] = "    return x * 3  # edited\n"
        target = path.with_name(f"renamed_{i:05}.py") if i % 20 == 0 else path
        if target != path:
            path.unlink()
        target.write_text("".join(lines), encoding="utf-8")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "head")
    return base, git(repo, "rev-parse", "HEAD")


def best(repeat: int, fn: Callable[[], object]) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return min(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="docbot-bench-") as tmp:
        repo = Path(tmp) / "repo"
        repo.mkdir()
        started = time.perf_counter()
        base, head = build(repo, args.files)
        print(f"built {args.files} files in {time.perf_counter() - started:.1f} s (not part of the figures)")
        g = Git(repo)

        seconds, changes = best(args.repeat, lambda: changed_files(g, base, head))
        assert isinstance(changes, list)
        kinds = {s: sum(1 for c in changes if c.status == s) for s in ("modified", "renamed", "deleted")}
        print(f"changed_files, push of {len(changes)} files {kinds}: {seconds * 1000:.0f} ms")

        seconds, every = best(args.repeat, lambda: changed_files(g, None, head, everything=True))
        assert isinstance(every, list)
        print(f"changed_files --all, {len(every)} files: {seconds * 1000:.0f} ms")

        settings = load_settings({"provider": "offline", "exclude": ["pkg00/"]}, {})
        paths = [c.path for c in changes if c.status != "deleted"]

        def filter_all() -> int:
            flt = FileFilter.from_settings(settings, attributes=g.attributes(head, paths, ATTRIBUTES))
            return sum(1 for p in paths if flt.skip_reason(p) is None)

        seconds, kept = best(args.repeat, filter_all)
        print(f"attributes + filters, {len(paths)} paths ({kept} kept): {seconds * 1000:.0f} ms")
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"peak RSS of this process: {peak:.0f} MiB")


if __name__ == "__main__":
    main()
