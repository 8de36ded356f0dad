"""The block structure of a docstring or a model's description: paragraphs, list items, code blocks.

A docstring's description is plain text laid out by convention, not Markdown: bullets (``-``, ``*``,
``+``) and numbered items (``1.``, ``2)``) with their indented continuation lines, reST literal blocks
(a paragraph ending in ``::`` and the indented lines under it), admonitions (``.. warning:: text``),
doctest sessions (``>>>`` lines and their output), fenced blocks a model may write, and headings
underlined with ``---`` or ``===``.
``parse`` reads that layout into ``Block`` values; ``render.markdown.escape_blocks`` writes them out,
every piece of text escaped, so the page keeps the lists and examples instead of one long paragraph.

Nothing here trusts the text: an unclosed fence runs to the end, list nesting is capped at
``MAX_DEPTH``, and anything that is not one of these blocks is a paragraph.
"""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass

MAX_DEPTH = 3  # list levels below the first; deeper items are shown at this depth

# A list item's marker; ``doccomments.split_summary`` ends a summary where one starts, by this rule.
LIST_MARKER = r"[-*+]|\d{1,9}[.)]"
_ITEM = re.compile(rf"({LIST_MARKER})[ \t]+(\S.*)")
_FENCE = re.compile(r"(`{3,}|~{3,})[ \t]*([^`\s]*)[^`]*")
_UNDERLINE = re.compile(r"(-{3,}|={3,}|~{3,}|\^{3,})")
_DOCTEST = re.compile(r">>>(?: |$)")
# reST admonitions: ``.. warning:: text``, its body on the same line, indented under it, or both.
_ADMONITION = re.compile(
    r"\.\.[ \t]+(attention|caution|danger|error|hint|important|note|seealso|tip|todo|warning)::[ \t]*(.*)",
    re.IGNORECASE,
)
_TITLES = {"seealso": "See also", "todo": "To do"}


@dataclass(frozen=True)
class Block:
    """One block: ``kind`` is ``paragraph``, ``item``, ``code``, ``heading`` or ``note``.

    ``depth`` is the list level of an item (0 at the top), or for a paragraph the level of the item it
    continues plus one (0: not in a list). ``marker`` is an item's ``-`` or ``3.``, or a note's title
    (``Warning``); ``lang`` a code block's language tag (``pycon`` for a doctest).
    """

    kind: str
    text: str
    depth: int = 0
    marker: str = ""
    lang: str = ""


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _closes(line: str, fence: str) -> bool:
    stripped = line.strip()
    return stripped.startswith(fence) and set(stripped) == {fence[0]}


class _Reader:
    """Reads the lines once, top to bottom, keeping the open paragraph or item and the list levels."""

    def __init__(self, text: str, lang: str) -> None:
        self.lines = text.replace("\r\n", "\n").expandtabs(4).split("\n")
        self.lang = lang
        self.blocks: list[Block] = []
        self.open: list[str] = []  # the lines of the paragraph or item being read
        self.open_kind = ""
        self.open_indent = 0
        self.open_depth = 0
        self.open_marker = ""
        self.levels: list[int] = []  # the indent of each open list level
        self.literal_next = False  # the last paragraph ended with "::"
        self.literal_indent = 0  # and was indented this much: its literal block is indented more
        self.blank_before = True
        self.note_title = ""  # an admonition opened with no text: its indented body is its text

    def close(self) -> None:
        if not self.open:
            return
        text = " ".join(line.strip() for line in self.open)
        self.literal_next = text.endswith("::")
        self.literal_indent = self.open_indent
        if self.literal_next:
            # reST: "Example::" reads "Example:"; "Example ::" and a lone "::" only open the literal.
            text = text[:-3].rstrip() if text.endswith(" ::") or text == "::" else text[:-1]
        if text:
            self.blocks.append(Block(self.open_kind, text, self.open_depth, self.open_marker))
        self.open = []

    def start(self, kind: str, line: str, indent: int, depth: int, marker: str = "") -> None:
        self.close()
        self.open, self.open_kind, self.open_indent = [line], kind, indent
        self.open_depth, self.open_marker = depth, marker

    def item_depth(self, indent: int) -> int:
        while self.levels and self.levels[-1] > indent:
            self.levels.pop()
        if not self.levels or self.levels[-1] < indent:
            self.levels.append(indent)
        return min(len(self.levels) - 1, MAX_DEPTH)

    def code(self, body: list[str], lang: str) -> None:
        self.close()
        text = textwrap.dedent("\n".join(body)).strip("\n")
        if text.strip():
            self.blocks.append(Block("code", text, lang=lang))
        self.levels = []

    def read(self) -> list[Block]:
        i = 0
        while i < len(self.lines):
            i = self.step(i)
        self.close()
        return self.blocks

    def step(self, i: int) -> int:
        line = self.lines[i]
        stripped = line.strip()
        indent = _indent(line)
        if not stripped:
            self.close()
            self.blank_before = True
            return i + 1
        blank_before, self.blank_before = self.blank_before, False
        literal, self.literal_next = self.literal_next, False
        fence = _FENCE.fullmatch(stripped)
        if fence:
            end = i + 1
            while end < len(self.lines) and not _closes(self.lines[end], fence.group(1)):
                end += 1
            self.code(self.lines[i + 1 : end], fence.group(2))
            return end + 1
        if _DOCTEST.match(stripped):
            end = i
            while end < len(self.lines) and self.lines[end].strip():
                end += 1
            self.code(self.lines[i:end], "pycon")
            return end
        literal = literal and indent > self.literal_indent
        admonition = _ADMONITION.fullmatch(stripped)
        if admonition:
            name = admonition.group(1).lower()
            title = _TITLES.get(name, name.capitalize())
            self.close()
            self.note_title = "" if admonition.group(2) else title
            if admonition.group(2):
                self.start("note", admonition.group(2), indent, 0, title)
            return i + 1
        if self.note_title and indent > 0:
            title, self.note_title = self.note_title, ""
            self.start("note", line, indent, 0, title)
            return i + 1
        self.note_title = ""
        if blank_before and not self.open and (literal or (not self.levels and indent >= 4)):
            # A literal block, or an indented block outside a list: code, as docstrings and Markdown mean.
            end = i
            while end < len(self.lines) and (
                not self.lines[end].strip() or _indent(self.lines[end]) >= indent
            ):
                end += 1
            self.code(self.lines[i:end], self.lang)
            return end
        item = _ITEM.fullmatch(stripped)
        if item:
            self.start("item", item.group(2), indent, self.item_depth(indent), item.group(1))
            return i + 1
        if self.open and (not blank_before):
            underline = _UNDERLINE.fullmatch(stripped)
            if underline and len(self.open) == 1 and self.open_kind == "paragraph" and not self.open_depth:
                self.open_kind = "heading"
                self.close()
                self.levels = []
                return i + 1
            self.open.append(line)  # a continuation line (lazy ones too, as in Markdown)
            return i + 1
        in_item = bool(self.levels) and indent > self.levels[-1]
        if not in_item:
            self.levels = []
        depth = min(len(self.levels), MAX_DEPTH + 1) if in_item else 0
        self.start("paragraph", line, indent, depth)
        return i + 1


def parse(text: str, lang: str = "") -> tuple[Block, ...]:
    """The blocks of ``text``, in order; ``lang`` tags literal and indented code blocks."""
    return tuple(_Reader(textwrap.dedent(text), lang).read())
