"""GitHub event payload -> ``ChangeRequest`` -> ``RunSpec``: what a run documents and where it publishes.

Both steps are pure. ``from_event`` reads the payload; ``plan_run`` adds the settings (mode, fork
policy, target branch) and returns a frozen ``RunSpec`` or a ``Skip`` that says why nothing runs. The
pipeline hands the spec's revisions to ``ranges.resolve_range``, which fetches what a shallow clone
lacks and applies the fallbacks.

Supported: push, pull_request, issue_comment (``/docbot`` on a PR) and workflow_dispatch; every
other event, and the variants that need no run, come back with a ``skip_reason`` (see
docs/changes.md for the full table).
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any, Literal

from docbot.config import ZERO_SHA, PublishSettings, parse_bool
from docbot.errors import ConfigError
from docbot.markers import OWN_PREFIX
from docbot.ranges import RangeKind
from docbot.report import PublishRecord

SUPPORTED_EVENTS = ("push", "pull_request", "issue_comment", "workflow_dispatch")
PR_ACTIONS = ("opened", "synchronize", "reopened", "ready_for_review")
DEFAULT_TRIGGER = "/docbot"


@dataclass(frozen=True)
class ChangeRequest:
    """What a run is about. ``base`` of ``None`` with ``everything`` means every file at ``head``.

    ``kind`` says how ``base`` and ``head`` are compared (see ``changes.resolve_range``).
    ``needs_pr_lookup`` is set for a ``/docbot`` comment: the payload has no SHAs, so the Action
    fetches base/head of PR ``pr_number`` through the API and calls ``with_pull_request``.
    """

    event: str
    head: str | None
    base: str | None = None
    everything: bool = False
    pr_number: int | None = None
    actor: str | None = None
    ref: str | None = None
    skip_reason: str | None = None  # set when the event needs no run; the Action exits 0 with a notice
    # -- how to compare, and fallbacks (changes.resolve_range) --
    kind: RangeKind = "two-dot"
    default_branch: str | None = None
    branch: str | None = None
    # -- what to document --
    paths: tuple[str, ...] = ()  # restrict the run to these gitignore-style globs
    force: bool = False  # regenerate even when the cache or existing pages are current
    # -- issue_comment and pull request details (used by the Action) --
    comment_id: int | None = None
    comment_body: str | None = None
    author_association: str | None = None
    commenter: str | None = None
    needs_pr_lookup: bool = False
    head_repo_fork: bool = False

    @property
    def is_noop(self) -> bool:
        return self.skip_reason is not None


@dataclass(frozen=True)
class Command:
    """A parsed ``/docbot [all|force] [path-glob ...]`` line."""

    everything: bool = False
    force: bool = False
    paths: tuple[str, ...] = ()


def _get(data: Mapping[str, Any], *keys: str) -> Any:
    value: Any = data
    for key in keys:
        if not isinstance(value, Mapping):
            return None
        value = value.get(key)
    return value


def _str_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _int_or_none(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


# A fence opens with 3+ backticks or tildes, indented at most 3 spaces (CommonMark).
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")


def parse_command(body: str, trigger: str = DEFAULT_TRIGGER) -> Command | None:
    """Find the first ``trigger`` command in a comment, the way a reader of the rendered comment would.

    The command must start a line (at most 3 spaces of indentation), case-insensitively, followed by
    the end of the line or whitespace. Lines inside a fenced code block or a ``>`` quote do not count.
    Arguments: ``all`` and ``force`` (before any path), then gitignore-style path globs.

    Returns:
        The ``Command``, or ``None`` when the comment holds no command.
    """
    fence: str | None = None
    low = trigger.lower()
    for line in body.splitlines():
        match = _FENCE.match(line)
        if fence is not None:
            # A fence closes with the same character, at least as long, and nothing else on the line.
            closing = (
                match is not None and match.group(1)[0] == fence[0] and len(match.group(1)) >= len(fence)
            )
            if closing and not line.strip().strip(fence[0]):
                fence = None
            continue
        if match:
            fence = match.group(1)
            continue
        stripped = line.lstrip(" ")
        if len(line) - len(stripped) > 3 or not stripped.lower().startswith(low):
            continue
        rest = stripped[len(trigger) :]
        if rest and not rest[0].isspace():
            continue  # "/docbotx" is another command
        return _parse_args(rest)
    return None


def _parse_args(rest: str) -> Command:
    try:
        words = shlex.split(rest)
    except ValueError:  # an unbalanced quote: fall back to plain whitespace splitting
        words = rest.split()
    everything = force = False
    paths: list[str] = []
    for word in words:
        if not paths and word.lower() == "all":
            everything = True
        elif not paths and word.lower() == "force":
            force = True
        else:
            paths.append(word)
    return Command(everything=everything, force=force, paths=tuple(paths))


def _input_bool(inputs: Mapping[str, Any], name: str) -> bool:
    value = inputs.get(name)
    return False if value is None else parse_bool(value, f"workflow_dispatch input {name}")


def split_paths(text: str) -> tuple[str, ...]:
    """Globs from an input: separated by newlines, commas or whitespace."""
    return tuple(p for p in re.split(r"[\s,]+", text) if p)


def _push(payload: Mapping[str, Any], actor: str | None) -> ChangeRequest:
    before, after = _str_or_none(payload.get("before")), _str_or_none(payload.get("after"))
    ref = _str_or_none(payload.get("ref"))
    default_branch = _str_or_none(_get(payload, "repository", "default_branch"))
    common: dict[str, Any] = {"actor": actor, "ref": ref, "default_branch": default_branch}
    if not after or after == ZERO_SHA or payload.get("deleted") is True:
        what = "tag" if ref and ref.startswith("refs/tags/") else "branch"
        name = f"{what} {ref}" if ref else what
        return ChangeRequest("push", None, skip_reason=f"{name} was deleted", **common)
    if ref and ref.startswith("refs/tags/"):
        return ChangeRequest(
            "push", after, skip_reason=f"tag push ({ref}): tags are not documented", **common
        )
    if before == after:
        return ChangeRequest("push", after, skip_reason="before equals after: nothing was pushed", **common)
    branch = ref.removeprefix("refs/heads/") if ref and ref.startswith("refs/heads/") else None
    if not before or before == ZERO_SHA:
        return ChangeRequest("push", after, kind="new-branch", branch=branch, **common)
    # A fast-forward (forced: false) always has `before` as an ancestor: compare directly. A forced
    # push (or a payload that does not say) is checked, and falls back when history was rewritten.
    kind: RangeKind = "two-dot" if payload.get("forced") is False else "push"
    return ChangeRequest("push", after, base=before, kind=kind, branch=branch, **common)


def _pull_request(payload: Mapping[str, Any], actor: str | None) -> ChangeRequest:
    action = payload.get("action")
    number = _int_or_none(payload.get("number")) or _int_or_none(_get(payload, "pull_request", "number"))
    head_repo = _get(payload, "pull_request", "head", "repo")
    base_repo = _get(payload, "pull_request", "base", "repo", "full_name")
    # head.repo is null when the fork was deleted: still a fork as far as permissions go.
    fork = (
        not isinstance(head_repo, Mapping)
        or bool(head_repo.get("fork"))
        or (head_repo.get("full_name") != base_repo)
    )
    common: dict[str, Any] = {
        "pr_number": number,
        "actor": actor,
        "ref": _str_or_none(_get(payload, "pull_request", "head", "ref")),
        "default_branch": _str_or_none(_get(payload, "repository", "default_branch")),
        "head_repo_fork": fork,
    }
    if action not in PR_ACTIONS:
        why = "pull request closed" if action == "closed" else f"pull_request action {action!r}"
        return ChangeRequest(
            "pull_request", None, skip_reason=f"{why}: docbot runs on {', '.join(PR_ACTIONS)}", **common
        )
    head = _str_or_none(_get(payload, "pull_request", "head", "sha"))
    base = _str_or_none(_get(payload, "pull_request", "base", "sha"))
    if not head or not base:
        return ChangeRequest("pull_request", None, skip_reason="payload has no base.sha/head.sha", **common)
    return ChangeRequest("pull_request", head, base=base, kind="three-dot", **common)


def _issue_comment(payload: Mapping[str, Any], actor: str | None, trigger: str) -> ChangeRequest:
    action = payload.get("action")
    body = _get(payload, "comment", "body")
    body = body if isinstance(body, str) else ""
    user_type = _get(payload, "comment", "user", "type")
    common: dict[str, Any] = {
        "actor": actor,
        "pr_number": _int_or_none(_get(payload, "issue", "number")),
        "default_branch": _str_or_none(_get(payload, "repository", "default_branch")),
        "comment_id": _int_or_none(_get(payload, "comment", "id")),
        "comment_body": body,
        "author_association": _str_or_none(_get(payload, "comment", "author_association")),
        "commenter": _str_or_none(_get(payload, "comment", "user", "login")),
    }

    def skip(reason: str) -> ChangeRequest:
        return ChangeRequest("issue_comment", None, skip_reason=reason, **common)

    if action != "created":
        return skip(f"comment {action}: only new comments are commands")
    if not isinstance(_get(payload, "issue", "pull_request"), Mapping):
        return skip("comment on an issue, not a pull request")
    if user_type == "Bot":
        return skip(f"comment by a bot ({common['commenter']})")
    if OWN_PREFIX in body:  # posted with a personal token, docbot is not a Bot user
        return skip("docbot's own comment")
    command = parse_command(body, trigger)
    if command is None:
        return skip(f"no {trigger} command in the comment")
    return ChangeRequest(
        "issue_comment",
        None,
        kind="three-dot",
        everything=command.everything,
        force=command.force,
        paths=command.paths,
        needs_pr_lookup=True,
        **common,
    )


def _workflow_dispatch(payload: Mapping[str, Any], actor: str | None, sha: str | None) -> ChangeRequest:
    inputs = payload.get("inputs")
    inputs = inputs if isinstance(inputs, Mapping) else {}
    head = _str_or_none(str(inputs.get("head") or "").strip()) or sha or "HEAD"
    base = _str_or_none(str(inputs.get("base") or "").strip())
    # A manual run without a base documents every file at the ref: someone pressing "Run workflow"
    # asks for the docs of the branch, not of its last commit (the cache makes a rerun free).
    everything = _input_bool(inputs, "all") or base is None
    return ChangeRequest(
        "workflow_dispatch",
        head,
        base=base,
        everything=everything,
        force=_input_bool(inputs, "force"),
        paths=split_paths(str(inputs.get("paths") or "")),
        actor=actor,
        ref=_str_or_none(payload.get("ref")),
        default_branch=_str_or_none(_get(payload, "repository", "default_branch")),
    )


def from_event(
    event_name: str, payload: Mapping[str, Any], *, sha: str | None = None, trigger: str = DEFAULT_TRIGGER
) -> ChangeRequest:
    """Map a webhook payload to the revisions to document.

    Args:
        event_name: ``GITHUB_EVENT_NAME``.
        payload: the parsed ``GITHUB_EVENT_PATH`` JSON.
        sha: ``GITHUB_SHA``, used where the payload names no head (workflow_dispatch).
        trigger: the comment command that starts a run from a PR comment.

    Returns:
        The request; ``skip_reason`` is set when the event needs no run (exit 0 with a notice).

    Raises:
        ConfigError: a workflow_dispatch boolean input is neither true nor false.
    """
    if not isinstance(payload, Mapping):
        raise ConfigError(f"the {event_name} event payload is not a JSON object: {str(payload)[:80]!r}")
    actor = _str_or_none(_get(payload, "sender", "login"))
    if event_name == "push":
        return _push(payload, actor)
    if event_name == "pull_request":
        return _pull_request(payload, actor)
    if event_name == "issue_comment":
        return _issue_comment(payload, actor, trigger)
    if event_name == "workflow_dispatch":
        return _workflow_dispatch(payload, actor, sha)
    return ChangeRequest(
        event_name,
        None,
        actor=actor,
        skip_reason=f"event {event_name!r} is not supported; docbot runs on {', '.join(SUPPORTED_EVENTS)}",
    )


def with_pull_request(
    request: ChangeRequest, *, base: str, head: str, head_ref: str | None, head_repo_fork: bool
) -> ChangeRequest:
    """Fill in what a ``/docbot`` comment's payload lacks: its PR's SHAs and branch (from the API)."""
    return replace(
        request, base=base, head=head, ref=head_ref, head_repo_fork=head_repo_fork, needs_pr_lookup=False
    )


PublishMode = Literal["pull_request", "comment", "commit", "none"]
_PR_EVENTS = frozenset({"pull_request", "pull_request_target", "issue_comment"})


@dataclass(frozen=True)
class RunSpec:
    """One run, decided: which revisions to compare, what to document, and where to publish.

    ``head``/``base``/``kind``/``everything``/``default_branch``/``branch`` go to
    ``ranges.resolve_range``; ``paths`` and ``force`` narrow and refresh what is documented;
    ``mode``, ``target_branch`` and ``pr_number`` say where the pages go. ``skip_docs_only``: a change
    that touches only the docs folder (docbot's own output) is a ``Skip``, so a merged docs pull request
    starts no run of its own.
    """

    head: str
    base: str | None = None
    kind: RangeKind = "two-dot"
    everything: bool = False
    default_branch: str | None = None
    branch: str | None = None
    paths: tuple[str, ...] = ()
    force: bool = False
    event: str = "local"
    mode: PublishMode = "none"
    target_branch: str | None = None
    pr_number: int | None = None
    skip_docs_only: bool = False


@dataclass(frozen=True)
class Skip:
    """Why a run does nothing (exit 0), with what was published on the way (a refusal reply) if anything.

    ``warning`` marks a skip the user should act on (a fork's pull request), logged as a warning rather
    than a notice; ``notice`` replaces the default log line.
    """

    reason: str
    record: PublishRecord | None = None  # default: operation none, "Nothing to do: <reason>."
    warning: bool = False
    notice: str | None = None


def _branch_of(ref: str | None) -> str | None:
    return ref.removeprefix("refs/heads/") if ref and ref.startswith("refs/heads/") else None


def plan_run(request: ChangeRequest, settings: PublishSettings) -> RunSpec | Skip:
    """Decide the run for a complete request (a ``/docbot`` comment's PR already looked up).

    Returns:
        The ``RunSpec``, or a ``Skip`` for an event that needs no run or a pull request from a fork.

    Raises:
        ConfigError: the mode cannot work for this event (comment without a pull request, commit to a
            fork, a branch mode without a branch); the message says which mode to use instead.
    """
    if request.is_noop:
        return Skip(request.skip_reason or "the event needs no run")
    if request.needs_pr_lookup or not request.head:
        raise ConfigError(
            f"pull request #{request.pr_number}: fetch its base and head first (with_pull_request)"
        )
    mode: PublishMode
    if settings.mode == "auto":
        mode = "comment" if request.event in _PR_EVENTS else "pull_request"
    elif settings.mode == "check" or settings.mode == "docstrings":
        raise ConfigError(f"mode {settings.mode} publishes no pages: it runs before a docs run is planned")
    else:
        mode = settings.mode
    publishes = mode != "none" and not settings.dry_run
    fork = request.head_repo_fork
    if fork and mode == "commit" and publishes:
        raise ConfigError(
            "mode commit works on pull requests from this repository only: docbot cannot push to a "
            "fork's branch; use mode comment"
        )
    if fork and request.event == "pull_request" and publishes:
        return Skip(
            "this pull request comes from a fork: GitHub gives such runs a read-only token and no "
            "secrets, so docbot cannot publish here. A maintainer can comment "
            f"`{settings.trigger_phrase}` on the pull request to run docbot with the repository's "
            "permissions.",
            PublishRecord(notes=("Pull request from a fork: not published.",)),
            warning=True,
        )
    # push and workflow_dispatch name a full ref; a pull request (or a /docbot comment) its head branch.
    target = request.ref if request.event in _PR_EVENTS else request.branch or _branch_of(request.ref)
    if publishes and mode == "comment" and request.pr_number is None:
        raise ConfigError(
            f"mode comment needs a pull request, and a {request.event} event has none; "
            "use mode pull_request (or auto) for push and workflow_dispatch"
        )
    if publishes and mode in {"pull_request", "commit"} and target is None:
        raise ConfigError(
            f"mode {mode} needs a branch, and this {request.event} event names none "
            "(a tag or a detached commit); run it on a branch"
        )
    return RunSpec(
        head=request.head,
        base=request.base,
        kind=request.kind,
        everything=request.everything,
        default_branch=request.default_branch,
        branch=request.branch,
        paths=request.paths,
        force=request.force,
        event=request.event,
        mode=mode if publishes else "none",
        target_branch=target,
        pr_number=request.pr_number,
        skip_docs_only=True,
    )
