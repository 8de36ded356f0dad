"""Clocks for tests: a fake one that only moves when slept on, and a scaled real one."""

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
