"""The GitHub Action's face: the runner's environment in; docs, outputs, job summary and log out.

``entrypoint.py`` only calls ``main()``. Inputs arrive as ``INPUT_<NAME>`` variables (snake_case names:
hyphenated ones do not reach Docker actions, REFERENCE 8.3) and are validated here, since the runner
does not enforce ``required``. The event payload is read from ``GITHUB_EVENT_PATH``.

Exit code: 0 on success or on a clearly announced no-op (a notice says why); 1 on failure when
``fail_on_error`` is true (the default), else 0 with the failure as an error annotation.
"""

from __future__ import annotations

import json
import os
import sys
import time
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, TextIO

from docbot import pipeline
from docbot.cache import open_cache
from docbot.changes import changed_files
from docbot.config import Settings, load_settings
from docbot.errors import ConfigError, DocbotError, GitError
from docbot.events import ChangeRequest, diff_range, from_event, with_pull_request
from docbot.git import Git
from docbot.llm.providers import open_provider
from docbot.markers import REPLY as REPLY_MARKER
from docbot.markers import TRAILER
from docbot.publish.actions import ActionLog, write_outputs, write_summary
from docbot.publish.github import Announcement, GitHubPublisher, QuietPublisher, Target
from docbot.publish.github_api import GitHubApi, PullInfo
from docbot.render.bodies import Links, summary_markdown
from docbot.report import RunReport

