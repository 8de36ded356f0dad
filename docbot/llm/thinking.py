"""Effort and thinking per model: what a request sends, what the cache key holds, how much room it needs.

The 5.x models think adaptively by default (thinking is billed as output and counts against
``max_tokens``), at effort ``high`` on most of them. Documentation needs no long deliberation, so docbot
asks for ``effort`` (``output_config.effort``, default ``low``) and turns upfront thinking off where the
model allows it. The value that turns it off differs per model, and the wrong one is a 400:

- Sonnet 5.5 takes ``{"type": "between_tools"}`` (``disabled`` returns 400 there);
- Haiku 5.5 and Opus 5 take ``{"type": "disabled"}`` at effort ``high`` or lower;
- Opus 5.5 and Fable 5.1 cannot turn it off; models not listed are left as they are (sending a value
  they might reject would fail every request).

Models before 5.x neither think unless asked nor take ``effort``: nothing is sent for them.
"""

from __future__ import annotations

from typing import Any

from docbot.config import LlmSettings

EFFORTS = ("low", "medium", "high", "xhigh", "max")
# Models that think adaptively unless told otherwise, and take output_config.effort.
_ADAPTIVE = ("claude-sonnet-5", "claude-opus-5", "claude-haiku-5", "claude-fable-5", "claude-mythos-5")
_BETWEEN_TOOLS = ("claude-sonnet-5-5",)
_DISABLED_UP_TO_HIGH = ("claude-haiku-5-5", "claude-opus-5")
# Expected thinking tokens per answer token when thinking stays on (about 3 at ``high``): room added to
# max_tokens so that thinking does not cut the answer off. An estimate for sizing only; the
# response's usage says what was used.
THINKING_PER_ANSWER_TOKEN = {"low": 0.5, "medium": 1.5, "high": 3.0, "xhigh": 4.0, "max": 5.0}


def _family(model: str) -> str:
    # Dated snapshots (claude-opus-5-20260724) share their alias's behaviour.
    head, _, tail = model.rpartition("-")
    return head if tail.isdigit() and len(tail) == 8 else model


def takes_effort(model: str) -> bool:
    """Whether the model has adaptive thinking and accepts ``output_config.effort``."""
    return _family(model).startswith(_ADAPTIVE)


def thinking_off(model: str, effort: str) -> dict[str, str] | None:
    """The ``thinking`` value that turns upfront thinking off on ``model`` at ``effort``, or None."""
    family = _family(model)
    if family in _BETWEEN_TOOLS:
        return {"type": "between_tools"}
    if family in _DISABLED_UP_TO_HIGH and EFFORTS.index(effort) <= EFFORTS.index("high"):
        return {"type": "disabled"}
    return None


def request_options(settings: LlmSettings) -> dict[str, Any]:
    """The request fields for effort and thinking: ``thinking`` and ``output_config.effort`` (or none)."""
    if not takes_effort(settings.model):
        return {}
    out: dict[str, Any] = {"output_config": {"effort": settings.effort}}
    off = thinking_off(settings.model, settings.effort) if settings.thinking == "off" else None
    if off is not None:
        out["thinking"] = off
    return out


def thinks(settings: LlmSettings) -> bool:
    """Whether requests will think (adaptive thinking left on, or impossible to turn off)."""
    options = request_options(settings)
    return bool(options) and "thinking" not in options


def room_for_thinking(settings: LlmSettings, answer_tokens: int) -> int:
    """``max_tokens`` for an answer of up to ``answer_tokens``: thinking counts against it too."""
    if not thinks(settings):
        return answer_tokens
    return int(answer_tokens * (1 + THINKING_PER_ANSWER_TOKEN[settings.effort]))


def key_options(settings: LlmSettings) -> dict[str, object]:
    """What of effort and thinking changes the answer, for the cache keys: the fields actually sent."""
    return {"effort_thinking": request_options(settings)}
