"""Progress while a run works: a line at least every 30 s in a log (injected clock), a bar at a terminal."""

from __future__ import annotations

import io
import itertools
import re
import threading
from typing import Any

from rich.console import Console

from docbot.cache import NullCache
from docbot.docs import ChunkDoc, Usage
from docbot.llm.base import DocRequest
from docbot.llm.offline import OfflineProvider
from docbot.progress import LogProgress, RichProgress
from tests.conftest import GitRepo
from tests.fakes.clock import FakeClock
from tests.local_run import run_local


class SlowProvider:
    """The offline provider, taking ``seconds`` of the fake clock per request and costing a cent."""

    def __init__(self, clock: FakeClock, seconds: float) -> None:
        self.inner, self.clock, self.seconds = OfflineProvider(), clock, seconds
        self.calls = 0

    def document(self, request: DocRequest) -> ChunkDoc:
        self.calls += 1
        self.clock.advance(self.seconds)
        doc = self.inner.document(request)
        return ChunkDoc(doc.overview, doc.symbols, doc.model, Usage(requests=1, cost_usd=0.01))

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def functions(n: int) -> str:
    body = "".join(f"    x{i} = {i}\n" for i in range(18))
    return "".join(f"def f{k}():\n{body}    return x0\n\n\n" for k in range(n))


def test_a_log_gets_a_line_whenever_30_seconds_have_passed(git_repo: GitRepo) -> None:
    git_repo.write("src/many.py", functions(12))
    git_repo.commit("twelve functions, one chunk each")
    clock, lines = FakeClock(), []
    provider = SlowProvider(clock, 20.0)
    progress = LogProgress(
        lambda line: lines.append((clock.now(), line)), clock=clock.now, wait=lambda event, s: event.wait(5.0)
    )

    report = run_local(
        git_repo.path, store=NullCache(), provider=provider, all_files=True,  # type: ignore[arg-type]
        chunk_max_lines=20, max_concurrency=1, progress=progress,
    )  # fmt: skip

    assert report.documented == ["src/many.py"]
    asked = provider.calls
    shown = [re.fullmatch(r"docbot: (\d+)/(\d+) chunks, \$([\d.]+), .*", line) for _, line in lines]
    assert all(shown), lines
    assert {int(m.group(2)) for m in shown if m} == {asked}
    done = [int(m.group(1)) for m in shown if m]
    # Requests of 20 s each: a line when the work is known, then at the first answer 30 s after the
    # last line (every second answer), and the closing figures.
    assert done == [*range(0, asked + 1, 2), *([asked] if asked % 2 else [])]
    times = [t for t, _ in lines]
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert all(gap >= 30 for gap in gaps[:-1])  # the closing line may come sooner
    assert lines[-1][1] == f"docbot: {asked}/{asked} chunks, ${asked / 100:.2f}, 0 retries, ETA 0s"


def test_a_long_request_still_gets_lines_from_the_heartbeat() -> None:
    clock, lines, waits = FakeClock(), [], []
    asked, released = threading.Event(), threading.Event()

    def wait(event: threading.Event, seconds: float) -> bool:
        assert asked.wait(10)  # the request is in flight before the first 30 s pass
        clock.advance(seconds)  # the injected clock: 30 s pass at once, nothing sleeps
        waits.append(seconds)
        if len(waits) >= 3:
            released.set()
            return True  # stop the heartbeat after its second line
        return False

    progress = LogProgress(lines.append, clock=clock.now, wait=wait)
    progress.begin(files=1, chunks=2, cached=1)
    progress.asking()
    asked.set()
    assert released.wait(10)
    progress.answered(Usage(cost_usd=0.5))
    progress.end()

    assert lines == [
        "docbot: 1/2 chunks, $0.00, 0 retries, 1 from cache, ETA unknown",
        "docbot: 1/2 chunks, $0.00, 0 retries, 1 from cache, 1 in flight, ETA unknown",
        "docbot: 1/2 chunks, $0.00, 0 retries, 1 from cache, 1 in flight, ETA unknown",
        "docbot: 2/2 chunks, $0.50, 0 retries, 1 from cache, ETA 0s",
    ]
    assert waits == [30.0, 30.0, 30.0]


def test_a_run_from_the_cache_alone_prints_one_line_and_starts_no_thread() -> None:
    lines: list[str] = []
    progress = LogProgress(lines.append, clock=FakeClock().now)

    progress.begin(files=3, chunks=5, cached=5)
    progress.end()

    assert lines == ["docbot: 5/5 chunks, $0.00, 0 retries, 5 from cache, ETA 0s"]


def test_the_terminal_bar_counts_what_the_run_did(git_repo: GitRepo) -> None:
    git_repo.write("src/many.py", functions(3))
    git_repo.commit("three functions")
    out = io.StringIO()
    bar = RichProgress(Console(file=out, force_terminal=True, width=120))

    provider = SlowProvider(FakeClock(), 1.0)
    run_local(
        git_repo.path, store=NullCache(), provider=provider, all_files=True,  # type: ignore[arg-type]
        chunk_max_lines=20, max_concurrency=2, progress=bar,
    )  # fmt: skip

    assert provider.calls >= 3
    assert (bar.tally.done, bar.tally.chunks, bar.tally.in_flight) == (provider.calls, provider.calls, 0)
    assert round(bar.tally.cost_usd, 6) == provider.calls / 100
    assert "docbot" in out.getvalue()
