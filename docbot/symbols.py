"""Source text -> ``Symbol`` values (functions, classes, methods) via tree-sitter.

Each language registers an extractor; the extractor walks the syntax tree and yields symbols with
qualified names (``Class.method``, ``outer.inner``), 1-based inclusive line ranges that include
decorators, the signature text, the docstring or leading comment, parameters, and the sha256 of the
symbol's own source. tree-sitter recovers from syntax errors, so a broken file still yields what can be
found and never raises.
"""

from __future__ import annotations

import hashlib
import inspect
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass

import tree_sitter

from docbot import languages


@dataclass(frozen=True)
class Symbol:
    """A documentable definition in a source file."""

    name: str  # qualified: Class.method, outer.inner
    kind: str  # function | method | class
    start: int  # 1-based, inclusive, decorators and leading comment included
    end: int  # 1-based, inclusive
    signature: str
    sha256: str
    docstring: str | None = None
    params: tuple[str, ...] = ()
    parent: str | None = None

    @property
    def depth(self) -> int:
        return self.name.count(".")

    @property
    def lines(self) -> int:
        return self.end - self.start + 1

    def to_json(self) -> dict[str, object]:
        return {"name": self.name, "kind": self.kind, "start": self.start, "end": self.end}


def count_phrase(counts: Mapping[str, int]) -> str:
    """``{"class": 1, "method": 6}`` -> ``"1 class, 6 methods"`` (sorted by kind)."""
    words = []
    for kind, n in sorted(counts.items()):
        plural = kind if n == 1 else (f"{kind}es" if kind.endswith(("s", "sh", "ch", "x")) else f"{kind}s")
        words.append(f"{n} {plural}")
    return ", ".join(words)


Extractor = Callable[[tree_sitter.Node, bytes, list[bytes]], Iterator[Symbol]]
_EXTRACTORS: dict[str, Extractor] = {}


def register_extractor(language: str, extractor: Extractor) -> None:
    _EXTRACTORS[language] = extractor


def supported(language: str | None) -> bool:
    return language is not None and language in _EXTRACTORS


def extract_symbols(source: str, language: str) -> list[Symbol]:
    """All symbols of ``source`` in source order (outer before inner).

    Args:
        source: the file's text.
        language: a registered language name (see ``languages.language_for``).

    Returns:
        Symbols sorted by start line, then by depth. Empty when the language has no extractor.
    """
    extractor = _EXTRACTORS.get(language)
    if extractor is None:
        return []
    data = source.encode("utf-8", errors="surrogateescape")
    tree = languages.parser(language).parse(data)
    lines = data.split(b"\n")
    found = list(extractor(tree.root_node, data, lines))
    return sorted(found, key=lambda s: (s.start, s.depth, -s.end))


def _text(node: tree_sitter.Node | None, data: bytes) -> str:
    if node is None:
        return ""
    return data[node.start_byte : node.end_byte].decode("utf-8", errors="replace")


def _digest(lines: list[bytes], start: int, end: int) -> str:
    return hashlib.sha256(b"\n".join(lines[start - 1 : end])).hexdigest()


def _leading_comment(lines: list[bytes], start: int, prefix: bytes) -> tuple[int, str | None]:
    """Comment lines directly above line ``start`` (1-based): the new start and their text."""
    first = start
    while first > 1 and lines[first - 2].strip().startswith(prefix):
        first -= 1
    if first == start:
        return start, None
    text = "\n".join(
        line.strip()[len(prefix) :].strip().decode("utf-8", errors="replace")
        for line in lines[first - 1 : start - 1]
    )
    return first, text or None


# --- Python ---

_PY_STRING_PREFIXES = "rRbBuUfF"


def _py_string_value(node: tree_sitter.Node, data: bytes) -> str:
    raw = _text(node, data).lstrip(_PY_STRING_PREFIXES)
    for quote in ('"""', "'''", '"', "'"):
        if raw.startswith(quote) and raw.endswith(quote) and len(raw) >= 2 * len(quote):
            raw = raw[len(quote) : -len(quote)]
            break
    # Dedent like inspect.cleandoc so the text reads well in Markdown.
    return inspect.cleandoc(raw)


def _py_docstring(definition: tree_sitter.Node, data: bytes) -> str | None:
    body = definition.child_by_field_name("body")
    if body is None or body.named_child_count == 0:
        return None
    first = body.named_children[0]
    if first.type == "expression_statement" and first.named_child_count == 1:
        value = first.named_children[0]
        if value.type == "string":
            return _py_string_value(value, data) or None
    return None


def _py_signature(definition: tree_sitter.Node, data: bytes) -> str:
    body = definition.child_by_field_name("body")
    end = body.start_byte if body is not None else definition.end_byte
    text = data[definition.start_byte : end].decode("utf-8", errors="replace").rstrip()
    text = text.removesuffix(":").rstrip()
    return " ".join(text.split())


def _py_params(definition: tree_sitter.Node, data: bytes) -> tuple[str, ...]:
    params = definition.child_by_field_name("parameters")
    if params is None:
        return ()
    return tuple(
        " ".join(_text(child, data).split()) for child in params.named_children if child.type != "comment"
    )


def _python_symbols(root: tree_sitter.Node, data: bytes, lines: list[bytes]) -> Iterator[Symbol]:
    # Iterative walk with an explicit stack: deeply nested code must not hit Python's recursion limit.
    stack: list[tuple[tree_sitter.Node, str | None, str | None]] = [(root, None, None)]
    while stack:
        node, parent_name, parent_kind = stack.pop()
        children = node.children
        for child in reversed(children):
            outer = child
            definition = child
            if child.type == "decorated_definition":
                inner = child.child_by_field_name("definition")
                if inner is None:
                    continue
                definition = inner
            if definition.type not in {"function_definition", "class_definition"}:
                if child.type in {
                    "block",
                    "if_statement",
                    "try_statement",
                    "with_statement",
                    "else_clause",
                    "elif_clause",
                    "except_clause",
                    "finally_clause",
                    "for_statement",
                    "while_statement",
                    "ERROR",
                    "module",
                } or child.type.endswith("_clause"):
                    stack.append((child, parent_name, parent_kind))
                continue
            name_node = definition.child_by_field_name("name")
            if name_node is None:
                continue
            short = _text(name_node, data)
            name = f"{parent_name}.{short}" if parent_name else short
            if definition.type == "class_definition":
                kind = "class"
            else:
                kind = "method" if parent_kind == "class" else "function"
            start = outer.start_point.row + 1
            end = outer.end_point.row + 1
            docstring = _py_docstring(definition, data)
            start, comment = _leading_comment(lines, start, b"#")
            yield Symbol(
                name=name,
                kind=kind,
                start=start,
                end=end,
                signature=_py_signature(definition, data),
                sha256=_digest(lines, start, end),
                docstring=docstring or comment,
                params=_py_params(definition, data),
                parent=parent_name,
            )
            body = definition.child_by_field_name("body")
            if body is not None:
                stack.append((body, name, kind))


register_extractor("python", _python_symbols)
