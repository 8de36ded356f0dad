"""Durable progress: answers reach the cache while the run goes on, so a killed run's rerun pays only for
what was not yet answered."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path

from docbot.cache import CacheEntry, NullCache
from docbot.cache.sqlite import SqliteCache
from docbot.cache.writebehind import WriteBehind
from docbot.chunking import split_source
from docbot.config import load_settings
from docbot.interrupt import EXIT_INTERRUPTED
from tests.conftest import GitRepo
from tests.fakes.anthropic_server import FakeAnthropic, Latency, Seen, running
from tests.fakes.clock import FakeClock

ROOT = Path(__file__).resolve().parents[1]


def entry(n: int) -> CacheEntry:
    return CacheEntry(value=f'{{"n": {n}}}', model="m", created=1.0)


class Recording(NullCache):
    """A cache that keeps every batch it is asked to store."""

    def __init__(self) -> None:
        self.batches: list[list[str]] = []

    def put_many(self, entries: Mapping[str, CacheEntry]) -> dict[str, str]:
        self.batches.append(list(entries))
        return {k: "too large" for k in entries if k == "refused"}


def test_the_buffer_writes_full_batches_at_once() -> None:
    cache, clock = Recording(), FakeClock()
    buffer = WriteBehind(cache, max_batch=3, interval_s=60, clock=clock.now)
    for i in range(7):
        buffer.add(f"k{i}", entry(i))
    assert cache.batches == [["k0", "k1", "k2"], ["k3", "k4", "k5"]]
    assert buffer.pending == 1
    buffer.flush()
    assert cache.batches[-1] == ["k6"] and buffer.pending == 0 and buffer.written == 7


def test_the_buffer_writes_an_entry_that_has_waited_the_interval() -> None:
    cache, clock = Recording(), FakeClock()
    buffer = WriteBehind(cache, max_batch=100, interval_s=2.0, clock=clock.now)
    buffer.add("a", entry(1))
    clock.advance(1.5)
    buffer.flush_if_due()
    assert cache.batches == []
    clock.advance(0.5)
    buffer.flush_if_due()  # what the pipeline calls while it waits for answers
    assert cache.batches == [["a"]]
    buffer.add("refused", entry(2))
    buffer.flush()
    assert buffer.refused == {"refused": "too large"} and buffer.written == 1


def _write_sources(repo: GitRepo) -> dict[str, str]:
    texts = {}
    for f in range(3):
        funcs = [f"def f{f}_{i}(x):\n    '''Add {i}.'''\n    return x + {i}\n" for i in range(40)]
        texts[f"pkg/m{f}.py"] = "\n\n".join(funcs) + "\n"
        repo.write(f"pkg/m{f}.py", texts[f"pkg/m{f}.py"])
    repo.commit("sources")
    return texts


def _messages(seen: Seen) -> str:
    assert seen.body is not None
    return json.dumps(seen.body["messages"], sort_keys=True)  # the chunk asked, whatever max_tokens


def _asks(seen: Seen) -> bool:
    """A chunk request: not a prompt-cache warm-up (max_tokens 0), not a file's overview request."""
    return seen.body is not None and int(seen.body["max_tokens"]) > 0 and not _is_overview(seen)


def _is_overview(seen: Seen) -> bool:
    return seen.body is not None and "Write the overview of the whole file" in json.dumps(seen.body)


def _terminated_after(
    repo: GitRepo, fake: FakeAnthropic, cache: Path, counts: Callable[[Seen], bool], n: int
) -> str:
    """Start ``docbot run``, send it SIGTERM (what a cancelled or timed-out workflow gets) once the
    server has seen ``n`` requests that ``counts``, and return its stderr after it stopped as
    interrupted."""
    run = _docbot(repo, fake.url, cache)
    deadline = time.monotonic() + 60
    while sum(1 for s in list(fake.seen) if counts(s)) < n:
        assert run.poll() is None and time.monotonic() < deadline, run.communicate()
        time.sleep(0.02)  # polling another process's progress, bounded by the deadline
    run.send_signal(signal.SIGTERM)
    _, err = run.communicate(timeout=60)
    assert run.returncode == EXIT_INTERRUPTED, err
    return err


# ``python -m docbot`` as a terminal starts it: with SIGINT turning into KeyboardInterrupt even when
# this test process was started in the background (which leaves SIGINT ignored, and an ignored signal
# stays ignored across exec, so Python would not install its handler in the child).
AS_AT_A_TERMINAL = (
    "import runpy, signal; signal.signal(signal.SIGINT, signal.default_int_handler); "
    "runpy.run_module('docbot', run_name='__main__', alter_sys=True)"
)


