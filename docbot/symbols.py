"""Source text -> ``Symbol`` values (functions, classes, methods, types ...) via tree-sitter.

One generic extractor serves every language with a grammar: the language's definitions query (run in
C by tree-sitter, so a file with thousands of nested functions costs no Python recursion) finds the
definition nodes; nesting comes from a stack over their byte ranges. Each symbol gets a qualified name
(``Class.method``, ``outer.inner``), 1-based inclusive lines that include decorators, ``export`` and the
doc comment directly above, its signature text, docstring or doc comment, parameters, and the sha256
of its own source. tree-sitter recovers from syntax errors, so a broken file still yields what can be
found and never raises. A language may register its own extractor instead (``register_extractor``).
"""

from __future__ import annotations

import hashlib
import inspect
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

import tree_sitter

from docbot import languages

# Kinds whose member functions are methods (a function in a namespace or module stays a function).
CONTAINER_KINDS = frozenset({"class", "interface", "struct", "enum", "trait", "impl"})
_SIGNATURE_MAX = 400


@dataclass(frozen=True)
class Symbol:
    """A documentable definition in a source file."""

    name: str  # qualified: Class.method, outer.inner
    kind: str  # function | method | class | interface | struct | enum | trait | impl | module | type
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


Extractor = Callable[[tree_sitter.Node, bytes, list[bytes]], Iterable[Symbol]]
_EXTRACTORS: dict[str, Extractor] = {}


def register_extractor(language: str, extractor: Extractor) -> None:
    """Use ``extractor`` instead of the generic, query-driven one for ``language`` (which needs a grammar:
    the extractor walks its syntax tree)."""
    _EXTRACTORS[language] = extractor


def supported(language: str | None) -> bool:
    """Whether docbot can document files of ``language`` (with symbols, or by lines without a grammar)."""
    return language is not None and language in languages.languages()


def has_symbols(language: str | None) -> bool:
    """Whether ``language`` has a grammar, so its files yield symbols."""
    if language is None or language not in languages.languages():
        return False
    return languages.spec(language).has_grammar


def parse(source: str, language: str) -> tree_sitter.Tree | None:
    """The syntax tree of ``source``, or ``None`` when ``language`` has no grammar.

    Raises:
        ConfigError: the language is not registered.
    """
    if not languages.spec(language).has_grammar:
        return None
    return languages.parser(language).parse(_encode(source))


def extract_symbols(source: str, language: str, *, tree: tree_sitter.Tree | None = None) -> list[Symbol]:
    """All symbols of ``source`` in source order (outer before inner).

    Args:
        source: the file's text.
        language: a registered language name (see ``languages.language_for``).
        tree: the result of ``parse(source, language)`` when the caller already has it.

    Returns:
        Symbols sorted by start line, outer before inner. Empty when the language is unknown or has
        no grammar (such files are documented at module level).
    """
    if not has_symbols(language):
        return []
    data = _encode(source)
    if tree is None:
        tree = languages.parser(language).parse(data)
    lines = data.split(b"\n")
    extractor = _EXTRACTORS.get(language)
    found = (
        list(extractor(tree.root_node, data, lines)) if extractor else _generic(language, tree, data, lines)
    )
    order = {id(s): i for i, s in enumerate(found)}
    return sorted(found, key=lambda s: (s.start, -s.end, order[id(s)]))


def _encode(source: str) -> bytes:
    return source.encode("utf-8", errors="surrogateescape")


def _text(node: tree_sitter.Node | None, data: bytes) -> str:
    if node is None:
        return ""
    return data[node.start_byte : node.end_byte].decode("utf-8", errors="replace")


def _end_row(node: tree_sitter.Node) -> int:
    # A node that swallows its line's newline (a `#include`, a Rust `///` comment) "ends" at column 0
    # of the next row; its last real line is the one before.
    row, column = node.end_point
    return row - 1 if column == 0 and row > node.start_point.row else row


def _digest(lines: list[bytes], start: int, end: int) -> str:
    return hashlib.sha256(b"\n".join(lines[start - 1 : end])).hexdigest()


def _starts_line(node: tree_sitter.Node, lines: list[bytes]) -> bool:
    row, column = node.start_point
    # A UTF-8 byte order mark before the first line's code counts as whitespace.
    return row < len(lines) and not lines[row][:column].removeprefix(b"\xef\xbb\xbf").strip()


# --- names ---

_DECLARATOR_LEAVES = frozenset(
    {"identifier", "field_identifier", "qualified_identifier", "destructor_name", "operator_name"}
)


