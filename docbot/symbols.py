"""Source text -> ``Symbol`` values (functions, classes, methods, attributes, constants ...) via tree-sitter.

One generic extractor serves every language with a grammar: the language's definitions query (run in
C by tree-sitter, so a file with thousands of nested functions costs no Python recursion) finds the
definition nodes; nesting comes from a stack over their byte ranges. A small per-language profile
(``_PROFILES``) then says what the syntax alone cannot: which assignments are constants or fields, which
decorators make a property, which declarations are overload variants, and what is public.

Each symbol gets a qualified name (``Class.method``), an ``id`` unique in the file (``name``, then
``name@2`` for a second definition of that name: conditional definitions and redefinitions stay
apart), 1-based inclusive lines that include decorators, ``export`` and the doc comment directly
above, its whole signature, docstring or doc comment, parameters, decorators, overload variants, type
and value (for data), whether it is public, and the sha256 of its own source. tree-sitter recovers
from syntax errors, so a broken file still yields what can be found and never raises. A language may
register its own extractor instead (``register_extractor``).

Cost is linear in the file's size: each symbol hashes its own bytes (never whole lines, which in a
minified file are the whole file), and qualified names are capped in depth and length.
"""

from __future__ import annotations

import bisect
import hashlib
import inspect
import itertools
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field

import tree_sitter

from docbot import languages
from docbot.plural import count

# Kinds whose member functions are methods (a function in a namespace or module stays a function).
CONTAINER_KINDS = frozenset({"class", "interface", "struct", "enum", "trait", "impl"})
# Kinds that run code: what is defined inside them is local (a closure), never API.
FUNCTION_KINDS = frozenset({"function", "method", "property"})
# Kinds that hold data rather than code.
DATA_KINDS = frozenset({"attribute", "field", "constant", "variable", "enum_member"})
VISIBILITIES = ("public", "all")

_VALUE_MAX = 80  # characters of a value shown; longer ones are cut with a note
_NAME_PART_MAX = 120  # characters of one component of a qualified name
_NAME_DEPTH_MAX = 8  # components of a qualified name: the outermost and the innermost ones are kept


@dataclass(frozen=True)
class Symbol:
    """A documentable definition in a source file."""

    name: str  # qualified: Class.method, outer.inner
    kind: str  # a languages.KINDS entry: function, method, property, class, attribute, constant ...
    start: int  # 1-based, inclusive, decorators and leading comment included
    end: int  # 1-based, inclusive
    signature: str  # as written (several lines when the code has them), indentation normalised
    sha256: str
    docstring: str | None = None
    params: tuple[str, ...] = ()
    parent: str | None = None  # the enclosing symbol's id
    id: str = ""  # unique in the file: the name, or name@2, name@3 ... for later definitions of it
    decorators: tuple[str, ...] = ()  # as written: "@property", "@Override", "#[derive(Debug)]"
    overloads: tuple[str, ...] = ()  # signatures of the variants grouped under this implementation
    type: str | None = None  # declared type of an attribute, field or constant
    value: str | None = None  # its value, cut to a readable length (see ``notes``)
    public: bool = True  # part of the API under ``visibility: public``
    notes: tuple[str, ...] = ()  # what was shortened on the way (a value, a deeply nested name)
    # A function's declared return type as written, the type alone (never a Rust `where` clause);
    # ``None`` where the language has none to declare or the code declares none.
    returns: str | None = None
    # How many symbols enclose it; ``None``: one per dot of the name. A Go method (``UUID.String``) or
    # a C++ method defined outside its class (``Box.open``) is named by its type but nested in nothing.
    level: int | None = None
    # The exceptions its signature declares it throws (Java's `throws IOException`), as written.
    throws: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.id:
            object.__setattr__(self, "id", self.name)

    @property
    def depth(self) -> int:
        return self.name.count(".") if self.level is None else self.level

    @property
    def lines(self) -> int:
        return self.end - self.start + 1

    def to_json(self) -> dict[str, object]:
        """``name``, ``kind``, ``start``, ``end``; the other facts only where they say something (an id
        other than the name, decorators, overloads, type, value, notes, not public)."""
        data: dict[str, object] = {"name": self.name, "kind": self.kind, "start": self.start, "end": self.end}
        if self.id != self.name:
            data["id"] = self.id
        for key in ("decorators", "overloads", "notes"):
            if getattr(self, key):
                data[key] = list(getattr(self, key))
        for key in ("type", "value"):
            if getattr(self, key) is not None:
                data[key] = getattr(self, key)
        if not self.public:
            data["public"] = False
        return data


def count_phrase(counts: Mapping[str, int]) -> str:
    """``{"class": 1, "method": 6}`` -> ``"1 class, 6 methods"`` (sorted by kind)."""
    return ", ".join(count(n, kind) for kind, n in sorted(counts.items()))


def visible(symbols: Iterable[Symbol], visibility: str) -> list[Symbol]:
    """The symbols documented under ``visibility``: ``public`` keeps the API, ``all`` keeps everything.

    Raises:
        ValueError: ``visibility`` is neither ``public`` nor ``all``.
    """
    if visibility not in VISIBILITIES:
        raise ValueError(f"visibility {visibility!r}: use one of {', '.join(VISIBILITIES)}")
    return [s for s in symbols if visibility == "all" or s.public]


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
    return languages.parse(language, _encode(source))


def extract_symbols(
    source: str, language: str, *, tree: tree_sitter.Tree | None = None, visibility: str = "all"
) -> list[Symbol]:
    """The symbols of ``source`` in source order (outer before inner).

    Args:
        source: the file's text.
        language: a registered language name (see ``languages.language_for``).
        tree: the result of ``parse(source, language)`` when the caller already has it.
        visibility: ``all`` (every symbol, each flagged ``public`` or not) or ``public`` (the API only).

    Returns:
        Symbols sorted by start line, outer before inner. Empty when the language is unknown or has
        no grammar (such files are documented at module level).

    Raises:
        ValueError: an unknown ``visibility``.
    """
    if not has_symbols(language):
        return visible([], visibility)
    data = _encode(source)
    if tree is None:
        tree = languages.parse(language, data)
    lines = data.split(b"\n")
    extractor = _EXTRACTORS.get(language)
    found = (
        list(extractor(tree.root_node, data, lines)) if extractor else _generic(language, tree, data, lines)
    )
    order = {id(s): i for i, s in enumerate(found)}
    return visible(sorted(found, key=lambda s: (s.start, -s.end, order[id(s)])), visibility)


def _encode(source: str) -> bytes:
    return source.encode("utf-8", errors="surrogateescape")


def _text(node: tree_sitter.Node | None, data: bytes) -> str:
    if node is None:
        return ""
    return data[node.start_byte : node.end_byte].decode("utf-8", errors="replace")


def _flat(text: str) -> str:
    return " ".join(text.split())


# TypeScript's object types: their members may be separated by line breaks alone.
_MEMBER_LISTS = frozenset({"object_type"})


