"""Every webhook payload on file, mapped by ``events.from_event``, against what the payload itself says.

The expectations below are the event table of docs/changes.md written out over the payload's own
fields, so they hold for any delivery of a supported event, not only for the ones written here. Two
corpora go through them:

- the project's payloads in tests/fixtures/events, always;
- GitHub's real deliveries in ``../shared/data/github-events`` (relative to the project root), an extra
  conformance corpus that is only there on the team's machines: without the folder the test has no
  cases, and pytest reports it as skipped for an empty parameter set.

Files are named ``<event>__<variant>.json``; the part before ``__`` is the event name.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from docbot.events import from_event, parse_command
from tests.conftest import EVENTS, ROOT

SHARED_EVENTS = ROOT.parent / "shared" / "data" / "github-events"
ZERO = "0" * 40
# GITHUB_SHA as the runner would pass it: workflow_dispatch documents it when no head input is given.
GITHUB_SHA = "5a1e6f0c2b7d4e8f9a0b1c2d3e4f5a6b7c8d9e0f"
RUNS_ON = "opened, synchronize, reopened, ready_for_review"


def payload_files(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.json")) if folder.is_dir() else []


def _push(payload: Mapping[str, Any], common: dict[str, Any]) -> dict[str, Any]:
    ref, before, after = payload["ref"], payload["before"], payload["after"]
    common |= {"ref": ref}
    tag = ref.startswith("refs/tags/")
    if payload.get("deleted") or after == ZERO:
        return common | {"head": None, "skip_reason": f"{'tag' if tag else 'branch'} {ref} was deleted"}
    if tag:
        return common | {"head": after, "skip_reason": f"tag push ({ref}): tags are not documented"}
    common |= {"head": after, "branch": ref.removeprefix("refs/heads/"), "skip_reason": None}
    if before == ZERO:  # a new branch: compared with the default branch later, no base yet
        return common | {"base": None, "kind": "new-branch"}
    # A fast-forward compares before..after directly; a forced push is checked for rewritten history.
    return common | {"base": before, "kind": "two-dot" if payload.get("forced") is False else "push"}


def _pull_request(payload: Mapping[str, Any], common: dict[str, Any]) -> dict[str, Any]:
    action, pull = payload["action"], payload["pull_request"]
    head_repo = pull["head"]["repo"]  # null once the fork is deleted
    common |= {
        "pr_number": payload["number"],
        "ref": pull["head"]["ref"],
        "head_repo_fork": head_repo is None
        or head_repo["fork"] is True
        or head_repo["full_name"] != pull["base"]["repo"]["full_name"],
    }
    if action not in RUNS_ON.split(", "):
        why = "pull request closed" if action == "closed" else f"pull_request action {action!r}"
        return common | {"head": None, "skip_reason": f"{why}: docbot runs on {RUNS_ON}"}
    # three-dot: the PR's own changes since the merge-base, never the synthetic merge commit
    return common | {
        "head": pull["head"]["sha"],
        "base": pull["base"]["sha"],
        "kind": "three-dot",
        "skip_reason": None,
    }


def _issue_comment(payload: Mapping[str, Any], common: dict[str, Any]) -> dict[str, Any]:
    action, issue, comment = payload["action"], payload["issue"], payload["comment"]
    common |= {
        "head": None,
        "pr_number": issue["number"],
        "comment_id": comment["id"],
        "comment_body": comment["body"],
        "commenter": comment["user"]["login"],
        "author_association": comment["author_association"],
    }
    if action != "created":
        return common | {"skip_reason": f"comment {action}: only new comments are commands"}
    if "pull_request" not in issue:
        return common | {"skip_reason": "comment on an issue, not a pull request"}
    if comment["user"]["type"] == "Bot":
        return common | {"skip_reason": f"comment by a bot ({comment['user']['login']})"}
    if "<!-- docbot" in comment["body"]:
        return common | {"skip_reason": "docbot's own comment"}
    # Where the command sits in the body is parse_command's rule (tested on its own in test_events);
    # here it only decides whether this comment asks for a run.
    command = parse_command(comment["body"])
    if command is None:
        return common | {"skip_reason": "no /docbot command in the comment"}
    return common | {
        "skip_reason": None,
        "needs_pr_lookup": True,  # the payload has no SHAs: the Action asks the API for the PR's
        "kind": "three-dot",
        "everything": command.everything,
        "force": command.force,
        "paths": command.paths,
    }


def _workflow_dispatch(payload: Mapping[str, Any], common: dict[str, Any]) -> dict[str, Any]:
    inputs = payload.get("inputs") or {}  # null when the workflow declares no inputs

    def flag(name: str) -> bool:  # boolean inputs arrive as the strings "true" and "false"
        return str(inputs.get(name, "")).strip().lower() == "true"

    return common | {
        "ref": payload["ref"],
        "head": inputs.get("head") or GITHUB_SHA,
        "base": inputs.get("base") or None,
        "everything": flag("all") or not inputs.get("base"),  # no base: every file at the ref
        "force": flag("force"),
        "paths": tuple(str(inputs.get("paths", "")).replace(",", " ").split()),
        "skip_reason": None,
    }


def documented(event: str, payload: Mapping[str, Any]) -> dict[str, Any]:
    """The ``ChangeRequest`` fields the event table prescribes for ``payload``."""
    common: dict[str, Any] = {"event": event, "actor": payload["sender"]["login"]}
    mappings = {
        "push": _push,
        "pull_request": _pull_request,
        "issue_comment": _issue_comment,
        "workflow_dispatch": _workflow_dispatch,
    }
    if event not in mappings:
        supported = ", ".join(mappings)
        return common | {
            "head": None,
            "skip_reason": f"event {event!r} is not supported; docbot runs on {supported}",
        }
    return mappings[event](payload, common | {"default_branch": payload["repository"]["default_branch"]})


def check(path: Path) -> None:
    event = path.stem.split("__", 1)[0]
    payload = json.loads(path.read_text(encoding="utf-8"))
    expected = documented(event, payload)
    request = from_event(event, payload, sha=GITHUB_SHA)
    assert {name: getattr(request, name) for name in expected} == expected
    assert request.is_noop == (expected["skip_reason"] is not None)


@pytest.mark.parametrize("path", payload_files(EVENTS), ids=lambda p: p.stem)
def test_project_payload_maps_to_what_it_says(path: Path) -> None:
    check(path)


@pytest.mark.parametrize("path", payload_files(SHARED_EVENTS), ids=lambda p: p.stem)
def test_shared_payload_maps_to_what_it_says(path: Path) -> None:
    check(path)


def test_the_project_payloads_cover_every_event_docbot_runs_on() -> None:
    # The project's corpus is what a fresh clone checks: it must not lose a supported event.
    events = {p.stem.split("__", 1)[0] for p in payload_files(EVENTS)}
    assert events == {"push", "pull_request", "issue_comment", "workflow_dispatch"}
