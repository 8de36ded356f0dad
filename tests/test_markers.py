"""The marker grammar: docbot recognises its own pages by the whole first line, never by a prefix."""

from __future__ import annotations

import pytest

from docbot.markers import (
    GENERATED,
    front_matter,
    front_matter_value,
    is_generated,
    marker_line,
    page_body,
    source_of,
    with_front_matter_keys,
)


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


@pytest.mark.parametrize(
    "source", ["a.py", 'we"ird &<name>.py', "dir/with space/x.ts", "ünï/cødé.rs", "a\\b\n.py"]
)
def test_front_matter_round_trips_any_source_path_and_extra_keys(source: str) -> None:
    page = front_matter(source, "ab" * 32, {"title": 'x: "y"', "sidebar_label": "{z}"}) + "\n# body\n"
    assert source_of(page) == source and is_generated(page)
    assert source_of(page.replace("\n", "\r\n")) == source
    assert front_matter_value(page, "title") == 'x: "y"'
    assert front_matter_value(page, "sidebar_label") == "{z}"
    assert page_body(page) == "\n# body\n"


def test_pages_of_docbot_0_1_are_still_docbots() -> None:
    page = marker_line("a.py") + "\n\n# body\n"
    assert source_of(page) == "a.py"
    assert page_body(page) == "\n# body\n"


@pytest.mark.parametrize(
    "page",
    [
        '---\ndocbot:\n  source: "a.py"\n---\n',  # someone else's docbot: keys
        front_matter("a.py").replace("\n---\n", "\n"),  # never closed
        "\n" + front_matter("a.py"),
        "---\ntitle: x\n---\n" + front_matter("a.py"),
    ],
)
def test_front_matter_that_is_not_docbots_exactly_is_not_docbots(page: str) -> None:
    assert source_of(page) is None
    assert page_body(page) == page


def test_extra_keys_must_be_plain_and_not_docbot() -> None:
    with pytest.raises(ValueError, match="front matter key 'docbot'"):
        front_matter("a.py", extra={"docbot": "x"})
    with pytest.raises(ValueError, match="plain identifier"):
        front_matter("a.py", extra={"a: b": "x"})


def test_keys_added_to_a_page_are_written_as_front_matter_writes_its_extra_keys() -> None:
    body = "\n# body\n"
    page = front_matter("a.py", "ab" * 32, {"description": "d"}) + body
    added = with_front_matter_keys(page, {"title": 'x: "y"', "description": "not this one"})
    assert added == front_matter("a.py", "ab" * 32, {"description": "d", "title": 'x: "y"'}) + body
    assert with_front_matter_keys(added, {"title": "z"}) == added
    for not_docbots in ("---\ntitle: x\n---\n# mine\n", marker_line("a.py") + body, "# plain\n"):
        assert with_front_matter_keys(not_docbots, {"title": "t"}) == not_docbots
    with pytest.raises(ValueError, match="front matter key 'docbot'"):
        with_front_matter_keys(page, {"docbot": "x"})
