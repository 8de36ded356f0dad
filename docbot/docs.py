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

from docbot import doccomments

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
    # Deprecation and version notes, tags without a section of their own, and notes of the
    # truthfulness guard (names an answer used that the code does not have).
    notes: tuple[str, ...] = ()


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
                    notes=tuple(str(n) for n in s.get("notes", ())),
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


# Python's bare * and / markers are not parameters a caller passes (nor are receivers: ``is_receiver``).
_NOT_PARAMS = frozenset({"*", "/"})
_DEFAULT = re.compile(r"(?<![=!<>])=(?![=>])")
_C_LIKE = frozenset({"java", "c", "cpp", "csharp", "kotlin"})


_RUST_RECEIVER = re.compile(r"^(&\s*('\w+\s+)?)?(mut\s+)?self(\s*:.*)?$", re.DOTALL)
_JS_LANGUAGES = frozenset({"javascript", "typescript", "tsx"})


def is_receiver(param: str, language: str) -> bool:
    """Whether ``param``, one parameter as written, is the receiver rather than something a caller passes.

    Rust's receiver is spelled ``self`` (``&self``, ``&'a mut self``, ``mut self``, ``self: Box<Self>``);
    ``this`` there is an ordinary name. TypeScript's ``this: T`` and Java's ``T this`` declare the type of
    ``this`` and take no argument; Python's are ``self`` and ``cls`` (``language`` "" reads as Python).
    """
    text = " ".join(param.split())
    if language == "rust":
        return _RUST_RECEIVER.match(text) is not None
    if language in _JS_LANGUAGES:
        return text == "this" or text.startswith(("this:", "this :"))
    if language == "java":
        return text == "this" or text.endswith(" this")
    if language in {"", "python"}:
        return text in {"self", "cls"} or text.startswith(("self:", "cls:"))
    return False


def split_doc(doc: str | None) -> tuple[str | None, str]:
    """First sentence (or paragraph line) and the rest of a docstring."""
    if not doc:
        return None, ""
    summary, rest = doccomments.split_summary(doc)
    return summary or None, rest


# Words that end or make up a C or C++ type, never a parameter's name: `unsigned int`, `const options`.
_C_TYPE_WORDS = frozenset(
    {"int", "char", "short", "long", "float", "double", "bool", "void", "signed", "unsigned", "auto"}
    | {"wchar_t", "size_t"}
)
_C_QUALIFIERS = frozenset({"const", "volatile", "struct", "class", "enum", "union", "typename"})


def _c_like(param: str, language: str) -> doccomments.Param:
    # `const char *s`, `final String... b`, `int n[]`: the name is the last word, the rest its type; a
    # space, `*` or `&` sets the name apart (`std::string` is a type alone).
    match = re.match(r"^(.*?[\s*&.])([A-Za-z_$][\w$]*)(\s*\[\s*\])*\s*$", param)
    unnamed = not match or not match.group(1).strip()
    if language in {"c", "cpp"} and match and not unnamed:
        # C and C++ may leave a parameter unnamed: `unsigned int`, `const options` are types alone.
        qualifiers_only = set(match.group(1).split()) <= _C_QUALIFIERS
        unnamed = match.group(2) in _C_TYPE_WORDS | _C_QUALIFIERS or qualifiers_only
    if unnamed or match is None:
        if language in {"c", "cpp"}:
            return doccomments.Param("", type=param.strip())  # `const options &`: its type is all it has
        return doccomments.Param(param.strip())
    typ = (match.group(1) + (match.group(3) or "")).strip()
    return doccomments.Param(match.group(2), type=typ)


# An annotation laid out over several lines keeps, once joined, the spaces its line breaks left inside
# its brackets (``tuple[ int, str, ]``) and the trailing comma.
_INNER_SPACE = re.compile(r"(?<=[\[({])\s+|,?\s+(?=[\])}])|,(?=[\])}])")


def _tight(annotation: str) -> str:
    return _INNER_SPACE.sub("", annotation)


def signature_params(sym: Symbol, language: str = "") -> list[doccomments.Param]:
    """The parameters a caller passes, from the signature: name, declared type and default."""
    out: list[doccomments.Param] = []
    for raw in sym.params:
        param = " ".join(raw.split())
        if param in _NOT_PARAMS or is_receiver(param, language):
            continue
        parts = _DEFAULT.split(param, maxsplit=1)
        head = parts[0].strip()
        default_text = parts[1].strip() if len(parts) > 1 else None
        if language == "go":
            names, _, typ = head.rpartition(" ")
            for name in (names or typ).split(","):
                out.append(doccomments.Param(name.strip(), type=typ if names else None))
            continue
        if language in _C_LIKE:
            if language in {"c", "cpp"} and head == "void":
                continue  # `f(void)`: C's way to say "no parameters"
            found = _c_like(head, language)
            out.append(doccomments.Param(found.name, type=found.type, default=default_text))
            continue
        if language == "ruby" and ":" in head and default_text is None:
            name, _, value = head.partition(":")  # keyword argument `key:` or `key: default`
            out.append(doccomments.Param(name.strip(), default=value.strip() or None))
            continue
        name, colon, typ = head.partition(":")
        typ = _tight(typ)
        name = name.strip().removeprefix("mut ").strip()
        optional = language in {"typescript", "tsx", "javascript"} and name.endswith("?")
        out.append(
            doccomments.Param(
                name.rstrip("?") if optional else name,
                type=typ.strip() if colon else None,
                default=default_text,
                optional=optional,
            )
        )
    return out


