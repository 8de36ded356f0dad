"""Symbols -> ``Chunk`` values: the units sent to the provider and cached.

Chunks partition the file: every line belongs to exactly one chunk, and every symbol is owned by the
chunk that holds its first line, so nothing is documented twice and nothing is left out.

How the cuts are chosen:

1. The file is a tree of *segments*: the file holds its top-level symbols and the gaps between them;
   a symbol holds its nested symbols and gaps; a gap holds statements (from the syntax tree); a
   statement holds its own children; a line is indivisible. A segment within budget (lines *and*
   estimated tokens) is one *atom*; a larger one is opened, one level at a time, with an explicit
   stack (files have thousands of nested functions: no recursion over the tree).
2. Atoms are packed in order. A chunk is cut where an atom's content hash says so once the chunk is
   half full (content-defined chunking, so an edit shifts at most the chunks around it, not every
   chunk after it), or when the next atom would break the budget; a forced cut goes to the shallowest
   boundary in the chunk's second half, so chunks end between top-level definitions when they can.
3. Each chunk's header names the file and its imports (the same for every chunk of the file); its
   context holds the signatures of the definitions that enclose the chunk's first line (the parts of a
   split symbol repeat its signature), then up to ``overlap`` lines from before the chunk, both marked
   as context only. The content key covers header, signatures and text, not line numbers (a chunk
   that only moved keeps its key) and not the overlap lines (an edit does not spill into the keys of
   the chunks after it).
"""

from __future__ import annotations

import bisect
import hashlib
import re
from dataclasses import dataclass, replace
from itertools import accumulate, pairwise

import tree_sitter

from docbot import languages
from docbot import symbols as symbols_mod
from docbot.symbols import Symbol

DEFAULT_MAX_LINES = 2000
DEFAULT_MAX_TOKENS = 4_000
# A handful of lines: the enclosing signatures already come with every chunk (its scope), and 100 raw
# lines on chunks averaging ~110 were a third of a large file's input tokens, paid for nothing.
DEFAULT_OVERLAP = 8

_MIN_FILL = 0.5  # content-defined cuts only once a chunk is half full
_CDC_SPAN = 0.25  # then one is expected every quarter budget
_MAX_IMPORT_LINES = 60
_MAX_ENCLOSING = 12
_ENCLOSING_RESERVE = 1024  # tokens kept free for the enclosing signatures of a chunk's header
_SIGNATURE_CHARS = 160
_SLACK = 8  # tokens: estimates of joined parts may round up by one each
_CONTEXT_MARK = "# context only (the lines just before this chunk; documented elsewhere):"


def estimate_tokens(text: str) -> int:
    """A cautious token estimate: one token per 3 bytes of UTF-8 (code runs 3-4 bytes per token)."""
    return (len(text.encode("utf-8", "surrogateescape")) + 2) // 3


@dataclass(frozen=True)
class Chunk:
    """A contiguous run of lines of one file, with the symbols it owns. Lines are 1-based, inclusive.

    What the provider sees is ``header`` (file path and imports: the same for every chunk of a file,
    so it can be a cached prompt prefix), then ``context`` (this chunk's own context: the signatures of
    the definitions enclosing its first line, and the overlap lines ``context_start``..``start - 1``,
    both marked as context only), then ``text`` (the owned lines, to document).
    """

    path: str
    language: str
    index: int
    start: int
    end: int
    context_start: int
    symbols: tuple[Symbol, ...]
    text: str
    header: str
    context: str = ""  # scope, then the overlap lines; all of it marked as context only
    tokens: int = 0  # estimated tokens of header + context + text
    oversized: bool = False  # over budget because it is one indivisible line
    enclosing: tuple[str, ...] = ()  # qualified names of the symbols this chunk is a part of
    scope: str = ""  # the enclosing signatures: the part of ``context`` the answer depends on

    @property
    def sha256(self) -> str:
        """Content hash of what the answer depends on: header, scope and text.

        Not line numbers, so a chunk that only moved keeps its key; and not the overlap lines, which are
        context only, so an edit in one function does not change the keys of the chunks after it.
        """
        return hashlib.sha256(
            f"{self.header}\n\0\n{self.scope}\n\0\n{self.text}".encode("utf-8", "surrogateescape")
        ).hexdigest()

    def to_json(self) -> dict[str, object]:
        data: dict[str, object] = {
            "start": self.start,
            "end": self.end,
            "context_start": self.context_start,
            "symbols": [s.name for s in self.symbols],
        }
        if self.oversized:
            data["oversized"] = True
        return data


