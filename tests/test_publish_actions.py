"""The runner protocols (workflow commands, $GITHUB_OUTPUT, $GITHUB_STEP_SUMMARY), the shared summary and the
section-wise cutting of bodies."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from docbot.action.outputs import previews
from docbot.action.runner import (
    SUMMARY_BUDGET_BYTES,
    ActionLog,
    escape_data,
    escape_property,
    summary_room,
    truncate_utf8,
    write_outputs,
    write_summary,
)
from docbot.docs import Usage
from docbot.markers import marker_line
from docbot.publish.plan import DocsPlan
from docbot.render.bodies import comment_body, fit_sections, fits, job_summary, pack_pages, summary_markdown
from docbot.report import FileOutcome, PublishRecord, RunReport
from tests.test_action_entrypoint import parse_outputs


def test_workflow_command_text_cannot_inject_a_second_command() -> None:
    out = io.StringIO()
    ActionLog(out).error("bad 50%\n::add-mask::oops", file="a,b:c.py")
    assert out.getvalue() == "::error title=docbot,file=a%2Cb%3Ac.py::bad 50%25%0A::add-mask::oops\n"
    assert escape_data("a\r\nb") == "a%0D%0Ab"
    assert escape_property("x:y,z") == "x%3Ay%2Cz"


def test_mask_covers_every_line_of_a_multiline_secret() -> None:
    out = io.StringIO()
    ActionLog(out).mask("line-one\nline-two\n")
    assert out.getvalue() == "::add-mask::line-one\n::add-mask::line-two\n"


def test_group_is_closed_even_when_the_body_raises() -> None:
    out = io.StringIO()
    log = ActionLog(out)
    with pytest.raises(RuntimeError), log.group("work"):
        raise RuntimeError("boom")
    assert out.getvalue() == "::group::work\n::endgroup::\n"


def test_outputs_round_trip_through_the_runner_format(tmp_path: Path) -> None:
    path = tmp_path / "output"
    write_outputs(
        str(path),
        {"operation": "created", "pr_number": 7, "empty": None, "flag": True, "multi": "a\nb=c\n<<x"},
    )
    text = path.read_text()
    assert "operation=created\npr_number=7\nempty=\nflag=true\nmulti<<ghadelimiter_" in text
    assert parse_outputs(text) == {
        "operation": "created",
        "pr_number": "7",
        "empty": "",
        "flag": "true",
        "multi": "a\nb=c\n<<x",
    }
    write_outputs(None, {"ignored": 1})  # no variable: a local run, nothing to do


def test_summary_is_cut_under_the_1_mib_limit(tmp_path: Path) -> None:
    path = tmp_path / "summary.md"
    path.write_text("earlier step output\n")
    written = write_summary(str(path), "é" * 600_000)  # 1.2 MB of UTF-8

    size = path.stat().st_size
    assert size <= SUMMARY_BUDGET_BYTES
    assert written == size - len("earlier step output\n")
    assert path.read_text(encoding="utf-8").endswith("1 MiB job-summary limit.\n")


def test_truncate_never_splits_a_character() -> None:
    assert truncate_utf8("aé", 2) == "a"
    assert truncate_utf8("aé", 3) == "aé"


def report() -> RunReport:
    return RunReport(
        provider="anthropic",
        model="claude-x",
        cache_backend="sqlite",
        cache_available=True,
        documented=["src/a.py"],
        skipped=[FileOutcome("logo.png", "binary")],
        failed=[FileOutcome("big|file.ts", "circuit open")],
        cache_hits=3,
        cache_misses=1,
        usage=Usage(
            input_tokens=1200, output_tokens=300, requests=2, retries=1, rate_limited=1, cost_usd=0.0123
        ),
        saved_usd=0.05,
        duration_s=4.0,
    )


def test_summary_states_files_cache_api_tokens_cost_and_time() -> None:
    text = summary_markdown(report(), extra=["A note."])

    assert text.startswith("### docbot\n\nA note.\n\n| | |")
    assert "| Files documented / skipped / failed | 1 / 1 / 1 |" in text
    assert "| Cache (sqlite, per chunk) | 3 hits / 1 miss (75% hit rate) |" in text
    assert "| Model API requests | 2 (1 retry, 1 rate-limited) |" in text
    assert "| Tokens in / out / cache read / cache write | 1,200 / 300 / 0 / 0 |" in text
    assert "| Cost | $0.0123 (saved $0.0500 by the cache) |" in text
    assert "| Time | 4.0 s |" in text
    assert "- `big\\|file.ts`: circuit open" in text
    assert "<summary>Skipped files (1)</summary>" in text


def test_fit_sections_cuts_between_sections_and_counts_what_is_left_out() -> None:
    sections = [f"section {i} " + "x" * 100 for i in range(10)]
    body, omitted = fit_sections("head", sections, more_note="{count} more", max_chars=500, max_bytes=10_000)

    assert fits(body, 500, 10_000)
    # head (5) + 4 sections of 113 + the note (8) = 465 <= 500; a fifth section would not fit.
    assert omitted == 6
    assert body.endswith("\n6 more\n")
    assert "section 3" in body
    assert "section 4" not in body


def test_fit_sections_keeps_everything_that_fits() -> None:
    body, omitted = fit_sections("head", ["a", "b"], more_note="{count} more")
    assert (body, omitted) == ("head\n\na\n\nb\n", 0)


def test_fit_sections_counts_bytes_as_well_as_characters() -> None:
    sections = ["ü" * 100 for _ in range(5)]
    body, omitted = fit_sections("h", sections, more_note="{count} more", max_chars=10_000, max_bytes=450)
    assert len(body.encode()) <= 450
    assert omitted == 3


def test_long_outcome_lists_are_capped_with_a_pointer_to_the_report() -> None:
    r = RunReport(skipped=[FileOutcome(f"f{i}.bin", "binary") for i in range(250)])
    text = summary_markdown(r)
    assert "<summary>Skipped files (250)</summary>" in text
    assert "- `f99.bin`: binary" in text
    assert "f100.bin" not in text
    assert "- … and 150 more (see the report)" in text


def test_pack_pages_skips_a_page_that_does_not_fit_and_keeps_the_ones_after_it() -> None:
    pages = [("a.md", "small a"), ("big.md", "x" * 5_000), ("c.md", "small c")]

    body, left_out = pack_pages(
        "head", pages, lambda names: "left out: " + ", ".join(names) if names else "", max_chars=1_000
    )

    assert left_out == ("big.md",)
    assert "small a" in body and "small c" in body and body.endswith("left out: big.md\n")
    assert len(body) <= 1_000


def test_pages_beyond_the_job_summary_too_are_named_with_where_to_get_them() -> None:
    # 15 pages of 70,000 characters: none fits in a comment, and together they exceed a job summary.
    pages = tuple(
        (f"docs/api/m{i:02d}.py.md", f"{marker_line(f'm{i:02d}.py')}\n\n" + "y" * 70_000) for i in range(15)
    )
    plan = DocsPlan("docs/api", pages)

    body, left_out = comment_body(RunReport(), pages, (), run_url="https://github.test/o/r/actions/runs/1")
    record = PublishRecord("commented", not_shown=left_out)
    summary = job_summary(
        RunReport(), record, 0, previews(plan, record, "/docbot"), max_bytes=summary_room(None)
    )

    assert fits(body) and len(summary.encode()) <= SUMMARY_BUDGET_BYTES
    assert left_out == tuple(p for p, _ in pages)
    promised, rest = body.split("Too large for the job summary as well")
    assert (
        "They are in full in the [job summary of this run](https://github.test/o/r/actions/runs/1)"
        in promised
    )
    carried = [p for p, _ in pages if f"<code>{p}</code>" in promised]
    too_big = [p for p, _ in pages if f"<code>{p}</code>" in rest]
    assert len(carried) == 13 and len(too_big) == 2 and set(carried) | set(too_big) == set(left_out)
    for path in carried:
        assert f"<details><summary><code>{path}</code></summary>" in summary
    # The others get what room is left, and whatever does not fit is named.
    for path in too_big:
        assert (
            f"<details><summary><code>{path}</code></summary>" in summary
            or f"> - <code>{path}</code>" in summary
        )
    assert f"> - <code>{too_big[-1]}</code>" in summary
    assert "with `mode: none` every page is written into the workspace" in rest
