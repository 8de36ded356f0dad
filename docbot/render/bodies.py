"""The bodies docbot publishes: the docs pull request's description, the sticky comment, the job summary.

All share one cost and cache summary (``summary_markdown``) and the section-wise cutting that keeps a
body inside GitHub's limits (``fit_sections``).
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass

from docbot.markers import PULL_REQUEST, STICKY_COMMENT, source_of
from docbot.report import FileOutcome, PublishRecord, RunReport

# The API rejects longer bodies with 422 "Body is too long (maximum is 65536 characters)"; comments are
# also limited to 262,144 UTF-8 bytes. Both limits hold for every body docbot sends.
BODY_MAX_CHARS = 65_536
BODY_MAX_BYTES = 262_144


@dataclass(frozen=True)
class Links:
    """Where the reader can find more: the run's page (with the full job summary) and the docs branch."""

    run_url: str | None = None
    branch_url: str | None = None


def _money(value: float) -> str:
    return f"${value:,.4f}"


def stats_table(report: RunReport) -> str:
    """The summary table: files, cache, API use, tokens, cost and time."""
    data = report.to_json()
    api, cache = data["api"], data["cache"]
    unit = cache.get("unit", "chunk")
    rows = [
        (
            "Files documented / skipped / failed",
            f"{len(report.documented)} / {len(report.skipped)} / {len(report.failed)}",
        ),
        ("Pages written / deleted", f"{len(report.written_pages)} / {len(report.deleted_pages)}"),
        (
            f"Cache ({report.cache_backend}, per {unit})",
            f"{report.cache_hits} hits / {report.cache_misses} misses ({report.hit_rate:.0%} hit rate)"
            + ("" if report.cache_available or report.cache_backend == "none" else ", unavailable"),
        ),
        (
            "Model API requests",
            f"{api['requests']} ({api['retries']} retries, {api['rate_limited']} rate-limited)",
        ),
        (
            "Tokens in / out / cache read / cache write",
            f"{api['input_tokens']:,} / {api['output_tokens']:,} / {api['cache_read_tokens']:,} / "
            f"{api['cache_write_tokens']:,}",
        ),
        ("Cost", f"{_money(data['cost_usd'])} (saved {_money(data['saved_usd'])} by the cache)"),
        ("Time", f"{data['duration_s']:.1f} s"),
        (
            "Provider",
            f"{report.provider} ({report.model})"
            if report.model and report.model != report.provider
            else report.provider,
        ),
        *report.shard_rows(),
    ]
    lines = ["| | |", "|---|---|", *(f"| {label} | {value} |" for label, value in rows)]
    return "\n".join(lines)


def _escape_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def outcome_list(title: str, outcomes: Sequence[FileOutcome], *, max_items: int = 100) -> str:
    """A collapsible list of skipped or failed files with their reasons ("" when empty).

    At most ``max_items`` are listed, so a run that skips thousands of files still leaves room in a
    comment for the docs; the report (``report_path``) has them all.
    """
    if not outcomes:
        return ""
    shown = outcomes[:max_items]
    items = "\n".join(f"- `{_escape_cell(o.path)}`: {_escape_cell(o.reason)}" for o in shown)
    if len(outcomes) > len(shown):
        items += f"\n- … and {len(outcomes) - len(shown)} more (see the report)"
    return f"<details><summary>{title} ({len(outcomes)})</summary>\n\n{items}\n\n</details>"


def summary_markdown(report: RunReport, *, heading: str = "### docbot", extra: Sequence[str] = ()) -> str:
    """Heading, the notes in ``extra``, the table, and the skipped/failed lists."""
    parts = [heading, *extra, stats_table(report)]
    parts.append(outcome_list("Failed files", report.failed))
    parts.append(outcome_list("Skipped files", report.skipped))
    return "\n\n".join(p for p in parts if p) + "\n"


def fits(text: str, max_chars: int = BODY_MAX_CHARS, max_bytes: int = BODY_MAX_BYTES) -> bool:
    return len(text) <= max_chars and len(text.encode("utf-8")) <= max_bytes


