"""The retry policy through the real SDK against the loopback server: what is retried, and how long."""

from __future__ import annotations

import logging

import pytest

from docbot.errors import PermanentError, TransientError
from docbot.llm.retry import retry_after_seconds
from tests.fakes.anthropic_server import FakeAnthropic, drop, hang, ok, running, status
from tests.fakes.clock import FakeClock
from tests.fakes.llm import provider_for, request


@pytest.fixture
def fake() -> FakeAnthropic:
    with running() as server:
        yield server
        assert server.unused_script == [], "scripted faults the test never reached"


def test_three_429s_then_success_waits_at_least_retry_after(
    fake: FakeAnthropic, caplog: pytest.LogCaptureFixture
) -> None:
    clock = FakeClock()
    fake.script(status(429, retry_after=3), status(429, retry_after=3), status(429, retry_after=3), ok())
    with caplog.at_level(logging.WARNING, logger="docbot.llm"):
        doc = provider_for(fake, clock).document(request())

    # Wait n = max(retry-after, backoff ceiling 1 * 2**(n-1)) with the jitter drawing its maximum.
    assert clock.sleeps == [3.0, 3.0, 4.0]
    assert fake.totals()["requests"] == 4
    assert [s.status for s in fake.seen] == [429, 429, 429, 200]
    assert (doc.usage.requests, doc.usage.retries, doc.usage.rate_limited) == (4, 3, 3)
    retries = [r.getMessage() for r in caplog.records if "retrying in" in r.getMessage()]
    assert len(retries) == 3
    assert "HTTP 429 rate_limit_error" in retries[0]
    assert retries[2].endswith("retrying in 4.00 s")


def test_retry_after_ms_wins_over_retry_after(fake: FakeAnthropic) -> None:
    clock = FakeClock()
    fake.script(status(429, retry_after=9, retry_after_ms=2500), ok())
    provider_for(fake, clock).document(request())
    assert clock.sleeps == [2.5]


def test_backoff_doubles_and_is_capped_without_hints(fake: FakeAnthropic) -> None:
    clock = FakeClock()
    fake.script(*[status(503)] * 4, ok())
    doc = provider_for(fake, clock, backoff_max_s=5).document(request())
    assert clock.sleeps == [1.0, 2.0, 4.0, 5.0]
    assert doc.usage.requests == 5


def test_backoff_grows_with_the_runs_failures_in_a_row_not_one_requests_bad_luck(fake: FakeAnthropic) -> None:
    """While one request waits for its retry another is answered: the service is serving, so the
    first request's backoff starts over (a random storm costs request slots, not 16 s sleeps)."""
    from docbot.llm.client import AnthropicProvider
    from tests.fakes.llm import settings_for

    clock = FakeClock()
    waits: list[float] = []
    others: list[object] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        clock.sleep(seconds)
        if not others:  # during the first wait, another chunk's request goes out and succeeds
            others.append(provider.document(request(path="pkg/other.py")))

    settings = settings_for(fake).llm
    provider = AnthropicProvider(settings, clock=clock.now, sleep=sleep, uniform=lambda lo, hi: hi)
    fake.script(status(503), ok(), status(503), status(503), ok())
    doc = provider.document(request())
    # Without the other answer the ceilings would be 1, 2, 4 (as in the test above this one).
    assert waits == [1.0, 1.0, 2.0]
    assert doc.usage.requests == 4 and len(others) == 1
    assert [s.status for s in fake.seen] == [503, 200, 503, 503, 200]


def test_full_jitter_draws_between_zero_and_the_ceiling(fake: FakeAnthropic) -> None:
    from docbot.llm.client import AnthropicProvider
    from tests.fakes.llm import settings_for

    clock = FakeClock()
    draws: list[tuple[float, float]] = []

    def uniform(lo: float, hi: float) -> float:
        draws.append((lo, hi))
        return hi / 4

    fake.script(status(500), status(502), ok())
    provider = AnthropicProvider(settings_for(fake).llm, clock=clock.now, sleep=clock.sleep, uniform=uniform)
    provider.document(request())
    assert draws == [(0.0, 1.0), (0.0, 2.0)]
    assert clock.sleeps == [0.25, 0.5]


@pytest.mark.parametrize("code", [400, 401, 403, 404, 413])
def test_client_errors_are_not_retried(fake: FakeAnthropic, code: int) -> None:
    clock = FakeClock()
    fake.script(status(code))
    provider = provider_for(fake, clock)
    with pytest.raises(PermanentError, match=f"HTTP {code}"):
        provider.document(request())
    assert fake.totals()["requests"] == 1
    assert clock.sleeps == []
    assert provider.failed_usage().requests == 1
    assert provider.failed_usage().retries == 0


