"""What a finished Action run leaves behind: step outputs, the report file, the job summary, annotations,
and the exit code (0 on success or an announced no-op; 1 on failure when ``fail_on_error``)."""

from __future__ import annotations

import traceback
from pathlib import Path
from typing import TYPE_CHECKING

from docbot.action.inputs import Runner
from docbot.action.runner import ActionLog, summary_room, write_outputs, write_summary
from docbot.config import Settings
from docbot.errors import ConfigError
from docbot.events import Skip
from docbot.plural import count
from docbot.publish.paths import report_path_problem
from docbot.render.bodies import job_summary, section_sizes, summary_share
from docbot.render.safe import neutralise
from docbot.report import PublishRecord, RunReport

if TYPE_CHECKING:  # the plan's module loads the page renderer (tree-sitter): only when a run has pages
    from docbot.publish.plan import DocsPlan

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
    "docs_dir",
    "pages",
)


def outputs_of(
    report: RunReport | None, record: PublishRecord, report_path: Path | None
) -> dict[str, object]:
    """The step outputs (action.yml ``outputs``); counts are zero when the run stopped early."""
    return {
        "operation": record.operation,
        "pr_number": record.pr_number,
        "pr_url": record.pr_url,
        "comment_id": record.comment_id,
        "files_documented": len(report.documented) if report else 0,
        "files_skipped": len(report.skipped) if report else 0,
        "files_failed": len(report.failed) if report else 0,
        "cache_hits": report.cache_hits if report else 0,
        "cache_misses": report.cache_misses if report else 0,
        "cache_hit_rate": report.hit_rate if report else 0.0,
        "cost_usd": report.to_json()["cost_usd"] if report else 0.0,
        "report_path": str(report_path) if report_path else "",
        "docs_dir": record.workspace_dir or "",
        "pages": "\n".join(record.written),
    }


def log_outcomes(log: ActionLog, report: RunReport) -> None:
    """Inside the documenting group: what each file came to, so the group shows what happened in it."""
    for path in sorted(report.documented):
        log.info(f"documented {path}")
    for outcome in report.skipped:
        log.info(f"skipped {outcome.path}: {outcome.reason}")
    for outcome in report.failed:
        log.info(f"failed {outcome.path}: {outcome.reason}")
    log.info(
        f"docbot: {len(report.documented)} documented, {len(report.skipped)} skipped, "
        f"{len(report.failed)} failed; {count(report.cache_hits, 'cache hit')}, "
        f"{count(report.cache_misses, 'miss')}"
    )


def log_published(log: ActionLog, record: PublishRecord) -> None:
    """Inside the publishing group: every page written, deleted or refused, and where it went."""
    for path in record.written:
        log.info(f"wrote {path}")
    for path in record.deleted:
        log.info(f"deleted {path}")
    for path, why in record.refused:
        log.info(f"refused {path}: {why}")
    where = record.pr_url or record.comment_url or record.branch or "nowhere (nothing to publish)"
    log.info(f"docbot: {record.operation} -> {where}")


def report_path(settings: Settings, runner: Runner) -> Path:
    """Where the report goes, as the path later steps should use.

    A relative ``report_path`` is taken from the workspace, the one folder a Docker action shares with
    the steps after it under the same relative path. Without one: ``RUNNER_TEMP`` when it exists here
    (older runners do not mount it into Docker actions), else the workspace.
    """
    if settings.report_path is not None:
        return settings.report_path
    if runner.temp.is_dir() and runner.temp != runner.workspace:
        return runner.temp / "docbot-report.json"
    return Path("docbot-report.json")


def check_report_path(settings: Settings, runner: Runner) -> None:
    """Refuse a report path that cannot be written before the run pays for anything."""
    path = report_path(settings, runner)
    target = path if path.is_absolute() else runner.workspace / path
    if problem := report_path_problem(target):
        raise ConfigError(f"report_path: {problem}")


