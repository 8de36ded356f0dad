"""How the loopback Messages API admits a request against a tier's limits, the way the API does.

- RPM, ITPM and OTPM are token buckets refilled continuously at their per-minute limit.
- OTPM is reserved at ``max_tokens`` when a request is admitted and corrected to the real output when
  the reply is finished, not before: an oversized ``max_tokens`` holds the budget for the whole reply.
- A request whose ``max_tokens`` alone is over the OTPM limit can never be admitted: 429, every time.
- A concurrency limit: a request arriving while ``concurrency`` others are being answered gets a 429.

``Admission`` keeps the state; ``FakeAnthropic`` asks it before answering and tells it when done.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable
from dataclasses import dataclass


class Bucket:
    """Tokens refilled at ``per_minute`` per minute, starting full."""

    def __init__(self, per_minute: int, now: float) -> None:
        self.capacity = float(per_minute)
        self.level = float(per_minute)
        self.updated = now

    def refill(self, now: float) -> None:
        self.level = min(self.capacity, self.level + (now - self.updated) * self.capacity / 60)
        self.updated = now

    def wait_for(self, amount: float) -> float:
        need = min(amount, self.capacity)
        return 0.0 if self.level >= need else (need - self.level) * 60 / self.capacity


@dataclass(frozen=True)
class Verdict:
    """Admitted, or refused with the API's message and the seconds to wait (``retry-after``)."""

    admitted: bool
    wait_s: float = 0.0
    message: str = ""

    @property
    def retry_after(self) -> str:
        return str(max(1, math.ceil(self.wait_s)))


LIMIT_MESSAGE = "Number of request tokens has exceeded your per-minute rate limit"
CONCURRENCY_MESSAGE = "Number of concurrent connections has exceeded your rate limit"


class Admission:
    """The buckets and the in-flight count of one server. Thread-safe.

    Args:
        limits: ``{"requests": rpm, "input": itpm, "output": otpm}`` (absent: unlimited).
        concurrency: requests answered at once (None: unlimited).
        clock: the server's clock.
    """

    def __init__(self, limits: dict[str, int], concurrency: int | None, clock: Callable[[], float]) -> None:
        now = clock()
        self.buckets = {name: Bucket(limit, now) for name, limit in limits.items()}
        self.concurrency = concurrency
        self.clock = clock
        self.in_flight = 0
        self.peak_in_flight = 0
        self._lock = threading.Lock()

    def admit(self, input_tokens: int, max_tokens: int) -> Verdict:
        """Charge one request (1 request, its counted input, ``max_tokens`` reserved) or refuse it."""
        wants = {"requests": 1, "input": input_tokens, "output": max_tokens}
        with self._lock:
            output = self.buckets.get("output")
            if output is not None and max_tokens > output.capacity:
                return Verdict(
                    False,
                    60.0,
                    f"this request alone needs {max_tokens:,} output tokens per minute (max_tokens), over "
                    f"your limit of {int(output.capacity):,}",
                )
            if self.concurrency is not None and self.in_flight >= self.concurrency:
                return Verdict(False, 1.0, CONCURRENCY_MESSAGE)
            now = self.clock()
            for bucket in self.buckets.values():
                bucket.refill(now)
            wait = max((b.wait_for(wants[n]) for n, b in self.buckets.items()), default=0.0)
            if wait > 0:
                return Verdict(False, wait, LIMIT_MESSAGE)
            for name, bucket in self.buckets.items():
                bucket.level -= wants[name]
            self.in_flight += 1
            self.peak_in_flight = max(self.peak_in_flight, self.in_flight)
        return Verdict(True)

    def finish(self, max_tokens: int, output_tokens: int) -> None:
        """The reply is complete: refund the unused part of the output reservation, free the slot."""
        with self._lock:
            self.in_flight -= 1
            output = self.buckets.get("output")
            if output is not None:
                output.refill(self.clock())
                output.level = min(output.capacity, output.level + max_tokens - output_tokens)
