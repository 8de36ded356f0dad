"""The GitHub Action, end to end: inputs -> settings -> RunSpec -> pipeline.run -> publish -> outputs."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Mapping
from contextlib import closing
from typing import TYPE_CHECKING, TextIO

from docbot import events, metrics
from docbot.action import gate, inputs, outputs
from docbot.action.runner import ActionLog
from docbot.config import Settings
from docbot.errors import DocbotError
from docbot.git import Git
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
    settings: Settings | None = None
    try:
        settings = inputs.load(runner, env)
        outputs.check_report_path(settings, runner)
        with closing(_LazyApi(settings, runner, sleep)) as api:
            git = Git(runner.workspace)
            git.mark_safe()
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
            inputs.notice_offline(log, settings)
            from docbot import pipeline
            from docbot.cache import open_cache
            from docbot.llm.providers import open_provider
            from docbot.publish.github import open_publisher

            with closing(open_cache(settings.cache)) as cache, log.group("docbot: documenting the changes"):
                result = pipeline.run(
                    spec, settings, git=git, cache=cache, provider=open_provider(settings.llm),
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
    except Exception as exc:  # a bug, not bad input: still an annotation, outputs and a summary
        return outputs.crashed(log, runner, exc)


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
