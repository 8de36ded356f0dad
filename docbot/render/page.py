"""``FileDoc`` -> the Markdown page of one source file.

Every page opens with ``markers.front_matter``; docbot only ever modifies or deletes files that do (or
that carry docbot 0.1's marker line). All text from the code and the model goes through
``render.markdown`` (escaped prose, code spans, fenced blocks tagged with the language; a description
keeps its paragraphs, lists and examples), so the page reads the same on GitHub, MkDocs and
Docusaurus. Each symbol has an explicit anchor; the Contents list, names in backticks and the "lines"
of each symbol are links (``render.links``).
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import accumulate

from docbot.docs import FileDoc, Section, fallback_summary, signature_params
from docbot.languages import fence_tag
from docbot.markers import front_matter
from docbot.plural import count
from docbot.render.links import NameIndex, SourceLinks, anchor_ids
from docbot.render.markdown import (
    UNDERSCORE_EMPHASIS,
    anchor,
    escape_blocks,
    escape_text,
    fenced_block,
    inline_code,
)
from docbot.render.safe import neutralise
from docbot.symbols import count_phrase

# The page's layout, part of the cache key of rendered pages: a page cached by a version with another
# layout (docbot 0.1's marker line, unescaped text, "lines 7–7" for one line) is rendered again, never
# served.
LAYOUT = 6

_STATIC_NOTE = "Built from the code alone: the documentation provider gave no answer for this symbol."

# A model's example often comes wrapped in its own fence: the page's fence replaces it.
_WRAPPED = re.compile(r"\A\s*(`{3,}|~{3,})[^\n]*\n(.*)\n\s*\1\s*\Z", re.DOTALL)


def page_path(out_dir: str, source: str) -> str:
    """Where the page of ``source`` lives: ``<out_dir>/<source>.md``."""
    return f"{out_dir}/{source}.md"


# A page larger than this is cut (the ``max_page_bytes`` setting's default): GitHub stops rendering a
# Markdown file at about 1 MB, and no reader scrolls further.
MAX_PAGE_BYTES = 1_000_000
# Room kept for the note that says what was cut, and for what publishing adds (``safe.neutralise``'s
# zero-width joiners, a site's front matter keys).
_CUT_RESERVE = 2_000


@dataclass(frozen=True)
class PageLinks:
    """What a page links to beyond itself: the docs folder (for relative links), the source of each
    symbol's lines, and the other pages' symbols; and how large the page may be (``max_bytes``)."""

    out_dir: str = "docs/api"
    source: SourceLinks = field(default_factory=SourceLinks)
    names: NameIndex = field(default_factory=NameIndex)
    max_bytes: int = MAX_PAGE_BYTES


@dataclass(frozen=True)
class RenderedPage:
    """A page's Markdown, and how many of its symbols were left out to keep it under the size cap."""

    text: str
    left_out: int = 0


def summary_line(doc: FileDoc) -> str:
    """The page's one-line summary for the index: the overview's first sentence, or "" when none."""
    if not doc.overview:
        return ""
    first = " ".join(doc.overview.strip().split("\n\n", 1)[0].split())
    return re.split(r"(?<=[.!?])\s", first, maxsplit=1)[0]


def _scopes(symbol_id: str) -> list[str]:
    """``Shard.__str__`` -> ``["Shard.__str__", "Shard"]``: where a bare name in its docs is looked up."""
    parts = symbol_id.split("@")[0].split(".") if symbol_id else []
    return [".".join(parts[:n]) for n in range(len(parts), 0, -1)]


