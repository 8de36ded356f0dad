"""The GitHub API seam: one PyGithub client, the retry policy and the error translation.

Together with ``github.py`` the only code that imports ``github``. PyGithub's own urllib3 retry is
switched off: it retries 5xx at once with no wait, never retries PATCH, and sleeps 60 s on secondary
limits without a way to inject the clock; the one policy here (tenacity) covers every
call, PATCH included, and ``GithubException`` never escapes: it becomes a ``GitHubApiError``
(permanent), a ``GitHubTransientError`` or a ``ConfigError`` (a rejected token).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import requests
from github import Auth, Github, GithubException
from github.PullRequest import PullRequest, ReviewComment
from github.Repository import Repository
from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt
from tenacity.stop import stop_base

from docbot.errors import ConfigError, DocbotError, PermanentError, TransientError
from docbot.markers import STICKY_COMMENT

T = TypeVar("T")

ACTIONS_BOT = "github-actions[bot]"

# --- errors ---------------------------------------------------------------------------------------


def _api_message(exc: GithubException) -> str:
    data = exc.data
    if isinstance(data, dict):
        parts = [str(data.get("message") or "")]
        for error in data.get("errors") or []:
            if isinstance(error, dict) and error.get("message"):
                parts.append(str(error["message"]))
            elif isinstance(error, str):
                parts.append(error)
        return "; ".join(p for p in parts if p)
    return str(data or exc)


class GitHubApiError(PermanentError):
    """The API refused a request; ``status`` and ``api_message`` say how."""

    def __init__(self, what: str, status: int, api_message: str) -> None:
        super().__init__(f"GitHub API: {what} failed ({status}): {api_message}")
        self.status = status
        self.api_message = api_message


class GitHubTransientError(TransientError):
    """The API kept failing in a way that may pass (5xx, rate limits, network) after every retry."""


def _is_rate_limited(exc: BaseException) -> bool:
    if not isinstance(exc, GithubException):
        return False
    if exc.status == 429:
        return True
    if exc.status != 403:
        return False
    headers = {k.lower(): v for k, v in (exc.headers or {}).items()}
    message = _api_message(exc).lower()
    return (
        "retry-after" in headers
        or headers.get("x-ratelimit-remaining") == "0"
        or "rate limit" in message
        or message.endswith("please retry your request again later.")
        or message.endswith("please wait a few minutes before you try again.")
    )


def is_transient(exc: BaseException) -> bool:
    """Whether retrying the same request may succeed: 5xx, primary/secondary rate limits, network errors."""
    if isinstance(exc, requests.exceptions.ConnectionError | requests.exceptions.Timeout):
        return True
    if isinstance(exc, GithubException):
        return exc.status >= 500 or _is_rate_limited(exc)
    return False


# --- the retry policy -----------------------------------------------------------------------------


@dataclass(frozen=True)
class RetryPolicy:
    """How GitHub calls are retried.

    5xx and network errors: 1, 2, 4, 8 s (capped at ``max_backoff``). Rate limits, following GitHub's
    guidance: ``retry-after`` when sent; else, with ``x-ratelimit-remaining: 0``, until
    ``x-ratelimit-reset``; else at least ``secondary_wait`` seconds, doubling. A wait longer than
    ``max_wait`` is not taken: the run fails with a ``TransientError`` carrying ``retry_after``.
    """

    max_attempts: int = 5
    backoff: float = 1.0
    max_backoff: float = 30.0
    secondary_wait: float = 60.0
    max_wait: float = 600.0

    def wait_for(self, exc: BaseException, attempt: int, now: float) -> float:
        """Seconds to wait after ``attempt`` (1-based) failed with ``exc``."""
        exponential: float = self.backoff * 2.0 ** (attempt - 1)
        if isinstance(exc, GithubException) and _is_rate_limited(exc):
            headers = {k.lower(): v for k, v in (exc.headers or {}).items()}
            retry_after = str(headers.get("retry-after", ""))
            if retry_after.strip().isdigit():
                return float(retry_after)
            reset = str(headers.get("x-ratelimit-reset", ""))
            if headers.get("x-ratelimit-remaining") == "0" and reset.strip().isdigit():
                return max(float(reset) - now, 0.0) + 1.0
            secondary: float = self.secondary_wait * 2.0 ** (attempt - 1)
            return secondary
        return min(exponential, self.max_backoff)


class _stop_if_wait_exceeds(stop_base):
    # tenacity computes the wait before it asks stop (TEN:__init__.py iter), so the upcoming sleep is known.
    def __init__(self, limit: float) -> None:
        self.limit = limit
        self.refused: float | None = None  # the wait that was too long, for the error message

    def __call__(self, retry_state: RetryCallState) -> bool:
        if retry_state.upcoming_sleep > self.limit:
            self.refused = retry_state.upcoming_sleep
            return True
        return False


@dataclass(frozen=True)
class PullInfo:
    """What docbot needs to know about a pull request."""

    number: int
    base_ref: str
    base_sha: str
    head_ref: str
    head_sha: str
    head_repo: str | None
    fork: bool
    state: str
    html_url: str


# --- the API wrapper ------------------------------------------------------------------------------


class GitHubApi:
    """A PyGithub client for one repository with docbot's retry policy and error translation.

    Args:
        token: the token (``github_token`` input); never logged.
        repository: ``owner/name``.
        base_url: ``GITHUB_API_URL`` (``https://api.github.com`` or ``https://HOST/api/v3``).
        sleep, clock: injected so tests assert the exact waits without sleeping.
    """

    def __init__(
        self,
        token: str,
        repository: str,
        *,
        base_url: str = "https://api.github.com",
        policy: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
        timeout: int = 30,
    ) -> None:
        if not token:
            raise ConfigError(
                "github_token is empty; pass `github_token: ${{ github.token }}` (the default) and grant the "
                "job `permissions: contents: write, pull-requests: write`"
            )
        if repository.count("/") != 1:
            raise ConfigError(f"GITHUB_REPOSITORY {repository!r} is not owner/name")
        self.repository = repository
        self.policy = policy or RetryPolicy()
        self.sleep = sleep
        self.clock = clock
        self.waits: list[float] = []
        self.requests_retried = 0
        # retry=0: the policy below is the only one. The throttles are off because a run sends a handful
        # of writes (well under the secondary limits); the policy handles a limit when one is hit.
        self._gh = Github(
            auth=Auth.Token(token),
            base_url=base_url.rstrip("/"),
            retry=0,
            timeout=timeout,
            per_page=100,
            seconds_between_requests=None,
            seconds_between_writes=None,
        )
        self._repo: Repository | None = None
        self._identity: str | None = None
        self._identity_known = False

    def close(self) -> None:
        self._gh.close()

    def call(self, what: str, fn: Callable[[], T]) -> T:
        """Run one API call under the retry policy; translate what finally escapes.

        Raises:
            GitHubApiError: the API refused the request (4xx other than rate limits).
            GitHubTransientError: 5xx, rate limits or network errors outlasted the retries.
            ConfigError: the token was rejected (401).
        """

        def record(state: RetryCallState) -> None:
            self.requests_retried += 1
            self.waits.append(state.upcoming_sleep)

        too_long = _stop_if_wait_exceeds(self.policy.max_wait)
        retrying = Retrying(
            retry=retry_if_exception(is_transient),
            stop=stop_after_attempt(self.policy.max_attempts) | too_long,
            wait=lambda s: self.policy.wait_for(
                (s.outcome.exception() if s.outcome else None) or Exception(), s.attempt_number, self.clock()
            ),
            sleep=self.sleep,
            before_sleep=record,
            reraise=True,
        )
        try:
            return retrying(fn)
        except GithubException as exc:
            attempts = retrying.statistics.get("attempt_number", 1)
            raise self._translate(what, exc, attempts, too_long.refused) from exc
        except (requests.exceptions.ConnectionError, requests.exceptions.Timeout) as exc:
            raise GitHubTransientError(f"GitHub API: {what} failed: {exc}") from exc
        except requests.exceptions.RequestException as exc:
            raise PermanentError(f"GitHub API: {what} failed: {exc}") from exc

    def _translate(
        self, what: str, exc: GithubException, attempts: int = 1, refused_wait: float | None = None
    ) -> DocbotError:
        message = _api_message(exc)
        if exc.status == 401:
            return ConfigError(
                f"GitHub API: {what} failed: the token was rejected (401 {message}); pass a valid "
                "github_token (the default `${{ github.token }}` works)"
            )
        if is_transient(exc):
            headers = {k.lower(): v for k, v in (exc.headers or {}).items()}
            after = headers.get("retry-after", "")
            tried = f"{attempts} attempt{'s' if attempts != 1 else ''}"
            if refused_wait is not None:
                # The stop came from the wait GitHub asked for, not from the attempt cap: say which.
                tried += (
                    f"; GitHub asked to wait {refused_wait:.0f} s, longer than docbot waits "
                    f"({self.policy.max_wait:.0f} s)"
                )
            return GitHubTransientError(
                f"GitHub API: {what} still failing after {tried} ({exc.status}: {message}); "
                "rerun the job later",
                retry_after=float(after) if after.strip().isdigit() else None,
            )
        if exc.status == 403 and "resource not accessible" in message.lower():
            message += (
                " (the token lacks a permission: give the job `permissions: contents: write, "
                "pull-requests: write`; pull requests from forks only get a read-only token)"
            )
        return GitHubApiError(what, exc.status, message)

    # --- lookups ---

    @property
    def repo(self) -> Repository:
        if self._repo is None:
            self._repo = self.call(
                f"GET repository {self.repository}", lambda: self._gh.get_repo(self.repository)
            )
        return self._repo

    def identity(self) -> str | None:
        """The login the token writes as, or ``None`` for an installation token (the Actions token, a
        GitHub App's), which may not read ``/user`` (403 "Resource not accessible by integration") and
        writes as a bot account (``github-actions[bot]``, ``<app>[bot]``)."""
        if not self._identity_known:
            try:
                self._identity = self.call("GET /user", lambda: self._gh.get_user().login)
            except GitHubApiError as exc:
                if exc.status not in {403, 404}:
                    raise
                self._identity = None
            self._identity_known = True
        return self._identity

    def pull(self, number: int) -> PullInfo:
        # get_pull is lazy: reading its fields inside the call makes the GET happen under the retry policy.
        return self.call(f"GET pull request #{number}", lambda: pull_info(self.repo.get_pull(number)))

    def permission(self, user: str) -> str:
        """The user's role on the repository: admin, maintain, write, triage, read or none."""
        try:
            permission = self.call(
                f"GET permission of {user}", lambda: self.repo.get_collaborator_permission(user)
            )
        except GitHubApiError as exc:
            if exc.status == 404:  # GitHub's answer for a login that is not a user (renamed, deleted)
                return "none"
            raise
        if permission in {"write", "read"}:
            # The legacy field folds maintain into write and triage into read; the role name keeps them.
            role = self.call(f"GET role of {user}", lambda: self.repo.get_collaborator_role_name(user))
            if role in {"maintain", "triage"}:
                return role
        return permission

    def react(self, number: int, comment_id: int, content: str) -> None:
        """Add a reaction (``eyes``, ``+1``, ...) to comment ``comment_id`` on issue ``number``."""
        self.call(
            f"POST reaction to comment {comment_id}",
            lambda: self.repo.get_issue(number).get_comment(comment_id).create_reaction(content),
        )

    def reply(self, number: int, body: str) -> tuple[int, str]:
        """Post a new comment on issue or pull request ``number``; returns its id and URL."""
        # get_issue is lazy (no request): the comment is one POST.
        comment = self.call(
            f"POST comment on #{number}", lambda: self.repo.get_issue(number).create_comment(body)
        )
        return comment.id, comment.html_url

    def upsert_comment(self, number: int, body: str, marker: str = STICKY_COMMENT) -> tuple[int, str, bool]:
        """Edit docbot's one comment on ``number`` (found by ``marker`` among the comments written by the
        token's own identity, every page read), or create it.

        Returns:
            ``(id, url, created)``.
        """
        me = self.identity()

        def mine(comment: Any) -> bool:
            user = comment.user
            if user is None or marker not in (comment.body or ""):
                return False
            # An installation token's own login is unknown: any bot's marked comment is a candidate,
            # github-actions[bot]'s first; a human quoting the marker never is.
            return bool(user.login == me) if me is not None else user.type == "Bot"

        def find() -> list[Any]:
            found = [c for c in self.repo.get_issue(number).get_comments() if mine(c)]
            return sorted(found, key=lambda c: c.user.login != ACTIONS_BOT)

        def edit(comment: Any) -> None:
            self.call(f"PATCH comment {comment.id}", lambda: comment.edit(body))

        for existing in self.call(f"GET comments of #{number}", find):
            try:
                edit(existing)
            except GitHubApiError as exc:
                if exc.status == 403 and me is None:
                    continue  # another bot's comment: not ours to edit
                raise
            return existing.id, existing.html_url, False
        comment_id, url = self.reply(number, body)
        return comment_id, url, True

    def review_comment_bodies(self, number: int) -> list[str]:
        """The bodies of every review comment on pull request ``number`` (every page read)."""
        return self.call(
            f"GET review comments of #{number}",
            lambda: [c.body or "" for c in self.repo.get_pull(number).get_review_comments()],
        )

    def create_review(self, number: int, commit_sha: str, body: str, comments: list[ReviewComment]) -> str:
        """Post one review (event ``COMMENT``) of ``comments`` on ``commit_sha``; returns its URL."""

        def create() -> str:
            pr = self.repo.get_pull(number)
            commit = self.repo.get_commit(commit_sha)
            return pr.create_review(commit=commit, body=body, event="COMMENT", comments=comments).html_url

        return self.call(f"POST review on #{number}", create)


def pull_info(pr: PullRequest) -> PullInfo:
    """The ``PullInfo`` of a (completed) PyGithub pull request; a deleted fork counts as a fork."""
    head_repo = pr.head.repo
    base_repo = pr.base.repo
    fork = head_repo is None or (base_repo is not None and head_repo.full_name != base_repo.full_name)
    return PullInfo(
        number=pr.number,
        base_ref=pr.base.ref,
        base_sha=pr.base.sha,
        head_ref=pr.head.ref,
        head_sha=pr.head.sha,
        head_repo=head_repo.full_name if head_repo is not None else None,
        fork=fork,
        state=pr.state,
        html_url=pr.html_url,
    )