def _declarator_name(node: tree_sitter.Node, data: bytes) -> str | None:
    """Follow a C/C++ declarator chain (pointer -> function -> identifier) to the declared name."""
    current = node.child_by_field_name("declarator")
    for _ in range(32):  # bounded: declarators nest a handful of levels, never more
        if current is None:
            return None
        if current.type in _DECLARATOR_LEAVES or current.type == "type_identifier":
            return _text(current, data).replace("::", ".")
        current = current.child_by_field_name("declarator")
    return None


def _go_receiver(node: tree_sitter.Node, data: bytes) -> str | None:
    receiver = node.child_by_field_name("receiver")
    if receiver is None:
        return None
    for param in receiver.named_children:
        kind = param.child_by_field_name("type")
        if kind is not None:
            # `*Point`, `Point[T]` -> `Point`
            return re.sub(r"\[.*$", "", _text(kind, data).lstrip("*").strip()) or None
    return None


def _name(node: tree_sitter.Node, data: bytes) -> str | None:
    kind = node.type
    if kind == "impl_item":
        target = _text(node.child_by_field_name("type"), data)
        trait = node.child_by_field_name("trait")
        return f"<{target} as {_text(trait, data)}>" if trait is not None else target or None
    if kind == "assignment_expression":
        return _text(node.child_by_field_name("left"), data) or None
    if kind == "field_definition":
        return _text(node.child_by_field_name("property"), data) or None
    if kind == "type_definition":
        return _declarator_name(node, data)
    name = node.child_by_field_name("name")
    if name is not None:
        text = _text(name, data)
        if kind == "method_declaration":
            receiver = _go_receiver(node, data)
            return f"{receiver}.{text}" if receiver else text
        if kind in {"module", "internal_module"}:
            text = text.strip("\"'")
        return text or None
    if node.child_by_field_name("declarator") is not None:
        return _declarator_name(node, data)
    return None


def _kind(node: tree_sitter.Node, captured: str, parent_kind: str | None) -> str:
    if node.type == "type_spec":
        shape = node.child_by_field_name("type")
        if shape is not None and shape.type == "struct_type":
            return "struct"
        if shape is not None and shape.type == "interface_type":
            return "interface"
        return "type"
    if captured == "function" and parent_kind in CONTAINER_KINDS:
        return "method"
    return captured


# --- signature, parameters, documentation ---


def _value(node: tree_sitter.Node) -> tree_sitter.Node | None:
    return node.child_by_field_name("value") or node.child_by_field_name("right")


def _body(node: tree_sitter.Node) -> tree_sitter.Node | None:
    body = node.child_by_field_name("body")
    if body is None:
        inner = _value(node) or node.child_by_field_name("type")
        if inner is not None:
            body = inner.child_by_field_name("body")
    return body


def _signature(node: tree_sitter.Node, start_byte: int, data: bytes) -> str:
    body = _body(node)
    if body is not None and body.start_byte > start_byte:
        end = body.start_byte
        for child in node.children:  # `class A:  # note` -> the comment is not part of the signature
            if "comment" in child.type and start_byte < child.start_byte < end:
                end = child.start_byte
                break
        raw = data[start_byte:end]
    else:
        raw = data[start_byte : node.end_byte].split(b"\n", 1)[0]
    text = " ".join(raw.decode("utf-8", errors="replace").split()).rstrip("{:=; ").rstrip()
    if len(text) > _SIGNATURE_MAX:
        text = text[: _SIGNATURE_MAX - 1].rstrip() + "…"
    return text


def _parameters(node: tree_sitter.Node) -> tree_sitter.Node | None:
    params = node.child_by_field_name("parameters")
    if params is None:
        value = _value(node)
        if value is not None:
            params = value.child_by_field_name("parameters") or value.child_by_field_name("parameter")
    current: tree_sitter.Node | None = node
    for _ in range(32):  # C/C++: the parameters hang off the function declarator
        if params is not None or current is None:
            break
        current = current.child_by_field_name("declarator")
        params = current.child_by_field_name("parameters") if current is not None else None
    return params


def _params(node: tree_sitter.Node, data: bytes) -> tuple[str, ...]:
    params = _parameters(node)
    if params is None:
        return ()
    if params.named_child_count == 0 and params.type == "identifier":
        return (_text(params, data),)
    return tuple(
        " ".join(_text(child, data).split()) for child in params.named_children if "comment" not in child.type
    )


_PY_STRING_PREFIXES = "rRbBuUfF"
_COMMENT_MARKERS = re.compile(r"^\s*(///?|//!|/\*\*?|\*/|\*(?!/)|#+|--)\s?")


