"""Helpers shared by the Claude provider tests: settings and a provider aimed at a fake server."""

from __future__ import annotations

from docbot.chunking import Chunk, chunk_file
from docbot.config import Settings, load_settings
from docbot.llm.base import DocRequest
from docbot.llm.client import AnthropicProvider
from docbot.symbols import extract_symbols
from tests.fakes.anthropic_server import FakeAnthropic
from tests.fakes.clock import FakeClock

SOURCE = '''\
import os


def add(a, b):
    """Add two numbers."""
    return a + b


class Greeter:
    def greet(self, name):
        return f"hello {name}"
'''


def settings_for(fake: FakeAnthropic, **overrides: object) -> Settings:
    """Settings for the anthropic provider against ``fake``.

    The timeout is generous: a loaded CI machine must not turn slow answers into timeouts (tests of
    hangs set their own short timeout).
    """
    values: dict[str, object] = {
        "provider": "anthropic",
        "anthropic_api_key": fake.api_key,
        "anthropic_base_url": fake.url,
        "request_timeout_s": 20,
        **overrides,
    }
    return load_settings(values, env={})


def provider_for(fake: FakeAnthropic, clock: FakeClock, **overrides: object) -> AnthropicProvider:
    """A provider whose waits are recorded by ``clock`` and whose jitter always draws the maximum."""
    return AnthropicProvider(
        settings_for(fake, **overrides).llm, clock=clock.now, sleep=clock.sleep, uniform=lambda lo, hi: hi
    )


def chunk_of(source: str = SOURCE, path: str = "pkg/mod.py") -> Chunk:
    return chunk_file(path, "python", source, extract_symbols(source, "python"))[0]


def request(source: str = SOURCE, path: str = "pkg/mod.py") -> DocRequest:
    return DocRequest(chunk=chunk_of(source, path), want_overview=True)