class _Writer:
    """Renders one page: knows the page's path, its anchors and how to link names."""

    def __init__(self, doc: FileDoc, links: PageLinks, linked: frozenset[str] = frozenset()) -> None:
        self.doc = doc
        self.links = links
        self.linked = linked  # anchors of this page that some page links to
        self.page = page_path(links.out_dir, doc.path)
        self.anchors = anchor_ids(s.symbol.id for s in doc.sections)
        self.ids = {a: symbol_id for symbol_id, a in self.anchors.items()}  # anchor -> symbol id
        self.lang = fence_tag(doc.language)
        self.params = {  # symbol id -> the names of its parameters, as the signature and its docs give them
            s.symbol.id: {p.name.lstrip("*&$") for p in signature_params(s.symbol, doc.language)}
            | {name.lstrip("*&$") for name, _ in s.doc.params}
            for s in doc.sections
        }
        self.underscores = doc.language in UNDERSCORE_EMPHASIS  # its doc comments are Markdown
        self.kept = len(doc.sections)  # the sections shown (a prefix: the rest is cut by size)
        self.cut: frozenset[str] = frozenset()  # the ids of the symbols cut

    def code(self, skip: str | None = None) -> Callable[[str], str]:
        # In a symbol's own section its bare name is itself ("Attribute `wait_fixed`." of
        # `wait_fixed.wait_fixed`), and its parameters' names are its parameters ("Deal `files` to
        # `count` shards"), never the class or function elsewhere that happens to share one.
        symbol_id = self.ids.get(skip or "", "")
        own = {symbol_id.split("@")[0].rsplit(".", 1)[-1]} if symbol_id else set()
        own |= self.params.get(symbol_id, set())

        # A bare name in a section is looked up in its scopes first: `index` in class Shard's docs is
        # Shard.index, before any other module's `index`.
        scopes = _scopes(symbol_id)

        def render(text: str) -> str:
            if text.strip() in own:
                return inline_code(text)
            names = [f"{scope}.{text.strip()}" for scope in scopes] if "." not in text else []
            for name in [*names, text]:
                target = self.links.names.link(name, self.page, skip=skip)
                if target:
                    return f"[{inline_code(text)}]({target})"
            return inline_code(text)

        return render

    def text(self, text: str, *, inline: bool = False, skip: str | None = None) -> str:
        return escape_text(text, inline=inline, code=self.code(skip), underscores=self.underscores)

    def blocks(self, text: str, *, skip: str | None = None) -> str:
        """A description with its paragraphs, lists and code blocks kept."""
        return escape_blocks(text, code=self.code(skip), lang=self.lang, underscores=self.underscores)

    def lines(self, start: int, end: int, *, capital: bool = False) -> str:
        text = f"line {start}" if start == end else f"lines {start}–{end}"
        text = text.capitalize() if capital else text
        return f"[{text}]({self.links.source.lines(self.page, self.doc.path, start, end)})"

    def example(self, example: str) -> str:
        wrapped = _WRAPPED.match(example)
        return fenced_block(wrapped.group(2) if wrapped else example, self.lang)

    def section(self, section: Section) -> list[str]:
        sym, doc = section.symbol, section.doc
        own = self.anchors[sym.id]
        level = "#" * min(3 + sym.depth, 6)
        out = [f"{level} {anchor(own)}{inline_code(sym.name)}", ""]
        out += [f"*{sym.kind}, {self.lines(sym.start, sym.end)}*", ""]
        out += [fenced_block("\n".join([*sym.decorators, sym.signature]), self.lang), ""]
        if sym.overloads:
            # A blank line between overloads as soon as one spans lines: else they read as one.
            between = "\n\n" if any("\n" in o for o in sym.overloads) else "\n"
            out += ["**Overloads**", "", fenced_block(between.join(sym.overloads), self.lang), ""]
        if sym.type and sym.type not in sym.signature:
            out += [f"**Type:** {inline_code(sym.type)}", ""]
        if doc.summary and doc.summary != fallback_summary(sym, self.doc.language):
            # Built from the kind and the name alone, the summary says no more than the heading above.
            out += [self.text(doc.summary, skip=own), ""]
        if doc.description:
            out += [self.blocks(doc.description, skip=own), ""]
        # A list of bare names says less than the signature above it: shown once one line says more.
        if any(text and text != name for name, text in doc.params):
            out += ["**Parameters**", ""]
            out += [
                f"- {inline_code(name)}: {self.text(text, inline=True, skip=own)}"
                if name and text and text != name
                else f"- {self.text(text, inline=True, skip=own)}"  # unnamed (C++): its type is the line
                if text and not name
                else f"- {inline_code(name)}"
                for name, text in doc.params
            ]
            out.append("")
        if doc.returns:
            out += [f"**Returns:** {self.text(doc.returns, inline=True, skip=own)}", ""]
        if doc.raises:
            raised = ", ".join(self.text(r, inline=True, skip=own) for r in doc.raises)
            out += [f"**Raises:** {raised}", ""]
        if doc.example:
            out += ["**Example**", "", self.example(doc.example), ""]
        # Version and deprecation notes parsed from the existing docs (doccomments), one quote each.
        out += [line for note in doc.notes for line in ("> " + self.text(note, inline=True, skip=own), "")]
        if sym.notes:
            out += ["> " + escape_text("; ".join(sym.notes) + ".", inline=True), ""]
        if section.static:
            out += [f"> {_STATIC_NOTE}", ""]
        return out

    def to_anchor(self, section: Section) -> str:
        if section.symbol.id in self.cut:
            return inline_code(section.symbol.name)  # cut from the page: no anchor to link to
        return f"[{inline_code(section.symbol.name)}](#{self.anchors[section.symbol.id]})"

    def contents(self) -> list[str]:
        # Four spaces a level (Python-Markdown nests no less), and never more than one level below the
        # item above: a deeper indent would be read as a code block.
        out, level = [], -1
        for s in self.doc.sections:
            level = min(s.symbol.depth, level + 1)
            out.append(f"{'    ' * level}- {self.to_anchor(s)} ({s.symbol.kind})")
        return out

    def landing(self, kept: int) -> str:
        """The anchors of the symbols after the first ``kept`` that a page links to: on the cap note, so
        that a link to a symbol that was cut lands on the note that says why it is not there."""
        cut = {self.anchors[s.symbol.id] for s in self.doc.sections[kept:]}
        return "".join(anchor(a) for a in sorted(cut & self.linked))

    def cut_note(self) -> list[str]:
        left_out = len(self.doc.sections) - self.kept
        if not left_out:
            return []
        total, landing = len(self.doc.sections), self.landing(self.kept)
        return [
            f"> {landing}**{count(left_out, 'symbol')} of {total} left out:** the page reached "
            f"its size cap of {self.links.max_bytes:,} bytes (`max_page_bytes`), so it ends after "
            f"{count(self.kept, 'symbol')}; the source has the rest.",
            "",
        ]

    def metrics(self) -> list[str]:
        doc = self.doc
        out: list[str] = []
        if len(doc.sections) > 1:
            by_id = {s.symbol.id: s for s in doc.sections}
            largest = ", ".join(
                f"{self.to_anchor(by_id[s.id])} ({count(s.lines, 'line')})" for s in doc.largest(3)
            )
            out += [f"Largest: {largest}.", ""]
        if doc.missing:
            out += [f"> {count(len(doc.missing), 'symbol')} documented from the code alone (no answer).", ""]
        return out

    def fitting(self, sizes: list[int], budget: int) -> int:
        """How many sections fit in ``budget`` bytes, with the anchors the cut ones keep on the note."""
        total = list(accumulate(sizes, initial=0))  # total[k]: the bytes of the first k sections
        kept = bisect_right(total, budget) - 1
        # Each section left out may bring its anchor to the note: give back whole sections until the
        # anchors fit too (with none left, the note and its anchors are the page).
        while 0 < kept < len(sizes) and total[kept] + len(self.landing(kept).encode()) > budget:
            kept -= 1
        return kept

    def render(self) -> RenderedPage:
        """The page, cut after the last whole section that fits in ``links.max_bytes``."""
        contents = self.contents()
        sections = [self.section(s) for s in self.doc.sections]
        budget = self.links.max_bytes - _CUT_RESERVE - _size(self.head())
        sizes = [_size([line, *section]) for line, section in zip(contents, sections, strict=True)]
        self.kept = self.fitting(sizes, budget)
        self.cut = frozenset(s.symbol.id for s in self.doc.sections[self.kept :])
        out = self.head()
        if self.doc.sections:
            out += ["## Contents", ""]
            out += contents[: self.kept]
            out += ["", "## Reference", ""]
            for section in sections[: self.kept]:
                out += section
        return RenderedPage("\n".join(out).rstrip() + "\n", len(sections) - self.kept)

    def head(self) -> list[str]:
        """Everything above the Contents: front matter, title, overview, figures, module-level code."""
        doc = self.doc
        out = [front_matter(doc.path, doc.source_sha256, _description(doc)).rstrip("\n"), ""]
        out += [f"# {inline_code(doc.path)}", ""]
        if doc.overview:
            out += [self.blocks(doc.overview), ""]
        kinds = count_phrase(doc.kinds()) or "no symbols"
        size = count(doc.total_lines, "line")
        out += [f"*{doc.language}, {size}, {kinds}; source sha256 `{doc.source_sha256[:12]}`*", ""]
        out += self.metrics()
        out += self.cut_note()
        if doc.notes:
            out += ["## Module-level code", ""]
            for note in doc.notes:
                out += [f"*{self.lines(note.start, note.end, capital=True)}:* {self.text(note.text)}", ""]
        return out


