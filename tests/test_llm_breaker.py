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
    clock.advance(30.0)  # and no success for a cool-down (see the test below)
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


def test_failures_while_the_service_still_answers_others_do_not_open_the_circuit() -> None:
    """A random storm: failures come back at once, the successes seconds later. Twenty failures in a
    row within a cool-down of a success are a storm the run can ride, not an outage."""
    clock = FakeClock()
    breaker = CircuitBreaker(3, 30.0, clock.now)
    breaker.record_success()
    clock.advance(29.0)
    for _ in range(10):
        breaker.record_failure()
    assert breaker.state == "closed"
    breaker.before_request()  # nothing waits
    clock.advance(1.0)  # a whole cool-down without a success: now it is an outage
    breaker.record_failure()
    assert breaker.state == "open" and breaker.times_opened == 1


def test_a_request_waits_while_open_and_the_half_open_trial_recovers() -> None:
    with running() as fake:
        clock = FakeClock()
        provider = provider_for(
            fake,
            clock,
            breaker_threshold=3,
            breaker_cooldown_s=60,
            max_attempts=2,
            max_attempts_rate_limited=2,
        )
        fake.script(status(500), status(500), status(500), ok())
        with pytest.raises(ApiTransientError, match="HTTP 500"):
            provider.document(request())  # failures 1 and 2: this request's own retries are spent
        started = clock.now()
        doc = provider.document(request())  # failure 3 opens the circuit; the retry waits, then probes
        assert clock.now() - started >= 60  # it waited out the cool-down instead of failing
        assert provider.breaker.state == "closed"
        assert provider.breaker.times_opened == 1
        assert (doc.usage.requests, doc.usage.retries) == (2, 1)
        assert fake.totals()["requests"] == 4  # nothing was sent while the circuit was open
        assert fake.unused_script == []


def test_a_failed_trial_reopens_and_a_later_one_closes_the_circuit() -> None:
    with running() as fake:
        clock = FakeClock()
        provider = provider_for(fake, clock, breaker_threshold=1, breaker_cooldown_s=10, max_attempts=5)
        fake.script(status(503), status(503), ok())
        started = clock.now()
        doc = provider.document(request())
        assert doc.usage.requests == 3
        assert provider.breaker.times_opened == 2  # opened, trial failed, open again, trial passed
        assert provider.breaker.state == "closed"
        assert clock.now() - started >= 20  # two cool-downs (the retries' backoff overlaps them)
        assert provider.breaker.waited_s > 0
        assert fake.unused_script == []


def test_an_outage_longer_than_max_open_fails_with_circuit_open() -> None:
    with running() as fake:
        clock = FakeClock()
        provider = provider_for(
            fake, clock, breaker_threshold=1, breaker_cooldown_s=10, breaker_max_open_s=25, max_attempts=10
        )
        fake.script(status(503), status(503), status(503))  # open at 0, trials at 10 and 20 fail
        with pytest.raises(CircuitOpenError, match="circuit open"):
            provider.document(request())
        assert fake.totals()["requests"] == 3
        with pytest.raises(CircuitOpenError):
            provider.document(request())  # the outage is over the limit: later work fails at once
        assert fake.totals()["requests"] == 3
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
        provider = provider_for(
            fake,
            clock,
            breaker_threshold=1,
            breaker_cooldown_s=10,
            max_attempts=2,
            max_attempts_rate_limited=2,
        )
        fake.script(status(503), status(503))  # the second is a half-open trial, after a cool-down
        with pytest.raises(ApiTransientError, match="HTTP 503"):
            provider.document(request())
        assert provider.breaker.state == "open"
        clock.advance(10)
        fake.script(status(429, retry_after=2), ok())
        doc = provider.document(request())  # the trial got a 429: the service is up
        assert provider.breaker.state == "closed"
        assert (doc.usage.requests, doc.usage.rate_limited) == (2, 1)