@dataclass(frozen=True)
class _Atom:
    lo: int
    hi: int
    depth: int  # nesting depth of the boundary before this atom (0: between top-level units)


class _Budget:
    """Line and token budget, with O(1) range sums over the file's lines."""

    def __init__(self, lines: list[str], max_lines: int, max_tokens: int) -> None:
        self.max_lines = max_lines
        self.max_tokens = max(1, max_tokens)
        # +1 for each line's newline
        self._prefix = [0, *accumulate(len(line.encode("utf-8", "surrogateescape")) + 1 for line in lines)]

    def tokens(self, lo: int, hi: int) -> int:
        return (self._prefix[hi] - self._prefix[lo - 1] + 2) // 3

    def fill(self, lo: int, hi: int) -> float:
        return max((hi - lo + 1) / self.max_lines, self.tokens(lo, hi) / self.max_tokens)

    def fits(self, lo: int, hi: int) -> bool:
        return hi - lo + 1 <= self.max_lines and self.tokens(lo, hi) <= self.max_tokens


class _Forest:
    """Symbols nested by line containment: children of the file (index -1) and of each symbol."""

    def __init__(self, symbols: list[Symbol]) -> None:
        ordered = sorted(range(len(symbols)), key=lambda i: (symbols[i].start, -symbols[i].end, i))
        self.symbols = symbols
        self.children: dict[int, list[int]] = {-1: []}
        stack: list[int] = []
        for i in ordered:
            sym = symbols[i]
            while stack and symbols[stack[-1]].end < sym.end:
                stack.pop()  # ended before (or cuts across) this one: not its container
            self.children.setdefault(stack[-1] if stack else -1, []).append(i)
            stack.append(i)


class _Splitter:
    """Opens over-budget segments: symbols into nested symbols and gaps, gaps into syntax nodes."""

    def __init__(self, source: str, language: str, lines: list[str], tree: tree_sitter.Tree | None) -> None:
        self._source = source
        self._language = language
        self._lines = lines
        self._tree = tree
        self._parsed = tree is not None

    def _root(self) -> tree_sitter.Node | None:
        if not self._parsed:  # parsed only when a gap is too big, which most files never have
            self._parsed = True
            self._tree = symbols_mod.parse(self._source, self._language) if self._has_grammar() else None
        return self._tree.root_node if self._tree is not None else None

    def _has_grammar(self) -> bool:
        return self._language in languages.languages() and languages.spec(self._language).has_grammar

    def _indent(self, row: int) -> int:
        line = self._lines[row]
        return len(line.encode("utf-8", "surrogateescape")) - len(
            line.lstrip().encode("utf-8", "surrogateescape")
        )

    def cuts(self, lo: int, hi: int) -> list[int]:
        """Lines in ``(lo, hi]`` where a statement starts, at the shallowest syntax level that has any.

        Empty when there is no grammar or no statement boundary inside (then the caller cuts by lines).
        """
        root = self._root()
        if root is None:
            return []
        last = self._lines[hi - 1]
        node = root.descendant_for_point_range((lo - 1, 0), (hi - 1, len(last.encode("utf-8", "replace"))))
        frontier = [node] if node is not None else []
        for _ in range(256):  # each round goes one syntax level deeper; real code is far shallower
            found: set[int] = set()
            deeper: list[tree_sitter.Node] = []
            for parent in frontier:
                for child in parent.children:
                    first, last_row = child.start_point.row + 1, child.end_point.row + 1
                    if last_row < lo or first > hi:
                        continue
                    if lo < first <= hi and child.start_point.column == self._indent(first - 1):
                        found.add(first)
                    if last_row > first:
                        deeper.append(child)
            if found:
                return sorted(found)
            if not deeper:
                return []
            frontier = deeper
        return []