def _member_edits(node: tree_sitter.Node, data: bytes) -> list[tuple[int, int, str]]:
    """(start, end, replacement) byte edits that keep an object type's members apart once on one line:
    a `;` after a member that only a line break separated from the next, its comments dropped."""
    edits: list[tuple[int, int, str]] = []
    if node.type in _MEMBER_LISTS:
        members = [c for c in node.named_children if c.type != "comment"]
        edits += [(c.start_byte, c.end_byte, "") for c in node.named_children if c.type == "comment"]
        for member, following in itertools.pairwise(members):
            between = data[member.end_byte : following.start_byte]
            if b";" not in between and b"," not in between:
                edits.append((member.end_byte, member.end_byte, ";"))
    for child in node.named_children:
        edits += _member_edits(child, data)
    return edits


def _flat_node(node: tree_sitter.Node | None, data: bytes) -> str:
    """``node``'s text on one line, with the separators of the object types inside it kept."""
    if node is None:
        return ""
    parts: list[bytes] = []
    at = node.start_byte
    for start, end, replacement in sorted(_member_edits(node, data)):
        parts += [data[at:start], replacement.encode()]
        at = end
    parts.append(data[at : node.end_byte])
    return _flat(b"".join(parts).decode("utf-8", errors="replace"))


def _end_row(node: tree_sitter.Node) -> int:
    # A node that swallows its line's newline (a `#include`, a Rust `///` comment) "ends" at column 0
    # of the next row; its last real line is the one before.
    row, column = node.end_point
    return row - 1 if column == 0 and row > node.start_point.row else row


def _starts_line(node: tree_sitter.Node, data: bytes) -> bool:
    """Only whitespace before ``node`` on its line. Scans back from the node, not from the line's
    start: in a minified file the line is the whole file, and slicing it per node is quadratic."""
    i = node.start_byte - 1
    while i >= 0 and data[i] in b" \t\r\f\v":
        i -= 1
    # A UTF-8 byte order mark before the first line's code counts as whitespace.
    return i < 0 or data[i] == 0x0A or (i == 2 and data[:3] == b"\xef\xbb\xbf")


def _column(node: tree_sitter.Node, data: bytes) -> int:
    """The column ``node`` starts at, in bytes; a byte order mark before the first line is not one."""
    row, column = node.start_point
    return column - 3 if row == 0 and data[:3] == b"\xef\xbb\xbf" else column


# --- names ---

_DECLARATOR_LEAVES = frozenset(
    {"identifier", "field_identifier", "qualified_identifier", "destructor_name", "operator_name"}
)


def _inner_declarator(node: tree_sitter.Node) -> tree_sitter.Node | None:
    """The next link of a C/C++ declarator chain. tree-sitter-cpp gives a reference declarator
    (``options &f()``, ``T &&g()``) no ``declarator`` field: what it declares is its one named child."""
    inner = node.child_by_field_name("declarator")
    if inner is None and node.type == "reference_declarator":
        inner = next(iter(node.named_children), None)
    return inner


def _declarator_chain(node: tree_sitter.Node) -> Iterator[tree_sitter.Node]:
    """The links of the C/C++ declarator chain below ``node`` (pointer -> function -> identifier)."""
    current = _inner_declarator(node)
    for _ in range(32):  # bounded: declarators nest a handful of levels, never more
        if current is None:
            return
        yield current
        current = _inner_declarator(current)


def _declarator_name(node: tree_sitter.Node, data: bytes) -> str | None:
    """Follow a C/C++ declarator chain to the declared name."""
    leaf = next(
        (d for d in _declarator_chain(node) if d.type in _DECLARATOR_LEAVES or d.type == "type_identifier"),
        None,
    )
    return _text(leaf, data).replace("::", ".") if leaf is not None else None


def _function_declarator(node: tree_sitter.Node) -> tree_sitter.Node | None:
    """The ``function_declarator`` of a C/C++ function definition or prototype."""
    return next((d for d in _declarator_chain(node) if d.type == "function_declarator"), None)


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


_GO_EMBEDDABLE = frozenset({"type_identifier", "qualified_type", "generic_type"})


def _go_embedded(node: tree_sitter.Node, data: bytes) -> str | None:
    """The name of a Go embedded field (``io.Reader``, ``*Base``): its type's unqualified name, as Go
    names it; an interface embedded in an interface (``type_elem``) likewise. ``None`` for any other
    node (a C field always has a declarator)."""
    if node.type == "type_elem":
        embedded = node.named_children[0] if node.named_child_count == 1 else None
        return _go_embedded_name(embedded, data) if embedded is not None else None
    if node.type != "field_declaration" or node.child_by_field_name("name") is not None:
        return None
    embedded = node.child_by_field_name("type")
    if node.child_by_field_name("declarator") is not None or embedded is None:
        return None
    return _go_embedded_name(embedded, data)


def _go_embedded_name(embedded: tree_sitter.Node, data: bytes) -> str | None:
    if embedded.type not in _GO_EMBEDDABLE:
        return None
    return re.sub(r"\[.*$", "", _text(embedded, data)).rsplit(".", 1)[-1] or None


def _names(node: tree_sitter.Node, data: bytes) -> list[str]:
    """The names ``node`` declares: one for most definitions, several for ``const A, B = 1, 2``."""
    kind = node.type
    if kind in {"const_spec", "var_spec", "field_declaration"} and node.child_by_field_name("name"):
        # Go: `X, Y int` (the field also lists the comma between them)
        return [_text(n, data) for n in node.children_by_field_name("name") if n.is_named]
    embedded = _go_embedded(node, data)
    if embedded:
        return [embedded]
    if kind == "call":  # Ruby `attr_accessor :a, :b`
        args = node.child_by_field_name("arguments")
        found = args.named_children if args is not None else []
        return [_text(a, data).lstrip(":") for a in found if a.type == "simple_symbol"]
    name = _name(node, data)
    return [name] if name else []


def _name(node: tree_sitter.Node, data: bytes) -> str | None:
    kind = node.type
    if kind == "impl_item":
        target = _text(node.child_by_field_name("type"), data)
        trait = node.child_by_field_name("trait")
        return f"<{target} as {_text(trait, data)}>" if trait is not None else target or None
    if kind in {"assignment_expression", "assignment"}:
        left = node.child_by_field_name("left")
        if left is not None and left.type == "attribute":  # Python `self.x = ...`
            return _text(left.child_by_field_name("attribute"), data) or None
        return _text(left, data) or None
    if kind == "field_definition":
        return _text(node.child_by_field_name("property"), data) or None
    if kind in {"type_definition", "declaration", "field_declaration"}:
        return _declarator_name(node, data)
    if kind in {"property_identifier", "enumerator", "enum_constant", "enum_variant"} and not (
        node.child_by_field_name("name")
    ):
        return _text(node, data) or None
    if kind == "type_alias_statement":  # Python 3.12 `type X[T] = ...`
        left = node.child_by_field_name("left")
        return re.sub(r"\[.*$", "", _text(left, data)) or None
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
        found = _declarator_name(node, data)
        if found and _macro_type(node, data) == "~":  # `PYBIND11_NOINLINE ~G()`: a destructor
            parent, _, last = found.rpartition(".")
            return f"{parent}.~{last}" if parent else f"~{last}"
        return found
    return None


_MACRO = re.compile(r"[A-Z][A-Z0-9_]*")


