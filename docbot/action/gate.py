"""Checks that need the outside world before a run may start: who asked, and who made the commit.

- A ``/docbot`` comment: bots are ignored, the commenter's repository permission is checked (a refusal
  is answered in a reply), the command gets a 👀 reaction, and the pull request's SHAs and branch are
  looked up, since the comment's payload has none.
- A push or pull request whose head commit docbot made itself (its trailer) starts no run.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from docbot.config import PublishSettings
from docbot.errors import ConfigError
from docbot.events import ChangeRequest, Skip, with_pull_request
from docbot.git import Git
from docbot.markers import REPLY, TRAILER
from docbot.report import PublishRecord

if TYPE_CHECKING:  # PyGithub is imported only when a run talks to GitHub (docbot.action starts fast)
    from docbot.publish.github_api import GitHubApi


def admit(
    request: ChangeRequest,
    settings: PublishSettings,
    git: Git,
    api: Callable[[], GitHubApi],
    *,
    warn: Callable[[str], None] = lambda message: None,
) -> ChangeRequest | Skip:
    """The request, completed where it needs the API, or a ``Skip`` saying why no run starts.

    Args:
        api: returns the GitHub client (made on first use: most events never need it).
        warn: reports a problem that does not stop the run (a failed 👀 reaction).
    """
    if request.is_noop:
        return request
    if request.needs_pr_lookup:
        return _comment_command(request, settings, api(), warn)
    if request.event in {"push", "pull_request"} and request.head:
        message = git.try_run("log", "-1", "--format=%B", request.head) or ""
        if TRAILER in message:
            return Skip(f"commit {request.head[:12]} was made by docbot (trailer '{TRAILER}')")
    return request


def _comment_command(
    request: ChangeRequest, settings: PublishSettings, api: GitHubApi, warn: Callable[[str], None]
) -> ChangeRequest | Skip:
    from docbot.publish.github_api import GitHubApiError, GitHubTransientError  # a comment run: PyGithub

    commenter = request.commenter or request.actor or ""
    number = request.pr_number
    if number is None:
        raise ConfigError("the comment event names no pull request")
    if not commenter or commenter.endswith("[bot]"):
        return Skip(f"comment by {commenter or 'an unknown user'} (bots are ignored)")
    permission = api.permission(commenter)
    if permission not in settings.allowed_permissions:
        allowed = ", ".join(settings.allowed_permissions)
        text = (
            f"{REPLY}\n@{commenter} docbot runs on request of users with {allowed} permission "
            f"on this repository; yours is {permission}. "
            f"Ask a maintainer to comment `{settings.trigger_phrase}`."
        )
        comment, url = api.reply(number, text)
        note = f"Refused: {commenter} has {permission} permission; answered in {url}."
        return Skip(
            f"{commenter} may not run docbot",
            PublishRecord(pr_number=number, comment_id=comment, comment_url=url, notes=(note,)),
            notice=f"refused {settings.trigger_phrase} from {commenter} (permission {permission})",
        )
    if request.comment_id is not None:
        try:
            api.react(number, request.comment_id, "eyes")
        except (GitHubApiError, GitHubTransientError) as exc:
            # The reaction only acknowledges the command (the comment may be gone by now): run anyway.
            warn(f"could not add the 👀 reaction to comment {request.comment_id}: {exc}")
    pr = api.pull(number)
    if pr.state != "open":
        return Skip(f"pull request #{number} is {pr.state}")
    return with_pull_request(
        request, base=pr.base_sha, head=pr.head_sha, head_ref=pr.head_ref, head_repo_fork=pr.fork
    )