def _atoms(total: int, forest: _Forest, budget: _Budget, splitter: _Splitter) -> list[_Atom]:
    """The file as a sequence of within-budget atoms (or single over-budget lines), in order."""
    atoms: list[_Atom] = []
    # Work items, popped in file order: (lo, hi, boundary depth, own depth, symbol index or None).
    # Symbol index -1 is the file itself; None is a gap (statements without a symbol).
    work: list[tuple[int, int, int, int, int | None]] = [(1, total, 0, -1, -1)]
    while work:
        lo, hi, boundary, depth, sym = work.pop()
        if lo > hi:
            continue
        if sym != -1 and budget.fits(lo, hi):
            atoms.append(_Atom(lo, hi, boundary))
            continue
        if lo == hi:
            atoms.append(_Atom(lo, hi, boundary))  # one line over budget: indivisible
            continue
        pieces: list[tuple[int, int, int | None]] = []
        if sym is not None:
            cursor = lo
            for child in forest.children.get(sym, []):
                s = forest.symbols[child]
                c_lo, c_hi = max(s.start, cursor), min(s.end, hi)
                if c_hi < c_lo:
                    continue
                if c_lo > cursor:
                    pieces.append((cursor, c_lo - 1, None))
                pieces.append((c_lo, c_hi, child))
                cursor = c_hi + 1
            if cursor <= hi:
                pieces.append((cursor, hi, None))
            if len(pieces) == 1 and pieces[0][2] is None:
                pieces = []  # a symbol without nested symbols: open it as a gap below
                sym = None
        if sym is None:
            starts = splitter.cuts(lo, hi)
            bounds = [lo, *starts, hi + 1]
            if len(bounds) == 2:
                bounds = list(range(lo, hi + 2))  # no statement boundary: cut by lines
            pieces = [(a, b - 1, None) for a, b in pairwise(bounds)]
        # Pushed in reverse so they pop in file order; an over-budget piece is opened again, one
        # level deeper, when it is popped.
        for n, (p_lo, p_hi, p_sym) in reversed(list(enumerate(pieces))):
            work.append((p_lo, p_hi, boundary if n == 0 else depth + 1, depth + 1, p_sym))
    return atoms


def _content_hash(text: str) -> float | None:
    """Where an atom's content falls in [0, 1), or ``None`` for blank atoms (never a cut point).

    blake2b rather than crc32: crc32 of the empty string is 0, which would cut after every blank line.
    """
    if not text.strip():
        return None
    digest = hashlib.blake2b(text.encode("utf-8", "surrogateescape"), digest_size=4).digest()
    return int.from_bytes(digest, "big") / 2**32


def _cdc(position: float | None, weight: float) -> bool:
    """A content-defined cut after an atom: likelier for bigger atoms, about one per ``_CDC_SPAN``."""
    return position is not None and position < min(1.0, weight / _CDC_SPAN)


def _pack(atoms: list[_Atom], budget: _Budget, lines: list[str]) -> list[tuple[int, int, bool]]:
    """Group atoms into chunks: ``(start line, end line, oversized)``."""
    hashes = [_content_hash("\n".join(lines[a.lo - 1 : a.hi])) for a in atoms]
    out: list[tuple[int, int, bool]] = []
    s, n = 0, len(atoms)
    while s < n:
        lo = atoms[s].lo
        if not budget.fits(lo, atoms[s].hi):
            out.append((lo, atoms[s].hi, True))
            s += 1
            continue
        j = s
        while True:
            if j + 1 == n:
                break
            hi = atoms[j].hi
            if budget.fill(lo, hi) >= _MIN_FILL and _cdc(hashes[j], budget.fill(atoms[j].lo, hi)):
                break
            if not budget.fits(lo, atoms[j + 1].hi):
                # Forced: end at the shallowest boundary in the chunk's second half (latest on ties).
                best = j
                for k in range(j, s - 1, -1):
                    if budget.fill(lo, atoms[k].hi) < _MIN_FILL:
                        break
                    if atoms[k + 1].depth < atoms[best + 1].depth:
                        best = k
                j = best
                break
            j += 1
        # Blank lines right after the cut stay with the code before them, so the next chunk starts
        # with code.
        while j + 1 < n and hashes[j + 1] is None and budget.fits(lo, atoms[j + 1].hi):
            j += 1
        out.append((lo, atoms[j].hi, False))
        s = j + 1
    return out


