"""The runner protocols (workflow commands, $GITHUB_OUTPUT, $GITHUB_STEP_SUMMARY), the shared summary and the
section-wise cutting of bodies."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from docbot.docs import Usage
from docbot.publish.actions import (
    SUMMARY_BUDGET_BYTES,
    ActionLog,
    escape_data,
    escape_property,
    truncate_utf8,
    write_outputs,
    write_summary,
)
from docbot.render.bodies import fit_sections, fits, summary_markdown
from docbot.report import FileOutcome, RunReport
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
    r = RunReport(provider="anthropic", model="claude-x", cache_backend="sqlite", cache_available=True)
    r.documented = ["src/a.py"]
    r.skipped = [FileOutcome("logo.png", "binary")]
    r.failed = [FileOutcome("big|file.ts", "circuit open")]
    r.cache_hits, r.cache_misses = 3, 1
    r.usage = Usage(
        input_tokens=1200, output_tokens=300, requests=2, retries=1, rate_limited=1, cost_usd=0.0123
    )
    r.saved_usd = 0.05
    r.duration_s = 4.0
    return r


def test_summary_states_files_cache_api_tokens_cost_and_time() -> None:
    text = summary_markdown(report(), extra=["A note."])

    assert text.startswith("### docbot\n\nA note.\n\n| | |")
    assert "| Files documented / skipped / failed | 1 / 1 / 1 |" in text
    assert "| Cache (sqlite, per chunk) | 3 hits / 1 misses (75% hit rate) |" in text
    assert "| Model API requests | 2 (1 retries, 1 rate-limited) |" in text
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
    r = RunReport()
    r.skipped = [FileOutcome(f"f{i}.bin", "binary") for i in range(250)]
    text = summary_markdown(r)
    assert "<summary>Skipped files (250)</summary>" in text
    assert "- `f99.bin`: binary" in text
    assert "f100.bin" not in text
    assert "- … and 150 more (see the report)" in text
