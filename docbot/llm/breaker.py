"""A circuit breaker shared by every request of a run.

After ``threshold`` consecutive failed requests (across all chunks and threads) the circuit opens:
no request is sent and work fails fast with the reason "circuit open", instead of every remaining
chunk spending its full retry schedule against an API that is down. After ``cooldown_s`` it
half-opens: exactly one trial request goes out; its success closes the circuit, its failure opens it
for another cool-down.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from docbot.errors import PermanentError

CIRCUIT_OPEN = "circuit open"


class CircuitOpenError(PermanentError):
    """The breaker refused to send a request; the message is exactly ``"circuit open"``."""

    def __init__(self) -> None:
        super().__init__(CIRCUIT_OPEN)


class CircuitBreaker:
    """Counts consecutive failures; thread-safe; the clock is passed in so tests control time."""

    def __init__(self, threshold: int, cooldown_s: float, clock: Callable[[], float]) -> None:
        if threshold < 1:
            raise ValueError(f"threshold must be at least 1, got {threshold}")
        self._threshold = threshold
        self._cooldown_s = cooldown_s
        self._clock = clock
        self._lock = threading.Lock()
        self._failures = 0
        self._opened_at: float | None = None
        self._trial_in_flight = False
        self.times_opened = 0

    @property
    def state(self) -> str:
        """``closed``, ``open`` or ``half-open``."""
        with self._lock:
            return self._state()

    def _state(self) -> str:
        if self._opened_at is None:
            return "closed"
        if self._clock() - self._opened_at >= self._cooldown_s:
            return "half-open"
        return "open"

    def before_request(self) -> None:
        """Call before sending a request.

        Raises:
            CircuitOpenError: the circuit is open, or half-open with its one trial already in flight.
        """
        with self._lock:
            state = self._state()
            if state == "closed":
                return
            if state == "half-open" and not self._trial_in_flight:
                self._trial_in_flight = True
                return
            raise CircuitOpenError()

    def record_success(self) -> None:
        """A request got an answer from the API that is not a service failure (a 2xx, a 4xx, a 429)."""
        with self._lock:
            self._failures = 0
            self._opened_at = None
            self._trial_in_flight = False

    def record_failure(self) -> None:
        """A request failed in a way that says the service is unwell (5xx, 529, timeout, no connection)."""
        with self._lock:
            self._failures += 1
            if self._trial_in_flight:
                # The trial failed: stay open for another full cool-down.
                self._opened_at = self._clock()
                self.times_opened += 1
            elif self._opened_at is None and self._failures >= self._threshold:
                self._opened_at = self._clock()
                self.times_opened += 1
            # Otherwise: a request sent before the circuit opened failed late; the cool-down stands.
            self._trial_in_flight = False