def _size(lines: list[str]) -> int:
    """The bytes ``lines`` take on the page, one newline each."""
    return sum(len(line.encode("utf-8", "surrogatepass")) + 1 for line in lines)


def _description(doc: FileDoc) -> dict[str, str]:
    # The index's one-line summary travels in the page's front matter (Docusaurus uses it as the
    # page's description), so the index can be rebuilt from the pages alone. It is written as the
    # index shows it: escaped Markdown, neutralised here because publishing leaves front matter as it is.
    summary = summary_line(doc)
    return {"description": neutralise(escape_text(summary, inline=True))} if summary else {}


def render_page(doc: FileDoc, links: PageLinks | None = None) -> str:
    """The Markdown page of one source file.

    Args:
        doc: what the page shows.
        links: the docs folder, where source lines link and the names other pages document
            (default: ``docs/api``, relative source links, no cross-page links).
    """
    return render_bounded(doc, links).text


def render_bounded(
    doc: FileDoc, links: PageLinks | None = None, linked: frozenset[str] = frozenset()
) -> RenderedPage:
    """The Markdown page of one source file, and how many symbols the size cap left out.

    A page beyond ``links.max_bytes`` ends after the last whole symbol section that fits; a note at the
    top says how many symbols were left out and why (the Contents lists the sections shown). ``linked``:
    the anchors of this page that pages link to (``links.linked_anchors``); those of the symbols cut are
    kept on the note, so that no link points at an anchor the page does not have.
    """
    return _Writer(doc, links or PageLinks(), linked).render()