def test_wrong_key_fails_once_and_says_what_to_fix() -> None:
    with running(api_key="the-right-key") as server:
        clock = FakeClock()
        provider = provider_for(server, clock, anthropic_api_key="a-wrong-key")
        with pytest.raises(
            PermanentError, match=r"HTTP 401 authentication_error.*check ANTHROPIC_API_KEY"
        ) as info:
            provider.document(request())
        assert "a-wrong-key" not in str(info.value)
        assert server.totals()["requests"] == 1


@pytest.mark.parametrize("code", [529, 500, 502, 503, 504])
def test_server_errors_are_retried(fake: FakeAnthropic, code: int) -> None:
    clock = FakeClock()
    fake.script(status(code), ok())
    doc = provider_for(fake, clock).document(request())
    assert [s.status for s in fake.seen] == [code, 200]
    assert doc.usage.retries == 1
    assert doc.usage.rate_limited == 0


def test_spend_limit_429_is_not_retried(fake: FakeAnthropic) -> None:
    clock = FakeClock()
    fake.script(status(429, error_code="enforced_spend_limit_reached"))
    with pytest.raises(PermanentError, match="spend limit reached"):
        provider_for(fake, clock).document(request())
    assert fake.totals()["requests"] == 1
    assert clock.sleeps == []


def test_dropped_connections_are_retried_then_reported(fake: FakeAnthropic) -> None:
    clock = FakeClock()
    fake.script(drop(), ok())
    doc = provider_for(fake, clock).document(request())
    assert doc.usage.requests == 2

    fake.script(*[drop()] * 5)
    provider = provider_for(fake, clock, max_attempts_rate_limited=5)  # a drop: the larger cap
    with pytest.raises(TransientError, match="connection failed"):
        provider.document(request())
    assert provider.failed_usage().requests == 5
    assert provider.failed_usage().retries == 4


def test_hung_requests_time_out_are_retried_then_reported(fake: FakeAnthropic) -> None:
    clock = FakeClock()
    fake.script(hang(), ok())
    doc = provider_for(fake, clock, request_timeout_s=0.5).document(request())
    assert doc.usage.requests == 2

    fake.script(hang(), hang())
    provider = provider_for(fake, clock, request_timeout_s=0.5, max_attempts=2)
    with pytest.raises(TransientError, match="timed out"):
        provider.document(request())
    assert fake.totals()["no_answer"] == 3


def test_five_attempts_for_timeouts_more_while_the_server_sheds_load(fake: FakeAnthropic) -> None:
    clock = FakeClock()
    fake.script(*[hang()] * 5)
    with pytest.raises(TransientError, match="timed out"):
        provider_for(fake, clock, request_timeout_s=0.2).document(request())
    assert fake.totals()["requests"] == 5

    clock = FakeClock()
    # 429s, 529s, 5xx and dropped connections: the server is up, shedding load; the larger cap applies.
    fake.script(*[status(429, retry_after=1), status(529), status(500), drop(), status(529)] * 2)
    provider = provider_for(fake, clock, max_attempts_rate_limited=10)
    with pytest.raises(TransientError, match="HTTP 529"):
        provider.document(request())
    assert fake.totals()["requests"] == 15
    assert clock.sleeps == [1.0, 2.0, 4.0, 8.0, 16.0, 16.0, 16.0, 16.0, 16.0]
    assert provider.failed_usage().rate_limited == 2


def test_retry_after_header_forms() -> None:
    assert retry_after_seconds({"retry-after-ms": "1500", "retry-after": "9"}) == 1.5
    assert retry_after_seconds({"retry-after": "2"}) == 2.0
    assert (
        retry_after_seconds({"retry-after": "Sun, 29 Nov 2026 10:00:30 GMT"}, now=lambda: 1795946400.0)
        == 30.0
    )
    assert retry_after_seconds({"retry-after": "soon"}) is None
    assert retry_after_seconds({}) is None


def test_a_garbled_200_is_retried(fake: FakeAnthropic) -> None:
    from tests.fakes.anthropic_server import garbage

    clock = FakeClock()
    fake.script(garbage(), ok())
    doc = provider_for(fake, clock).document(request())
    assert (doc.usage.requests, doc.usage.retries) == (2, 1)
    assert [s.name for s in doc.symbols] == ["add", "Greeter", "Greeter.greet"]