def _macro_type(node: tree_sitter.Node, data: bytes) -> str | None:
    """What follows a macro that tree-sitter took for a C++ function's type (``PYBIND11_NOINLINE void
    f()`` parses as type ``PYBIND11_NOINLINE`` then an error ``void``): the error's text, else ``None``."""
    type_node = node.child_by_field_name("type")
    after = type_node.next_sibling if type_node is not None else None
    if after is None or after.type != "ERROR" or not _MACRO.fullmatch(_text(type_node, data)):
        return None
    return _flat(_text(after, data))


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


def _as_written(raw: bytes, column: int) -> str:
    """Signature text as written: the continuation lines lose the definition's own indentation (so
    a method's signature reads the same as a function's) and trailing blanks; nothing is cut."""
    lines = raw.decode("utf-8", errors="replace").replace("\t", "    ").split("\n")
    out = [lines[0].rstrip()]
    for line in lines[1:]:
        indent = len(line) - len(line.lstrip(" "))
        out.append(line[min(indent, column) :].rstrip())
    return "\n".join(line for line in out if line.strip()).strip()


def _signature(node: tree_sitter.Node, start_byte: int, data: bytes, *, whole: bool = False) -> str:
    body = _body(node)
    if body is not None and body.start_byte > start_byte:
        end = body.start_byte
        for child in node.children:  # `class A:  # note` -> the comment is not part of the signature
            # nor is a C++ constructor's member initializer list (`G() : a(1) {`), which is its body's
            # (after a macro, `PYBIND11_NOINLINE G() : a(1) {`, tree-sitter reads it as an error)
            initializer = child.type == "field_initializer_list" or (
                child.type == "ERROR" and data[child.start_byte : child.start_byte + 1] == b":"
            )
            if ("comment" in child.type or initializer) and start_byte < child.start_byte < end:
                end = child.start_byte
                break
        raw = data[start_byte:end]
    elif whole:  # a declaration without body (an overload variant, a prototype): all of it
        raw = data[start_byte : node.end_byte]
    else:
        raw = data[start_byte : node.end_byte].split(b"\n", 1)[0]
    return _as_written(raw, _indentation(data, start_byte)).rstrip("{:=; \r").rstrip()


def _indentation(data: bytes, at: int) -> int:
    """The width of the indentation of the line holding byte ``at``, a tab as four spaces (as
    ``_as_written`` expands them): what the signature's continuation lines lose. The line's, not the
    definition's column: after ``export`` the continuation lines are indented from the line's start."""
    line_start = data.rfind(b"\n", max(0, at - 4096), at) + 1
    head = data[line_start:at]
    indent = head[: len(head) - len(head.lstrip(b" \t"))]
    return len(indent) + 3 * indent.count(b"\t")


def _parameters(node: tree_sitter.Node) -> tree_sitter.Node | None:
    params = node.child_by_field_name("parameters")
    if params is None:
        value = _value(node)
        if value is not None:
            params = value.child_by_field_name("parameters") or value.child_by_field_name("parameter")
    if params is None:  # C/C++: the parameters hang off the function declarator
        links = (d.child_by_field_name("parameters") for d in _declarator_chain(node))
        params = next((p for p in links if p is not None), None)
    return params


def _params(node: tree_sitter.Node, data: bytes) -> tuple[str, ...]:
    params = _parameters(node)
    if params is None:
        return ()
    if params.named_child_count == 0 and params.type == "identifier":
        return (_text(params, data),)
    return tuple(_flat_node(child, data) for child in params.named_children if "comment" not in child.type)


# Function nodes of C, C++ and Java whose ``type`` field is the return type.
# (Java's annotation elements too: `String value() default "x";`.)
_TYPE_FIRST_FUNCTIONS = frozenset(
    {"function_definition", "declaration", "field_declaration", "method_declaration"}
    | {"annotation_type_element_declaration"}
)


def _return_type(node: tree_sitter.Node, data: bytes) -> str | None:
    """The return type a function declares, the type alone, on one line.

    Taken from the syntax tree, never by splitting the signature's text: a Rust ``where`` clause, a
    Java ``throws`` list or a C++ ``const`` qualifier follows the type without being part of it.
    """
    # Rust, TypeScript, Python: `return_type`; Go: `result`. An arrow function or function expression
    # held by a declaration or a class field declares it on the value.
    for holder in (node, _value(node)):
        found = None
        if holder is not None:
            found = holder.child_by_field_name("return_type") or holder.child_by_field_name("result")
        if found is not None:
            return _flat_node(found, data).removeprefix(":").strip() or None
    if node.type not in _TYPE_FIRST_FUNCTIONS:
        return None
    type_node = node.child_by_field_name("type")
    if type_node is None:
        return None  # a constructor or a destructor
    function = _function_declarator(node)
    if function is None:  # Java: the type is all there is
        return _flat(_text(type_node, data)) or None
    trailing = next((c for c in function.named_children if c.type == "trailing_return_type"), None)
    if trailing is not None and _text(type_node, data) == "auto":  # `auto f() -> int`
        return _flat(_text(trailing, data)).removeprefix("->").strip() or None
    macro = _macro_type(node, data)
    if macro is not None:  # `PYBIND11_NOINLINE void f()`: the type is what follows the macro
        start = type_node.next_sibling.start_byte if type_node.next_sibling else type_node.start_byte
        shown = _flat(data[start : function.start_byte].decode("utf-8", errors="replace"))
        return None if shown.startswith("~") else shown or None
    if _MACRO.fullmatch(_text(type_node, data)) and _constructs(node, function, data):
        return None  # `PYBIND11_NOINLINE G()`: a constructor after a macro
    # `const char *name()`, `state &global_state()`: the qualifiers before the type and the pointer
    # and reference marks between it and the name belong to the type.
    start = type_node.start_byte
    for child in node.children:
        if child.type == "type_qualifier" and child.end_byte <= type_node.start_byte:
            start = min(start, child.start_byte)
    return _flat(data[start : function.start_byte].decode("utf-8", errors="replace")) or None


def _constructs(node: tree_sitter.Node, function: tree_sitter.Node, data: bytes) -> bool:
    """Whether a C++ function is a constructor: named like its class (``G::G``, or ``G`` inside ``G``)."""
    name = _text(function.child_by_field_name("declarator"), data).split("::")
    if len(name) > 1:
        return name[-1] == name[-2]
    holder = node.parent.parent if node.parent is not None else None
    return holder is not None and _text(holder.child_by_field_name("name"), data) == name[-1]


_PY_STRING_PREFIXES = "rRbBuUfF"
_COMMENT_MARKERS = re.compile(r"^\s*(///?|//!|/\*\*?|\*/|\*(?!/)|#+:?|--)\s?")


def _py_string(node: tree_sitter.Node, data: bytes) -> str | None:
    """The text of a statement that is one string literal (a docstring), else ``None``."""
    if node.type != "expression_statement" or node.named_child_count != 1:
        return None
    value = node.named_children[0]
    if value.type != "string":
        return None
    raw = _text(value, data).lstrip(_PY_STRING_PREFIXES)
    for quote in ('"""', "'''", '"', "'"):
        if raw.startswith(quote) and raw.endswith(quote) and len(raw) >= 2 * len(quote):
            raw = raw[len(quote) : -len(quote)]
            break
    # Dedent like inspect.cleandoc so the text reads well in Markdown.
    return inspect.cleandoc(raw) or None


