"""Phase 1: the naive first version docbot is measured against.

One request per whole file, one file after the other, with the ``anthropic`` SDK's defaults (two
retries with its own backoff, honouring ``retry-after``), no cache, no chunking and no structured
output: the file goes in, Markdown comes out. A reply cut off at ``max_tokens`` is documentation that
stops part-way, so that file counts as failed.

The only departure from a plain ``anthropic.Anthropic`` is time: the benchmark runs on a scaled clock,
so the SDK's retry waits are slept on that clock (``_ClockedClient``). The SDK still decides whether
and how long to wait; only the sleeping runs on the clock the server and docbot share.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import anthropic
import httpx2
from anthropic._models import FinalRequestOptions

SYSTEM = (
    "You are a technical writer. Write Markdown API documentation for the source file the user sends: "
    "every class, function and method, with its parameters, return value, errors and a short example."
)


class _ClockedClient(anthropic.Anthropic):
    """``anthropic.Anthropic`` whose retry waits are slept on the benchmark's clock.

    The SDK computes the wait as always (``retry-after``, else its backoff with jitter); only the
    sleeping is handed to ``sleep``, the same clock the server and docbot wait on.
    """

    def __init__(self, *, sleep: Callable[[float], None], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._bench_sleep = sleep

    def _sleep_for_retry(
        self,
        *,
        retries_taken: int,
        max_retries: int,
        options: FinalRequestOptions,
        response: httpx2.Response | None,
    ) -> None:
        headers = response.headers if response is not None else None
        self._bench_sleep(self._calculate_retry_timeout(max_retries - retries_taken, options, headers))


@dataclass(frozen=True)
class Phase1Result:
    """What phase 1 made of its files: paths documented, and paths failed with the reason."""

    ok: tuple[str, ...]
    failed: tuple[tuple[str, str], ...]


def document_files(
    files: list[tuple[str, str]],
    *,
    base_url: str,
    api_key: str,
    model: str,
    max_tokens: int,
    sleep: Callable[[float], None] = time.sleep,
) -> Phase1Result:
    """Document ``files`` (path, text) the naive way: one whole-file request each, in order.

    Args:
        files: the files to document, with their text.
        base_url: the Messages API to call.
        api_key: its key.
        model: the model id.
        max_tokens: the output budget of each request.
        sleep: how the SDK's retry waits are slept (the benchmark's clock).

    Returns:
        Which files got complete documentation and which did not, with why.
    """
    client = _ClockedClient(api_key=api_key, base_url=base_url, sleep=sleep)
    ok: list[str] = []
    failed: list[tuple[str, str]] = []
    try:
        for path, text in files:
            try:
                message = client.messages.create(
                    model=model,
                    max_tokens=max_tokens,
                    system=SYSTEM,
                    messages=[{"role": "user", "content": f"File `{path}`:\n\n```\n{text}\n```"}],
                )
            except anthropic.APIStatusError as exc:
                failed.append((path, f"HTTP {exc.status_code} after the SDK's retries"))
                continue
            except anthropic.APIError as exc:
                failed.append((path, f"{type(exc).__name__} after the SDK's retries"))
                continue
            if message.stop_reason != "end_turn":
                failed.append((path, f"reply cut off ({message.stop_reason}): documentation incomplete"))
            else:
                ok.append(path)
    finally:
        client.close()
    return Phase1Result(tuple(ok), tuple(failed))
