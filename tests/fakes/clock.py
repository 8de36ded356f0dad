"""Clocks for tests and benchmarks: a fake one that only moves when slept on, and two real ones that run
faster than real time, shared by the loopback server and the client."""

from __future__ import annotations

import threading
import time


class FakeClock:
    """Monotonic time that advances only when ``sleep`` is called; records every wait. Thread-safe."""

    def __init__(self, start: float = 1000.0) -> None:
        self._now = start
        self._lock = threading.Lock()
        self.sleeps: list[float] = []

    def now(self) -> float:
        with self._lock:
            return self._now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.sleeps.append(seconds)
            self._now += max(0.0, seconds)

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._now += seconds


class ScaledClock:
    """Real time running ``scale`` times faster: a minute of rate limits passes in 60/scale seconds.

    Server and client share it, so pacing, refills and retry-after waits keep their real proportions
    while a test that spans several virtual minutes finishes in about a second.
    """

    def __init__(self, scale: float) -> None:
        self.scale = scale
        self._start = time.monotonic()
        self._lock = threading.Lock()
        self.slept = 0.0

    def now(self) -> float:
        return (time.monotonic() - self._start) * self.scale

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.slept += seconds
        time.sleep(max(0.0, seconds) / self.scale)


class WaitScaledClock:
    """Time that runs ``scale`` times faster while some thread waits on it, and at real speed otherwise.

    Waiting (``sleep``) is what stands for the API: reply latency, rate-limit pauses, retry backoff.
    Everything else (parsing, hashing, git, HTTP on loopback) is local work, which keeps its real
    duration instead of being multiplied by ``scale`` as on a ``ScaledClock``. Local work done while
    another thread waits overlaps that wait, as it would against the real API.
    """

    def __init__(self, scale: float) -> None:
        self.scale = scale
        self._lock = threading.Lock()
        self._virtual = 0.0
        self._real = time.monotonic()
        self._waiting = 0
        self.slept = 0.0

    def _advance(self) -> float:
        # Caller holds the lock: fold the real time since the last change in at the current rate.
        real = time.monotonic()
        self._virtual += (real - self._real) * (self.scale if self._waiting else 1.0)
        self._real = real
        return self._virtual

    def now(self) -> float:
        with self._lock:
            return self._advance()

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self._advance()
            self._waiting += 1
            self.slept += max(0.0, seconds)
        try:
            # While this thread waits the clock runs at ``scale``, so the wait is ``seconds`` of it.
            time.sleep(max(0.0, seconds) / self.scale)
        finally:
            with self._lock:
                self._advance()
                self._waiting -= 1

    def skip(self, seconds: float) -> None:
        """Let ``seconds`` pass at once: time in which nothing runs, as between two pushes."""
        with self._lock:
            self._advance()
            self._virtual += max(0.0, seconds)
