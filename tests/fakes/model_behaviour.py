"""How the loopback Messages API's model behaves: effort and adaptive thinking, and what it is asked.

Adaptive thinking (5.x models): omitting ``thinking`` leaves it on, at the model's default effort
(``high`` on Sonnet 5 / 5.5, Opus 5 and Fable 5.1; ``medium`` on Opus 5.5 and Haiku 5.5). Thinking
tokens are billed as output and count against ``max_tokens``: about 3 per answer token at ``high``,
fewer at lower effort. The values the real models reject get the API's 400.

What to answer: with the output schema fixed (no ``enum`` of names), the model reads the names to
document from the prompt's "Document these symbols:" list, and writes the overview only when the
prompt asks for it, as a real model would.
"""

from __future__ import annotations

import re
from typing import Any

EFFORTS = ("low", "medium", "high", "xhigh", "max")
THINKING_PER_ANSWER_TOKEN = {"low": 0.5, "medium": 1.5, "high": 3.0, "xhigh": 4.0, "max": 5.0}
_DEFAULT_EFFORT = {
    "claude-opus-5-5": "medium",
    "claude-haiku-5-5": "medium",
}
_ADAPTIVE = ("claude-sonnet-5", "claude-opus-5", "claude-haiku-5", "claude-fable-5", "claude-mythos-5")
_CANNOT_DISABLE = ("claude-opus-5-5", "claude-fable-5-1")
_BETWEEN_TOOLS_ONLY = ("claude-sonnet-5-5",)
_DISABLED_UP_TO_HIGH = ("claude-haiku-5-5", "claude-opus-5")


def adaptive(model: str) -> bool:
    return model.startswith(_ADAPTIVE)


def effort_of(body: dict[str, Any]) -> str:
    asked = (body.get("output_config") or {}).get("effort")
    return str(asked) if asked else _DEFAULT_EFFORT.get(body["model"], "high")


def thinking_problem(body: dict[str, Any]) -> str | None:
    """The 400 message the real model gives for these effort / thinking values, or None."""
    model = body["model"]
    effort = (body.get("output_config") or {}).get("effort")
    if effort is not None:
        if effort not in EFFORTS:
            return f"output_config.effort: Input should be {', '.join(map(repr, EFFORTS))}"
        if not adaptive(model):
            return f"output_config.effort: not supported on {model}"
    thinking = body.get("thinking")
    if thinking is None:
        return None
    kind = thinking.get("type") if isinstance(thinking, dict) else None
    if "budget_tokens" in thinking and adaptive(model):
        return "thinking.budget_tokens: not supported on this model; use output_config.effort"
    if kind == "disabled":
        if model in _CANNOT_DISABLE or model in _BETWEEN_TOOLS_ONLY:
            return f"thinking.type: 'disabled' is not supported on {model}"
        if model in _DISABLED_UP_TO_HIGH and EFFORTS.index(effort_of(body)) > EFFORTS.index("high"):
            return f"thinking.type: 'disabled' requires effort high or lower on {model}"
    if kind == "between_tools" and model not in _BETWEEN_TOOLS_ONLY:
        return f"thinking.type: 'between_tools' is not supported on {model}"
    if kind not in {"adaptive", "disabled", "between_tools", "enabled"}:
        return f"thinking.type: unknown value {kind!r}"
    return None


def thinking_tokens(body: dict[str, Any], answer_tokens: int) -> int:
    """Thinking tokens spent before an answer of ``answer_tokens``: none when turned off."""
    if not adaptive(body["model"]):
        return 0
    kind = (body.get("thinking") or {}).get("type")
    if kind in {"disabled", "between_tools"}:
        return 0  # between_tools: no upfront thinking, and docbot's requests use no tools
    return round(answer_tokens * THINKING_PER_ANSWER_TOKEN[effort_of(body)])


_ITEM = re.compile(r"^- (\S+)(?: \(.*\))?$")


def _prompt_text(body: dict[str, Any]) -> str:
    content = body["messages"][-1]["content"]
    if isinstance(content, str):
        return content
    return "\n".join(b.get("text", "") for b in content if isinstance(b, dict))


def asked_names(body: dict[str, Any]) -> list[str]:
    """The names listed under "Document these symbols:" in the last user message."""
    text = _prompt_text(body)
    if "Document these symbols:\n" not in text:
        return []
    names = []
    for line in text.split("Document these symbols:\n", 1)[1].splitlines():
        match = _ITEM.match(line)
        if not match:
            break
        names.append(match.group(1))
    return names


def overview_asked(body: dict[str, Any]) -> bool:
    # A chunk's note on its module-level lines ("Also write ..."), or a file's overview request.
    text = _prompt_text(body)
    return "Also write " in text or "Write the overview of the whole file" in text
