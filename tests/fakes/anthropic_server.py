"""The loopback Messages API, re-exported for tests: it lives in ``docbot.testing.fake_anthropic`` so
that the shipped ``docbot bench`` command can start it (see docs/performance.md)."""

from docbot.testing.fake_anthropic import (
    ERROR_TYPES,
    REMOVED_PARAMS,
    FakeAnthropic,
    Fault,
    Latency,
    Limits,
    Seen,
    bad_json,
    count_tokens,
    drop,
    garbage,
    hang,
    ok,
    running,
    status,
    truncate,
)

__all__ = [
    "ERROR_TYPES",
    "REMOVED_PARAMS",
    "FakeAnthropic",
    "Fault",
    "Latency",
    "Limits",
    "Seen",
    "bad_json",
    "count_tokens",
    "drop",
    "garbage",
    "hang",
    "ok",
    "running",
    "status",
    "truncate",
]