def _returns(signature: str) -> str | None:
    # Only a def has a return annotation: a constant's value may hold "->" (say an HTML comment's "-->").
    if not signature.lstrip().startswith(("def ", "async def ")) or "->" not in signature:
        return None
    return signature.rsplit("->", 1)[1].strip().rstrip(":").strip() or None


def declared_returns(sym: Symbol, language: str) -> str | None:
    """The return type ``sym`` declares: the one its syntax tree gives (``Symbol.returns``, the type
    alone in every language), else a Python signature's annotation."""
    if sym.returns is not None or language not in {"", "python"}:
        return sym.returns
    return _returns(sym.signature)


def _fallback_summary(sym: Symbol, params: list[doccomments.Param]) -> str:
    shown = [p.name or p.type or "" for p in params]  # an unnamed C++ parameter by its type
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


def fallback_summary(sym: Symbol, language: str = "") -> str:
    """The sentence ``static_doc`` gives a symbol without a docstring ("Class `Box`."): its kind and name.

    A page shows neither (its heading says both); a docstring written back needs a first line, and this
    is the one it gets.
    """
    return _fallback_summary(sym, signature_params(sym, language))


def _code(text: str) -> str:
    return f"``{text}``" if "`" in text else f"`{text}`"


def param_text(declared: doccomments.Param, documented: doccomments.Param | None) -> str:
    """What a parameter's line says after its name: type and default once, then its description.

    Never the name again: an undocumented ``x: int = 3`` reads "`int`, default `3`", not "x: int = 3".
    """
    typ = _unquoted(declared.type or (documented.type if documented else None))
    default = declared.default or (documented.default if documented else None)
    optional = not default and (declared.optional or (documented is not None and documented.optional))
    facts = ", ".join(
        part
        for part in (
            _code(typ) if typ else "",
            f"default {_code(default)}" if default else "",
            "optional" if optional else "",
        )
        if part
    )
    description = documented.description if documented else ""
    if facts and description:
        return f"{facts}: {description}"  # as a "Returns" or "Raises" line reads
    return facts or description


def _unquoted(annotation: str | None) -> str | None:
    """A forward reference (``"RetryCallState"``) as the type it names, so it reads and links as one."""
    if annotation and len(annotation) > 2 and annotation[0] == annotation[-1] and annotation[0] in "'\"":
        inner = annotation[1:-1]
        if "'" not in inner and '"' not in inner:
            return inner
    return annotation


def _raised(raised: doccomments.Raised) -> str:
    if raised.type and raised.description:
        return f"{_code(raised.type)}: {raised.description}"
    return _code(raised.type) if raised.type else raised.description


# A function that returns nothing says so in its signature already; a "Returns" line would only repeat it.
_NOTHING = frozenset({"None", "void", "()", "NoReturn", "Never"})


def _returns_text(comment: doccomments.DocComment, declared: str | None) -> str | None:
    typ = _unquoted(declared or comment.returns_type)
    if typ in _NOTHING and not comment.returns:
        return None
    if comment.returns and typ:
        return f"{_code(typ)}: {comment.returns}"
    if typ:
        return _code(typ)
    return comment.returns


def undocumented_throws(sym: Symbol, comment: doccomments.DocComment) -> list[doccomments.Raised]:
    """The exceptions ``sym``'s signature declares (Java's ``throws``) that its docs do not describe."""
    described = {(r.type or "").rsplit(".", 1)[-1] for r in comment.raises}
    return [doccomments.Raised(t) for t in sym.throws if t.rsplit(".", 1)[-1] not in described]


def doc_notes(comment: doccomments.DocComment) -> tuple[str, ...]:
    """The version notes (deprecation first) and tag notes of a parsed doc comment, as sentences."""
    ordered = sorted(comment.versions, key=lambda v: v.kind != "deprecated")
    return tuple(v.sentence() for v in ordered) + comment.notes


def static_doc(sym: Symbol, language: str = "") -> SymbolDoc:
    """Documentation of ``sym`` from its signature and its parsed docstring or doc comment alone."""
    comment = doccomments.parse(sym.docstring, language or "python")
    comment = doccomments.with_deprecation(comment, doccomments.attribute_deprecation(sym.decorators))
    declared = signature_params(sym, language)
    names = {p.name.lstrip("*&$") for p in declared}
    params = [(p.name, param_text(p, comment.param(p.name))) for p in declared]
    # Documented parameters the signature spreads (``**kwargs`` options, C varargs) are kept after them.
    params += [(p.name, param_text(p, p)) for p in comment.params if p.name.lstrip("*&$") not in names]
    return SymbolDoc(
        name=sym.id,
        summary=comment.summary or _fallback_summary(sym, declared),
        description=comment.description,
        params=tuple(params),
        returns=_returns_text(comment, declared_returns(sym, language)),
        raises=tuple(_raised(r) for r in (*comment.raises, *undocumented_throws(sym, comment))),
        example="\n\n".join(comment.examples) or None,
        notes=doc_notes(comment),
    )
