"""Chunk answers -> one ``FileDoc`` per source file: every symbol once, in source order.

Symbols the provider left out are filled from static information (signature, docstring) and flagged;
answers for names the file does not define are dropped and counted.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from docbot.llm.base import ChunkDoc, SymbolDoc
from docbot.llm.offline import static_doc
from docbot.symbols import Symbol


@dataclass(frozen=True)
class Section:
    """One symbol's place on the page."""

    symbol: Symbol
    doc: SymbolDoc
    static: bool = False  # True when the provider gave nothing and the doc was built from the code


@dataclass(frozen=True)
class FileDoc:
    """Everything the page of one source file shows."""

    path: str
    language: str
    source_sha256: str
    total_lines: int
    overview: str | None
    sections: tuple[Section, ...]
    invented: int = 0  # answers for symbols the file does not define, dropped

    @property
    def missing(self) -> tuple[str, ...]:
        return tuple(s.symbol.name for s in self.sections if s.static)

    def kinds(self) -> dict[str, int]:
        return dict(Counter(s.symbol.kind for s in self.sections))


def merge_file(
    *,
    path: str,
    language: str,
    source_sha256: str,
    total_lines: int,
    symbols: list[Symbol],
    chunk_docs: list[ChunkDoc],
) -> FileDoc:
    """Combine the answers for a file's chunks (in chunk order) into its ``FileDoc``.

    The overview is the first non-empty one (the first chunk's); a symbol named twice keeps the first
    answer; each qualified name gets one section, at its first definition.
    """
    answers: dict[str, SymbolDoc] = {}
    for doc in chunk_docs:
        for sdoc in doc.symbols:
            answers.setdefault(sdoc.name, sdoc)
    known = {s.name for s in symbols}
    invented = sum(1 for name in answers if name not in known)

    sections: list[Section] = []
    seen: set[str] = set()
    for sym in symbols:
        if sym.name in seen:
            continue
        seen.add(sym.name)
        if sym.name in answers:
            sections.append(Section(sym, answers[sym.name]))
        else:
            sections.append(Section(sym, static_doc(sym), static=True))
    overview = next((d.overview for d in chunk_docs if d.overview), None)
    return FileDoc(
        path=path,
        language=language,
        source_sha256=source_sha256,
        total_lines=total_lines,
        overview=overview,
        sections=tuple(sections),
        invented=invented,
    )
