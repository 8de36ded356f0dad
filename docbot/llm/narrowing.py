"""What a narrowed request shows of its chunk: the asked symbols' own code and the signatures around it.

A request that asks for some of a chunk's symbols (the others' answers came from the cache, or an
answer left them out and they are asked again) does not need the rest of the chunk's bodies: the
answer is about the asked symbols. It carries their own code, in source order (a symbol nested in an
asked one stays in place; one that is not asked is cut to its signature), and as context the
signatures that enclose them and a few neighbours' signatures. The file block before it (path, imports
and, where the file sends several requests, the outline) is the same as for a whole chunk.

Pure: ``narrow(chunk, names)`` depends on nothing else, so a batch item, a cost estimate and the
interactive request carry the same bytes.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from docbot.chunking import Chunk
from docbot.symbols import Symbol

# Siblings shown (as signatures) on each side of an asked symbol: enough to place it among the names
# it is likely to call, a handful of lines instead of their bodies.
NEIGHBOURS = 2
# A signature longer than this (a long parameter list, a constant's value) is cut: context only.
SIGNATURE_CHARS = 240


@dataclass(frozen=True)
class Narrowed:
    """The two parts a narrowed request carries in place of the whole chunk."""

    context: str  # the enclosing signatures, then the neighbours' signatures; empty when there are none
    code: str  # the asked symbols' own code, in source order


def is_narrowed(chunk: Chunk, names: Sequence[str] | None) -> bool:
    """Whether ``names`` asks for fewer symbols than ``chunk`` owns (a whole chunk is sent as it is)."""
    if names is None or not chunk.symbols:
        return False
    return set(names) != {s.id for s in chunk.symbols}


def _contains(outer: Symbol, inner: Symbol) -> bool:
    return outer is not inner and outer.start <= inner.start and inner.end <= outer.end


def _indented(text: str, indent: str) -> list[str]:
    return [indent + line for line in text.splitlines()] or [indent]


def _signature(sym: Symbol) -> str:
    text = sym.signature or sym.name
    return text if len(text) <= SIGNATURE_CHARS else text[: SIGNATURE_CHARS - 3] + "..."


def _nested(sym: Symbol) -> str:
    # Indented by how deep the qualified name is (Store.get under Store), whatever the language's
    # own layout: the lines only place the names.
    return "\n".join(_indented(_signature(sym), "    " * sym.name.count(".")))


class _Lines:
    """The chunk's lines by 1-based line number."""

    def __init__(self, chunk: Chunk) -> None:
        self.start = chunk.start
        self.lines = chunk.text.splitlines()
        self.end = chunk.start + len(self.lines) - 1

    def get(self, n: int) -> str:
        return self.lines[n - self.start]

    def span(self, sym: Symbol) -> range:
        return range(max(sym.start, self.start), min(sym.end, self.end) + 1)


def _own_code(root: Symbol, inside: Sequence[Symbol], asked: set[str], lines: _Lines) -> tuple[str, set[str]]:
    """``root``'s lines with each outermost symbol inside it that is not asked cut to its signature;
    also the ids of the asked symbols shown whole (inside a cut one, an asked symbol is not shown)."""
    cut = [s for s in inside if s.id not in asked]
    outermost = [s for s in cut if not any(_contains(o, s) for o in cut)]
    hidden = {n: s for s in outermost for n in lines.span(s)}
    out: list[str] = []
    for n in lines.span(root):
        sym = hidden.get(n)
        if sym is None:
            out.append(lines.get(n))
        elif n == max(sym.start, lines.start):
            line = lines.get(n)
            out += _indented(_signature(sym), line[: len(line) - len(line.lstrip())])
    shown = {s.id for s in inside if s.id in asked and not any(_contains(o, s) for o in outermost)}
    return "\n".join(out), shown | {root.id}


def _neighbours(root: Symbol, syms: Sequence[Symbol], asked: set[str]) -> list[Symbol]:
    siblings = [s for s in syms if s.parent == root.parent]
    at = next(i for i, s in enumerate(siblings) if s is root)
    near = siblings[max(0, at - NEIGHBOURS) : at] + siblings[at + 1 : at + 1 + NEIGHBOURS]
    return [s for s in near if s.id not in asked]


def _enclosing(root: Symbol, by_id: dict[str, Symbol], asked: set[str]) -> tuple[list[Symbol], bool]:
    """The symbols of the chunk that enclose ``root`` and are not asked, and whether its scope goes on
    outside the chunk (the chunk's own ``scope`` then says what encloses it)."""
    out: list[Symbol] = []
    parent = root.parent
    while parent is not None and parent in by_id and len(out) < 64:
        if parent not in asked:
            out.append(by_id[parent])
        parent = by_id[parent].parent
    return out, parent is not None


def _ordered(syms: Iterable[Symbol]) -> list[Symbol]:
    return sorted({s.id: s for s in syms}.values(), key=lambda s: (s.start, -s.end))


def narrow(chunk: Chunk, names: Sequence[str]) -> Narrowed:
    """The asked symbols' own code and, as context, the signatures enclosing them and their neighbours'.

    Args:
        chunk: the chunk the symbols belong to (its ``symbols`` are all of the chunk's, asked or not).
        names: the ids of the symbols asked; ids the chunk does not own are ignored.
    """
    syms = sorted(chunk.symbols, key=lambda s: (s.start, -s.end))
    by_id = {s.id: s for s in syms}
    asked = {n for n in names if n in by_id}
    lines = _Lines(chunk)
    shown: set[str] = set()
    code: list[str] = []
    roots: list[Symbol] = []
    for sym in syms:
        if sym.id not in asked or sym.id in shown:
            continue
        inside = [s for s in syms if _contains(sym, s)]
        text, whole = _own_code(sym, inside, asked, lines)
        shown |= whole
        roots.append(sym)
        code.append(text)
    enclosing: list[Symbol] = []
    outside = False
    near: list[Symbol] = []
    for root in roots:
        around, beyond = _enclosing(root, by_id, asked)
        enclosing += around
        outside = outside or beyond
        near += _neighbours(root, syms, asked)
    context = [chunk.scope] if outside and chunk.scope else []
    context += [_nested(s) for s in _ordered(enclosing)]
    context += [_nested(s) for s in _ordered(s for s in near if s not in enclosing)]
    return Narrowed(context="\n".join(context), code="\n\n".join(code))
