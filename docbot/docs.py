"""The documentation values shared by the cache, the providers, merge and render.

``Usage`` is what producing a doc cost; ``SymbolDoc`` documents one symbol and ``ChunkDoc`` is a
provider's answer for one chunk (both round-trip through the cache as JSON); ``FileDoc`` is everything
one page shows. ``static_doc`` builds a ``SymbolDoc`` from the code alone: the offline provider's answer
and merge's fill-in for a symbol a provider left out.
"""

from __future__ import annotations

import re
import threading
from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # only a type here: docbot.action must start without loading tree-sitter
    from docbot.symbols import Symbol


@dataclass(frozen=True)
class Usage:
    """What one chunk's documentation cost: tokens, HTTP requests (retries included) and dollars."""

    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    requests: int = 0
    retries: int = 0
    rate_limited: int = 0
    cost_usd: float = 0.0
    thinking_tokens: int = 0  # the part of output_tokens the model spent thinking
    cache_saved_usd: float = 0.0  # what prompt-cache reads saved, less the premium of cache writes

    def __add__(self, other: Usage) -> Usage:
        return Usage(**{k: getattr(self, k) + getattr(other, k) for k in self.__dataclass_fields__})


class UsageMeter:
    """A thread-safe running total of ``Usage``, for work that produced no ``ChunkDoc`` to carry it.

    A provider keeps one for ``Provider.failed_usage``: the total of the chunks that raised.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._total = Usage()

    def add(self, usage: Usage) -> None:
        with self._lock:
            self._total += usage

    def total(self) -> Usage:
        with self._lock:
            return self._total


@dataclass(frozen=True)
class SymbolDoc:
    """Documentation of one symbol, keyed by its qualified name."""

    name: str
    summary: str
    description: str = ""
    params: tuple[tuple[str, str], ...] = ()
    returns: str | None = None
    raises: tuple[str, ...] = ()
    example: str | None = None


@dataclass(frozen=True)
class ChunkDoc:
    """A provider's answer for one chunk."""

    overview: str | None
    symbols: tuple[SymbolDoc, ...]
    model: str
    usage: Usage = field(default_factory=Usage)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ChunkDoc:
        return cls(
            overview=data.get("overview"),
            symbols=tuple(
                SymbolDoc(
                    name=s["name"],
                    summary=s["summary"],
                    description=s.get("description", ""),
                    params=tuple((str(p[0]), str(p[1])) for p in s.get("params", ())),
                    returns=s.get("returns"),
                    raises=tuple(s.get("raises", ())),
                    example=s.get("example"),
                )
                for s in data.get("symbols", ())
            ),
            model=data["model"],
            usage=Usage(**data.get("usage", {})),
        )


@dataclass(frozen=True)
class Section:
    """One symbol's place on the page."""

    symbol: Symbol
    doc: SymbolDoc
    static: bool = False  # True when the provider gave nothing and the doc was built from the code


@dataclass(frozen=True)
class ModuleNote:
    """What a chunk without symbols does (module-level code), by line range."""

    start: int
    end: int
    text: str


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
    duplicates: int = 0  # answers for a symbol from a chunk that does not own it, dropped
    notes: tuple[ModuleNote, ...] = ()  # module-level code documented by chunks without symbols

    @property
    def missing(self) -> tuple[str, ...]:
        return tuple(s.symbol.id for s in self.sections if s.static)

    def kinds(self) -> dict[str, int]:
        return dict(Counter(s.symbol.kind for s in self.sections))

    def largest(self, n: int = 5) -> tuple[Symbol, ...]:
        """The ``n`` longest symbols (by lines), longest first; ties in source order."""
        ranked = sorted(enumerate(self.sections), key=lambda p: (-p[1].symbol.lines, p[0]))
        return tuple(section.symbol for _, section in ranked[:n])

    def metrics(self) -> dict[str, object]:
        """Combined figures of the file: lines, symbols by kind, the largest symbols, completeness."""
        return {
            "lines": self.total_lines,
            "symbols": len(self.sections),
            "kinds": self.kinds(),
            "largest": [{"name": s.name, "lines": s.lines} for s in self.largest()],
            "filled_statically": len(self.missing),
            "invented_dropped": self.invented,
            "duplicates_dropped": self.duplicates,
        }


# Receivers and the bare * and / markers are not parameters a caller passes.
_NOT_PARAMS = frozenset({"self", "cls", "*", "/"})
_SENTENCE_END = re.compile(r"(?<=[.!?])\s")


def split_doc(doc: str | None) -> tuple[str | None, str]:
    """First sentence (or paragraph line) and the rest of a docstring."""
    if not doc:
        return None, ""
    paragraphs = doc.strip().split("\n\n", 1)
    first = " ".join(paragraphs[0].split())
    parts = _SENTENCE_END.split(first, maxsplit=1)
    summary = parts[0]
    rest = " ".join(parts[1:])
    tail = paragraphs[1].strip() if len(paragraphs) > 1 else ""
    return summary, "\n\n".join(p for p in (rest, tail) if p)


def _param_name(param: str) -> str:
    name = re.split(r"[:=]", param, maxsplit=1)[0].strip()
    return name


def _returns(signature: str) -> str | None:
    if "->" not in signature:
        return None
    return signature.rsplit("->", 1)[1].strip() or None


def _fallback_summary(sym: Symbol) -> str:
    shown = [_param_name(p) for p in sym.params if _param_name(p) not in _NOT_PARAMS]
    if sym.kind not in {"function", "method"}:
        # class, interface, struct, enum, trait, module, type, attribute, constant ...; an impl block
        # is named by its type
        what = "Implementation of" if sym.kind == "impl" else sym.kind.replace("_", " ").capitalize()
        typed = f", of type `{sym.type}`" if sym.type else ""
        return f"{what} `{sym.name.rsplit('.', 1)[-1]}`{typed}."
    what = "Method" if sym.kind == "method" else "Function"
    if not shown:
        return f"{what} `{sym.name.rsplit('.', 1)[-1]}`, taking no arguments."
    return f"{what} `{sym.name.rsplit('.', 1)[-1]}`, taking {', '.join(f'`{p}`' for p in shown)}."


def static_doc(sym: Symbol) -> SymbolDoc:
    """Documentation of ``sym`` from its signature and docstring alone."""
    summary, details = split_doc(sym.docstring)
    params = tuple((_param_name(p), p) for p in sym.params if _param_name(p) not in _NOT_PARAMS)
    return SymbolDoc(
        name=sym.id,
        summary=summary or _fallback_summary(sym),
        description=details,
        params=params,
        returns=_returns(sym.signature),
    )