def _docbot(repo: GitRepo, url: str, cache: Path, *, terminal: bool = False) -> subprocess.Popen[str]:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DOCBOT_", "ANTHROPIC_"))},
        "ANTHROPIC_API_KEY": "test-key",
        "ANTHROPIC_BASE_URL": url,
        "DOCBOT_CACHE_PATH": str(cache),
        "DOCBOT_MAX_CONCURRENCY": "2",
        "DOCBOT_CHUNK_MAX_LINES": "20",
        # Interactive requests: a batch keeps its own paid work (its id is recorded before any wait).
        "DOCBOT_BATCH": "never",
    }
    start = ["-c", AS_AT_A_TERMINAL] if terminal else ["-m", "docbot"]
    cmd = [sys.executable, *start, "run", "--repo", str(repo.path), "--all"]
    cmd += ["--provider", "anthropic"]
    return subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_a_killed_run_keeps_its_answers_and_the_rerun_asks_only_the_rest(
    git_repo: GitRepo, tmp_path: Path
) -> None:
    texts = _write_sources(git_repo)
    chunking = load_settings({"provider": "offline", "chunk_max_lines": 20}, {}).chunking
    total = sum(
        len(
            split_source(
                path,
                "python",
                text,
                max_lines=chunking.chunk_max_lines,
                max_tokens=chunking.chunk_max_tokens,
                overlap=chunking.chunk_overlap_lines,
                visibility=chunking.visibility,
            )[1]
        )
        for path, text in texts.items()
    )
    assert total >= 12  # enough work for a kill to land in the middle
    cache = tmp_path / "cache.sqlite3"
    with running(api_key="test-key", latency=Latency(base_s=0.1)) as fake:
        err = _terminated_after(git_repo, fake, cache, lambda s: s.status == 200 and _asks(s), 4)
        assert "interrupted (SIGTERM)" in err and "Traceback" not in err
        run1 = list(fake.seen)
        # Chunk requests only: a multi-chunk file's prompt-cache warm-up (max_tokens 0) answers nothing.
        answered = {_messages(s) for s in run1 if s.status == 200 and _asks(s)}
        assert 4 <= len(answered) < total
        stored = SqliteCache(cache, ttl_seconds=3600, clock=time.time)
        # Every answer paid for is in the cache: its chunk entry and one entry per symbol it answered.
        assert stored.count() >= len(answered)
        stored.close()

        second = _docbot(git_repo, fake.url, cache)
        _, err = second.communicate(timeout=120)
        assert second.returncode == 0, err
        asked = [_messages(s) for s in fake.seen[len(run1) :] if _asks(s)]
        overviews = [s for s in fake.seen if _is_overview(s)]
    assert len(asked) == len(set(asked)) == total - len(answered)
    # The overviews are asked after every chunk has its answer: by the rerun only, once per file.
    assert len(overviews) == len(texts) and all(fake.seen.index(s) >= len(run1) for s in overviews)
    assert not set(asked) & answered


def test_a_run_killed_while_asking_overviews_keeps_those_answered(git_repo: GitRepo, tmp_path: Path) -> None:
    files = 8
    for f in range(files):
        git_repo.write(f"pkg/o{f}.py", f'"""Module {f}."""\n\n\ndef g{f}(x):\n    return x + {f}\n')
    git_repo.commit("small modules")
    cache = tmp_path / "cache.sqlite3"
    with running(api_key="test-key", latency=Latency(base_s=0.2)) as fake:
        err = _terminated_after(git_repo, fake, cache, lambda s: s.status == 200 and _is_overview(s), 3)
        assert "Traceback" not in err
        run1 = list(fake.seen)
        answered = {_messages(s) for s in run1 if s.status == 200 and _is_overview(s)}
        assert 3 <= len(answered) < files  # killed halfway through the overviews

        second = _docbot(git_repo, fake.url, cache)
        _, err = second.communicate(timeout=120)
        assert second.returncode == 0, err
        rerun = fake.seen[len(run1) :]
    # Every overview paid for was stored as it was parsed: the rerun asks only the others, and no chunk.
    asked = [_messages(s) for s in rerun if _is_overview(s)]
    assert len(asked) == len(set(asked)) == files - len(answered)
    assert not set(asked) & answered
    assert not [s for s in rerun if _asks(s)]