def skipped(log: ActionLog, runner: Runner, skip: Skip, github_retries: int = 0) -> int:
    """An announced no-op: a notice (or a warning), outputs with zero counts, a short summary; exit 0."""
    if skip.warning:
        log.warning(skip.reason)
    else:
        log.notice(skip.notice or f"nothing to document: {skip.reason}")
    record = skip.record or PublishRecord(notes=(f"Nothing to do: {skip.reason}.",))
    write_outputs(runner.output, outputs_of(None, record, None))
    write_summary(runner.summary, job_summary(None, record, github_retries))
    if skip.warning:
        log.info(f"docbot: operation={record.operation}")
    return 0


def finished(
    log: ActionLog,
    runner: Runner,
    settings: Settings,
    report: RunReport,
    record: PublishRecord,
    github_retries: int = 0,
    plan: DocsPlan | None = None,
) -> int:
    """A run that documented: report file, outputs, summary, one annotation per failed file.

    The job summary previews the pages the sticky comment could not hold, or, when the pages were written
    into the workspace, the pages written; ``plan`` has their text.
    """
    path = report_path(settings, runner)
    target = path if path.is_absolute() else runner.workspace / path
    written: Path | None = path
    try:
        report.write(target, record, github_retries=github_retries)
    except OSError as exc:  # the docs are published: say so, and why the report is not there
        log.warning(f"report_path {path}: cannot write the report ({exc.strerror or exc})")
        written = None
    for failed in report.failed:
        log.warning(f"{failed.path}: {failed.reason}", file=failed.path)
    if report.cache_error:
        log.warning(f"cache unavailable, ran uncached: {report.cache_error}")
    for warning in record.warnings:
        log.warning(warning)
    write_outputs(runner.output, outputs_of(report, record, written))
    shown = previews(plan, record, settings.publish.trigger_phrase)
    summary = job_summary(report, record, github_retries, shown, max_bytes=summary_room(runner.summary))
    write_summary(runner.summary, summary)
    log.info(
        f"docbot: operation={record.operation}"
        + (f" pr={record.pr_url}" if record.pr_url else "")
        + (f" comment={record.comment_url}" if record.comment_url else "")
    )
    if report.failed and settings.publish.fail_on_error:
        log.error(f"{count(len(report.failed), 'file')} failed; see the job summary")
        return 1
    return 0


def previews(plan: DocsPlan | None, record: PublishRecord, trigger_phrase: str) -> list[tuple[str, str]]:
    """The pages the job summary shows: those left out of the comment, or those written to the workspace.

    The comment's left-out pages come in the order ``summary_share`` promised them in the comment (the
    ones it said the job summary carries first), from the same neutralised text, so the sizes agree.
    """
    if plan is None:
        return []
    if record.not_shown:
        from docbot.publish.plan import neutralised

        pages = dict(neutralised(plan, trigger_phrase).pages)
        left_out = [(path, pages[path]) for path in record.not_shown if path in pages]
        carried, too_big = summary_share([p for p, _ in left_out], section_sizes(left_out, trigger_phrase))
        return [(path, pages[path]) for path in carried + too_big]
    if record.workspace_dir:
        return [(path, text) for path, text in plan.pages if path in set(record.written)]
    return []


def failed(log: ActionLog, runner: Runner, message: str, fail_on_error: bool) -> int:
    """A run that stopped with an error: an annotation, empty outputs and a summary that says why."""
    log.error(message)
    write_outputs(runner.output, {name: "" for name in OUTPUT_NAMES} | {"operation": "none"})
    # The message may quote a bad input or a path: it is published text like any other.
    write_summary(runner.summary, neutralise(f"### docbot failed\n\n{message}\n"))
    return 1 if fail_on_error else 0


def crashed(log: ActionLog, runner: Runner, exc: Exception) -> int:
    """A bug, not bad input: still an annotation, outputs and a summary, with the traceback in a group."""
    with log.group("docbot: internal error"):
        log.info(traceback.format_exc())
    return failed(log, runner, f"internal error ({type(exc).__name__}: {exc}); please report it", True)