def _py_docstring(definition: tree_sitter.Node, data: bytes) -> str | None:
    body = definition.child_by_field_name("body")
    if body is None or body.named_child_count == 0:
        return None
    return _py_string(body.named_children[0], data)


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


def _shorten(text: str, limit: int, what: str, notes: list[str]) -> str:
    if len(text) <= limit:
        return text
    kept = text[: limit - 1].rstrip()
    notes.append(f"{what} shortened: {len(text)} characters, the first {len(kept)} shown")
    return kept + "…"


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


def _previous(node: tree_sitter.Node, spec: languages.LanguageSpec) -> tree_sitter.Node | None:
    """The node before ``node``; a comment that ends the statement before it when there is one.

    A C or C++ macro without a semicolon (``PYBIND11_NAMESPACE_BEGIN(detail)``) is parsed as an unfinished
    statement that swallows the comments below it, so the doc comment above the next declaration would
    otherwise belong to nobody.
    """
    sibling = node.prev_sibling
    if sibling is None or sibling.type in spec.leading:
        return sibling
    # The parser closes such a statement with a missing (zero-width) semicolon after the comments.
    last = next((c for c in reversed(sibling.children) if not c.is_missing), None)
    return last if last is not None and last.type in spec.comments else sibling


def _throws(node: tree_sitter.Node, data: bytes) -> tuple[str, ...]:
    """The exception types a Java method or constructor declares (``throws IOException, EOFException``)."""
    clause = next((c for c in node.children if c.type == "throws"), None)
    return tuple(_flat(_text(t, data)) for t in clause.named_children) if clause is not None else ()


_RUST_INNER_DOCS = frozenset({b"//!", b"/*!"})


# Doc comments that document the next definition even across blank lines, as tsc, javadoc, rustdoc
# and Doxygen read them: `/** ... */` (and Rust's `///`). A plain comment, or Go's, must touch it.
_DETACHED_DOC_LANGUAGES = frozenset({"javascript", "typescript", "tsx", "java", "rust", "c", "cpp"})
_FILE_DOC_TAGS = re.compile(rb"@(?:file|fileoverview|module|packageDocumentation|license)\b")


def _detached_doc(comment: tree_sitter.Node, data: bytes, spec: languages.LanguageSpec) -> bool:
    """A doc comment above a definition with blank lines between, that still documents it: not the
    file's first node (a file header) and no file-level tag (``@file``, ``@module`` ...)."""
    if spec.name not in _DETACHED_DOC_LANGUAGES or comment.prev_sibling is None:
        return False
    head = data[comment.start_byte : comment.start_byte + 4]
    doc = (head.startswith(b"/**") and head != b"/**/") or (
        spec.name == "rust" and head.startswith(b"///") and head != b"////"
    )
    return doc and _FILE_DOC_TAGS.search(data[comment.start_byte : comment.end_byte]) is None


def _leading(
    outer: tree_sitter.Node, data: bytes, spec: languages.LanguageSpec
) -> tuple[tree_sitter.Node, list[tree_sitter.Node], list[tree_sitter.Node]]:
    """The first node directly above ``outer`` that belongs to it, its comments, and the other
    leading nodes (attributes, decorators), both in source order."""
    row = outer.start_point.row
    comments: list[tree_sitter.Node] = []
    others: list[tree_sitter.Node] = []
    first = outer
    top = outer
    for _ in range(10_000):  # bounded: a run of comment lines, not the file
        sibling = _previous(first, spec)
        parent = first.parent
        if sibling is None and parent is not None and parent.start_byte == first.start_byte:
            # The first statement of a block: tree-sitter-python puts a comment between `class A:` and
            # the block as the block's sibling, not the statement's.
            first = parent
            continue
        if not (
            sibling is not None
            and sibling.type in spec.leading
            and (
                row - 1 <= _end_row(sibling) <= row
                or (not comments and not others and _detached_doc(sibling, data, spec))
            )
            and _starts_line(sibling, data)
            # A comment indented deeper than the definition goes on the trailing comment of the
            # line above (`a = 1;  //< what a is` / `        //  and more`): it is not this one's.
            and _column(sibling, data) <= _column(outer, data)
        ):
            break
        if spec.name == "rust" and data[sibling.start_byte : sibling.start_byte + 3] in _RUST_INNER_DOCS:
            break  # `//!` documents the module it is in, never the item below it
        (comments if sibling.type in spec.comments else others).append(sibling)
        row = sibling.start_point.row
        first = top = sibling
    comments.reverse()
    others.reverse()
    return top, comments, others


# Languages whose fields, constants and enum members are documented by a comment after them on their
# line (Go's `Invalid = Variant(iota) // Invalid UUID`, Doxygen's `int x; ///< the x`).
_TRAILING_DOCS = frozenset({"go", "c", "cpp"})
_TRAILING_MARKERS = re.compile(r"^\s*(?://[/!]?|/\*[*!]?)<?\s?")


def _trailing_doc(outer: tree_sitter.Node, data: bytes, spec: languages.LanguageSpec) -> str | None:
    """The comment after a field, constant or enum member on its own line, with the comment lines right
    below it at its column (its continuation); for a Go constant or variable in a group without one,
    the group's doc comment (``// Constants returned by Variant.`` above ``const (``)."""
    if spec.name not in _TRAILING_DOCS:
        return None
    parts: list[str] = []
    row, column = outer.end_point.row, -1
    sibling = outer.next_sibling
    for _ in range(10_000):  # bounded: a run of comment lines, not the file
        while sibling is not None and sibling.type in {",", ";"} and sibling.start_point.row == row:
            sibling = sibling.next_sibling
        if sibling is None or sibling.type not in spec.comments:
            break
        same_line = not parts and sibling.start_point.row == row
        below = parts and sibling.start_point.row == row + 1 and sibling.start_point.column == column
        if not (same_line or below):
            break
        text = _text(sibling, data).removesuffix("*/")
        parts.append(_TRAILING_MARKERS.sub("", text, count=1).strip())
        row, column = sibling.end_point.row, sibling.start_point.column
        sibling = sibling.next_sibling
    if parts:
        return " ".join(p for p in parts if p) or None
    group = outer.parent
    if spec.name == "go" and group is not None and group.type in {"const_declaration", "var_declaration"}:
        _, comments, _ = _leading(group, data, spec)
        return _comment_text(comments, data)
    return None


@dataclass
class _Raw:
    """A definition on its way to becoming a ``Symbol``: profiles refine it, grouping merges it."""

    node: tree_sitter.Node
    outer: tree_sitter.Node
    kind: str
    short: str
    parent: int | None  # index of the enclosing raw
    start: int
    end: int
    lead_byte: int  # first byte of the doc comment / attributes above, else of ``outer``
    signature: str
    docstring: str | None
    params: tuple[str, ...]
    decorators: list[str]
    returns: str | None = None
    throws: tuple[str, ...] = ()
    type: str | None = None
    value: str | None = None
    notes: list[str] = field(default_factory=list)
    variant: bool = False  # an overload variant or a declaration: grouped under the implementation
    public: bool = True
    private: bool = False  # declared private where its profile reads access from the context (C++)
    dropped: bool = False
    name: str = ""
    parts: tuple[str, ...] = ()  # outermost component, then the innermost ones (bounded)
    depth: int = 0
    extra: list[tuple[int, int]] = field(default_factory=list)  # byte spans of the grouped variants
    overloads: list[str] = field(default_factory=list)