def fit_sections(
    head: str,
    sections: Sequence[str],
    *,
    more_note: str,
    max_chars: int = BODY_MAX_CHARS,
    max_bytes: int = BODY_MAX_BYTES,
    separator: str = "\n\n",
) -> tuple[str, int]:
    """Join ``head`` and as many whole ``sections`` as fit, then a note if some were left out.

    The body is cut only between sections, so no Markdown block (a table, a code fence, a
    ``<details>``) is ever left open. ``more_note`` may contain ``{count}``.

    Returns:
        ``(body, omitted)``: the body, which always fits, and how many sections were left out.
    """
    body = head.rstrip("\n")
    omitted = 0
    for index, section in enumerate(sections):
        # The first section follows the head after a blank line; later ones after ``separator``.
        candidate = body + ("\n\n" if index == 0 else separator) + section.rstrip("\n")
        note = "\n\n" + more_note.format(count=len(sections) - index - 1) + "\n"
        rest_fits = index == len(sections) - 1 or fits(candidate + note, max_chars, max_bytes)
        if fits(candidate + "\n", max_chars, max_bytes) and rest_fits:
            body = candidate
            continue
        omitted = len(sections) - index
        body += "\n\n" + more_note.format(count=omitted)
        break
    body += "\n"
    if not fits(body, max_chars, max_bytes):
        # Only a head that alone is too long gets here: cut it by characters and bytes.
        body = body[: max_chars - 200]
        while not fits(body + "\n\n(cut)\n", max_chars, max_bytes):
            body = body[: int(len(body) * 0.9)]
        body += "\n\n(cut)\n"
    return body, omitted


def pull_request_body(
    report: RunReport,
    written: Sequence[str],
    deleted: Sequence[str],
    *,
    head_sha: str = "",
    run_url: str | None = None,
) -> str:
    """The docs pull request's description: summary first, then one line per page, cut to fit."""
    about = f" for `{head_sha[:12]}`" if head_sha else ""
    head = (
        f"{PULL_REQUEST}\n## docbot: API documentation{about}\n\n"
        "Generated from the code changes; merge to publish. Later pushes update this pull request.\n\n"
        + summary_markdown(report, heading="### Run summary")
    )
    lines = [f"- updated `{p}`" for p in written] + [f"- deleted `{p}`" for p in deleted]
    if lines:
        lines[0] = "### Pages\n\n" + lines[0]
    note = "… and {count} more pages" + (f" (see the [run]({run_url}))" if run_url else "")
    body, _ = fit_sections(head, lines, more_note=note, separator="\n")
    return body


def comment_body(
    report: RunReport,
    pages: Sequence[tuple[str, str]],
    deletions: Sequence[str],
    *,
    run_url: str | None = None,
) -> tuple[str, int]:
    """The sticky comment: marker, summary, then each page in a collapsible section, cut to fit.

    Returns:
        ``(body, omitted)``: the body and the number of pages left out.
    """
    extra = []
    if deletions:
        gone = ", ".join(f"`{p}`" for p in deletions[:50])
        more = f" and {len(deletions) - 50} more" if len(deletions) > 50 else ""
        extra.append(f"Pages to delete (their source files are gone): {gone}{more}.")
    head = f"{STICKY_COMMENT}\n" + summary_markdown(
        report, heading="### docbot: API documentation for this pull request", extra=extra
    )
    sections = []
    for page, text in pages:
        first, _, rest = text.partition("\n")
        content = rest.lstrip("\n") if source_of(first) is not None else text
        sections.append(
            f"<details><summary><code>{html.escape(page)}</code></summary>\n\n{content.rstrip()}\n\n</details>"
        )
    where = f"the [job summary and report]({run_url})" if run_url else "the job summary and report"
    note = f"> {{count}} more page(s) not shown: GitHub limits a comment to 65,536 characters. See {where}."
    return fit_sections(head, sections, more_note=note)


def refused_pull_request_comment(report: RunReport, warning: str) -> str:
    """The sticky comment that says GitHub refused the docs pull request, and where the docs are."""
    return f"{STICKY_COMMENT}\n### docbot\n\n{warning}\n\n" + summary_markdown(report, heading="")


def job_summary(report: RunReport | None, record: PublishRecord, github_retries: int = 0) -> str:
    """The job summary: what was published (with links), notes, and the run's table."""
    lines = []
    if record.operation in {"created", "updated"} and record.pr_url:
        lines.append(f"Docs pull request #{record.pr_number} {record.operation}: {record.pr_url}")
    elif record.operation == "commented" and record.comment_url:
        lines.append(
            f"Docs posted in [this comment]({record.comment_url}) on pull request #{record.pr_number}."
        )
    elif record.operation == "committed" and record.branch:
        lines.append(f"Docs committed to `{record.branch}` ({(record.commit_sha or '')[:12]}).")
    lines += list(record.notes)
    if github_retries:
        lines.append(f"GitHub API: {github_retries} request(s) retried (5xx, rate limits or network).")
    if report is None:
        return "### docbot\n\n" + "\n\n".join(lines or ["Nothing was documented."]) + "\n"
    return summary_markdown(report, extra=lines)
