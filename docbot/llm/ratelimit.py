"""Client-side pacing: token buckets for requests, input tokens and output tokens per minute, plus a
concurrency cap, so docbot spaces its own requests instead of collecting 429s.

The buckets start from the settings (``rpm_limit``, ``itpm_limit``, ``otpm_limit``) and are corrected
from every response's ``anthropic-ratelimit-*`` headers: ``*-limit`` sets a bucket's size and refill
rate (limit per 60 s), ``*-remaining`` lowers its level when the server knows of use we do not (other
runs sharing the key, or our own requests still in flight), and ``*-reset`` (when the bucket will be full
again) slows the refill when the server's own bucket refills more slowly than a minute per limit. A
429's wait hint pauses every thread, not just the one that got it: the limit is shared, so are the
consequences. That holds for a 429 that shows a limit (its rate-limit headers); one without them says
nothing about pace and holds only the request it refused (``RateLimiter.refused``).

How many requests are in flight is learned (``Window``, additive increase / multiplicative decrease):
the first request goes alone (until a response's headers say what the tier really is, the settings'
figures may be far above it); then the buckets pace, the window grows toward ``max_concurrency``, and
a 429 teaches the server's concurrency limit.

Like the API, input tokens are debited by an estimate before sending and corrected from ``usage``
afterwards (``input_tokens + cache_creation_input_tokens``: cache reads do not count against ITPM);
output tokens are debited by ``max_tokens`` and the unused part refunded.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

# The API's limits are per minute; the run's time budget (``deadline.py``) is given in minutes too.
SECONDS_PER_MINUTE = 60.0
# A reset is given to the second, so a bucket a few seconds from full says little about its refill rate;
# and only a server clearly slower than a minute per limit is followed (rounding never makes one).
_RESET_MIN_S = 10.0
_SLOWER_BY = 1.15


class TokenBucket:
    """A bucket of ``capacity`` tokens refilled at ``capacity`` per ``period`` seconds (a minute unless the
    server's reset headers say it is slower). Not thread-safe by itself."""

    def __init__(self, capacity: float, now: float) -> None:
        self.capacity = float(capacity)
        self.level = float(capacity)
        self.period = SECONDS_PER_MINUTE
        self._updated = now

    @property
    def rate(self) -> float:
        """Tokens per second."""
        return self.capacity / self.period

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
    """A concurrency cap learned from the server (AIMD). Thread-safe.

    It starts at ``start`` (one request: nothing is known about the tier yet). ``open_up`` (the first
    response's rate-limit headers) lets it jump to half the ``ceiling``, and the token buckets pace
    from there; it slow-starts on, half a slot per answer that came back to a full window, until the
    first 429 (a whole slot per answer let a run of short replies push it several requests past the
    server's limit before the first refusal came back: a burst of 429s). A 429 with ``n``
    requests in flight means the server's limit is below ``n``: the window drops to ``n - 1`` and
    remembers it as ``learned``; a 429 at that level again steps it down once more, one below it
    halves it. Above
    ``learned`` it grows by one slot per ten windows of answers (probing rarely, so a limit found
    once costs few 429s); below, by one slot per window. The refusals of one burst each lower it to
    what was still in flight (``shrink``).

    Args:
        ceiling: the most requests in flight, whatever the window has learned.
        start: the first window.
    """

    PROBE_WINDOWS = 10

    def __init__(self, ceiling: int, start: int = 1) -> None:
        self.ceiling = ceiling
        self.size = float(max(1, min(start, ceiling)))
        self.in_flight = 0
        self.slow_start = True  # half a slot per answer until a 429 says more
        self.learned: int | None = None
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

    def open_up(self) -> None:
        """The tier is known (rate-limit headers): jump to half the ceiling and slow-start on from there,
        unless a 429 already taught less. (All of it at once would collect a burst of 429s from a
        server whose concurrency limit is below the ceiling; one slot per answer finds it with one.)"""
        with self._cond:
            if self.slow_start and self.learned is None:
                self.size = max(self.size, float(max(1, self.ceiling // 2)))
                self._cond.notify_all()

    def grow(self) -> None:
        """A request was answered without a 429 (it still holds its slot): additive increase, but only
        if the window was full. A window that was not (the buckets, or too little work, held requests
        back) says nothing about a larger one; growing it anyway lets a burst of short replies raise it
        far above what is in flight, and the next release of waiting requests overshoots the server's
        concurrency limit by that much at once."""
        with self._cond:
            if self.in_flight < self.limit:
                return
            if self.slow_start:
                step = 0.5
            elif self.learned is not None and self.size >= self.learned:
                step = 1.0 / (self.size * self.PROBE_WINDOWS)
            else:
                step = 1.0 / self.size
            self.size = min(float(self.ceiling), self.size + step)
            self._cond.notify_all()

    def shrink(self, *, fresh: bool = True) -> None:
        """A 429 (the caller still holds its slot): the window drops below the level that was refused.

        Args:
            fresh: the first 429 of a burst. The refusals of one burst come back one after another
                while the admitted requests are still running, so the last one counts just those: the
                window takes the smallest level seen. A fresh 429 below the level learned before
                means that was too much after all (a token bucket, or a smaller limit now): it halves.
                One at the learned level steps down to ``n - 1`` like the first: the count in flight
                includes replies the server has finished writing but the client has not yet read, so
                a level learned from one refusal can be a slot above the server's limit, and the next
                request to fill that slot is refused for it. Halving there cut the window of a
                20-request tier to 10 for the rest of the run (growth past a learned level is slow).
        """
        with self._cond:
            target = float(max(1, self.in_flight - 1))
            if fresh and self.learned is not None and self.in_flight < self.learned:
                target = min(target, max(1.0, self.size / 2))
            self.slow_start = False
            self.size = min(self.size, target) if not fresh else target
            self.learned = int(self.size)
            self.decreases += 1


@dataclass(frozen=True)
class Permit:
    """What ``acquire`` debited; hand it back to ``settle`` and ``release``."""

    input_tokens: int
    output_tokens: int
    taken_at: float = 0.0  # limiter clock when the request was let go


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
        wall: seconds since the epoch, to read the ``*-reset`` timestamps against.
        limits_in_headers: the server states its limits in ``anthropic-ratelimit-*`` headers (Claude's
            API does; Bedrock and Vertex AI do not, so there a 429 is the only sign of a limit).
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
        wall: Callable[[], float] = time.time,
        limits_in_headers: bool = True,
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
        self._wall = wall
        self._limits_in_headers = limits_in_headers
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
                        return Permit(input_tokens, output_tokens, now)
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
        if shrink:
            self.window.shrink(fresh=not already_paused)

    def refused(self, seconds: float, headers: Mapping[str, str]) -> bool:
        """A 429: pause every request and shrink the window, but only if the refusal tells of a limit.

        A 429 that carries no ``anthropic-ratelimit-*`` headers says nothing about the buckets or the
        concurrency this client can have: nothing in it points at pace (a storm of such refusals at
        random keeps answering the rest at any pace). Pausing every thread and shrinking the window for
        each one held a run under a 40% storm paused nearly all the time with one request in flight;
        the refused request waits out the hint on its own (the retry policy's floor). A 429 with the
        headers is the server's limit speaking (a bucket at its end, or the concurrency limit with every
        bucket still holding room): that one pauses and shrinks as before. So does every 429 from a
        server that never sends the headers (``limits_in_headers`` false: Bedrock, Vertex AI), where
        a refusal is the only sign of a limit there is.

        Returns:
            Whether the 429 was taken as a sign of a limit.
        """
        if self._limits_in_headers and not tells_limit(headers):
            return False
        self.pause(seconds)
        return True

    def observe(self, headers: Mapping[str, str], since: float | None = None) -> None:
        """Correct the buckets from a response's ``anthropic-ratelimit-*`` headers (missing ones are fine).

        The first response that carries them tells the tier: the window opens to its ceiling and the
        buckets, now the server's own figures, pace the requests.

        Args:
            since: when the request was sent (limiter clock). The server counted ``remaining`` when it
                admitted the request; a reply that took its time to write arrives with a figure that old,
                so the refill since then is added back, or every long reply would drain the buckets.
        """
        if any(_int_header(headers, f"{prefix}-limit") for prefix in _HEADER_BUCKETS):
            self.window.open_up()
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
                    refilled = 0.0 if since is None else max(0.0, now - since) * bucket.rate
                    bucket.level = min(bucket.level, min(bucket.capacity, float(remaining) + refilled))
                    reset = _time_header(headers, f"{prefix}-reset")
                    if reset is not None:
                        _follow_reset(bucket, float(remaining), reset - self._wall())


def tells_limit(headers: Mapping[str, str]) -> bool:
    """Whether a refusal's headers carry any ``anthropic-ratelimit-*`` figure (a limit or what remains)."""
    return any(
        _int_header(headers, f"{prefix}-{field}") is not None
        for prefix in _HEADER_BUCKETS
        for field in ("limit", "remaining")
    )


def _follow_reset(bucket: TokenBucket, remaining: float, full_in: float) -> None:
    """Refill ``bucket`` no faster than the server says its own bucket refills.

    ``full_in`` seconds until the server's bucket holds its whole limit again, from ``remaining``: its
    rate is ``(capacity - remaining) / full_in``. A bucket that refills a minute per limit (the API's
    rule) keeps its rate; one that the server refills more slowly is paced by the server's figure.
    """
    missing = bucket.capacity - remaining
    if full_in < _RESET_MIN_S or missing <= 0:
        return
    period = full_in * bucket.capacity / missing
    bucket.period = period if period > SECONDS_PER_MINUTE * _SLOWER_BY else SECONDS_PER_MINUTE


def _time_header(headers: Mapping[str, str], name: str) -> float | None:
    """An RFC 3339 timestamp header (``2026-12-01T12:40:59Z``) as seconds since the epoch."""
    value = headers.get(name)
    if value is None:
        return None
    try:
        when = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None  # malformed: the refill stays a minute per limit
    return (when if when.tzinfo else when.replace(tzinfo=dt.UTC)).timestamp()


def _int_header(headers: Mapping[str, str], name: str) -> int | None:
    value = headers.get(name)
    if value is None:
        return None
    try:
        return int(value.strip())
    except ValueError:
        return None  # a malformed header must not break a run; the settings' figures stay in force