@dataclass
class _Context:
    """What a profile's ``refine`` may look at: the definitions so far and the source."""

    raws: list[_Raw]
    data: bytes
    # (parent index, short name) -> index of the latest kept definition there
    scope: dict[tuple[int | None, str], int] = field(default_factory=dict)
    # C++: a class body's node id -> the start bytes and texts of its access labels (`private:`)
    labels: dict[int, tuple[list[int], list[str]]] = field(default_factory=dict)

    def earlier(self, parent: int | None, short: str) -> _Raw | None:
        index = self.scope.get((parent, short))
        return self.raws[index] if index is not None else None


def _keep(raw: _Raw, parent: _Raw | None, ctx: _Context) -> bool:
    return True


@dataclass(frozen=True)
class _Profile:
    """What the syntax alone does not say about one language's definitions."""

    # (raw, its parent or None, context) -> keep it? It may change the kind, parent, type ...
    refine: Callable[[_Raw, _Raw | None, _Context], bool] = _keep
    # (raw, its parent, source bytes) -> public by its own name and modifiers (parents are checked too)
    public: Callable[[_Raw, _Raw | None, bytes], bool] = lambda raw, parent, data: True
    # (root, source bytes) -> the file's export list (Python ``__all__``), or None when it has none
    exports: Callable[[tree_sitter.Node, bytes], frozenset[str] | None] = lambda root, data: None


_PROFILES: dict[str, _Profile] = {}


def _decorator_text(node: tree_sitter.Node, data: bytes) -> str:
    return _flat(_text(node, data))


def _decorators(
    node: tree_sitter.Node, outer: tree_sitter.Node, others: list[tree_sitter.Node], data: bytes
) -> list[str]:
    """Decorators, annotations and attributes of a definition, as written, in source order."""
    found: list[tree_sitter.Node] = list(others)
    current: tree_sitter.Node | None = node
    while current is not None:
        for child in current.children:
            if child.type in {"decorator", "attribute_item", "attribute_declaration"}:  # C++ `[[...]]`
                found.append(child)
            elif child.type == "modifiers":  # Java annotations live among the modifiers
                found.extend(c for c in child.children if c.type in {"marker_annotation", "annotation"})
        if current == outer:
            break
        current = current.parent
    found.sort(key=lambda n: n.start_byte)
    return [_decorator_text(n, data) for n in found if n.type != "comment"]


def _data_details(raw: _Raw, data: bytes, sig_from: int) -> None:
    """Type, value and a one-line signature for an attribute, field, constant or enum member."""
    node = raw.node
    value = _value(node)
    if node.type in {"variable_declarator", "enum_assignment", "enumerator", "enum_constant", "enum_variant"}:
        value = node.child_by_field_name("value") or (
            node.child_by_field_name("arguments") if node.type == "enum_constant" else None
        )
    type_node = node.child_by_field_name("type")
    if type_node is None and node.parent is not None and node.parent.type == "field_declaration":
        type_node = node.parent.child_by_field_name("type")  # Java: the type is the declaration's
    if type_node is not None:
        raw.type = _flat_node(type_node, data).lstrip(":").strip() or None
    if value is not None and value.start_byte >= sig_from:
        full = _flat(_text(value, data))
        raw.value = _shorten(full, _VALUE_MAX, "value", raw.notes)
        head = _flat(data[sig_from : value.start_byte].decode("utf-8", errors="replace"))
        raw.signature = f"{head} {raw.value}" if head else raw.value
    else:
        raw.signature = _flat(data[sig_from : node.end_byte].decode("utf-8", errors="replace"))
    raw.signature = raw.signature.rstrip(";,").rstrip()


def _signature_start(node: tree_sitter.Node, outer: tree_sitter.Node) -> int:
    """Where a definition's signature starts: at the wrapper for declarations whose keyword sits on it
    (`export const`, Go's `type`, `const`, `var`) and for C++ templates (`template <typename T>` is
    part of what the definition declares), else at the definition itself (after decorators, `export`)."""
    if node.type in _SIGNATURE_FROM_OUTER or outer.type == "template_declaration":
        return outer.start_byte
    return node.start_byte


_SIGNATURE_FROM_OUTER = frozenset(
    {"variable_declarator", "type_spec", "type_alias", "const_spec", "var_spec"}
)


def _generic(language: str, tree: tree_sitter.Tree, data: bytes, lines: list[bytes]) -> list[Symbol]:
    spec = languages.spec(language)
    profile = _PROFILES.get(spec.profile or language) or _Profile()
    captures = tree_sitter.QueryCursor(languages.definitions_query(language)).captures(tree.root_node)
    found: dict[int, tuple[tree_sitter.Node, str]] = {}
    for captured, nodes in captures.items():
        for node in nodes:
            # A node both patterns match (`const f = () => 1` is a declarator and a function): code
            # beats data.
            if node.id not in found or found[node.id][1] in DATA_KINDS:
                found[node.id] = (node, captured)
    definitions = sorted(found.values(), key=lambda pair: (pair[0].start_byte, -pair[0].end_byte))

    raws: list[_Raw] = []
    ctx = _Context(raws, data)
    # Open definitions enclosing the current one: (end byte, raw index). A stack, not recursion, so
    # thousands of nested functions cost nothing but memory.
    open_: list[tuple[int, int]] = []
    for node, captured in definitions:
        while open_ and open_[-1][0] <= node.start_byte:
            open_.pop()
        if node.type in {"struct_specifier", "union_specifier", "enum_specifier"} and (
            node.parent is not None and node.parent.type == "type_definition"
        ):
            continue  # `typedef struct S {...} T;` is documented once, as T
        names = [" ".join(n.split()) for n in _names(node, data) if n and n.strip()]
        if not names:
            continue  # anonymous: neither a symbol nor a qualifier for what it holds
        parent = open_[-1][1] if open_ else None
        parent_kind = raws[parent].kind if parent is not None else None
        kind = _kind(node, captured, parent_kind)
        outer = _outer(node, spec.wrappers)
        top, comments, others = _leading(outer, data, spec)
        start, end = top.start_point.row + 1, _end_row(outer) + 1
        docstring = _py_docstring(node, data) if spec.docstrings else None
        sig_from = _signature_start(node, outer)
        decorators = _decorators(node, outer, others, data)
        first_index = len(raws)
        for short in names:
            raw = _Raw(
                node=node,
                outer=outer,
                kind=kind,
                short=short,
                parent=parent,
                start=start,
                end=end,
                lead_byte=top.start_byte,
                signature="",
                docstring=docstring
                or _comment_text(comments, data)
                or (_trailing_doc(outer, data, spec) if kind in DATA_KINDS else None),
                params=(),
                decorators=list(decorators),
            )
            if kind in DATA_KINDS:
                _data_details(raw, data, sig_from)
            else:
                whole = kind in FUNCTION_KINDS
                raw.signature = _signature(node, sig_from, data, whole=whole)
                raw.params = _params(node, data)
                raw.returns = _return_type(node, data) if kind in FUNCTION_KINDS else None
                raw.throws = _throws(node, data)
            raws.append(raw)
            if not profile.refine(raw, raws[raw.parent] if raw.parent is not None else None, ctx):
                raw.dropped = True
            else:
                ctx.scope[(raw.parent, raw.short)] = len(raws) - 1
            for decorator in decorators:  # `@Registry public class A`: shown once, as a decorator
                if raw.signature.startswith(decorator):
                    raw.signature = raw.signature[len(decorator) :].lstrip()
        if not raws[first_index].dropped:
            open_.append((node.end_byte, first_index))

    _name_all(raws)
    _group(raws)
    exports = profile.exports(tree.root_node, data)
    return _finish(raws, data, profile, exports)