def _py_docstring(definition: tree_sitter.Node, data: bytes) -> str | None:
    body = definition.child_by_field_name("body")
    if body is None or body.named_child_count == 0:
        return None
    first = body.named_children[0]
    if first.type == "expression_statement" and first.named_child_count == 1:
        value = first.named_children[0]
        if value.type == "string":
            raw = _text(value, data).lstrip(_PY_STRING_PREFIXES)
            for quote in ('"""', "'''", '"', "'"):
                if raw.startswith(quote) and raw.endswith(quote) and len(raw) >= 2 * len(quote):
                    raw = raw[len(quote) : -len(quote)]
                    break
            # Dedent like inspect.cleandoc so the text reads well in Markdown.
            return inspect.cleandoc(raw) or None
    return None


def _comment_text(comments: list[tree_sitter.Node], data: bytes) -> str | None:
    out: list[str] = []
    for comment in comments:
        for line in _text(comment, data).splitlines():
            line = line.rstrip()
            if line.endswith("*/"):
                line = line[:-2].rstrip()
            out.append(_COMMENT_MARKERS.sub("", line, count=1).rstrip())
    text = "\n".join(out).strip()
    return inspect.cleandoc(text) if text else None


# --- the generic extractor ---


def _outer(node: tree_sitter.Node, wrappers: frozenset[str]) -> tree_sitter.Node:
    """The node plus the wrappers that belong to it alone (decorators, export, template, const)."""
    outer = node
    for _ in range(16):  # wrappers stack a few deep at most (export const f = ...)
        parent = outer.parent
        if parent is None or parent.type not in wrappers:
            break
        if sum(1 for child in parent.named_children if child.type == outer.type) != 1:
            break  # `const a = () => 1, b = () => 2`: the statement belongs to neither alone
        outer = parent
    return outer


def _leading(
    outer: tree_sitter.Node, lines: list[bytes], spec: languages.LanguageSpec
) -> tuple[int, list[tree_sitter.Node]]:
    """The first row of the comments/attributes directly above ``outer``, and those comments."""
    row = outer.start_point.row
    comments: list[tree_sitter.Node] = []
    first = outer
    for _ in range(10_000):  # bounded: a run of comment lines, not the file
        sibling = first.prev_sibling
        parent = first.parent
        if sibling is None and parent is not None and parent.start_byte == first.start_byte:
            # The first statement of a block: tree-sitter-python puts a comment between `class A:` and
            # the block as the block's sibling, not the statement's.
            first = parent
            continue
        if not (
            sibling is not None
            and sibling.type in spec.leading
            and row - 1 <= _end_row(sibling) <= row
            and _starts_line(sibling, lines)
        ):
            break
        if sibling.type in spec.comments:
            comments.append(sibling)
        row = sibling.start_point.row
        first = sibling
    comments.reverse()
    return row, comments


def _generic(language: str, tree: tree_sitter.Tree, data: bytes, lines: list[bytes]) -> list[Symbol]:
    spec = languages.spec(language)
    captures = tree_sitter.QueryCursor(languages.definitions_query(language)).captures(tree.root_node)
    found: dict[int, tuple[tree_sitter.Node, str]] = {}
    for captured, nodes in captures.items():
        for node in nodes:
            found.setdefault(node.id, (node, captured))
    definitions = sorted(found.values(), key=lambda pair: (pair[0].start_byte, -pair[0].end_byte))

    symbols: list[Symbol] = []
    # Open definitions enclosing the current one: (end byte, qualified name, kind). A stack, not
    # recursion, so thousands of nested functions cost nothing but memory.
    open_: list[tuple[int, str, str]] = []
    for node, captured in definitions:
        while open_ and open_[-1][0] <= node.start_byte:
            open_.pop()
        if node.type in {"struct_specifier", "union_specifier", "enum_specifier"} and (
            node.parent is not None and node.parent.type == "type_definition"
        ):
            continue  # `typedef struct S {...} T;` is documented once, as T
        short = _name(node, data)
        if not short:
            continue  # anonymous: neither a symbol nor a qualifier for what it holds
        short = " ".join(short.split())
        parent_name, parent_kind = (open_[-1][1], open_[-1][2]) if open_ else (None, None)
        name = f"{parent_name}.{short}" if parent_name else short
        kind = _kind(node, captured, parent_kind)
        outer = _outer(node, spec.wrappers)
        first_row, comments = _leading(outer, lines, spec)
        start, end = first_row + 1, _end_row(outer) + 1
        docstring = _py_docstring(node, data) if spec.docstrings else None
        sig_from = outer.start_byte if node.type in {"variable_declarator", "type_spec"} else node.start_byte
        symbols.append(
            Symbol(
                name=name,
                kind=kind,
                start=start,
                end=end,
                signature=_signature(node, sig_from, data),
                sha256=_digest(lines, start, end),
                docstring=docstring or _comment_text(comments, data),
                params=_params(node, data),
                parent=parent_name,
            )
        )
        open_.append((node.end_byte, name, kind))
    return symbols
