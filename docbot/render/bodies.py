"""The bodies docbot publishes: the docs pull request's description, the sticky comment, the job summary.

All share one cost and cache summary (``summary_markdown``) and the section-wise cutting that keeps a
body inside GitHub's limits: ``fit_sections`` for lines, ``pack_pages`` for pages, which leaves out only
the pages that do not fit, names each of them, and says where they are in full. Every piece of text is
passed through ``safe.neutralise`` before it is measured, so what is measured is what is sent.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from docbot.markers import PULL_REQUEST, STICKY_COMMENT, source_of
from docbot.plural import count
from docbot.render.safe import DEFAULT_TRIGGER, neutralise
from docbot.report import FileOutcome, PublishRecord, RunReport

# The API rejects longer bodies with 422 "Body is too long (maximum is 65536 characters)"; comments are
# also limited to 262,144 UTF-8 bytes. Both limits hold for every body docbot sends.
BODY_MAX_CHARS = 65_536
BODY_MAX_BYTES = 262_144
# A list of left-out pages names at most this many; the rest are counted.
MAX_LISTED = 100
# What the pages a comment sends to the job summary may take of its 1 MiB: the summary's own table and
# notes, and earlier writers in the same step, get the rest.
SUMMARY_PAGES_BYTES = 896 * 1024


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
            f"{count(report.cache_hits, 'hit')} / {count(report.cache_misses, 'miss')} "
            f"({report.hit_rate:.0%} hit rate)"
            + ("" if report.cache_available or report.cache_backend == "none" else ", unavailable"),
        ),
        (
            "Model API requests",
            f"{api['requests']} ({count(api['retries'], 'retry')}, {api['rate_limited']} rate-limited)",
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
        *((label, _escape_cell(value)) for label, value in report.extra_rows()),
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
    body, _ = fit_sections(
        neutralise(head), [neutralise(line) for line in lines], more_note=note, separator="\n"
    )
    return body


def page_content(text: str) -> str:
    """A page without the marker or front matter docbot opens it with (shown inside a body)."""
    first, _, rest = text.partition("\n")
    if source_of(first) is not None:
        text = rest.lstrip("\n")
    if text.startswith("---\n") and (end := text.find("\n---\n", 3)) != -1:
        text = text[end + 5 :].lstrip("\n")
    return text


def page_section(path: str, text: str, trigger_phrase: str = DEFAULT_TRIGGER) -> str:
    """One page collapsed in ``<details>``, its path as the summary."""
    content = neutralise(page_content(text), trigger_phrase=trigger_phrase).rstrip()
    return f"<details><summary><code>{html.escape(path)}</code></summary>\n\n{content}\n\n</details>"


def _size(text: str) -> tuple[int, int]:
    return len(text), len(text.encode("utf-8"))


def pack_pages(
    head: str,
    pages: Sequence[tuple[str, str]],
    listing: Callable[[Sequence[str]], str],
    *,
    max_chars: int = BODY_MAX_CHARS,
    max_bytes: int = BODY_MAX_BYTES,
    trigger_phrase: str = DEFAULT_TRIGGER,
) -> tuple[str, tuple[str, ...]]:
    """``head``, then every page (collapsed) that fits, in order, then ``listing`` of the pages left out.

    A page that does not fit is skipped, not the end: the pages after it still get their chance, so one
    huge page costs only itself. Space for the listing of every page not yet shown is kept free at each
    step, so the listing always fits too.

    Returns:
        ``(body, left_out)``: the body, within both limits, and the paths of the pages not in it.
    """
    head = head.rstrip("\n")
    sections = [page_section(path, text, trigger_phrase) for path, text in pages]
    names = [path for path, _ in pages]
    chosen: list[int] = []
    chars, size = _size(head)
    for index, section in enumerate(sections):
        taken = {*chosen, index}
        tail = listing([n for i, n in enumerate(names) if i not in taken])
        sec_chars, sec_bytes = _size(section)
        tail_chars, tail_bytes = _size(tail)
        gap = 2 if tail else 0
        total_chars = chars + 2 + sec_chars + gap + tail_chars + 1
        total_bytes = size + 2 + sec_bytes + gap + tail_bytes + 1
        if total_chars <= max_chars and total_bytes <= max_bytes:
            chosen.append(index)
            chars, size = chars + 2 + sec_chars, size + 2 + sec_bytes
    left_out = tuple(n for i, n in enumerate(names) if i not in set(chosen))
    parts = [head, *(sections[i] for i in chosen), listing(left_out)]
    body = "\n\n".join(p for p in parts if p) + "\n"
    if not fits(body, max_chars, max_bytes):
        # Only a head that alone is too long gets here: cut it, and name every page as left out.
        body, _ = fit_sections(head, [listing(names)], more_note="", max_chars=max_chars, max_bytes=max_bytes)
        return body, tuple(names)
    return body, left_out


def _listed(paths: Sequence[str]) -> str:
    items = [f"> - <code>{html.escape(p)}</code>" for p in paths[:MAX_LISTED]]
    if len(paths) > MAX_LISTED:
        items.append(f"> - … and {len(paths) - MAX_LISTED} more")
    return "\n".join(items)


def section_sizes(pages: Sequence[tuple[str, str]], trigger_phrase: str = DEFAULT_TRIGGER) -> dict[str, int]:
    """Path -> UTF-8 size of the page's collapsed section (``page_section``), with its separator."""
    return {path: len(page_section(path, text, trigger_phrase).encode("utf-8")) + 2 for path, text in pages}