def _name_all(raws: list[_Raw]) -> None:
    """Qualified names, capped: past ``_NAME_DEPTH_MAX`` levels only the outermost and the innermost
    components are kept (2,000 nested closures would otherwise give names of 2,000 parts each)."""
    keep = _NAME_DEPTH_MAX - 1
    for raw in raws:
        if raw.dropped:
            continue
        if raw.parent is not None and raws[raw.parent].dropped:
            raw.dropped = True  # inside something that is not a symbol (a local, a folded setter)
            continue
        short = raw.short
        if len(short) > _NAME_PART_MAX:
            short = short[: _NAME_PART_MAX - 1] + "…"
            raw.notes.append(f"name shortened: {len(raw.short)} characters")
        if raw.parent is None:
            raw.parts, raw.depth = (short,), 0
        else:
            parent = raws[raw.parent]
            raw.depth = parent.depth + 1
            raw.parts = (
                (*parent.parts, short)
                if len(parent.parts) <= keep
                else (
                    parent.parts[0],
                    *parent.parts[2:],
                    short,
                )
            )
        if raw.depth + 1 > len(raw.parts):
            hidden = raw.depth + 1 - len(raw.parts)
            raw.name = ".".join((raw.parts[0], "…", *raw.parts[1:]))
            raw.notes.append(f"qualified name shortened: {hidden} enclosing levels left out")
        else:
            raw.name = ".".join(raw.parts)


def _group(raws: list[_Raw]) -> None:
    """Overload variants and declarations join the definition of the same name that follows them;
    variants with no definition after them join the first of their set."""
    pending: dict[str, list[_Raw]] = {}
    for raw in raws:
        if raw.dropped or raw.kind not in FUNCTION_KINDS:
            continue
        if raw.variant:
            pending.setdefault(raw.name, []).append(raw)
            continue
        variants = pending.pop(raw.name, [])
        if variants:
            _absorb(raw, variants)
    for variants in pending.values():
        if len(variants) > 1:
            head, rest = variants[0], variants[1:]
            head.overloads.append(head.signature)
            _absorb(head, rest, keep_same=True)


def _absorb(target: _Raw, variants: Sequence[_Raw], *, keep_same: bool = False) -> None:
    same = _flat(target.signature)
    for variant in variants:
        variant.dropped = True
        target.extra.append((variant.lead_byte, variant.outer.end_byte))
        if keep_same or _flat(variant.signature).rstrip(";") != same:
            target.overloads.append(variant.signature)
        target.docstring = target.docstring or variant.docstring
        if variant.node.type in _C_PROTOTYPES:
            if variant.kind == "method":  # `int Box::size() {...}` defines what `class Box` declares
                target.kind = "method"
            target.params = _declared_defaults(target.params, variant.params)
            target.decorators += [d for d in variant.decorators if d not in target.decorators]
    target.start = min(target.start, *(v.start for v in variants))
    target.end = max(target.end, *(v.end for v in variants))


# A C or C++ function declared without a body: its default arguments and attributes are written there,
# not on the definition.
_C_PROTOTYPES = frozenset({"declaration", "field_declaration"})
_ASSIGN = re.compile(r"(?<![=!<>])=(?!=)")


def _declared_defaults(params: tuple[str, ...], declared: tuple[str, ...]) -> tuple[str, ...]:
    """``params`` of a C++ definition with the default arguments its declaration gives them
    (``bool force`` and ``bool force = false`` -> ``bool force = false``)."""
    if len(params) != len(declared):
        return params  # another overload's declaration: nothing to pair
    out = []
    for mine, theirs in zip(params, declared, strict=True):
        default = _ASSIGN.split(theirs, maxsplit=1)
        if len(default) == 2 and not _ASSIGN.search(mine):
            mine = f"{mine} = {default[1].strip()}"
        out.append(mine)
    return tuple(out)


def _finish(raws: list[_Raw], data: bytes, profile: _Profile, exports: frozenset[str] | None) -> list[Symbol]:
    ids: dict[str, int] = {}
    out: list[Symbol] = []
    id_of: dict[int, str] = {}
    for index, raw in enumerate(raws):
        if raw.dropped:
            continue
        n = ids.get(raw.name, 0) + 1
        ids[raw.name] = n
        ident = raw.name if n == 1 else f"{raw.name}@{n}"
        id_of[index] = ident
        parent = raws[raw.parent] if raw.parent is not None else None
        public = profile.public(raw, parent, data)
        if parent is None:
            public = public and (exports is None or raw.short in exports)
        else:
            # Closures are never API; members of what is not public are not either.
            public = public and parent.public and parent.kind not in FUNCTION_KINDS
        raw.public = public
        digest = hashlib.sha256(data[raw.lead_byte : raw.outer.end_byte])
        for lo, hi in raw.extra:  # the overload set is part of the symbol
            digest.update(b"\0" + data[lo:hi])
        out.append(
            Symbol(
                name=raw.name,
                kind=raw.kind,
                start=raw.start,
                end=raw.end,
                signature=raw.signature,
                sha256=digest.hexdigest(),
                docstring=raw.docstring,
                params=raw.params,
                returns=raw.returns,
                level=raw.name.count(".") - raw.short.count("."),
                throws=raw.throws,
                parent=id_of.get(raw.parent) if raw.parent is not None else None,
                id=ident,
                decorators=tuple(raw.decorators),
                overloads=tuple(raw.overloads),
                type=raw.type,
                value=raw.value,
                public=public,
                notes=tuple(raw.notes),
            )
        )
    return out


# --- language profiles ---

_PY_KEEP_DUNDERS = frozenset({"__init__", "__call__"})
_PY_PROPERTY = re.compile(r"^@(\w+\.)*(property|cached_property|abstractproperty)$")
_PY_OVERLOAD = re.compile(r"^@(\w+\.)*overload$")
_PY_UPPER = re.compile(r"^_*[A-Z][A-Z0-9_]*$")
_PY_ENUM_BASE = re.compile(r"\b\w*(Enum|Flag)\b")
_PY_RECORD_BASE = re.compile(r"\b(BaseModel|BaseSettings|NamedTuple|TypedDict|Struct|SQLModel)\b")
_PY_RECORD_DECORATOR = re.compile(
    r"^@(dataclasses\.|attr\.|attrs\.|pydantic\.)*(dataclass|s|define|frozen|mutable|attrs)\b"
)


def _py_bases(raw: _Raw, data: bytes) -> str:
    return _text(raw.node.child_by_field_name("superclasses"), data)


