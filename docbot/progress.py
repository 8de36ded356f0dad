"""What a run is doing while it runs: a live display at a terminal, a line every 30 s in a CI log.

The pipeline reports three things (``Progress``): how much work there is once the cache has been asked,
each request started, and each request answered (with its usage, or ``None`` when it failed). Workers
call the last two from their threads, so every implementation is thread-safe.

- ``RichProgress``: a rich progress bar on a terminal (chunks done of total, requests in flight, cost so
  far, cache hits, ETA); it disappears when the run ends.
- ``LogProgress``: for logs that are not a terminal (GitHub Actions): one plain line when the work is
  known, then at least every ``interval`` seconds while work is pending, from a heartbeat thread, so a
  long request never leaves the log silent.
- ``NO_PROGRESS``: reports nothing (tests, ``--quiet``).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from docbot.docs import Usage

LOG_INTERVAL_S = 30.0


class Progress(Protocol):
    def begin(self, *, files: int, chunks: int, cached: int) -> None:
        """The work is known: ``chunks`` chunks in ``files`` files, ``cached`` of them from the cache."""

    def asking(self) -> None:
        """A worker sends a request for one chunk."""

    def answered(self, usage: Usage | None) -> None:
        """A chunk's request finished: its usage, or ``None`` when it failed."""

    def end(self) -> None:
        """The run's requests are over (also after an error)."""


class _Silent:
    def begin(self, *, files: int, chunks: int, cached: int) -> None:
        pass

    def asking(self) -> None:
        pass

    def answered(self, usage: Usage | None) -> None:
        pass

    def end(self) -> None:
        pass


NO_PROGRESS: Progress = _Silent()


@dataclass
class Tally:
    """The running totals a progress report shows."""

    files: int = 0
    chunks: int = 0
    cached: int = 0
    done: int = 0  # answered (cached ones included), failed ones too
    failed: int = 0
    in_flight: int = 0
    cost_usd: float = 0.0
    retries: int = 0
    started: float = 0.0
    asked_done: int = 0  # answered by the provider: the pace the ETA is taken from

    def eta_s(self, now: float) -> float | None:
        left = self.chunks - self.done
        elapsed = now - self.started
        if left <= 0:
            return 0.0
        if self.asked_done == 0 or elapsed <= 0:
            return None
        return left * elapsed / self.asked_done

    def line(self, now: float) -> str:
        """``docbot: 120/480 chunks, $0.84, 2 retries, ETA 3m`` (and failures, cache hits)."""
        parts = [f"docbot: {self.done}/{self.chunks} chunks", f"${self.cost_usd:.2f}"]
        parts.append(f"{self.retries} retr{'y' if self.retries == 1 else 'ies'}")
        if self.cached:
            parts.append(f"{self.cached} from cache")
        if self.failed:
            parts.append(f"{self.failed} failed")
        if self.in_flight:
            parts.append(f"{self.in_flight} in flight")
        eta = self.eta_s(now)
        parts.append(f"ETA {_duration(eta)}" if eta is not None else "ETA unknown")
        return ", ".join(parts)


def _duration(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.0f}s"
    if seconds < 3600:
        return f"{seconds / 60:.0f}m"
    return f"{seconds / 3600:.1f}h"


class LogProgress:
    """Plain lines for a log: at the start, then at least every ``interval`` seconds while work is pending.

    Args:
        write: prints one line (the Action's log, or stderr).
        clock: the time source (tests inject a fake one).
        wait: waits up to N seconds for the stop event and returns whether it is set; tests inject one
            that advances their clock instead of sleeping.
    """

    def __init__(
        self,
        write: Callable[[str], None],
        *,
        clock: Callable[[], float] = time.monotonic,
        interval: float = LOG_INTERVAL_S,
        wait: Callable[[threading.Event, float], bool] | None = None,
    ) -> None:
        self._write, self._clock, self._interval = write, clock, interval
        self._wait = wait or (lambda event, seconds: event.wait(seconds))
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.tally = Tally()
        self._last, self._last_line = 0.0, ""

    def begin(self, *, files: int, chunks: int, cached: int) -> None:
        with self._lock:
            now = self._clock()
            self.tally = Tally(files=files, chunks=chunks, cached=cached, done=cached, started=now)
            self._emit(now)
        if chunks > cached:
            self._thread = threading.Thread(target=self._heartbeat, name="docbot-progress", daemon=True)
            self._thread.start()

    def asking(self) -> None:
        with self._lock:
            self.tally.in_flight += 1

    def answered(self, usage: Usage | None) -> None:
        with self._lock:
            t = self.tally
            t.in_flight -= 1
            t.done += 1
            t.asked_done += 1
            if usage is None:
                t.failed += 1
            else:
                t.cost_usd += usage.cost_usd
                t.retries += usage.retries
            now = self._clock()
            if now - self._last >= self._interval:
                self._emit(now)

    def end(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        with self._lock:
            now = self._clock()
            if self.tally.chunks > self.tally.cached and self.tally.line(now) != self._last_line:
                self._emit(now)  # the closing figures, unless the last line already said them

    def _heartbeat(self) -> None:
        while True:
            with self._lock:
                remaining = self._interval - (self._clock() - self._last)
            if self._wait(self._stop, max(remaining, 0.0)):
                return
            with self._lock:
                now = self._clock()
                if now - self._last >= self._interval and self.tally.done < self.tally.chunks:
                    self._emit(now)

    def _emit(self, now: float) -> None:  # with the lock held
        self._last, self._last_line = now, self.tally.line(now)
        self._write(self._last_line)


class RichProgress:
    """A transient rich progress bar on a terminal."""

    def __init__(self, console: object) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        assert isinstance(console, Console)
        self._bar = Progress(
            TextColumn("[bold]docbot[/bold] chunks"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[status]}"),
            TimeRemainingColumn(),
            console=console,
            transient=True,
        )
        self._lock = threading.Lock()
        self.tally = Tally()
        self._task: object = None

    def begin(self, *, files: int, chunks: int, cached: int) -> None:
        with self._lock:
            self.tally = Tally(files=files, chunks=chunks, cached=cached, done=cached)
            self._bar.start()
            self._task = self._bar.add_task("chunks", total=chunks, completed=cached, status=self._status())

    def asking(self) -> None:
        with self._lock:
            self.tally.in_flight += 1
            self._refresh(0)

    def answered(self, usage: Usage | None) -> None:
        with self._lock:
            t = self.tally
            t.in_flight -= 1
            t.done += 1
            if usage is None:
                t.failed += 1
            else:
                t.cost_usd += usage.cost_usd
                t.retries += usage.retries
            self._refresh(1)

    def end(self) -> None:
        with self._lock:
            self._bar.stop()

    def _status(self) -> str:
        t = self.tally
        failed = f", {t.failed} failed" if t.failed else ""
        return f"{t.in_flight} in flight, ${t.cost_usd:.2f}, {t.cached} from cache{failed}"

    def _refresh(self, advance: int) -> None:
        if self._task is not None:
            self._bar.update(self._task, advance=advance, status=self._status())  # type: ignore[arg-type]
