"""The GitHub Action, end to end: inputs -> settings -> RunSpec -> pipeline.run -> publish -> outputs."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Mapping
from contextlib import closing
from typing import TYPE_CHECKING, TextIO

from docbot import events, metrics, style
from docbot.action import gate, inputs, outputs
from docbot.action.runner import ActionLog
from docbot.config import Settings
from docbot.errors import ConfigError, DocbotError
from docbot.git import Git
from docbot.interrupt import interrupted_message, signals_interrupt
from docbot.progress import LogProgress
from docbot.render.bodies import Links
from docbot.report import PublishRecord

# The pipeline (tree-sitter), the cache backends (boto3), the providers (anthropic) and the publisher
# (PyGithub) are imported where a run first needs them: an event that starts no run, such as a comment
# without the command, finishes before any of them is loaded.
if TYPE_CHECKING:
    from docbot.publish.github_api import GitHubApi


def main(
    env: Mapping[str, str] | None = None,
    out: TextIO | None = None,
    *,
    sleep: Callable[[float], None] = time.sleep,
) -> int:
    """Run the Action; returns the process exit code.

    Args:
        env: the environment (``os.environ`` when omitted).
        out: where workflow commands go (stdout when omitted).
        sleep: how GitHub API retries wait (tests record the waits instead of sleeping).
    """
    env = os.environ if env is None else env
    runner, log = inputs.Runner.from_env(env), ActionLog(out or sys.stdout)
    inputs.mask_secrets(log, env)
    for warning in inputs.input_typos(env):
        log.warning(warning)
    settings: Settings | None = None
    try:
        settings = inputs.load(runner, env)
        outputs.check_report_path(settings, runner)
        with closing(_LazyApi(settings, runner, sleep)) as api:
            git = Git(runner.workspace)
            git.mark_safe()
            if settings.publish.mode in ("check", "docstrings"):
                _require_checkout(git, runner)
                from docbot.action import source_modes  # docstrings and check load tree-sitter

                if settings.publish.mode == "check":
                    return source_modes.run_check(log, runner, settings, git)
                return source_modes.run_docstrings(log, runner, settings, git, api)
            trigger = settings.publish.trigger_phrase
            request = events.from_event(
                runner.event_name, runner.payload(), sha=runner.sha or None, trigger=trigger
            )
            admitted = gate.admit(request, settings.publish, git, api, warn=log.warning)
            spec = (
                admitted if isinstance(admitted, events.Skip) else events.plan_run(admitted, settings.publish)
            )
            if isinstance(spec, events.Skip):
                return outputs.skipped(log, runner, spec, api.retries)
            _require_checkout(git, runner)  # an event that is skipped needs no checkout
            inputs.notice_offline(log, settings)
            # On a pull request the house style comes from the base: the change under review cannot set it.
            style_rev = spec.base if spec.pr_number is not None and spec.base else spec.head
            settings = style.resolved(settings, style.revision_reader(git, style_rev))
            if settings.publish.estimate_only:
                return outputs.skipped(log, runner, _estimate_only(spec, settings, git), api.retries)
            from docbot import pipeline
            from docbot.cache import open_cache
            from docbot.llm.batch import open_batches
            from docbot.llm.providers import open_provider
            from docbot.publish.github import open_publisher

            with (
                closing(open_cache(settings.cache)) as cache,
                log.group("docbot: documenting the changes"),
                signals_interrupt(),  # a cancel's SIGTERM still stores the answers received
            ):
                provider = open_provider(settings.llm)
                batches = open_batches(provider, settings.llm, event=spec.event, everything=spec.everything)
                result = pipeline.run(
                    spec, settings, git=git, cache=cache, provider=provider, batches=batches,
                    repo_url=f"{runner.server_url}/{runner.repository}" if runner.repository else None,
                    progress=LogProgress(log.info),
                )  # fmt: skip
                if not isinstance(result, events.Skip):
                    outputs.log_outcomes(log, result.report)
            if isinstance(result, events.Skip):
                return outputs.skipped(log, runner, result, api.retries)
            for notice in result.notices:
                log.notice(notice)
            with log.group(f"docbot: publishing ({'dry run' if settings.publish.dry_run else spec.mode})"):
                if settings.shard is not None:  # a shard fills the cache; the final job publishes
                    note = f"Shard {settings.shard}: documented into the cache, nothing published."
                    record = PublishRecord(notes=(note,))
                else:
                    publisher = open_publisher(
                        spec, settings.publish, api, local_blob=git.try_read_blob, head_sha=result.head,
                        links=Links(run_url=runner.run_url), server_url=runner.server_url,
                        workspace=runner.workspace,
                    )  # fmt: skip
                    record = publisher.publish(result.plan, result.report)
                outputs.log_published(log, record)
            report = result.report.published(record)
            if settings.metrics is not None:
                problem = metrics.send(
                    settings.metrics, report.to_json(), repository=runner.repository,
                    trigger=runner.event_name, region=settings.cache.cache_region,
                )  # fmt: skip
                if problem:
                    log.warning(problem)  # metrics never fail a run
            return outputs.finished(log, runner, settings, report, record, api.retries, result.plan)
    except DocbotError as exc:
        fail = settings.publish.fail_on_error if settings else inputs.fail_on_error(env)
        return outputs.failed(log, runner, str(exc), fail)
    except KeyboardInterrupt as exc:  # cancelled or timed out: the answers so far are in the cache
        fail = settings.publish.fail_on_error if settings else inputs.fail_on_error(env)
        return outputs.failed(log, runner, interrupted_message(exc), fail)
    except Exception as exc:  # a bug, not bad input: still an annotation, outputs and a summary
        return outputs.crashed(log, runner, exc)


def _require_checkout(git: Git, runner: inputs.Runner) -> None:
    """A workspace without the repository (no checkout step) is named as such, not as an empty repo."""
    if not git.is_repo():
        raise ConfigError(
            f"the workspace {runner.workspace} is not a git repository; "
            "add `- uses: actions/checkout@v4` before docbot's step"
        )


def _estimate_only(spec: events.RunSpec, settings: Settings, git: Git) -> events.Skip:
    """``estimate_only``: the run's price as a notice and in the job summary; nothing is sent."""
    from docbot import estimate
    from docbot.cache import open_cache
    from docbot.llm.batch import open_batches
    from docbot.llm.providers import open_provider

    provider = open_provider(settings.llm)
    batches = open_batches(provider, settings.llm, event=spec.event, everything=spec.everything)
    with closing(open_cache(settings.cache)) as cache:
        quote = estimate.estimate_run(
            spec, settings, git=git, cache=cache, provider=provider, batches=batches
        )
    line = f"docbot {quote.line()} (estimate_only: nothing was sent)"
    rows = "\n".join(f"| {label} | {value} |" for label, value in quote.rows())
    note = f"{line}.\n\n| | |\n|---|---|\n{rows}"
    return events.Skip("estimate only", PublishRecord(notes=(note,)), notice=line)


class _LazyApi:
    """The GitHub client, made on first use: most events (and every dry run) never need it."""

    def __init__(self, settings: Settings, runner: inputs.Runner, sleep: Callable[[float], None]) -> None:
        self._settings, self._runner, self._sleep = settings.publish, runner, sleep
        self._api: GitHubApi | None = None

    def __call__(self) -> GitHubApi:
        if self._api is None:
            from docbot.publish.github_api import GitHubApi

            token = self._settings.github_token.reveal() if self._settings.github_token else ""
            self._api = GitHubApi(
                token, self._runner.repository, base_url=self._settings.github_api_url, sleep=self._sleep
            )
        return self._api

    @property
    def retries(self) -> int:
        return self._api.requests_retried if self._api is not None else 0

    def close(self) -> None:
        if self._api is not None:
            self._api.close()
