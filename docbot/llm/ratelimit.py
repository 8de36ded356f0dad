"""Client-side pacing: token buckets for requests, input tokens and output tokens per minute, plus a
concurrency cap, so docbot spaces its own requests instead of collecting 429s.

The buckets start from the settings (``rpm_limit``, ``itpm_limit``, ``otpm_limit``) and are corrected
from every response's ``anthropic-ratelimit-*`` headers: ``*-limit`` sets a bucket's size and refill
rate (limit per 60 s), ``*-remaining`` lowers its level when the server knows of use we do not (other
runs sharing the key, or our own requests still in flight). A 429's wait hint pauses every thread,
not just the one that got it: the limit is shared, so are the consequences.

How many requests are in flight is learned, additive increase / multiplicative decrease, like TCP's
window: the first request goes alone (until a response's headers say what the tier really is, the
settings' figures may be far above it), then slow start adds a slot per success until the first 429;
after that one slot per window of successes, and a 429 halves the window (once per pause, however many
requests it hit). ``max_concurrency`` is the ceiling, never the start.

Like the API, input tokens are debited by an estimate before sending and corrected from ``usage``
afterwards (``input_tokens + cache_creation_input_tokens``: cache reads do not count against ITPM);
output tokens are debited by ``max_tokens`` and the unused part refunded.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass

SECONDS_PER_MINUTE = 60.0


class TokenBucket:
    """A bucket of ``capacity`` tokens refilled at ``capacity`` per minute. Not thread-safe by itself."""

    def __init__(self, capacity: float, now: float) -> None:
        self.capacity = float(capacity)
        self.level = float(capacity)
        self._updated = now

    @property
    def rate(self) -> float:
        """Tokens per second."""
        return self.capacity / SECONDS_PER_MINUTE

    def refill(self, now: float) -> None:
        if now > self._updated:
            self.level = min(self.capacity, self.level + (now - self._updated) * self.rate)
        self._updated = max(self._updated, now)

    def wait_for(self, amount: float) -> float:
        """Seconds until ``amount`` can be taken. More than the capacity waits for a full bucket."""
        need = min(amount, self.capacity)
        return 0.0 if self.level >= need else (need - self.level) / self.rate

    def take(self, amount: float) -> None:
        # May go below zero (an oversized request, or usage above the estimate): later takes wait longer.
        self.level -= amount

    def give(self, amount: float) -> None:
        self.level = min(self.capacity, self.level + amount)


class Window:
    """A concurrency cap that grows with successes and halves on a 429 (AIMD). Thread-safe.

    Args:
        ceiling: the most requests in flight, whatever the window has learned.
        start: the first window.
    """

    def __init__(self, ceiling: int, start: int = 1) -> None:
        self.ceiling = ceiling
        self.size = float(max(1, min(start, ceiling)))
        self.in_flight = 0
        self.slow_start = True  # doubling per round trip until the first 429
        self.decreases = 0
        self._cond = threading.Condition()

    @property
    def limit(self) -> int:
        return max(1, int(self.size))

    def enter(self) -> None:
        """Wait for a slot under the current window."""
        with self._cond:
            while self.in_flight >= self.limit:
                self._cond.wait()
            self.in_flight += 1

    def leave(self) -> None:
        with self._cond:
            self.in_flight -= 1
            self._cond.notify_all()

    def grow(self) -> None:
        """A request was answered without a 429: additive increase (one slot per window's worth)."""
        with self._cond:
            step = 1.0 if self.slow_start else 1.0 / self.size
            self.size = min(float(self.ceiling), self.size + step)
            self._cond.notify_all()

    def shrink(self) -> None:
        """A 429: multiplicative decrease."""
        with self._cond:
            self.slow_start = False
            self.size = max(1.0, self.size / 2)
            self.decreases += 1


@dataclass(frozen=True)
class Permit:
    """What ``acquire`` debited; hand it back to ``settle`` and ``release``."""

    input_tokens: int
    output_tokens: int


# anthropic-ratelimit-<family>-* header family -> bucket name.
_HEADER_BUCKETS = {
    "anthropic-ratelimit-requests": "requests",
    "anthropic-ratelimit-input-tokens": "input",
    "anthropic-ratelimit-output-tokens": "output",
}


class RateLimiter:
    """Token buckets (RPM, ITPM, OTPM), a concurrency cap and a shared pause; thread-safe.

    Args:
        rpm: requests per minute to start from.
        itpm: input tokens per minute to start from.
        otpm: output tokens per minute to start from.
        max_concurrency: the most requests in flight at once (the learned window's ceiling).
        start_concurrency: the window's first size.
        clock: monotonic seconds (injected so tests control time).
        sleep: how to wait (injected so tests record waits instead of sleeping).
    """

    def __init__(
        self,
        *,
        rpm: int,
        itpm: int,
        otpm: int,
        max_concurrency: int,
        clock: Callable[[], float],
        sleep: Callable[[float], None],
        start_concurrency: int = 1,
    ) -> None:
        now = clock()
        self._buckets = {
            "requests": TokenBucket(rpm, now),
            "input": TokenBucket(itpm, now),
            "output": TokenBucket(otpm, now),
        }
        self.window = Window(max_concurrency, start_concurrency)
        self._lock = threading.Lock()
        self._clock = clock
        self._sleep = sleep
        self._paused_until = now
        self.waited_s = 0.0  # total time threads spent waiting for the buckets (a figure for reports)

    def capacity(self, bucket: str) -> float:
        """Current size of ``requests``, ``input`` or ``output`` (after header corrections)."""
        with self._lock:
            return self._buckets[bucket].capacity

    def acquire(self, input_tokens: int, output_tokens: int) -> Permit:
        """Wait for a concurrency slot and for room in every bucket, then debit them.

        Args:
            input_tokens: the estimated prompt tokens that count against ITPM.
            output_tokens: the request's ``max_tokens``.

        Returns:
            The permit to ``settle`` with the real usage and then ``release``.
        """
        self.window.enter()
        try:
            while True:
                with self._lock:
                    now = self._clock()
                    for bucket in self._buckets.values():
                        bucket.refill(now)
                    wait = max(
                        self._paused_until - now,
                        self._buckets["requests"].wait_for(1),
                        self._buckets["input"].wait_for(input_tokens),
                        self._buckets["output"].wait_for(output_tokens),
                    )
                    if wait <= 0:
                        self._buckets["requests"].take(1)
                        self._buckets["input"].take(input_tokens)
                        self._buckets["output"].take(output_tokens)
                        return Permit(input_tokens, output_tokens)
                    self.waited_s += wait
                self._sleep(wait)
        except BaseException:
            self.window.leave()
            raise

    def settle(self, permit: Permit, input_tokens: int, output_tokens: int) -> None:
        """Correct the token buckets with what the request really used (0, 0 when it was refused)."""
        with self._lock:
            self._buckets["input"].give(permit.input_tokens - input_tokens)
            self._buckets["output"].give(permit.output_tokens - output_tokens)

    def release(self, permit: Permit) -> None:
        """Free the concurrency slot ``acquire`` took."""
        self.window.leave()

    def answered(self) -> None:
        """A request came back without a 429: the window may grow."""
        self.window.grow()

    def pause(self, seconds: float, *, shrink: bool = True) -> None:
        """Hold every new request for ``seconds`` (the server's wait hint) and, on a 429, halve the window.

        The pause is the dispatcher's, shared by every thread: 429s that arrive together extend it to
        the latest hint instead of adding up, and halve the window once. ``shrink=False`` for a 529:
        an overloaded API is not a sign that this client sends too much at once.
        """
        with self._lock:
            now = self._clock()
            already_paused = self._paused_until > now
            self._paused_until = max(self._paused_until, now + seconds)
        if shrink and not already_paused:
            self.window.shrink()

    def observe(self, headers: Mapping[str, str]) -> None:
        """Correct the buckets from a response's ``anthropic-ratelimit-*`` headers (missing ones are fine)."""
        with self._lock:
            now = self._clock()
            for prefix, name in _HEADER_BUCKETS.items():
                limit = _int_header(headers, f"{prefix}-limit")
                remaining = _int_header(headers, f"{prefix}-remaining")
                bucket = self._buckets[name]
                bucket.refill(now)
                if limit is not None and limit > 0:
                    bucket.capacity = float(limit)
                    bucket.level = min(bucket.level, bucket.capacity)
                if remaining is not None:
                    bucket.level = min(bucket.level, float(remaining))


def _int_header(headers: Mapping[str, str], name: str) -> int | None:
    value = headers.get(name)
    if value is None:
        return None
    try:
        return int(value.strip())
    except ValueError:
        return None  # a malformed header must not break a run; the settings' figures stay in force
