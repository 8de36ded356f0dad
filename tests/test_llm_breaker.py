"""The circuit breaker: opens after consecutive failures, refuses while open, half-opens, recovers."""

from __future__ import annotations

import pytest

from docbot.llm.breaker import CIRCUIT_OPEN, CircuitBreaker, CircuitOpenError
from docbot.llm.retry import ApiPermanentError, ApiTransientError
from tests.fakes.anthropic_server import ok, running, status
from tests.fakes.clock import FakeClock
from tests.fakes.llm import provider_for, request


def test_opens_after_threshold_consecutive_failures_and_half_opens_after_cooldown() -> None:
    clock = FakeClock()
    breaker = CircuitBreaker(3, 30.0, clock.now)
    breaker.record_failure()
    breaker.record_failure()
    breaker.record_success()  # not consecutive any more
    breaker.record_failure()
    breaker.record_failure()
    assert breaker.state == "closed"
    breaker.record_failure()
    assert breaker.state == "open"
    with pytest.raises(CircuitOpenError, match=f"^{CIRCUIT_OPEN}$"):
        breaker.before_request()

    clock.advance(29.9)
    assert breaker.state == "open"
    clock.advance(0.1)
    assert breaker.state == "half-open"
    breaker.before_request()  # the one trial request
    with pytest.raises(CircuitOpenError):
        breaker.before_request()  # everyone else still waits for the trial's outcome
    breaker.record_failure()  # the trial failed: another full cool-down
    assert breaker.state == "open"
    assert breaker.times_opened == 2
    clock.advance(30)
    breaker.before_request()
    breaker.record_success()
    assert breaker.state == "closed"
    breaker.before_request()


def test_provider_fails_fast_while_open_and_recovers() -> None:
    with running() as fake:
        clock = FakeClock()
        provider = provider_for(fake, clock, breaker_threshold=3, breaker_cooldown_s=60, max_attempts=2)
        fake.script(status(500), status(500), status(500))
        with pytest.raises(ApiTransientError, match="HTTP 500"):
            provider.document(request())  # failures 1 and 2
        with pytest.raises(CircuitOpenError, match="circuit open"):
            provider.document(request())  # failure 3 opens the circuit; attempt 2 is refused
        sent = fake.totals()["requests"]
        assert sent == 3
        with pytest.raises(CircuitOpenError):
            provider.document(request())
        assert fake.totals()["requests"] == sent  # nothing sent while open
        assert provider.breaker.state == "open"

        clock.advance(60)
        fake.script(status(500))  # the half-open trial fails: open again
        with pytest.raises(CircuitOpenError):
            provider.document(request())
        assert fake.totals()["requests"] == 4

        clock.advance(60)
        fake.script(ok())
        doc = provider.document(request())  # the trial succeeds: closed
        assert provider.breaker.state == "closed"
        assert doc.usage.requests == 1
        assert fake.unused_script == []


def test_rate_limits_and_client_errors_do_not_open_the_circuit() -> None:
    with running() as fake:
        clock = FakeClock()
        provider = provider_for(fake, clock, breaker_threshold=2)
        fake.script(status(429, retry_after=1), status(429, retry_after=1), status(429, retry_after=1), ok())
        provider.document(request())
        fake.script(status(400))
        with pytest.raises(ApiPermanentError, match="HTTP 400"):
            provider.document(request())
        fake.script(status(400))
        with pytest.raises(ApiPermanentError, match="HTTP 400"):
            provider.document(request())
        assert provider.breaker.state == "closed"


def test_a_429_answering_the_half_open_trial_closes_the_circuit() -> None:
    with running() as fake:
        clock = FakeClock()
        provider = provider_for(fake, clock, breaker_threshold=1, breaker_cooldown_s=10, max_attempts=1)
        fake.script(status(503))
        with pytest.raises(ApiTransientError, match="HTTP 503"):
            provider.document(request())
        assert provider.breaker.state == "open"
        clock.advance(10)
        fake.script(status(429, retry_after=2), ok())
        doc = provider.document(request())  # the trial got a 429: the service is up
        assert provider.breaker.state == "closed"
        assert (doc.usage.requests, doc.usage.rate_limited) == (2, 1)
