"""The truthfulness guard: a model's answer may only name what the code has.

Every backticked, code-like name in an answer (``foo``, ``Foo.bar``, ``foo()``) is looked up in what is
real: the words of the file's own code (its symbols, parameters, imports, locals), the repository's
symbol index (every symbol name of the files in the run) and the language's keywords and builtins. A
parameter the signature does not have is dropped. An answer whose summary names something unknown is
asked again once, with the list of real names; whatever is still unknown after that is kept, with a
note on the page naming it. The counts go to the report's ``quality`` section.
"""

from __future__ import annotations

import builtins
import keyword
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace

from docbot.chunking import Chunk
from docbot.docs import ChunkDoc, SymbolDoc, signature_params
from docbot.symbols import DATA_KINDS, Symbol

_SPAN = re.compile(r"(`+)(.+?)\1")
_SEPARATORS = re.compile(r"\.|::|->|#")
_CODE_LIKE = re.compile(r"^[A-Za-z_$][\w$]*(?:(?:\.|::|->|#)[A-Za-z_$][\w$]*)*(?:\(\))?$")
_WORD = re.compile(r"[A-Za-z_$][\w$]*")
_REAL_NAMES_MAX = 200  # names listed when asking again; a huge file's list is cut, not the request
# Literals and type names every language shares, on top of Python's keywords and builtins.
COMMON = frozenset(
    {
        *keyword.kwlist,
        *dir(builtins),
        *[
            "true",
            "false",
            "null",
            "nil",
            "undefined",
            "NaN",
            "this",
            "self",
            "super",
            "void",
            "string",
            "number",
            "boolean",
            "any",
            "unknown",
            "never",
        ],
        *[
            "object",
            "symbol",
            "bigint",
            "int",
            "float",
            "double",
            "char",
            "bool",
            "byte",
            "rune",
            "error",
            "uint",
            "usize",
            "isize",
            "str",
        ],
        *[
            "i8",
            "i16",
            "i32",
            "i64",
            "u8",
            "u16",
            "u32",
            "u64",
            "f32",
            "f64",
            "String",
            "Vec",
            "Option",
            "Result",
            "Some",
            "Ok",
            "Err",
            "Box",
            "Self",
        ],
    }
)


@dataclass(frozen=True)
class Quality:
    """What the guard found in this run's fresh answers (cached answers were checked when first asked)."""

    unknown_names: int = 0  # backticked names found nowhere in the code, the index or the language
    dropped_params: int = 0  # documented parameters the signature does not have, dropped
    reasked: int = 0  # symbols asked again because their summary named something unknown

    def __add__(self, other: Quality) -> Quality:
        return Quality(
            self.unknown_names + other.unknown_names,
            self.dropped_params + other.dropped_params,
            self.reasked + other.reasked,
        )


@dataclass(frozen=True)
class Findings:
    """One answer checked: its unknown names by symbol id, params dropped, and who to ask again."""

    unknown: Mapping[str, tuple[str, ...]]
    dropped_params: int
    reask: tuple[str, ...]  # ids of symbols whose summary names something unknown


def code_names(text: str) -> list[str]:
    """The code-like names in ``text``'s code spans, in order (``foo()`` is ``foo``)."""
    names = []
    for match in _SPAN.finditer(text):
        span = match.group(2).strip()
        if _CODE_LIKE.match(span):
            names.append(span.removesuffix("()"))
    return names


def words(texts: Iterable[str]) -> frozenset[str]:
    """Every identifier-like word in ``texts`` (what the code itself names)."""
    return frozenset(w for text in texts for w in _WORD.findall(text))


def index(symbols: Iterable[Symbol]) -> frozenset[str]:
    """The repository's symbol index: every qualified name and each of its parts."""
    out: set[str] = set()
    for sym in symbols:
        out.add(sym.name)
        out.update(sym.name.split("."))
    return frozenset(out)


def is_known(name: str, known: frozenset[str]) -> bool:
    """Whether ``name`` (maybe dotted: ``obj.attr``, ``Type::method``) is real: whole, or its first or
    last part (``self.cache``, ``os.path``, ``Config.load``)."""
    parts = _SEPARATORS.split(name)
    return name in known or parts[0] in known or parts[-1] in known


def _bare(name: str) -> str:
    return name.strip().lstrip("*&$.").rstrip("?").removeprefix("mut ").strip()


def _params_of(sym: Symbol, language: str) -> frozenset[str]:
    if sym.kind in DATA_KINDS:
        return frozenset()
    return frozenset(_bare(p.name) for p in signature_params(sym, language))


def _texts(doc: SymbolDoc) -> list[str]:
    return [doc.description, doc.returns or "", *doc.raises, *(text for _, text in doc.params)]


def check(answer: ChunkDoc, chunk: Chunk, known: frozenset[str]) -> tuple[ChunkDoc, Findings]:
    """``answer`` without the parameters its symbols do not have, and what else it names that is unknown."""
    symbols = {s.id: s for s in chunk.symbols}
    unknown: dict[str, tuple[str, ...]] = {}
    reask: list[str] = []
    dropped = 0
    docs: list[SymbolDoc] = []
    for doc in answer.symbols:
        sym = symbols.get(doc.name)
        if sym is None:  # not this chunk's symbol: merge drops and counts it
            docs.append(doc)
            continue
        real = _params_of(sym, chunk.language)
        kept = tuple((name, text) for name, text in doc.params if _bare(name) in real)
        dropped += len(doc.params) - len(kept)
        doc = replace(doc, params=kept)
        docs.append(doc)
        in_summary = [n for n in code_names(doc.summary) if not is_known(n, known)]
        elsewhere = [n for t in _texts(doc) for n in code_names(t) if not is_known(n, known)]
        names = tuple(dict.fromkeys(in_summary + elsewhere))
        if names:
            unknown[doc.name] = names
        if in_summary:
            reask.append(doc.name)
    return replace(answer, symbols=tuple(docs)), Findings(unknown, dropped, tuple(reask))


def real_names(chunk: Chunk, asked: Iterable[str], file_symbols: Iterable[Symbol]) -> tuple[str, ...]:
    """The names an answer may use, for asking again: the file's symbols, then the asked ones' parameters."""
    by_id = {s.id: s for s in chunk.symbols}
    names = [s.name for s in file_symbols]
    for sid in asked:
        if sid in by_id:
            names += sorted(_params_of(by_id[sid], chunk.language))
    return tuple(dict.fromkeys(names))[:_REAL_NAMES_MAX]


def note(names: Iterable[str]) -> str:
    shown = ", ".join(f"`{n}`" for n in names)
    return f"Not found in the code (kept as the model wrote it): {shown}."


def settle(first: ChunkDoc, again: ChunkDoc | None, unknown: Mapping[str, tuple[str, ...]]) -> ChunkDoc:
    """The final answer: ``again``'s docs replace ``first``'s for the symbols it answered; every symbol
    with names still unknown (``unknown``, by id) carries a note naming them."""
    replaced = {d.name: d for d in again.symbols} if again else {}
    docs = []
    for doc in first.symbols:
        doc = replaced.get(doc.name, doc)
        if unknown.get(doc.name):
            doc = replace(doc, notes=(*doc.notes, note(unknown[doc.name])))
        docs.append(doc)
    usage = first.usage + again.usage if again else first.usage
    return replace(first, symbols=tuple(docs), usage=usage)
