"""The loopback Messages API itself: it must refuse what the real API refuses, or the provider tests
would prove nothing. Driven through the real SDK, and through plain HTTP where the SDK cannot go."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import anthropic
import pytest

from tests.fakes.anthropic_server import FakeAnthropic, Latency, Limits, running
from tests.fakes.clock import FakeClock

BODY = {"model": "claude-sonnet-5-5", "max_tokens": 100, "messages": [{"role": "user", "content": "hi"}]}


@pytest.fixture
def fake() -> Iterator[FakeAnthropic]:
    with running() as server:
        yield server


def _client(fake: FakeAnthropic, key: str | None = None) -> anthropic.Anthropic:
    return anthropic.Anthropic(api_key=key or fake.api_key, base_url=fake.url, max_retries=0, timeout=10)


def _post(fake: FakeAnthropic, headers: dict[str, str], body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    req = urllib.request.Request(
        f"{fake.url}/v1/messages", data=json.dumps(body).encode(), headers=headers, method="POST"
    )
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


def test_x_api_key_is_accepted_like_bearer(fake: FakeAnthropic) -> None:
    headers = {
        "x-api-key": fake.api_key,
        "anthropic-version": "2023-06-01",
        "content-type": "application/json",
    }
    code, body = _post(fake, headers, BODY)
    assert code == 200 and body["type"] == "message" and body["stop_reason"] == "end_turn"
    assert set(body["usage"]) >= {
        "input_tokens",
        "output_tokens",
        "cache_creation_input_tokens",
        "cache_read_input_tokens",
    }


def test_missing_version_header_is_a_400(fake: FakeAnthropic) -> None:
    code, body = _post(fake, {"x-api-key": fake.api_key}, BODY)
    assert code == 400
    assert body["error"]["type"] == "invalid_request_error" and body["request_id"].startswith("req_")


def test_wrong_key_is_a_401_with_request_id(fake: FakeAnthropic) -> None:
    with pytest.raises(anthropic.AuthenticationError) as info:
        _client(fake, "nope").messages.create(**BODY)
    assert info.value.request_id is not None and info.value.request_id.startswith("req_")


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"temperature": 0.2}, "temperature: Extra inputs are not permitted"),
        ({"tool_choice": {"type": "any"}}, "forced tool use"),
        (
            {
                "output_config": {
                    "format": {"type": "json_schema", "schema": {"type": "object", "properties": {}}}
                }
            },
            "additionalProperties",
        ),
    ],
)
def test_what_current_models_refuse_is_refused(
    fake: FakeAnthropic, extra: dict[str, Any], message: str
) -> None:
    with pytest.raises(anthropic.BadRequestError, match=message):
        _client(fake).messages.create(**BODY, extra_body=extra)


def test_enforced_rpm_answers_429_with_retry_after_and_headers() -> None:
    with running(limits=Limits(rpm=2)) as fake:
        raw = _client(fake).messages.with_raw_response.create(**BODY)
        assert raw.headers["anthropic-ratelimit-requests-limit"] == "2"
        assert raw.headers["anthropic-ratelimit-requests-remaining"] == "1"
        assert raw.headers["anthropic-ratelimit-requests-reset"].endswith("Z")
        _client(fake).messages.create(**BODY)
        with pytest.raises(anthropic.RateLimitError) as info:
            _client(fake).messages.create(**BODY)
        assert int(info.value.response.headers["retry-after"]) >= 1
        assert fake.totals()["rate_limited"] == 1


def test_replies_satisfy_the_schema_and_stop_at_max_tokens(fake: FakeAnthropic) -> None:
    schema = {
        "type": "object",
        "properties": {
            "items": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {"name": {"type": "string", "enum": ["a", "b"]}},
                    "required": ["name"],
                    "additionalProperties": False,
                },
            }
        },
        "required": ["items"],
        "additionalProperties": False,
    }
    config = {"format": {"type": "json_schema", "schema": schema}}
    message = _client(fake).messages.create(**BODY, output_config=config)  # type: ignore[arg-type]
    assert json.loads(message.content[-1].text) == {"items": [{"name": "a"}, {"name": "b"}]}  # type: ignore[union-attr]
    short = _client(fake).messages.create(**{**BODY, "max_tokens": 2}, output_config=config)  # type: ignore[arg-type]
    assert short.stop_reason == "max_tokens" and short.usage.output_tokens == 2


def test_max_tokens_is_reserved_until_the_reply_is_complete() -> None:
    clock = FakeClock()
    with running(limits=Limits(otpm=1000), clock=clock.now, sleep=lambda s: None) as fake:
        started = threading.Event()
        release = threading.Event()

        def slow(seconds: float) -> None:  # the first reply is still being written
            started.set()
            release.wait(10)

        fake.sleep = slow
        fake.latency = Latency(base_s=1.0)
        first = threading.Thread(target=lambda: _client(fake).messages.create(**{**BODY, "max_tokens": 800}))
        first.start()
        assert started.wait(10)
        fake.sleep = lambda s: None
        # 800 of 1,000 are held by the reply in flight, though it will use a handful.
        with pytest.raises(anthropic.RateLimitError):
            _client(fake).messages.create(**{**BODY, "max_tokens": 300})
        release.set()
        first.join(10)
        # Finished: the unused part is back, and the same request now fits.
        _client(fake).messages.create(**{**BODY, "max_tokens": 300})


def test_max_tokens_over_the_otpm_limit_is_never_admitted() -> None:
    with running(limits=Limits(otpm=8000)) as fake:
        alone = "this request alone needs 8,192 output tokens"
        with pytest.raises(anthropic.RateLimitError, match=alone):
            _client(fake).messages.create(**{**BODY, "max_tokens": 8192})


def test_a_request_over_the_concurrency_limit_gets_a_429() -> None:
    with running(limits=Limits(concurrency=1)) as fake:
        started = threading.Event()
        release = threading.Event()

        def slow(seconds: float) -> None:
            started.set()
            release.wait(10)

        fake.sleep = slow
        fake.latency = Latency(base_s=1.0)
        first = threading.Thread(target=lambda: _client(fake).messages.create(**BODY))
        first.start()
        assert started.wait(10)
        with pytest.raises(anthropic.RateLimitError, match="concurrent connections"):
            _client(fake).messages.create(**BODY)
        release.set()
        first.join(10)
        assert fake.admission.peak_in_flight == 1
        _client(fake).messages.create(**BODY)