def _fold_accessor(raw: _Raw, ctx: _Context, decorator: str | None) -> bool:
    """Fold a setter or deleter into the property of the same name defined before it in the same
    scope: it is part of that property, not a second definition. Whether it was folded."""
    other = ctx.earlier(raw.parent, raw.short)
    if other is None or other.kind != "property":
        return False
    if decorator:
        other.decorators.append(decorator)
    other.end = max(other.end, raw.end)
    other.extra.append((raw.lead_byte, raw.outer.end_byte))
    return True


def _py_refine(raw: _Raw, parent: _Raw | None, ctx: _Context) -> bool:
    node, data = raw.node, ctx.data
    if raw.kind in FUNCTION_KINDS:
        if any(_PY_OVERLOAD.match(d) for d in raw.decorators):
            raw.variant = True
        if any(_PY_PROPERTY.match(d) for d in raw.decorators):
            raw.kind = "property"
        for d in raw.decorators:
            accessor = re.match(r"^@(\w+)\.(setter|deleter|getter)$", d)
            if accessor and accessor.group(1) == raw.short and _fold_accessor(raw, ctx, d):
                return False
        return True
    if raw.kind == "type_alias":
        return True
    if raw.kind not in DATA_KINDS:
        return True
    left = node.child_by_field_name("left")
    annotation = raw.type or ""
    if left is not None and left.type == "attribute":
        # `self.x: int = ...` (or under a `#:` comment) in `__init__` documents an attribute of the class.
        obj = left.child_by_field_name("object")
        if parent is None or parent.short != "__init__" or parent.parent is None:
            return False
        owner = ctx.raws[parent.parent]
        if owner.kind != "class" or _text(obj, data) != "self":
            return False
        if ctx.earlier(parent.parent, raw.short) is not None:
            return False  # declared in the class body already, or assigned twice
        raw.parent = parent.parent
        raw.kind = "attribute"
        raw.docstring = raw.docstring or _py_string_after(raw, data)
        return True
    if left is None or left.type != "identifier" or _py_under_main_guard(node, data):
        return False
    after = _py_string_after(raw, data)
    raw.docstring = raw.docstring or after
    if parent is None:
        if "TypeAlias" in annotation:
            raw.kind = "type_alias"
        elif "Final" in annotation or _PY_UPPER.match(raw.short):
            raw.kind = "constant"
        elif annotation or _py_doc_comment(raw, data) or after:
            raw.kind = "attribute"
        else:
            # A module-level name is importable, so it is API (as griffe and mkdocstrings see it);
            # ``visibility: public`` still leaves out the ``_private`` ones.
            if raw.short == "__all__":
                return False  # what the module exports, not a thing it defines
            raw.kind = "variable"
        return True
    if parent.kind != "class":
        return False  # a local variable
    if _PY_ENUM_BASE.search(_py_bases(parent, data)) and not annotation:
        raw.kind = "enum_member"
    elif (
        annotation
        and "ClassVar" not in annotation
        and (
            _PY_RECORD_BASE.search(_py_bases(parent, data))
            or any(_PY_RECORD_DECORATOR.match(d) for d in parent.decorators)
        )
    ):
        raw.kind = "field"
    else:
        raw.kind = "attribute"
    return True


_PY_MAIN_GUARD = re.compile(r"""^__name__\s*==\s*(['"])__main__\1$|^(['"])__main__\2\s*==\s*__name__$""")


def _py_under_main_guard(node: tree_sitter.Node, data: bytes) -> bool:
    """Whether ``node`` runs only as a script, under ``if __name__ == "__main__":``: a name bound there
    is not there when the module is imported, so it is no part of the module's API."""
    child, current = node, node.parent
    while current is not None:
        if current.type == "if_statement" and child == current.child_by_field_name("consequence"):
            condition = current.child_by_field_name("condition")
            if condition is not None and _PY_MAIN_GUARD.match(_flat(_text(condition, data))):
                return True  # its `else:` runs on import, and what it binds is API
        child, current = current, current.parent
    return False


def _py_doc_comment(raw: _Raw, data: bytes) -> bool:
    return data[raw.lead_byte : raw.lead_byte + 2] == b"#:"


def _py_string_after(raw: _Raw, data: bytes) -> str | None:
    """The attribute docstring: a string statement right after the assignment (PEP 257's convention)."""
    nxt = raw.outer.next_named_sibling
    return _py_string(nxt, data) if nxt is not None else None


def _py_public(raw: _Raw, parent: _Raw | None, data: bytes) -> bool:
    return not raw.short.startswith("_") or raw.short in _PY_KEEP_DUNDERS


def _py_exports(root: tree_sitter.Node, data: bytes) -> frozenset[str] | None:
    names: set[str] | None = None
    for child in root.named_children:
        if child.type != "expression_statement" or child.named_child_count != 1:
            continue
        stmt = child.named_children[0]
        if stmt.type not in {"assignment", "augmented_assignment"}:
            continue
        left = stmt.child_by_field_name("left")
        right = stmt.child_by_field_name("right")
        if left is None or _text(left, data) != "__all__" or right is None:
            continue
        if right.type not in {"list", "tuple"}:
            return None  # computed: not knowable from the syntax, so nothing is left out
        names = names if names is not None and stmt.type == "augmented_assignment" else set()
        for item in right.named_children:
            if item.type == "string":
                names.add(_text(item, data).strip("\"'"))
    return frozenset(names) if names is not None else None


_PROFILES["python"] = _Profile(refine=_py_refine, public=_py_public, exports=_py_exports)


# JavaScript and TypeScript: what `export` reaches is the API.
_JS_VARIANTS = frozenset({"function_signature", "method_signature"})


_JS_DECLARATIONS = frozenset({"variable_declarator", "lexical_declaration", "variable_declaration"})


def _js_exported(raw: _Raw) -> bool:
    current: tree_sitter.Node | None = raw.node
    for _ in range(8):  # export -> declaration -> declarator -> function: a few levels at most
        if current is None:
            break
        if current.type in {"export_statement", "ambient_declaration"}:
            return True
        if current != raw.node and current.type not in _JS_DECLARATIONS:
            break
        current = current.parent
    return raw.short.startswith(("module.exports", "exports."))


def _js_refine(raw: _Raw, parent: _Raw | None, ctx: _Context) -> bool:
    node, data = raw.node, ctx.data
    if raw.kind in FUNCTION_KINDS:
        # `f(a: string): void;` before `f(a) {...}`: an overload signature (several of them in an
        # interface group with each other).
        raw.variant = node.type in _JS_VARIANTS
        accessor = next((c.type for c in node.children if c.type in {"get", "set"}), None)
        if accessor == "get":
            raw.kind = "property"
        elif accessor == "set" and _fold_accessor(raw, ctx, None):
            return False
        return True
    if raw.kind not in DATA_KINDS:
        return True
    if node.type == "variable_declarator":
        if parent is not None and parent.kind != "module":
            return False  # a local variable
        declaration = node.parent
        keyword = _text(declaration.child_by_field_name("kind"), data) if declaration is not None else ""
        raw.kind = "constant" if keyword == "const" else "variable"
        return raw.kind == "constant" or _js_exported(raw)
    return parent is not None


