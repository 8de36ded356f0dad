"""Client-side pacing: token buckets for requests, input tokens and output tokens per minute, plus a
concurrency cap, so docbot spaces its own requests instead of collecting 429s.

The buckets start from the settings (``rpm_limit``, ``itpm_limit``, ``otpm_limit``) and are corrected
from every response's ``anthropic-ratelimit-*`` headers: ``*-limit`` sets a bucket's size and refill
rate (limit per 60 s), ``*-remaining`` lowers its level when the server knows of use we do not (other
runs sharing the key, or our own requests still in flight). A 429's wait hint pauses every thread,
not just the one that got it: the limit is shared, so are the consequences.

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
        max_concurrency: requests in flight at once.
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
    ) -> None:
        now = clock()
        self._buckets = {
            "requests": TokenBucket(rpm, now),
            "input": TokenBucket(itpm, now),
            "output": TokenBucket(otpm, now),
        }
        self._slots = threading.BoundedSemaphore(max_concurrency)
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
        self._slots.acquire()
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
            self._slots.release()
            raise

    def settle(self, permit: Permit, input_tokens: int, output_tokens: int) -> None:
        """Correct the token buckets with what the request really used (0, 0 when it was refused)."""
        with self._lock:
            self._buckets["input"].give(permit.input_tokens - input_tokens)
            self._buckets["output"].give(permit.output_tokens - output_tokens)

    def release(self, permit: Permit) -> None:
        """Free the concurrency slot ``acquire`` took."""
        self._slots.release()

    def pause(self, seconds: float) -> None:
        """Hold every new request for ``seconds`` (the server's wait hint on a 429)."""
        with self._lock:
            self._paused_until = max(self._paused_until, self._clock() + seconds)

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
