"""The Action's two modes that publish no pages: ``check`` (is the docs folder current?) and ``docstrings``
(doc comments written back: one review of suggestions on a pull request; on a push or a dispatch, a pull
request of the source changes on ``docbot/docstrings/<branch>``)."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import closing
from dataclasses import replace
from pathlib import Path

from docbot import events, style
from docbot.action import gate
from docbot.action.inputs import Runner
from docbot.action.outputs import OUTPUT_NAMES
from docbot.action.runner import ActionLog, write_outputs, write_summary
from docbot.cache import open_cache
from docbot.check import check
from docbot.config import Settings
from docbot.docstrings import DocstringsResult, FileEdits, comment_only, write_back
from docbot.errors import ConfigError
from docbot.git import Git
from docbot.llm.providers import open_provider
from docbot.plural import agree
from docbot.publish import review
from docbot.publish.github import GitHubPublisher, SourceEdit, Target, docstrings_branch
from docbot.publish.github_api import GitHubApi
from docbot.publish.paths import unsafe_target
from docbot.render.safe import neutralise
from docbot.report import PublishRecord

DOCSTRINGS_PR_TITLE = "docs: add docstrings to the public symbols that have none"


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
        return _docstrings_pull_request(log, runner, settings, git, api, spec)
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


def committable(f: FileEdits, workspace: Path) -> str | None:
    """Why the edits of ``f`` must not be committed (``None`` when they may): a path that leaves the
    working tree or goes through a symlink there, or a change that is more than comments."""
    why = unsafe_target(workspace, f.path)
    if why is not None:
        return why
    return None if comment_only(f) else "the edit would change more than comments; left as it is"


def _pull_request_body(files: list[FileEdits], written: tuple[str, ...], trigger: str) -> str:
    lines = [
        "docbot wrote docstrings for the public symbols that had none. Only comments and docstrings "
        "change: each file was parsed again and its syntax tree without them is the same.",
        "",
    ]
    ours = {f.path: f for f in files}
    for path in written:
        f = ours.get(path)
        symbols = ", ".join(_code(e.symbol) for e in f.edits) if f else "docstrings of an earlier run"
        lines.append(f"- {_code(path)}: {symbols}")
    return neutralise("\n".join(lines) + "\n", trigger_phrase=trigger)


def _docstrings_pull_request(
    log: ActionLog,
    runner: Runner,
    settings: Settings,
    git: Git,
    api: Callable[[], GitHubApi],
    spec: events.RunSpec,
) -> int:
    """``mode: docstrings`` on a push or a dispatch: the docstrings as a pull request of source changes."""
    if spec.target_branch is None:
        raise ConfigError(
            f"mode docstrings opens a pull request into a branch, and this {spec.event} event names none "
            "(a tag or a detached commit); run it on a branch"
        )
    settings = style.resolved(settings, style.revision_reader(git, spec.head))
    with closing(open_cache(settings.cache)) as cache:
        result = write_back(spec, settings, git=git, cache=cache, provider=open_provider(settings.llm))
    files: list[FileEdits] = []
    left = list(result.skipped) + list(result.failed)
    for f in result.files:
        why = f.refused or (committable(f, settings.repo) if f.new != f.old else None)
        if why is not None:
            left.append((f.path, why))
        elif f.new != f.old:
            files.append(f)
    for path, why in left:
        log.notice(f"{path}: {why}")
    branch = docstrings_branch(spec.target_branch)
    if settings.publish.dry_run:
        record = PublishRecord(branch=branch, written=tuple(f.path for f in files))
    else:
        target = Target("pull_request", branch=spec.target_branch, server_url=runner.server_url)
        publisher = GitHubPublisher(api(), target, local_blob=git.try_read_blob)
        edits = [SourceEdit(f.path, f.old.encode("utf-8"), f.new.encode("utf-8")) for f in files]
        trigger = settings.publish.trigger_phrase
        record = publisher.publish_sources(
            edits, title=DOCSTRINGS_PR_TITLE, body=lambda written: _pull_request_body(files, written, trigger)
        )
    for path, why in record.refused:
        log.warning(f"{path}: not committed: {why}")
    for warning in record.warnings:
        log.warning(warning)
    _outputs(
        runner,
        record.operation,
        pr_number=record.pr_number or "",
        pr_url=record.pr_url or "",
    )
    summary = _summary(result, files, record, dry_run=settings.publish.dry_run)
    write_summary(runner.summary, neutralise(summary, trigger_phrase=settings.publish.trigger_phrase))
    return 1 if result.failed and settings.publish.fail_on_error else 0


def _summary(
    result: DocstringsResult, files: list[FileEdits], record: PublishRecord, *, dry_run: bool
) -> str:
    symbols = sum(len(f.edits) for f in files if f.path in record.written)
    if dry_run:
        head = f"{symbols} docstrings in {len(record.written)} files would be committed (dry run)."
    elif record.pr_url:
        verb = {"created": "opened", "updated": "updated", "none": "unchanged"}.get(record.operation, "")
        head = (
            f"{symbols} docstrings in {len(record.written)} files on {_code(record.branch or '')}: "
            f"[pull request #{record.pr_number}]({record.pr_url}) {verb}."
        )
    else:
        head = f"{symbols} docstrings committed to {_code(record.branch or '')}." if record.commit_sha else ""
    lines = ["### docbot docstrings", "", head, *record.notes, ""]
    lines += [f"- {_code(f.path)}: {len(f.edits)} docstrings" for f in files if f.path in record.written]
    lines += [f"- {_code(path)}: not committed ({why})" for path, why in record.refused]
    lines += [f"- {_code(path)}: failed ({why})" for path, why in result.failed]
    return "\n".join(lines) + "\n"
