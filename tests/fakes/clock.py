"""Clocks for tests: a fake one that only moves when slept on; the scaled real one lives in the package
(``docbot bench`` uses it) and is re-exported here."""

from __future__ import annotations

import threading

from docbot.testing.clock import ScaledClock

__all__ = ["FakeClock", "ScaledClock"]


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
