"""Chunk answers -> one ``FileDoc`` per source file: every symbol once, in source order.

A symbol is documented by the chunk that owns it (the one holding its first line). Everything is keyed
by the symbol's ``id`` (``name``, or ``name@2`` for a second definition of the same name), so two
definitions sharing a name each keep their own section. Answers from other chunks for it (a chunk that
saw it as overlap context, say) are dropped and counted as duplicates; answers for ids the file does
not define are dropped and counted as invented. Symbols
the provider left out (after being asked once more by the pipeline, see ``missing_symbols``) are
filled from static information (signature, docstring) and flagged.
"""

from __future__ import annotations

from collections.abc import Sequence

from docbot.chunking import Chunk
from docbot.docs import ChunkDoc, FileDoc, ModuleNote, Section, SymbolDoc, static_doc
from docbot.symbols import Symbol


def missing_symbols(chunk: Chunk, doc: ChunkDoc) -> tuple[Symbol, ...]:
    """The symbols ``chunk`` owns that ``doc`` (its answer) says nothing about, in source order."""
    answered = {s.name for s in doc.symbols}
    seen: set[str] = set()
    out: list[Symbol] = []
    for sym in chunk.symbols:
        if sym.id not in answered and sym.id not in seen:
            seen.add(sym.id)
            out.append(sym)
    return tuple(out)


def combine(first: ChunkDoc, again: ChunkDoc) -> ChunkDoc:
    """One answer from a chunk's first answer and the answer to asking again for what it left out."""
    known = {s.name for s in first.symbols}
    return ChunkDoc(
        overview=first.overview or again.overview,
        symbols=first.symbols + tuple(s for s in again.symbols if s.name not in known),
        model=first.model,
        usage=first.usage + again.usage,
    )


def merge_file(
    *,
    path: str,
    language: str,
    source_sha256: str,
    total_lines: int,
    symbols: list[Symbol],
    chunk_docs: list[ChunkDoc],
    chunks: Sequence[Chunk] | None = None,
    file_overview: str | None = None,
    overview_asked: bool = False,
) -> FileDoc:
    """Combine the answers for a file's chunks (in chunk order) into its ``FileDoc``.

    Args:
        path, language, source_sha256, total_lines: the file's identity, shown on the page.
        symbols: every symbol of the file, in source order.
        chunk_docs: the answer of each chunk, in chunk order.
        chunks: the chunks themselves (same order). When given, a symbol's answer is taken only from
            the chunk that owns it, and symbol-less chunks contribute module-level notes.
        file_overview, overview_asked: the file's overview when it was asked once for the whole file
            (then every chunk's overview is a module-level note), else the first chunk's is used.

    Returns:
        The page's content: the first chunk's overview, one section per symbol id (the provider's
        answer, else a flagged static one), and the counts of dropped answers.
    """
    known = {s.id for s in symbols}
    owner: dict[str, int] = {}
    if chunks is not None:
        for index, chunk in enumerate(chunks):
            for sym in chunk.symbols:
                owner.setdefault(sym.id, index)

    answers: dict[str, SymbolDoc] = {}
    invented: set[str] = set()
    duplicates = 0
    for index, doc in enumerate(chunk_docs):
        for sdoc in doc.symbols:
            if sdoc.name not in known:
                invented.add(sdoc.name)
            elif owner and owner.get(sdoc.name) != index:
                duplicates += 1
            else:
                answers.setdefault(sdoc.name, sdoc)

    sections: list[Section] = []
    seen: set[str] = set()
    for sym in symbols:
        if sym.id in seen:
            continue
        seen.add(sym.id)
        if sym.id in answers:
            sections.append(Section(sym, answers[sym.id]))
        else:
            sections.append(Section(sym, static_doc(sym, language), static=True))

    overview = file_overview if overview_asked else next((d.overview for d in chunk_docs if d.overview), None)
    notes: list[ModuleNote] = []
    if chunks is not None:
        for chunk, doc in zip(chunks, chunk_docs, strict=False):
            if not chunk.symbols and doc.overview and doc.overview is not overview:
                notes.append(ModuleNote(chunk.start, chunk.end, doc.overview))
    return FileDoc(
        path=path,
        language=language,
        source_sha256=source_sha256,
        total_lines=total_lines,
        overview=overview,
        sections=tuple(sections),
        invented=len(invented),
        duplicates=duplicates,
        notes=tuple(notes),
    )