def _imports(lines: list[str], language: str, max_tokens: int) -> list[str]:
    """The file's import lines, at most ``_MAX_IMPORT_LINES`` and ``max_tokens``."""
    if language not in languages.languages():
        return []
    pattern = languages.spec(language).imports
    if not pattern:
        return []
    matcher = re.compile(pattern)
    found: list[str] = []
    used = 0
    for line in lines:
        if matcher.match(line):
            used += estimate_tokens(line) + 1
            if len(found) == _MAX_IMPORT_LINES or used > max_tokens:
                found.append("# ... more imports")
                break
            found.append(line.rstrip())
    return found


def _enclosing_block(enclosing: list[Symbol], max_tokens: int) -> list[str]:
    """The signatures of the enclosing definitions, outermost first, within ``max_tokens``."""
    if not enclosing:
        return []
    shown = list(enclosing)
    if len(shown) > _MAX_ENCLOSING:
        shown = [*shown[:4], *shown[-(_MAX_ENCLOSING - 4) :]]
    for _ in range(len(shown) + 1):
        out = ["# part of (the enclosing definitions; their other parts are in other chunks):"]
        for depth, sym in enumerate(shown):
            if depth == min(4, len(shown) - 1) and len(shown) < len(enclosing):
                out.append(f"{'  ' * depth}# ... {len(enclosing) - len(shown)} more levels")
            # One line each: a signature written over several lines would break the indented outline.
            out.append(f"{'  ' * min(depth, 12)}{' '.join(sym.signature.split())[:_SIGNATURE_CHARS]}")
        if estimate_tokens("\n".join(out)) <= max_tokens:
            return out
        # Too long for the reserve (a tiny token budget): keep the innermost, drop from the middle.
        del shown[len(shown) // 2 - (1 if len(shown) > 1 else 0)]
        if not shown:
            break
    return []


def chunk_file(
    path: str,
    language: str,
    source: str,
    symbols: list[Symbol],
    *,
    max_lines: int = DEFAULT_MAX_LINES,
    max_tokens: int = DEFAULT_MAX_TOKENS,
    overlap: int = DEFAULT_OVERLAP,
    tree: tree_sitter.Tree | None = None,
) -> list[Chunk]:
    """Cut ``source`` into chunks within ``max_lines`` lines and ``max_tokens`` estimated tokens.

    Args:
        path: the file's repository path (for the header).
        language: the file's language (a registered name; any other name is cut by lines).
        source: the file's text.
        symbols: from ``symbols.extract_symbols``.
        max_lines: the line budget of one chunk's own lines.
        max_tokens: the estimated-token budget of one chunk, header and context included.
        overlap: at most this many lines before a chunk are shown as context (never documented).
        tree: ``symbols.parse(source, language)`` if the caller has it (else parsed when needed).

    Returns:
        Chunks in file order covering every line exactly once, each owning the symbols that start in
        it; empty for an empty file. A chunk is over budget only when it is one indivisible line
        (``oversized``).
    """
    # split("\n"), not splitlines(): tree-sitter counts rows by LF only, and splitlines() would also
    # break at form feeds and U+2028, shifting every line number after them.
    lines = source.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    total = len(lines)
    if total == 0:
        return []
    max_lines = max(1, max_lines)
    reserve = min(_ENCLOSING_RESERVE, max_tokens // 8)
    base = [f"# file: {path}", *_imports(lines, language, max_tokens // 4)]
    base_text = "\n".join(base)
    base_tokens = estimate_tokens(base_text)
    body_tokens = max(1, max_tokens - base_tokens - reserve - _SLACK)
    budget = _Budget(lines, max_lines, body_tokens)
    ordered = sorted(symbols, key=lambda s: (s.start, -s.end))
    forest = _Forest(ordered)
    if budget.fits(1, total):
        bounds = [(1, total, False)]  # the whole file fits: one request, however it is structured
    else:
        bounds = _pack(_atoms(total, forest, budget, _Splitter(source, language, lines, tree)), budget, lines)

    starts = [s.start for s in ordered]
    chunks: list[Chunk] = []
    open_: list[Symbol] = []  # symbols starting before the current chunk, possibly enclosing it
    taken = 0
    for index, (lo, hi, oversized) in enumerate(bounds):
        first, last = bisect.bisect_left(starts, lo), bisect.bisect_right(starts, hi)
        open_.extend(ordered[taken:first])
        taken = first
        open_ = [s for s in open_ if s.end >= lo]
        enclosing = sorted(open_, key=lambda s: (s.start, -s.end))
        context_lines = _enclosing_block(enclosing, reserve)
        text = "\n".join(lines[lo - 1 : hi])
        body = budget.tokens(lo, hi)
        context = "\n".join(context_lines)
        # Overlap: as many of the lines just before the chunk as the token budget leaves room for
        # (estimated first, then checked on the real text; a chunk over budget gets no overlap).
        context_start = lo
        used = base_tokens + estimate_tokens(context) + body
        room = max_tokens - used - estimate_tokens(_CONTEXT_MARK) - _SLACK
        while context_start > max(1, lo - overlap) and budget.tokens(context_start - 1, lo - 1) <= room:
            context_start -= 1
        while context_start < lo:
            with_overlap = "\n".join([*context_lines, _CONTEXT_MARK, *lines[context_start - 1 : lo - 1]])
            if base_tokens + estimate_tokens(with_overlap) + body <= max_tokens:
                context = with_overlap
                break
            context_start += 1
        chunks.append(
            Chunk(
                path=path,
                language=language,
                index=index,
                start=lo,
                end=hi,
                context_start=context_start,
                symbols=tuple(ordered[first:last]),
                text=text,
                header=base_text,
                context=context,
                scope="\n".join(context_lines),
                tokens=base_tokens + estimate_tokens(context) + body,
                oversized=oversized,
                enclosing=tuple(s.name for s in enclosing),
            )
        )
    return chunks


def split_source(
    path: str,
    language: str,
    source: str,
    *,
    max_lines: int = DEFAULT_MAX_LINES,
    max_tokens: int = DEFAULT_MAX_TOKENS,
    overlap: int = DEFAULT_OVERLAP,
    visibility: str = "public",
) -> tuple[list[Symbol], list[Chunk]]:
    """Parse ``source`` once and return its symbols and its chunks (what ``docbot run`` and
    ``docbot chunks`` both need).

    ``visibility`` (``public`` or ``all``) says which symbols are documented: those left out under
    ``public`` still shape the cuts and stay in the chunks' text as code, but are neither returned
    nor owned by any chunk, so nobody is asked about them.

    Raises:
        ValueError: an unknown ``visibility``.
    """
    tree = symbols_mod.parse(source, language)
    every = symbols_mod.extract_symbols(source, language, tree=tree)
    syms = symbols_mod.visible(every, visibility)
    chunks = chunk_file(
        path, language, source, every, max_lines=max_lines, max_tokens=max_tokens, overlap=overlap, tree=tree
    )
    if len(syms) < len(every):
        shown = {id(s) for s in syms}
        chunks = [replace(c, symbols=tuple(s for s in c.symbols if id(s) in shown)) for c in chunks]
    return syms, chunks
