"""Property tests: no input makes a stage raise anything but docbot's own errors, and each stage's
invariants hold (hypothesis generates the inputs; the examples are bounded to keep the suite fast)."""

from __future__ import annotations

import contextlib
import string
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt
from markdown_it.token import Token

from docbot import events
from docbot.changes import parse_diff
from docbot.chunking import split_source
from docbot.errors import DocbotError
from docbot.markers import marker_line, source_of
from docbot.render.markdown import escape_blocks, escape_text

FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

json_values: st.SearchStrategy[Any] = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**40), 2**40) | st.text(max_size=40),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=5),
    max_leaves=25,
)
# Payload keys the parser looks at, so generated payloads reach past the first lookups.
KEYS = ["ref", "before", "after", "deleted", "forced", "created", "pull_request", "issue", "comment",
        "repository", "sender", "head", "base", "sha", "number", "action", "inputs", "body", "user",
        "login", "default_branch", "fork", "id", "head_commit", "state", "author_association"]  # fmt: skip
payloads = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 2**31) | st.text(max_size=20) | st.just("a" * 40),
    lambda inner: st.dictionaries(st.sampled_from(KEYS), inner, max_size=6) | st.lists(inner, max_size=3),
    max_leaves=30,
)
EVENTS = ["push", "pull_request", "pull_request_target", "issue_comment", "workflow_dispatch", "schedule"]


@FAST
@given(st.sampled_from(EVENTS), st.dictionaries(st.sampled_from(KEYS), payloads, max_size=8))
def test_any_payload_gives_a_request_or_a_docbot_error(event: str, payload: dict[str, Any]) -> None:
    try:
        request = events.from_event(event, payload)
    except DocbotError:
        return
    assert request.event == event
    if request.head is not None:
        assert isinstance(request.head, str)


@FAST
@given(json_values)
def test_any_json_value_as_a_payload_is_handled(payload: Any) -> None:
    with contextlib.suppress(DocbotError):
        events.from_event("push", payload if isinstance(payload, dict) else {"ref": payload})


@FAST
@given(st.text(max_size=300), st.sampled_from(["/docbot", "/Docs", "!doc"]))
def test_the_command_parser_never_raises_and_finds_a_plain_command(body: str, trigger: str) -> None:
    events.parse_command(body, trigger)  # no exception on any text
    found = events.parse_command(f"{trigger}\n{body}", trigger)
    assert found is not None  # a command on the first line is always seen, whatever follows


@FAST
@given(st.text(alphabet=string.printable + "äü€\t", max_size=400))
def test_the_diff_parser_reads_or_refuses_any_text(text: str) -> None:
    try:
        changes = parse_diff("diff --git a/x b/x\n" + text)
    except DocbotError:
        return
    for change in changes:
        assert change.path
        for rng in change.changed_lines:
            assert 1 <= rng.start <= rng.end


source_text = st.text(alphabet=string.printable + "äλ€", max_size=600)


@FAST
@given(st.sampled_from(["python", "javascript", "go", "rust", "c"]), source_text, st.integers(5, 60))
def test_the_chunker_covers_every_line_once_in_order(language: str, source: str, max_lines: int) -> None:
    syms, chunks = split_source("f", language, source, max_lines=max_lines, max_tokens=400, overlap=3)
    position = 0
    for chunk in chunks:
        assert chunk.start == position + 1  # contiguous, no gaps, no overlap in owned lines
        assert chunk.start <= chunk.end
        position = chunk.end
    owned = [s.id for c in chunks for s in c.symbols]
    assert len(owned) == len(set(owned))  # each symbol documented by one chunk
    assert set(owned) == {s.id for s in syms}


@FAST
@given(st.text(max_size=120).filter(lambda s: "\n" not in s and "\r" not in s))
def test_the_marker_round_trips_any_path(source: str) -> None:
    line = marker_line(source)
    assert source_of(line) == source
    assert source_of(line + " extra") is None  # the whole line, not a prefix
    assert source_of(line[:-1]) is None


@FAST
@given(st.text(max_size=200))
def test_a_line_is_a_marker_only_if_it_is_exactly_one(line: str) -> None:
    source = source_of(line)
    if source is not None:
        assert marker_line(source) == line.rstrip("\r\n")


_MD = MarkdownIt("commonmark")


def _raw(tokens: list[Token]) -> list[str]:
    """Raw HTML a CommonMark parser finds (blocks and inline), and the text outside code it shows."""
    found: list[str] = []
    for token in tokens:
        if token.type in {"html_block", "html_inline"}:
            found.append(token.content)
        found += _raw(token.children or [])
    return found


# Text rich in what Markdown and HTML give meaning to, so the cases that matter come up often.
_MARKUP = st.text(alphabet=st.sampled_from(list("<>{}`*_#|-+!=[]()&;:/\\\n \tab1\"'~@.")), max_size=200)
_TAGS = st.sampled_from(["<b>", "</details>", "<img src=x onerror=y>", "<!-- c -->", "<a href='x'>", "&amp;"])
_HOSTILE_TEXT = st.lists(_MARKUP | _TAGS | st.text(max_size=20), max_size=8).map("".join)


@FAST
@given(_HOSTILE_TEXT, st.booleans())
def test_escaped_text_holds_no_html_and_no_block_syntax(text: str, inline: bool) -> None:
    out = escape_text(text, inline=inline)
    tokens = _MD.parse(out)
    assert _raw(tokens) == []  # no raw HTML ever reaches a page from running text
    # Running text stays running text: paragraphs only, never a heading, list, quote, table or fence.
    blocks = {t.type for t in tokens if t.level == 0 and t.nesting >= 0}
    assert blocks <= {"paragraph_open", "inline"}
    if inline:
        assert "\n" not in out


_LAYOUT = st.sampled_from(["\n", "\n\n", "- ", "* ", "1. ", "2) ", "    ", "  ", ">>> ", "::", "```", "---"])
_LAID_OUT_TEXT = st.lists(_MARKUP | _TAGS | _LAYOUT, max_size=12).map("".join)
# What a description may become: paragraphs, lists and fenced code, never HTML, a heading or a quote.
_DESCRIPTION_BLOCKS = {"paragraph_open", "inline", "bullet_list_open", "ordered_list_open", "fence"}


@FAST
@given(_LAID_OUT_TEXT)
def test_a_description_keeps_lists_and_code_but_makes_no_html_and_no_other_block(text: str) -> None:
    out = escape_blocks(text, lang="python")
    tokens = _MD.parse(out)
    assert _raw(tokens) == []
    assert {t.type for t in tokens if t.level == 0 and t.nesting >= 0} <= _DESCRIPTION_BLOCKS
    inside = {t.type for t in tokens if t.level > 0 and t.nesting >= 0}
    assert inside <= _DESCRIPTION_BLOCKS | {"list_item_open"}