def summary_share(
    paths: Sequence[str], sizes: Mapping[str, int], budget: int = SUMMARY_PAGES_BYTES
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Which of ``paths``, in order, the job summary carries within ``budget`` bytes, and which not.

    The sticky comment names the first as being in the job summary; the job summary shows them first,
    so the promise holds.
    """
    carried: list[str] = []
    used = 0
    for path in paths:
        if used + sizes[path] <= budget:
            carried.append(path)
            used += sizes[path]
    return tuple(carried), tuple(p for p in paths if p not in set(carried))


def comment_body(
    report: RunReport,
    pages: Sequence[tuple[str, str]],
    deletions: Sequence[str],
    *,
    run_url: str | None = None,
    trigger_phrase: str = DEFAULT_TRIGGER,
) -> tuple[str, tuple[str, ...]]:
    """The sticky comment: marker, summary, then each page in a collapsible section, within the limits.

    The pages that do not fit are named, with a link to the run, whose job summary carries them.

    Returns:
        ``(body, left_out)``: the body and the paths of the pages not in it.
    """
    extra = []
    if deletions:
        gone = ", ".join(f"`{p}`" for p in deletions[:50])
        more = f" and {len(deletions) - 50} more" if len(deletions) > 50 else ""
        extra.append(f"Pages to delete (their source files are gone): {gone}{more}.")
    head = f"{STICKY_COMMENT}\n" + summary_markdown(
        report, heading="### docbot: API documentation for this pull request", extra=extra
    )
    where = f"the [job summary of this run]({run_url})" if run_url else "the job summary of this run"
    sizes = section_sizes(pages, trigger_phrase)

    def listing(left_out: Sequence[str]) -> str:
        if not left_out:
            return ""
        carried, too_big = summary_share(left_out, sizes)
        text = f"> **{count(len(left_out), 'page')} not shown here**: "
        text += "GitHub limits a comment to 65,536 characters."
        if carried:
            text += f" They are in full in {where}:\n>\n" + _listed(carried)
        if too_big:
            text += (
                ("\n>\n> " if carried else " ")
                + "Too large for the job summary as well (1 MiB); with `mode: none` every page is written "
                "into the workspace, for an artifact:\n>\n" + _listed(too_big)
            )
        return text

    head = neutralise(head, trigger_phrase=trigger_phrase)
    return pack_pages(head, pages, listing, trigger_phrase=trigger_phrase)


def refused_pull_request_comment(report: RunReport, warning: str) -> str:
    """The sticky comment that says GitHub refused the docs pull request, and where the docs are."""
    return neutralise(f"{STICKY_COMMENT}\n### docbot\n\n{warning}\n\n" + summary_markdown(report, heading=""))


def job_summary(
    report: RunReport | None,
    record: PublishRecord,
    github_retries: int = 0,
    previews: Sequence[tuple[str, str]] = (),
    *,
    max_bytes: int = 1024 * 1024,
) -> str:
    """The job summary: what was published (with links), notes, the run's table, and page previews.

    Args:
        previews: pages to show collapsed (the pages the sticky comment could not hold, or the pages
            written into the workspace); as many as fit in ``max_bytes``, the others named.
    """
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
        retried = f"{count(github_retries, 'request')} retried"
        lines.append(f"GitHub API: {retried} (5xx, rate limits or network).")
    if report is None:
        return neutralise("### docbot\n\n" + "\n\n".join(lines or ["Nothing was documented."]) + "\n")
    head = neutralise(summary_markdown(report, extra=lines))
    if not previews:
        return head
    title = "Pages not shown in the comment" if record.not_shown else "Pages"
    where = (
        f"They are in `{record.workspace_dir}` in the workspace."
        if record.workspace_dir
        else "Run with `mode: none` to have every page written into the workspace."
    )

    def listing(left_out: Sequence[str]) -> str:
        if not left_out:
            return ""
        return (
            f"> **{count(len(left_out), 'page')} not previewed**: GitHub limits a job summary to 1 MiB. "
            f"{where}\n>\n" + _listed(left_out)
        )

    body, _ = pack_pages(
        head + f"\n### {title}\n", previews, listing, max_chars=max_bytes, max_bytes=max_bytes
    )
    return body
