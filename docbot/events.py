"""GitHub event payload -> ``ChangeRequest``: which revisions a run documents, or why it does nothing."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from docbot.config import ZERO_SHA


@dataclass(frozen=True)
class ChangeRequest:
    """What a run is about. ``base`` of ``None`` with ``everything`` means every file at ``head``."""

    event: str
    head: str | None
    base: str | None = None
    everything: bool = False
    pr_number: int | None = None
    actor: str | None = None
    ref: str | None = None
    skip_reason: str | None = None  # set when the event needs no run; the Action exits 0 with a notice

    @property
    def is_noop(self) -> bool:
        return self.skip_reason is not None


def _get(data: Mapping[str, Any], *keys: str) -> Any:
    value: Any = data
    for key in keys:
        if not isinstance(value, Mapping):
            return None
        value = value.get(key)
    return value


def from_event(event_name: str, payload: Mapping[str, Any], *, sha: str | None = None) -> ChangeRequest:
    """Map a webhook payload to the revisions to document.

    Args:
        event_name: ``GITHUB_EVENT_NAME``.
        payload: the parsed ``GITHUB_EVENT_PATH`` JSON.
        sha: ``GITHUB_SHA``, used where the payload names no head (workflow_dispatch).
    """
    actor = _get(payload, "sender", "login")
    if event_name == "push":
        before, after = payload.get("before"), payload.get("after")
        ref = payload.get("ref")
        if not after or after == ZERO_SHA:
            return ChangeRequest(event_name, None, actor=actor, ref=ref, skip_reason="branch or tag deleted")
        if isinstance(ref, str) and ref.startswith("refs/tags/"):
            return ChangeRequest(event_name, after, actor=actor, ref=ref, skip_reason="tag push")
        if before == after:
            return ChangeRequest(event_name, after, actor=actor, ref=ref, skip_reason="before equals after")
        everything = not before or before == ZERO_SHA
        return ChangeRequest(
            event_name,
            after,
            base=None if everything else before,
            everything=everything,
            actor=actor,
            ref=ref,
        )
    if event_name == "pull_request":
        action = payload.get("action")
        number = payload.get("number") or _get(payload, "pull_request", "number")
        if action not in {"opened", "synchronize", "reopened", "ready_for_review"}:
            return ChangeRequest(
                event_name, None, pr_number=number, actor=actor, skip_reason=f"action {action!r}"
            )
        return ChangeRequest(
            event_name,
            _get(payload, "pull_request", "head", "sha"),
            base=_get(payload, "pull_request", "base", "sha"),
            pr_number=number,
            actor=actor,
            ref=_get(payload, "pull_request", "head", "ref"),
        )
    if event_name == "workflow_dispatch":
        return ChangeRequest(event_name, sha, everything=True, actor=actor, ref=payload.get("ref"))
    return ChangeRequest(event_name, None, actor=actor, skip_reason=f"event {event_name!r} is not handled")
