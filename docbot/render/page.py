"""``FileDoc`` -> the Markdown page of one source file.

Every page starts with ``markers.marker_line``; docbot only ever modifies or deletes files that do.
"""

from __future__ import annotations

from docbot.docs import FileDoc, Section
from docbot.markers import marker_line
from docbot.symbols import count_phrase


def page_path(out_dir: str, source: str) -> str:
    """Where the page of ``source`` lives: ``<out_dir>/<source>.md``."""
    return f"{out_dir}/{source}.md"


def _code(text: str) -> str:
    # A code span that survives backticks inside the text.
    fence = "``" if "`" in text else "`"
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _section(section: Section) -> list[str]:
    sym, doc = section.symbol, section.doc
    level = "#" * min(3 + sym.depth, 6)
    out = [f"{level} {_code(sym.name)}", ""]
    out += [f"*{sym.kind}, lines {sym.start}–{sym.end}*", ""]
    out += ["```", *sym.decorators, sym.signature, "```", ""]
    if sym.overloads:
        out += ["**Overloads**", "", "```", *sym.overloads, "```", ""]
    if sym.type and sym.type not in sym.signature:
        out += [f"**Type:** {_code(sym.type)}", ""]
    out += [doc.summary, ""]
    if doc.description:
        out += [doc.description, ""]
    if doc.params:
        out += ["**Parameters**", ""]
        out += [
            f"- {_code(name)}: {text}" if text and text != name else f"- {_code(name)}"
            for name, text in doc.params
        ]
        out.append("")
    if doc.returns:
        out += [f"**Returns:** {doc.returns}", ""]
    if doc.raises:
        out += ["**Raises:** " + ", ".join(doc.raises), ""]
    if doc.example:
        out += ["**Example**", "", "```", doc.example, "```", ""]
    out += [line for note in doc.notes for line in (f"> {note}", "")]
    if sym.notes:
        out += ["> " + "; ".join(sym.notes) + ".", ""]
    if section.static:
        out += ["> Built from the code alone: the documentation provider gave no answer for this symbol.", ""]
    return out


def _metrics(doc: FileDoc) -> list[str]:
    out: list[str] = []
    if len(doc.sections) > 1:
        largest = ", ".join(f"{_code(s.name)} ({s.lines} lines)" for s in doc.largest(3))
        out += [f"Largest: {largest}.", ""]
    if doc.missing:
        n = len(doc.missing)
        out += [f"> {n} symbol{'s' if n != 1 else ''} documented from the code alone (no answer).", ""]
    return out


def render_page(doc: FileDoc) -> str:
    """The Markdown page of one source file."""
    out = [marker_line(doc.path), "", f"# {_code(doc.path)}", ""]
    if doc.overview:
        out += [doc.overview, ""]
    kinds = count_phrase(doc.kinds()) or "no symbols"
    out += [
        f"*{doc.language}, {doc.total_lines} lines, {kinds}; source sha256 `{doc.source_sha256[:12]}`*",
        "",
    ]
    out += _metrics(doc)
    if doc.notes:
        out += ["## Module-level code", ""]
        for note in doc.notes:
            out += [f"*Lines {note.start}–{note.end}:* {note.text}", ""]
    if doc.sections:
        out += ["## Contents", ""]
        out += [f"{'  ' * s.symbol.depth}- {_code(s.symbol.name)} ({s.symbol.kind})" for s in doc.sections]
        out += ["", "## Reference", ""]
        for section in doc.sections:
            out += _section(section)
    return "\n".join(out).rstrip() + "\n"
