"""Symbols -> ``Chunk`` values: the units sent to the provider and cached.

Chunks partition the file: every line belongs to exactly one chunk and every symbol is owned by the
chunk that holds its first line. Top-level symbols are packed greedily under a line budget, so a
chunk boundary falls only between top-level definitions; a definition longer than the budget gets a
chunk of its own. A file with no symbols is cut into budget-sized chunks and documented at module level.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from docbot.symbols import Symbol


@dataclass(frozen=True)
class Chunk:
    """A contiguous run of lines of one file, with the symbols it owns. Lines are 1-based, inclusive."""

    path: str
    language: str
    index: int
    start: int
    end: int
    context_start: int
    symbols: tuple[Symbol, ...]
    text: str
    header: str

    @property
    def sha256(self) -> str:
        """Content hash: header and text, not line numbers, so a chunk that only moved keeps its key."""
        return hashlib.sha256(
            f"{self.header}\n\0\n{self.text}".encode("utf-8", "surrogateescape")
        ).hexdigest()

    def to_json(self) -> dict[str, object]:
        return {
            "start": self.start,
            "end": self.end,
            "context_start": self.context_start,
            "symbols": [s.name for s in self.symbols],
        }


def _header(path: str, lines: list[str], language: str) -> str:
    """File path plus the file's import lines: what a reader of any one chunk needs to know."""
    imports = [
        line.rstrip() for line in lines if line.startswith(("import ", "from ")) and language == "python"
    ]
    return "\n".join([f"# file: {path}", *imports[:50]])


def chunk_file(
    path: str, language: str, source: str, symbols: list[Symbol], *, max_lines: int = 2000
) -> list[Chunk]:
    """Pack ``symbols`` of ``source`` into chunks of at most ``max_lines`` lines where possible.

    Args:
        path: the file's repository path (for the header).
        language: the file's language.
        source: the file's text.
        symbols: from ``symbols.extract_symbols``, in source order.
        max_lines: the line budget of one chunk.

    Returns:
        Chunks in file order covering every line exactly once; empty for an empty file.
    """
    # split("\n"), not splitlines(): tree-sitter counts rows by LF only, and splitlines() would also
    # break at form feeds and U+2028, shifting every line number after them.
    lines = source.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    total = len(lines)
    if total == 0:
        return []
    top = [s for s in symbols if s.parent is None]
    # Boundaries: candidate cut points are the first lines of top-level symbols.
    bounds: list[tuple[int, int]] = []
    start = 1
    for sym in top:
        if sym.start <= start:
            continue
        # Would ending this chunk at sym.end overflow the budget? Then cut before sym.
        if sym.end - start + 1 > max_lines:
            bounds.append((start, sym.start - 1))
            start = sym.start
    if not top:
        while total - start + 1 > max_lines:
            bounds.append((start, start + max_lines - 1))
            start += max_lines
    bounds.append((start, total))

    header = _header(path, lines, language)
    chunks = []
    for index, (lo, hi) in enumerate(bounds):
        owned = tuple(s for s in symbols if lo <= s.start <= hi)
        chunks.append(
            Chunk(
                path=path,
                language=language,
                index=index,
                start=lo,
                end=hi,
                context_start=lo,
                symbols=owned,
                text="\n".join(lines[lo - 1 : hi]),
                header=header,
            )
        )
    return chunks
