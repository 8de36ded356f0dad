"""The retry policy for Messages API requests, defined once and composed from tenacity's parts.

What is retried: 429 (rate limit), 529 (overloaded), 408/500/502/503/504, dropped connections and
timeouts. What is not: 400, 401, 403, 404, 413 and every other 4xx (the same request fails the same
way), and the spend-limit 429 (``error.details.error_code`` ``enforced_spend_limit_reached`` and its
siblings), which keeps failing until the billing period ends.

How long to wait: max(the server's hint (``retry-after-ms`` / ``retry-after``), exponential backoff
with full jitter: uniform(0, min(cap, initial * 2**(n-1)))). The hint is a floor because retrying
earlier is known to fail; the jitter spreads concurrent retries so they do not return in lockstep.

``n`` is the request's attempt number, but never more than the run's ``FailureStreak``: the failed
attempts since any request of the run last succeeded. A storm that fails 60% of requests at random
keeps answering the others, so the streak stays short and an unlucky request retries within a
second or two instead of sleeping out 16 s per attempt while the service is serving; an outage fails
everything, so the streak grows with each attempt and the backoff is the full exponential one (and
the circuit breaker opens). How much the run sends at once is the rate limiter's business either
way: a request waiting for its retry holds no slot.

How often: ``max_attempts`` (5) for timeouts and other errors; ``max_attempts_rate_limited`` (20)
when the last failure was the server shedding load (429, 529, a 5xx or a dropped connection): it is
up, and a storm that fails 60% of requests at random would otherwise fail 8% of chunks (0.6**5);
with 20 attempts it is 0.6**20, about 4e-5.
"""

from __future__ import annotations

import email.utils
import logging
import random
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import anthropic
import tenacity
from tenacity.stop import stop_base
from tenacity.wait import wait_base

from docbot.errors import DocbotError, PermanentError, TransientError

log = logging.getLogger("docbot.llm")

RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504, 529})
RATE_LIMIT_STATUSES = frozenset({429, 529})
# 429s that are not about pace but about money: retrying fails until the limit is raised or resets.
SPEND_LIMIT_CODES = frozenset(
    {"enforced_spend_limit_reached", "contract_spend_limit_reached", "ramp_limit_exceeded"}
)


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to retry; built from the settings."""

    max_attempts: int = 5
    max_attempts_rate_limited: int = 20
    initial_s: float = 1.0
    max_s: float = 16.0


class ApiTransientError(TransientError):
    """A request failed in a way worth retrying.

    Attributes:
        status: the HTTP status, or None for connection errors and timeouts.
        retry_after: the server's wait hint in seconds, if it sent one.
    """

    def __init__(
        self, message: str, *, status: int | None, retry_after: float | None = None, dropped: bool = False
    ) -> None:
        super().__init__(message, retry_after=retry_after)
        self.status = status
        self.dropped = dropped  # the connection failed or closed without an answer

    @property
    def rate_limited(self) -> bool:
        return self.status in RATE_LIMIT_STATUSES

    @property
    def load_shed(self) -> bool:
        """The server is up and shedding load: it answered a rate limit, an overload or a 5xx, or it
        dropped the connection at once (what an overloaded front end does). The larger attempt cap
        applies; a timeout, which costs a whole ``request_timeout_s`` each, keeps the smaller one."""
        return self.dropped or (self.status is not None and (self.rate_limited or self.status >= 500))

    @property
    def service_failure(self) -> bool:
        """A sign the service is unwell (counts toward the circuit breaker); a 429 is not: it is pace."""
        return self.status != 429


class ApiPermanentError(PermanentError):
    """A request the API refused for good (bad request, bad key, spend limit, ...)."""

    def __init__(self, message: str, *, status: int | None) -> None:
        super().__init__(message)
        self.status = status


def retry_after_seconds(headers: Mapping[str, str], now: Callable[[], float] = time.time) -> float | None:
    """The server's wait hint: ``retry-after-ms``, else ``retry-after`` as seconds or an HTTP date.

    Returns:
        Seconds (>= 0), or None when there is no usable hint.
    """
    ms = headers.get("retry-after-ms")
    if ms is not None:
        try:
            return max(0.0, float(ms) / 1000)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - now())


def translate(exc: anthropic.AnthropicError) -> DocbotError:
    """The docbot error for an SDK error: retryable or not, with a reason fit for the RunReport.

    The message never contains the request (the prompt) or any header: only status, error type and the
    API's own message.
    """
    if isinstance(exc, anthropic.APITimeoutError):
        return ApiTransientError("request timed out", status=None)
    if isinstance(exc, anthropic.APIConnectionError):
        return ApiTransientError("connection failed", status=None, dropped=True)
    if isinstance(exc, anthropic.APIStatusError):
        status = exc.status_code
        kind = exc.type or "error"
        message = f"HTTP {status} {kind}: {exc.api_message or ''}".rstrip(": ")
        if request_id := exc.request_id:
            message += f" (request-id {request_id})"
        if status == 429 and exc.error_code in SPEND_LIMIT_CODES:
            return ApiPermanentError(
                f"{message}; spend limit reached ({exc.error_code}): raise the limit in the Claude Console "
                "or wait for it to reset, retrying does not help",
                status=status,
            )
        if status in RETRY_STATUSES:
            return ApiTransientError(
                message, status=status, retry_after=retry_after_seconds(exc.response.headers)
            )
        if status == 401:
            message += "; check ANTHROPIC_API_KEY"
        return ApiPermanentError(message, status=status)
    return ApiPermanentError(f"unexpected response: {exc}", status=None)


class FailureStreak:
    """Failed attempts since the last successful one, over every request of a run. Thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._count = 0

    @property
    def count(self) -> int:
        with self._lock:
            return self._count

    def failed(self) -> None:
        with self._lock:
            self._count += 1

    def succeeded(self) -> None:
        with self._lock:
            self._count = 0