def _js_public(raw: _Raw, parent: _Raw | None, data: bytes) -> bool:
    if parent is None or parent.kind == "module":
        return _js_exported(raw)
    if raw.short.startswith("#"):
        return False
    modifier = next((c for c in raw.node.children if c.type == "accessibility_modifier"), None)
    return modifier is None or _text(modifier, data) != "private"


_PROFILES["javascript"] = _Profile(refine=_js_refine, public=_js_public)


def _local(raw: _Raw, parent: _Raw | None) -> bool:
    """A constant or variable of a function body: working state, never API."""
    return raw.kind in DATA_KINDS and parent is not None and parent.kind in FUNCTION_KINDS


_GO_CONVERSION = re.compile(r"([A-Za-z_][\w.]*)\(")


def _go_repeated_type(spec: tree_sitter.Node, data: bytes) -> str | None:
    """The type of a Go constant written without type or value (``RFC4122`` under ``Invalid =
    Variant(iota)``): it repeats the expression above it, so it has that one's type or conversion."""
    above = spec.prev_named_sibling
    for _ in range(1_000):  # bounded: the specs of one `const (...)` group
        if above is not None and above.type == "comment":
            above = above.prev_named_sibling
            continue
        if above is None or above.type != "const_spec":
            return None
        declared = above.child_by_field_name("type")
        if declared is not None:
            return _flat(_text(declared, data))
        value = above.child_by_field_name("value")
        if value is not None:
            conversion = _GO_CONVERSION.match(_flat(_text(value, data)))
            return conversion.group(1) if conversion else None
        above = above.prev_named_sibling
    return None


def _go_refine(raw: _Raw, parent: _Raw | None, ctx: _Context) -> bool:
    node = raw.node
    embedded = None
    if _go_embedded(node, ctx.data):
        embedded = node.named_children[0] if node.type == "type_elem" else node.child_by_field_name("type")
    if embedded is not None:  # `*Base`: the field's type is the pointer, not the type it points to
        raw.type = _flat(ctx.data[node.start_byte : embedded.end_byte].decode("utf-8", errors="replace"))
    if node.type == "const_spec" and raw.type is None and node.child_by_field_name("value") is None:
        raw.type = _go_repeated_type(node, ctx.data)
    return not _local(raw, parent)


def _go_public(raw: _Raw, parent: _Raw | None, data: bytes) -> bool:
    # Exported means a capital first letter, for the method and for its receiver type alike.
    return all(part[:1].isupper() for part in raw.short.split("."))


_PROFILES["go"] = _Profile(refine=_go_refine, public=_go_public)


def _modifiers(node: tree_sitter.Node, data: bytes) -> str:
    holder = node.parent if node.type == "variable_declarator" else node
    found = next((c for c in holder.children if c.type == "modifiers"), None) if holder is not None else None
    return _text(found, data)


def _java_refine(raw: _Raw, parent: _Raw | None, ctx: _Context) -> bool:
    if raw.kind in DATA_KINDS:
        if parent is None or parent.kind in FUNCTION_KINDS:
            return False
        mods = _modifiers(raw.node, ctx.data).split()
        if raw.kind == "field" and (("static" in mods and "final" in mods) or parent.kind == "interface"):
            raw.kind = "constant"
    return True


def _java_public(raw: _Raw, parent: _Raw | None, data: bytes) -> bool:
    return "private" not in _modifiers(raw.node, data).split()


_PROFILES["java"] = _Profile(refine=_java_refine, public=_java_public)


def _rust_refine(raw: _Raw, parent: _Raw | None, ctx: _Context) -> bool:
    return not _local(raw, parent)


def _rust_public(raw: _Raw, parent: _Raw | None, data: bytes) -> bool:
    node = raw.node
    if raw.kind in {"impl", "enum_member"}:
        return True
    if node.type == "macro_definition":
        return "#[macro_export]" in raw.decorators
    if parent is not None and (
        parent.kind == "trait" or parent.node.child_by_field_name("trait") is not None
    ):
        return True  # trait items and trait implementations are as public as the trait
    modifier = next((c for c in node.children if c.type == "visibility_modifier"), None)
    return modifier is not None and _text(modifier, data) == "pub"


_PROFILES["rust"] = _Profile(refine=_rust_refine, public=_rust_public)


def _c_refine(raw: _Raw, parent: _Raw | None, ctx: _Context) -> bool:
    node, data = raw.node, ctx.data
    if node.type == "type_definition":
        shape = node.child_by_field_name("type")
        if shape is not None and shape.child_by_field_name("body") is not None:
            raw.kind = "enum" if shape.type == "enum_specifier" else "struct"
            raw.signature = _signature(node, node.start_byte, data)
        else:
            raw.kind = "type_alias"
            raw.signature = _flat(_text(node, data)).rstrip(";")
        return True
    if node.type in {"declaration", "field_declaration"} and _parameters(node) is not None:
        raw.kind = "method" if parent is not None and parent.kind in CONTAINER_KINDS else "function"
        raw.variant = True  # a prototype: documented with its definition when the file has one
        raw.signature = _signature(node, _signature_start(node, raw.outer), data, whole=True)
        raw.params = _params(node, data)
        raw.returns = _return_type(node, data)
        raw.type = raw.value = None
        return True
    return not _local(raw, parent)


def _cpp_access(outer: tree_sitter.Node, ctx: _Context) -> str:
    """The access of a C++ class member: the last ``public:``/``protected:``/``private:`` label above
    it, else the default of its class (private) or struct and union (public)."""
    if outer.parent is not None and outer.parent.type == "field_declaration":
        outer = outer.parent  # `struct state {...};` declares a member that holds the struct
    body = outer.parent
    if body is None or body.type != "field_declaration_list" or body.parent is None:
        return "public"
    if body.id not in ctx.labels:  # read once per class body, so a class of many members stays linear
        found = [c for c in body.children if c.type == "access_specifier"]
        ctx.labels[body.id] = ([c.start_byte for c in found], [_text(c, ctx.data) for c in found])
    starts, texts = ctx.labels[body.id]
    at = bisect.bisect_left(starts, outer.start_byte)
    if at:
        return texts[at - 1]
    return "private" if body.parent.type == "class_specifier" else "public"


def _cpp_refine(raw: _Raw, parent: _Raw | None, ctx: _Context) -> bool:
    raw.private = _cpp_access(raw.outer, ctx) == "private"
    return _c_refine(raw, parent, ctx)


_PROFILES["c"] = _Profile(refine=_c_refine)
# Private members are not API; protected ones are, to whoever derives from the class.
_PROFILES["cpp"] = _Profile(refine=_cpp_refine, public=lambda raw, parent, data: not raw.private)


def _ruby_refine(raw: _Raw, parent: _Raw | None, ctx: _Context) -> bool:
    node, data = raw.node, ctx.data
    if node.type == "call":
        method = _text(node.child_by_field_name("method"), data)
        if method not in {"attr_reader", "attr_writer", "attr_accessor"} or parent is None:
            return False
        raw.kind = "attribute"
        raw.signature = f"{method} :{raw.short}"
        raw.value = None
        return True
    return not _local(raw, parent)


_PROFILES["ruby"] = _Profile(refine=_ruby_refine)
