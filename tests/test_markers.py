"""The marker grammar: docbot recognises its own pages by the whole first line, never by a prefix."""

from __future__ import annotations

import pytest

from docbot.markers import GENERATED, is_generated, marker_line, source_of


@pytest.mark.parametrize("source", ["a.py", 'we"ird &<name>.py', "dir/with space/x.ts", "ünï/cødé.rs"])
def test_marker_line_round_trips_any_source_path(source: str) -> None:
    assert source_of(marker_line(source)) == source
    assert source_of(marker_line(source) + "\r\n") == source


@pytest.mark.parametrize(
    "line",
    [
        "<!-- docbot:generated-by-hand -->",
        f"{GENERATED} -->",
        f'{GENERATED} source="a.py" -->',
        marker_line("a.py") + " trailing",
        "x" + marker_line("a.py"),
        "# Hand-written page",
        "",
    ],
)
def test_lines_that_merely_start_like_the_marker_are_not_docbots(line: str) -> None:
    assert source_of(line) is None
    assert not is_generated(line)
