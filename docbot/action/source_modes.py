"""The Action's two modes that publish no pages: ``check`` (is the docs folder current?) and ``docstrings``
(suggest doc comments on a pull request, as one review)."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import closing
from dataclasses import replace

from docbot import events, style
from docbot.action import gate
from docbot.action.inputs import Runner
from docbot.action.outputs import OUTPUT_NAMES
from docbot.action.runner import ActionLog, write_outputs, write_summary
from docbot.cache import open_cache
from docbot.check import check
from docbot.config import Settings
from docbot.docstrings import write_back
from docbot.errors import ConfigError
from docbot.git import Git
from docbot.llm.providers import open_provider
from docbot.plural import agree
from docbot.publish import review
from docbot.publish.github_api import GitHubApi


def _code(text: str) -> str:
    # Paths come from the repository: shown as code, with nothing that could close the span or the cell.
    return "<code>" + text.replace("&", "&amp;").replace("<", "&lt;").replace("|", "&#124;") + "</code>"


def _outputs(runner: Runner, operation: str, **values: object) -> None:
    write_outputs(runner.output, {name: "" for name in OUTPUT_NAMES} | {"operation": operation} | values)


def _nothing(log: ActionLog, runner: Runner, reason: str) -> int:
    log.notice(f"nothing to do: {reason}")
    _outputs(runner, "none")
    write_summary(runner.summary, f"### docbot docstrings\n\nNothing to do: {reason}.\n")
    return 0


def run_check(log: ActionLog, runner: Runner, settings: Settings, git: Git) -> int:
    """``mode: check``: an error annotation on each source whose page is not current; exit 1 if any."""
    result = check(settings, git)
    for f in result.findings:
        log.error(f"{f.kind} page: {f.message}", file=f.source)
    _outputs(runner, "check")
    if result.ok:
        write_summary(
            runner.summary,
            "### docbot check\n\n"
            + ("The page" if result.pages == 1 else f"All {result.pages} pages")
            + f" in {_code(result.out_dir)} {agree(result.pages)} current.\n",
        )
        return 0
    rows = [f"| {f.kind} | {_code(f.source)} | {_code(f.page)} |" for f in result.findings]
    summary = "### docbot check\n\n| finding | source | page |\n|---|---|---|\n" + "\n".join(rows) + "\n"
    write_summary(runner.summary, summary)
    return 1 if settings.publish.fail_on_error else 0


def run_docstrings(
    log: ActionLog, runner: Runner, settings: Settings, git: Git, api: Callable[[], GitHubApi]
) -> int:
    """``mode: docstrings`` on a pull request: one review of suggested docstrings on its changed lines."""
    request = events.from_event(
        runner.event_name, runner.payload(), sha=runner.sha or None, trigger=settings.publish.trigger_phrase
    )
    admitted = gate.admit(request, settings.publish, git, api)
    if isinstance(admitted, events.Skip):
        return _nothing(log, runner, admitted.reason)
    spec = events.plan_run(admitted, replace(settings.publish, mode="none"))
    if isinstance(spec, events.Skip):
        return _nothing(log, runner, spec.reason)
    if admitted.pr_number is None:
        raise ConfigError(
            f"mode docstrings posts review suggestions on pull requests, and a {request.event} event has "
            "none; run it on pull_request events (or run `docbot docstrings --write` and commit the result)"
        )
    if admitted.head_repo_fork:
        log.warning("this pull request comes from a fork: its read-only token cannot post a review")
        return _nothing(log, runner, "a pull request from a fork")
    settings = style.resolved(settings, style.revision_reader(git, spec.base or spec.head))
    with closing(open_cache(settings.cache)) as cache:
        result = write_back(spec, settings, git=git, cache=cache, provider=open_provider(settings.llm))
    made, left = review.suggestions(result)
    for path, why in [*left, *result.failed]:
        log.notice(f"{path}: {why}")
    if settings.publish.dry_run:
        posted, url = made, None
    else:
        posted, url = review.post(api(), admitted.pr_number, git.resolve(spec.head), made)
    _outputs(runner, "review" if url else "none", pr_number=admitted.pr_number, pr_url=url or "")
    lines = [f"- {_code(s.path)}: {_code(s.symbol)}" for s in posted]
    verb = "would suggest" if settings.publish.dry_run else "suggested"
    write_summary(
        runner.summary,
        f"### docbot docstrings\n\n{len(posted)} docstrings {verb} on #{admitted.pr_number}"
        + (f" ([review]({url}))" if url else "")
        + ".\n\n"
        + "\n".join(lines)
        + "\n",
    )
    return 1 if result.failed and settings.publish.fail_on_error else 0