class wait_full_jitter(wait_base):  # named like tenacity's own strategies
    """uniform(0, min(max_s, initial_s * 2**(n-1))): AWS's "full jitter" with an injectable draw.

    ``n`` is the attempt number, capped by ``streak`` (the run's failures in a row) when one is given.
    """

    def __init__(
        self,
        initial_s: float,
        max_s: float,
        uniform: Callable[[float, float], float],
        streak: FailureStreak | None = None,
    ) -> None:
        self.initial_s = initial_s
        self.max_s = max_s
        self.uniform = uniform
        self.streak = streak

    def __call__(self, retry_state: tenacity.RetryCallState) -> float:
        n = retry_state.attempt_number
        if self.streak is not None:
            n = max(1, min(n, self.streak.count))
        ceiling = min(self.max_s, self.initial_s * 2 ** (n - 1))
        return self.uniform(0.0, ceiling)


class wait_max(wait_base):
    """The longest of several waits (tenacity only sums them)."""

    def __init__(self, *waits: wait_base) -> None:
        self.waits = waits

    def __call__(self, retry_state: tenacity.RetryCallState) -> float:
        return max(w(retry_state) for w in self.waits)


class stop_unless_rate_limited(stop_base):
    """Stop when the last failure was not the server shedding load (combine with a smaller attempt cap)."""

    def __call__(self, retry_state: tenacity.RetryCallState) -> bool:
        outcome = retry_state.outcome
        exc = outcome.exception() if outcome is not None else None
        return not (isinstance(exc, ApiTransientError) and exc.load_shed)


def _hint(exc: BaseException) -> float:
    if isinstance(exc, TransientError) and exc.retry_after is not None:
        return exc.retry_after
    return 0.0


def build_retrying(
    policy: RetryPolicy,
    *,
    sleep: Callable[[float], None] = time.sleep,
    uniform: Callable[[float, float], float] = random.uniform,
    on_retry: Callable[[BaseException, int, float], None] | None = None,
    streak: FailureStreak | None = None,
) -> tenacity.Retrying:
    """A ``tenacity.Retrying`` that carries out ``policy``.

    Args:
        policy: attempts and backoff bounds.
        sleep: how to wait between attempts (tests pass a recorder).
        uniform: the jitter draw (tests pass a fixed function to get exact waits).
        on_retry: called as ``on_retry(error, attempt_number, wait_s)`` before each wait.
        streak: the run's failures in a row, which caps the backoff's growth (``None``: the attempt
            number alone decides).

    Returns:
        The retrying object; call it with the attempt function. The last error is re-raised as is.
    """

    def before_sleep(state: tenacity.RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome is not None else None
        assert exc is not None
        assert state.next_action is not None
        if on_retry is not None:
            on_retry(exc, state.attempt_number, state.next_action.sleep)

    # Stop at the rate-limit cap, or earlier at max_attempts unless the last failure was a rate limit.
    stop: stop_base = tenacity.stop_after_attempt(
        max(policy.max_attempts_rate_limited, policy.max_attempts)
    ) | (tenacity.stop_after_attempt(policy.max_attempts) & stop_unless_rate_limited())
    return tenacity.Retrying(
        # Only TransientError: permanent errors, "circuit open" and "skipped: budget" fail at once.
        retry=tenacity.retry_if_exception_type(TransientError),
        stop=stop,
        # The server's hint is a floor; the jittered backoff spreads the threads that share a storm.
        wait=wait_max(
            tenacity.wait_exception(_hint), wait_full_jitter(policy.initial_s, policy.max_s, uniform, streak)
        ),
        sleep=sleep,
        before_sleep=before_sleep,
        reraise=True,
    )
