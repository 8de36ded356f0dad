"""A circuit breaker shared by every request of a run: it slows a run through a storm, it does not fail it.

After ``threshold`` consecutive failed requests (across all chunks and threads), with no success in
the last ``cooldown_s``, the circuit opens: no
request is sent, and every request that wants to go out waits (the backlog stays queued) instead of
spending its retry schedule against an API that is down or shedding load. After ``cooldown_s`` it
half-opens: exactly one trial request goes out; its success closes the circuit and the backlog
resumes, its failure opens it for another cool-down. Waiting for the breaker is not an attempt: a
request's retries are spent only by its own failures.

Why the success in the last cool-down: failures come back at once (a 529, a dropped connection) and
successes only when their reply is written, seconds later. Counted in the order they come back, a
storm that fails 60% of requests at random while the others are answered runs twenty failures in a
row every few hundred requests, and each opening stopped the whole run for a cool-down. A service
that answered within the cool-down is not down; in an outage nothing is answered, and the circuit
opens one cool-down after the last success (the retries' backoff grows meanwhile, ``llm/retry.py``).

Only an outage gives up: when the circuit has stayed open for ``max_open_s`` without one success, the
requests still waiting fail with the reason "circuit open" (the run then reports what succeeded).
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from docbot.errors import PermanentError

CIRCUIT_OPEN = "circuit open"
# How often a request waiting on another request's half-open trial looks again (seconds, at most).
_TRIAL_POLL_S = 1.0


class CircuitOpenError(PermanentError):
    """The breaker gave up on the API (open past ``max_open_s``); the message is ``"circuit open"``."""

    def __init__(self) -> None:
        super().__init__(CIRCUIT_OPEN)


class CircuitBreaker:
    """Counts consecutive failures; thread-safe; the clock and sleep are passed in so tests control time.

    Args:
        threshold: consecutive failures that open the circuit.
        cooldown_s: how long it stays open before one trial request is let through.
        clock: monotonic seconds.
        sleep: how a request waits while the circuit is open; ``None`` refuses at once instead (a caller
            that cannot wait).
        max_open_s: how long the circuit may stay open, counted from its first opening without a
            success in between, before waiting requests fail; ``None``: never.
    """

    def __init__(
        self,
        threshold: int,
        cooldown_s: float,
        clock: Callable[[], float],
        *,
        sleep: Callable[[float], None] | None = None,
        max_open_s: float | None = None,
    ) -> None:
        if threshold < 1:
            raise ValueError(f"threshold must be at least 1, got {threshold}")
        self._threshold = threshold
        self._cooldown_s = cooldown_s
        self._clock = clock
        self._sleep = sleep
        self._max_open_s = max_open_s
        self._lock = threading.Lock()
        self._failures = 0
        self._opened_at: float | None = None
        self._down_since: float | None = None  # first opening since the last success
        self._trial_in_flight = False
        self._answered_at: float | None = None  # the last success
        self.times_opened = 0
        self.waited_s = 0.0  # time requests spent waiting on the breaker (a figure for reports)

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

    def _wait_s(self) -> float | None:
        """Under the lock: 0 to go now (taking the trial if half-open), seconds to wait, None to give up."""
        state = self._state()
        if state == "closed":
            return 0.0
        now = self._clock()
        down = self._down_since
        if down is not None and self._max_open_s is not None and now - down >= self._max_open_s:
            return None  # the outage outlasted the run's patience: fail what is left
        if state == "half-open" and not self._trial_in_flight:
            self._trial_in_flight = True
            return 0.0
        if state == "open":
            assert self._opened_at is not None
            return self._opened_at + self._cooldown_s - now
        return min(_TRIAL_POLL_S, self._cooldown_s)  # another request's trial decides

    def before_request(self) -> None:
        """Call before sending a request: returns when it may go, waiting while the circuit is open.

        Raises:
            CircuitOpenError: the circuit has been open longer than ``max_open_s`` (or is open and
                there is no ``sleep`` to wait with).
        """
        while True:
            with self._lock:
                wait = self._wait_s()
                if wait is not None and wait <= 0:
                    return
                if wait is None or self._sleep is None:
                    raise CircuitOpenError()
                self.waited_s += wait
            self._sleep(wait)

    def cancel(self) -> None:
        """A request let through was not sent after all: free the half-open trial for another."""
        with self._lock:
            self._trial_in_flight = False

    def record_success(self) -> None:
        """A request got an answer from the API that is not a service failure (a 2xx, a 4xx, a 429)."""
        with self._lock:
            self._failures = 0
            self._opened_at = None
            self._down_since = None
            self._trial_in_flight = False
            self._answered_at = self._clock()

    def _answered_lately(self) -> bool:
        return self._answered_at is not None and self._clock() - self._answered_at < self._cooldown_s

    def record_failure(self) -> None:
        """A request failed in a way that says the service is unwell (5xx, 529, timeout, no connection)."""
        with self._lock:
            self._failures += 1
            if self._trial_in_flight:
                # The trial failed: stay open for another full cool-down.
                self._opened_at = self._clock()
                self.times_opened += 1
            elif (
                self._opened_at is None and self._failures >= self._threshold and not self._answered_lately()
            ):
                self._opened_at = self._clock()
                self._down_since = self._down_since if self._down_since is not None else self._opened_at
                self.times_opened += 1
            # Otherwise: a request sent before the circuit opened failed late; the cool-down stands.
            self._trial_in_flight = False