# Action input -> setting. An empty input falls back to the environment, the repository's
# .github/docbot.yml and the defaults, in that order (see docs/action.md).
INPUTS: dict[str, str] = {
    "anthropic_api_key": "anthropic_api_key",
    "github_token": "github_token",
    "provider": "provider",
    "model": "model",
    "mode": "mode",
    "docs_dir": "out_dir",
    "include": "include",
    "exclude": "exclude",
    "cache": "cache",
    "cache_path": "cache_path",
    "aws_region": "cache_region",
    "cache_ttl_hours": "cache_ttl_hours",
    "max_cost_usd": "max_cost_usd",
    "max_concurrency": "max_concurrency",
    "chunk_max_lines": "chunk_max_lines",
    "chunk_overlap_lines": "chunk_overlap_lines",
    "trigger_phrase": "trigger_phrase",
    "allowed_permissions": "allowed_permissions",
    "dry_run": "dry_run",
    "fail_on_error": "fail_on_error",
    "pr_title": "pr_title",
    "report_path": "report_path",
}
SECRET_INPUTS = ("anthropic_api_key", "github_token")
SECRET_ENV = ("ANTHROPIC_API_KEY", "GITHUB_TOKEN", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN")
OUTPUT_NAMES = (
    "operation",
    "pr_number",
    "pr_url",
    "comment_id",
    "files_documented",
    "files_skipped",
    "files_failed",
    "cache_hits",
    "cache_misses",
    "cache_hit_rate",
    "cost_usd",
    "report_path",
)


def _input(env: Mapping[str, str], name: str) -> str:
    return env.get(f"INPUT_{name.upper()}", "").strip()


@dataclass(frozen=True)
class Runner:
    """The variables the Actions runner sets (REFERENCE 8.1)."""

    event_name: str
    event_path: str
    workspace: Path
    repository: str
    sha: str
    server_url: str
    run_id: str
    output: str | None
    summary: str | None
    temp: Path

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Runner:
        workspace = Path(env.get("GITHUB_WORKSPACE") or ".")
        return cls(
            event_name=env.get("GITHUB_EVENT_NAME", ""),
            event_path=env.get("GITHUB_EVENT_PATH", ""),
            workspace=workspace,
            repository=env.get("GITHUB_REPOSITORY", ""),
            sha=env.get("GITHUB_SHA", ""),
            server_url=env.get("GITHUB_SERVER_URL", "https://github.com").rstrip("/"),
            run_id=env.get("GITHUB_RUN_ID", ""),
            output=env.get("GITHUB_OUTPUT") or None,
            summary=env.get("GITHUB_STEP_SUMMARY") or None,
            temp=Path(env.get("RUNNER_TEMP") or workspace),
        )

    @property
    def run_url(self) -> str | None:
        if not (self.repository and self.run_id):
            return None
        return f"{self.server_url}/{self.repository}/actions/runs/{self.run_id}"

    def payload(self) -> dict[str, Any]:
        if not self.event_path:
            raise ConfigError(
                "GITHUB_EVENT_PATH is not set: docbot's Action runs inside GitHub Actions; "
                "use the `docbot run` command for local runs"
            )
        try:
            data = json.loads(Path(self.event_path).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ConfigError(f"cannot read the event payload {self.event_path!r}: {exc}") from exc
        if not isinstance(data, dict):
            raise ConfigError(f"the event payload {self.event_path!r} is not a JSON object")
        return data


@dataclass(frozen=True)
class Outcome:
    """What the Action did: the run's report (``None`` when it stopped early) and the publishing record."""

    announcement: Announcement
    report: RunReport | None = None
    skipped: str | None = None  # why nothing ran (a notice, exit 0)


def _branch_of(ref: str | None) -> str | None:
    if ref and ref.startswith("refs/heads/"):
        return ref[len("refs/heads/") :]
    return None


def _resolve_mode(settings: Settings, event: str) -> str:
    if settings.mode != "auto":
        return settings.mode
    return "comment" if event in {"pull_request", "pull_request_target", "issue_comment"} else "pull_request"


def _local_blob(git: Git) -> Callable[[str], bytes | None]:
    """Reads a blob from the checkout, so pages the checkout already has cost no API request."""

    def read(sha: str) -> bytes | None:
        try:
            return git.run_bytes("cat-file", "blob", sha)
        except GitError:
            return None

    return read


def _skip(log: ActionLog, reason: str) -> Outcome:
    log.notice(f"nothing to document: {reason}")
    return Outcome(Announcement("none", notes=(f"Nothing to do: {reason}.",)), skipped=reason)


class _Action:
    def __init__(self, env: Mapping[str, str], log: ActionLog, sleep: Callable[[float], None]) -> None:
        self.env = env
        self.log = log
        self.sleep = sleep
        self.runner = Runner.from_env(env)
        self._api: GitHubApi | None = None
        self.settings: Settings | None = None

    def api(self, settings: Settings) -> GitHubApi:
        if self._api is None:
            token = settings.github_token.reveal() if settings.github_token else ""
            self._api = GitHubApi(
                token, self.runner.repository, base_url=settings.github_api_url, sleep=self.sleep
            )
        return self._api

    @property
    def github_retries(self) -> int:
        return self._api.requests_retried if self._api is not None else 0

    def close(self) -> None:
        if self._api is not None:
            self._api.close()

    def run(self) -> Outcome:
        runner, log = self.runner, self.log
        payload = runner.payload()
        overrides: dict[str, object] = {s: _input(self.env, i) or None for i, s in INPUTS.items()}
        overrides["repo"] = runner.workspace
        settings = load_settings(overrides, self.env)
        self.settings = settings
        request = from_event(
            runner.event_name, payload, sha=runner.sha or None, trigger=settings.trigger_phrase
        )
        if request.is_noop:
            return _skip(log, request.skip_reason or "the event needs no run")
        if settings.provider == "auto" and settings.anthropic_api_key is None:
            log.notice(
                "no anthropic_api_key: using the offline provider (docs from the code's structure only); "
                "pass `anthropic_api_key: ${{ secrets.ANTHROPIC_API_KEY }}` for Claude"
            )

        git = Git(runner.workspace)
        git.mark_safe()
        pr_number = request.pr_number
        # push and workflow_dispatch name a full ref; a pull request names its head branch.
        branch = request.ref if request.event == "pull_request" else request.branch or _branch_of(request.ref)

        if request.needs_pr_lookup:
            checked = self._comment_command(settings, request)
            if isinstance(checked, Outcome):
                return checked
            request = with_pull_request(
                request, base=checked.base_sha, head=checked.head_sha, head_repo_fork=checked.fork
            )
            branch = checked.head_ref
        elif request.event in {"push", "pull_request"} and request.head:
            message = git.try_run("log", "-1", "--format=%B", request.head) or ""
            if TRAILER in message:
                return _skip(log, f"commit {request.head[:12]} was made by docbot (trailer '{TRAILER}')")
        fork = request.head_repo_fork

        mode = _resolve_mode(settings, request.event)
        if fork and mode == "commit" and not settings.dry_run:
            raise ConfigError(
                "mode commit works on pull requests from this repository only: docbot cannot push to a "
                "fork's branch; use mode comment"
            )
        if fork and request.event == "pull_request" and mode != "none" and not settings.dry_run:
            log.warning(
                "this pull request comes from a fork: GitHub gives such runs a read-only token and no "
                "secrets, so docbot cannot publish here. A maintainer can comment "
                f"`{settings.trigger_phrase}` on the pull request to run docbot with the repository's "
                "permissions."
            )
            return Outcome(Announcement("none", notes=("Pull request from a fork: not published.",)))
        # Which two commits: merge-base fallbacks, forced pushes, shallow clones (events.diff_range).
        span = diff_range(request, git)
        for notice in span.notices:
            log.notice(notice)
        head = span.head
        run_settings = replace(
            settings,
            base=span.base,
            head=head,
            all_files=span.everything,
            paths=request.paths,
            force=request.force,
        )
        changes = changed_files(git, span.base, head, everything=span.everything)
        docs_prefix = settings.out_dir + "/"
        if changes and all(c.path.startswith(docs_prefix) for c in changes):
            return _skip(log, f"only files under {settings.out_dir} changed (docbot's own output)")

        publisher = self._publisher(run_settings, mode, branch, pr_number, git, head)
        provider = open_provider(run_settings)
        cache = open_cache(run_settings)
        try:
            with log.group(f"docbot: documenting {len(changes)} changed file(s)"):
                report = pipeline.run(
                    run_settings, git=git, cache=cache, provider=provider, publisher=publisher
                )
        finally:
            cache.close()
        with log.group(f"docbot: publishing ({mode if not settings.dry_run else 'dry run'})"):
            announcement = publisher.announce(report)
        return Outcome(announcement, report)

    def _comment_command(self, settings: Settings, request: ChangeRequest) -> Outcome | PullInfo:
        """Gate a ``/docbot`` comment: bots ignored, the commenter's permission checked, 👀 when accepted.

        Returns:
            An ``Outcome`` when the run stops here, else the pull request.
        """
        log = self.log
        commenter = request.commenter or request.actor or ""
        number = request.pr_number
        comment_id = request.comment_id
        if number is None:
            raise ConfigError("the comment event names no pull request")
        if not commenter or commenter.endswith("[bot]"):
            return _skip(log, f"comment by {commenter or 'an unknown user'} (bots are ignored)")
        api = self.api(settings)
        permission = api.permission(commenter)
        if permission not in settings.allowed_permissions:
            allowed = ", ".join(settings.allowed_permissions)
            text = (
                f"{REPLY_MARKER}\n@{commenter} docbot runs on request of users with {allowed} permission "
                f"on this repository; yours is {permission}. "
                f"Ask a maintainer to comment `{settings.trigger_phrase}`."
            )
            comment, url = api.reply(number, text)
            log.notice(f"refused {settings.trigger_phrase} from {commenter} (permission {permission})")
            note = f"Refused: {commenter} has {permission} permission; answered in {url}."
            return Outcome(
                Announcement("none", pr_number=number, comment_id=comment, comment_url=url, notes=(note,)),
                skipped=f"{commenter} may not run docbot",
            )
        if comment_id is not None:
            api.react(number, comment_id, "eyes")
        pr = api.pull(number)
        if pr.state != "open":
            return _skip(log, f"pull request #{number} is {pr.state}")
        return pr

    def _publisher(
        self, settings: Settings, mode: str, branch: str | None, pr_number: int | None, git: Git, head: str
    ) -> GitHubPublisher | QuietPublisher:
        if settings.dry_run:
            return QuietPublisher("Dry run")
        if mode == "none":
            return QuietPublisher("Mode none")
        if mode == "comment" and pr_number is None:
            raise ConfigError(
                f"mode comment needs a pull request, and a {self.runner.event_name} event has none; "
                "use mode pull_request (or auto) for push and workflow_dispatch"
            )
        if mode in {"pull_request", "commit"} and branch is None:
            raise ConfigError(
                f"mode {mode} needs a branch, and this {self.runner.event_name} event names none "
                "(a tag or a detached commit); run it on a branch"
            )
        target = Target(
            mode=mode,  # type: ignore[arg-type]
            branch=branch,
            pr_number=pr_number,
            links=Links(run_url=self.runner.run_url),
            pr_title=settings.pr_title,
            server_url=self.runner.server_url,
        )
        return GitHubPublisher(self.api(settings), target, local_blob=_local_blob(git), head_sha=head)


def outputs_of(outcome: Outcome, report_path: Path | None) -> dict[str, object]:
    """The step outputs (action.yml ``outputs``); counts are zero when the run stopped early."""
    a, report = outcome.announcement, outcome.report
    data = report.to_json() if report else None
    return {
        "operation": a.operation,
        "pr_number": a.pr_number,
        "pr_url": a.pr_url,
        "comment_id": a.comment_id,
        "files_documented": len(report.documented) if report else 0,
        "files_skipped": len(report.skipped) if report else 0,
        "files_failed": len(report.failed) if report else 0,
        "cache_hits": report.cache_hits if report else 0,
        "cache_misses": report.cache_misses if report else 0,
        "cache_hit_rate": report.hit_rate if report else 0.0,
        "cost_usd": data["cost_usd"] if data else 0.0,
        "report_path": str(report_path) if report_path else "",
    }


def job_summary(outcome: Outcome, github_retries: int = 0) -> str:
    """The job summary: what was published (with links), notes, and the run's table."""
    a = outcome.announcement
    lines = []
    if a.operation in {"created", "updated"} and a.pr_url:
        lines.append(f"Docs pull request #{a.pr_number} {a.operation}: {a.pr_url}")
    elif a.operation == "commented" and a.comment_url:
        lines.append(f"Docs posted in [this comment]({a.comment_url}) on pull request #{a.pr_number}.")
    elif a.operation == "committed" and a.branch:
        lines.append(f"Docs committed to `{a.branch}` ({(a.commit_sha or '')[:12]}).")
    lines += list(a.notes)
    if github_retries:
        lines.append(f"GitHub API: {github_retries} request(s) retried (5xx, rate limits or network).")
    if outcome.report is None:
        return "### docbot\n\n" + "\n\n".join(lines or ["Nothing was documented."]) + "\n"
    return summary_markdown(outcome.report, extra=lines)


def _report_path(settings: Settings | None, runner: Runner) -> Path:
    """Where the report goes, as the path later steps should use.

    A relative ``report_path`` is taken from the workspace, the one folder a Docker action shares with
    the steps after it under the same relative path. Without one: ``RUNNER_TEMP`` when it exists here
    (older runners do not mount it into Docker actions: actions/runner#1984), else the workspace.
    """
    if settings is not None and settings.report_path is not None:
        return settings.report_path
    if runner.temp.is_dir() and runner.temp != runner.workspace:
        return runner.temp / "docbot-report.json"
    return Path("docbot-report.json")


def _failed(log: ActionLog, runner: Runner, message: str, fail_on_error: bool) -> int:
    log.error(message)
    write_outputs(runner.output, {name: "" for name in OUTPUT_NAMES} | {"operation": "none"})
    write_summary(runner.summary, f"### docbot failed\n\n{message}\n")
    return 1 if fail_on_error else 0


def report_json(outcome: Outcome, github_retries: int) -> dict[str, Any]:
    """The RunReport JSON plus what publishing did (the ``publish`` key)."""
    assert outcome.report is not None
    a = outcome.announcement
    data = outcome.report.to_json()
    data["publish"] = {
        "operation": a.operation,
        "pr_number": a.pr_number,
        "pr_url": a.pr_url,
        "comment_id": a.comment_id,
        "comment_url": a.comment_url,
        "branch": a.branch,
        "commit": a.commit_sha,
        "notes": list(a.notes),
        "github_retries": github_retries,
    }
    return data


def main(
    env: Mapping[str, str] | None = None,
    out: TextIO | None = None,
    *,
    sleep: Callable[[float], None] = time.sleep,
) -> int:
    """Run the Action.

    Args:
        env: the environment (``os.environ`` when omitted).
        out: where workflow commands go (stdout when omitted).
        sleep: how GitHub API retries wait (tests record the waits instead of sleeping).

    Returns:
        The process exit code.
    """
    env = os.environ if env is None else env
    log = ActionLog(out or sys.stdout)
    for name in SECRET_INPUTS:
        if _input(env, name):
            log.mask(_input(env, name))
    for var in SECRET_ENV:
        if env.get(var):
            log.mask(env[var])
    fail_on_error = _input(env, "fail_on_error").lower() not in {"false", "0", "no", "off"}
    action = _Action(env, log, sleep)
    runner = action.runner
    try:
        outcome = action.run()
    except DocbotError as exc:
        if action.settings is not None:
            fail_on_error = action.settings.fail_on_error
        return _failed(log, runner, str(exc), fail_on_error)
    except Exception as exc:  # a bug, not bad input: still an annotation, outputs and a summary
        with log.group("docbot: internal error"):
            log.info(traceback.format_exc())
        return _failed(log, runner, f"internal error ({type(exc).__name__}: {exc}); please report it", True)
    finally:
        action.close()

    settings = action.settings
    report_path: Path | None = None
    if outcome.report is not None:
        report_path = _report_path(settings, runner)
        target = report_path if report_path.is_absolute() else runner.workspace / report_path
        target.parent.mkdir(parents=True, exist_ok=True)
        data = report_json(outcome, action.github_retries)
        target.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
        for failed in outcome.report.failed:
            log.warning(f"{failed.path}: {failed.reason}", file=failed.path)
        if outcome.report.cache_error:
            log.warning(f"cache unavailable, ran uncached: {outcome.report.cache_error}")
    for warning in outcome.announcement.warnings:
        log.warning(warning)
    write_outputs(runner.output, outputs_of(outcome, report_path))
    write_summary(runner.summary, job_summary(outcome, action.github_retries))
    a = outcome.announcement
    if outcome.skipped is None:
        log.info(
            f"docbot: operation={a.operation}"
            + (f" pr={a.pr_url}" if a.pr_url else "")
            + (f" comment={a.comment_url}" if a.comment_url else "")
        )
    failures = len(outcome.report.failed) if outcome.report else 0
    if failures and settings is not None and settings.fail_on_error:
        log.error(f"{failures} file(s) failed; see the job summary")
        return 1
    return 0
