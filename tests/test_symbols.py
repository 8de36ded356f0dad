"""Symbols in every built-in language: hand-written fixtures, generated giants, broken and odd input."""

from __future__ import annotations

import ast
import importlib.util
import random
import sys
from pathlib import Path

import pytest

from docbot.languages import language_for
from docbot.symbols import Symbol, extract_symbols, has_symbols, supported
from tests.sources import EXTENSIONS, generate

FIXTURES = Path(__file__).parent / "fixtures" / "symbols"

# (id, kind, first line, last line) of every symbol of tests/fixtures/symbols/<language>.txt
EXPECTED: dict[str, list[tuple[str, str, int, int]]] = {
    "python": [
        ("add", "function", 6, 8),
        ("Box", "class", 11, 26),
        ("Box.get", "method", 15, 22),
        ("Box.get.inner", "function", 16, 20),
        ("Box.get.inner.deepest", "function", 17, 18),
        ("Box.typed", "method", 26, 26),
        ("Later", "class", 29, 30),
        ("Later.m", "method", 30, 30),
    ],
    "javascript": [
        ("read", "function", 3, 9),
        ("read.helper", "function", 5, 7),
        ("write", "function", 11, 13),
        ("Store", "class", 15, 24),
        ("Store.open", "method", 16, 19),
        ("Store.open.local", "function", 17, 17),
        ("Store.size", "property", 20, 22),
        ("Store.onChange", "method", 23, 23),
        ("module.exports.legacy", "function", 26, 26),
    ],
    "typescript": [
        ("Shape", "interface", 3, 5),
        ("Shape.area", "method", 4, 4),
        ("Id", "type_alias", 7, 7),
        ("Color", "enum", 9, 11),
        ("Color.Red", "enum_member", 10, 10),
        ("Base", "class", 13, 19),
        ("Base.constructor", "method", 14, 14),
        ("Base.area", "method", 15, 17),
        ("Base.name", "method", 18, 18),
        ("Util", "module", 21, 25),
        ("Util.clamp", "function", 22, 24),
    ],
    "tsx": [
        ("Hello", "function", 3, 7),
        ("Hello.inner", "function", 5, 5),
        ("Panel", "class", 9, 13),
        ("Panel.render", "method", 10, 12),
    ],
    "go": [
        ("Point", "struct", 7, 10),
        ("Point.X", "field", 9, 9),
        ("Point.Y", "field", 9, 9),
        ("Mover", "interface", 12, 14),
        ("Mover.Move", "method", 13, 13),
        ("Point.Move", "method", 16, 21),
        ("New", "function", 23, 26),
    ],
    "java": [
        ("Shapes", "class", 5, 29),
        ("Shapes.names", "field", 8, 8),
        ("Shapes.Shapes", "method", 10, 12),
        ("Shapes.first", "method", 14, 16),
        ("Shapes.Visitor", "interface", 18, 20),
        ("Shapes.Visitor.visit", "method", 19, 19),
        ("Shapes.Kind", "enum", 22, 28),
        ("Shapes.Kind.ROUND", "enum_member", 23, 23),
        ("Shapes.Kind.curved", "method", 25, 27),
    ],
    "rust": [
        ("Point", "struct", 3, 7),
        ("Point.x", "field", 6, 6),
        ("Point@2", "impl", 9, 16),
        ("Point.new", "method", 10, 15),
        ("Point.new.zero", "function", 11, 13),
        ("<Point as fmt::Display>", "impl", 18, 22),
        ("<Point as fmt::Display>.fmt", "method", 19, 21),
        ("Shape", "trait", 24, 26),
        ("Shape.area", "method", 25, 25),
        ("inner", "module", 28, 32),
        ("inner.Kind", "enum", 29, 31),
        ("inner.Kind.A", "enum_member", 30, 30),
    ],
    "c": [
        ("count", "function", 3, 7),
        ("node", "struct", 9, 11),
        ("node.value", "field", 10, 10),
        ("point_t", "struct", 13, 15),
        ("point_t.x", "field", 14, 14),
        ("main", "function", 17, 19),
    ],
    "cpp": [
        ("geo", "module", 3, 23),
        ("geo.Shape", "class", 5, 13),
        ("geo.Shape.~Shape", "method", 9, 9),
        ("geo.Shape.area", "method", 10, 12),
        ("geo.Pair", "struct", 15, 17),
        ("geo.Pair.a", "field", 16, 16),
        ("geo.Shape<int>.make", "function", 19, 21),
        ("operator==", "function", 25, 25),
    ],
    "ruby": [
        ("Geo", "module", 3, 15),
        ("Geo.Shape", "class", 5, 14),
        ("Geo.Shape.area", "method", 6, 11),
        ("Geo.Shape.area.helper", "function", 7, 9),
        ("Geo.Shape.build", "method", 13, 13),
    ],
}


def _fixture(language: str) -> str:
    # Stored as .txt so that linters and formatters leave the odd syntax alone.
    return (FIXTURES / f"{language}.txt").read_text(encoding="utf-8")


@pytest.mark.parametrize("language", sorted(EXPECTED))
def test_hand_written_fixture_yields_every_symbol_with_lines(language: str) -> None:
    assert language_for(f"sample.{EXTENSIONS[language]}") == language
    syms = extract_symbols(_fixture(language), language)
    assert [(s.id, s.kind, s.start, s.end) for s in syms] == EXPECTED[language]
    for sym in syms:
        assert sym.signature
        assert len(sym.sha256) == 64


def test_signatures_params_and_doc_comments_per_language() -> None:
    def by_name(language: str) -> dict[str, Symbol]:
        found: dict[str, Symbol] = {}
        for sym in extract_symbols(_fixture(language), language):
            found.setdefault(sym.name, sym)
        return found

    py = by_name("python")
    assert py["add"].signature == "def add(a: int, b: int = 2) -> int"
    assert py["add"].docstring == "Adds things."
    assert py["Box"].docstring == "A box."
    js = by_name("javascript")
    assert js["read"].docstring == "Reads a file."
    assert js["read"].params == ("path", "opts = {}")
    assert js["write"].signature == "export const write = async (path, data) =>"
    go = by_name("go")
    assert go["Point"].signature == "type Point struct"
    assert go["Point.Move"].docstring == "Move moves the point."
    assert go["Point.Move"].params == ("dx int",)
    rust = by_name("rust")
    assert rust["Point"].docstring == "A point."  # the attribute between them belongs too
    fmt = rust["<Point as fmt::Display>.fmt"]
    assert fmt.signature == "fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result"
    c = by_name("c")
    assert c["count"].docstring == "Counts things.\nReturns the count."
    assert c["count"].params == ("int a", "char *b")
    java = by_name("java")
    assert java["Shapes"].docstring == "A shape registry."
    assert java["Shapes.first"].signature == "public <T> T first(List<T> items) throws Empty"
    cpp = by_name("cpp")
    assert cpp["geo.Shape"].docstring == "A shape."
    assert by_name("ruby")["Geo"].docstring == "Tools for shapes."
    assert by_name("tsx")["Hello"].docstring == "Shows a greeting."


@pytest.mark.parametrize("language", sorted(EXTENSIONS))
def test_generated_file_yields_exactly_the_generated_symbols(language: str) -> None:
    source, expected = generate(language, 6_000, seed=3)
    assert [s.name for s in extract_symbols(source, language)] == expected


@pytest.mark.parametrize("language", sorted(EXTENSIONS))
def test_crlf_line_endings_give_the_same_symbols_and_lines(language: str) -> None:
    source = _fixture(language)
    lf = extract_symbols(source, language)
    crlf = extract_symbols(source.replace("\n", "\r\n"), language)
    assert [(s.name, s.kind, s.start, s.end, s.signature) for s in crlf] == [
        (s.name, s.kind, s.start, s.end, s.signature) for s in lf
    ]


@pytest.mark.parametrize("language", sorted(EXTENSIONS))
def test_broken_source_never_raises_and_keeps_what_it_can(language: str) -> None:
    source = _fixture(language)
    rng = random.Random(language)
    for _ in range(40):
        # Cut the file at random and splice in garbage: every shape of syntax error.
        cut = rng.randrange(len(source))
        garbage = "".join(rng.choice("{}()[]:;'\"\\/*#<>=\n ") for _ in range(rng.randrange(1, 12)))
        broken = source[:cut] + garbage + source[cut + rng.randrange(0, 40) :]
        for sym in extract_symbols(broken, language):
            assert 1 <= sym.start <= sym.end <= broken.count("\n") + 1
    # A broken line in the middle: most definitions are still recovered.
    lines = source.split("\n")
    middle = len(lines) // 2
    broken = "\n".join([*lines[:middle], "%%%% !!!! ^^^^ ~~~~", *lines[middle:]])
    expected = {name.rsplit(".", 1)[-1] for name, *_ in EXPECTED[language]}
    found = {s.name.rsplit(".", 1)[-1] for s in extract_symbols(broken, language)}
    assert len(expected & found) >= len(expected) * 0.6


def test_python_syntax_the_running_interpreter_rejects() -> None:
    # A Python 2 print statement (every ast rejects it) next to PEP 695 generics (3.11's ast rejects).
    source = 'print "legacy"\n\nclass Box[T]:\n    def get[U](self, x: U) -> T: ...\n'
    with pytest.raises(SyntaxError):
        ast.parse(source)
    assert [s.name for s in extract_symbols(source, "python")] == ["Box", "Box.get"]


def test_thousands_of_nested_functions_need_no_python_recursion() -> None:
    depth = 1_000
    source = "".join(f"function f{i}() {{\n" for i in range(depth)) + "}\n" * depth
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(120)  # far below the nesting depth: any recursion over the tree would fail
    try:
        syms = extract_symbols(source, "javascript")
    finally:
        sys.setrecursionlimit(limit)
    assert len(syms) == depth
    # Past eight levels a qualified name keeps its outermost and innermost parts, and says so.
    assert syms[-1].name == "f0.….f993.f994.f995.f996.f997.f998.f999"
    assert syms[-1].notes == ("qualified name shortened: 992 enclosing levels left out",)
    assert syms[-1].parent == syms[-2].id
    assert len({s.id for s in syms}) == depth


def test_one_function_holding_thousands_of_nested_functions() -> None:
    body = "".join(f"    def inner{i}(x):\n        return x + {i}\n" for i in range(3_000))
    source = f"def giant():\n{body}    return 0\n"
    syms = extract_symbols(source, "python")
    assert len(syms) == 3_001
    assert syms[0].name == "giant"
    assert (syms[0].start, syms[0].end) == (1, 6_002)
    assert {s.parent for s in syms[1:]} == {"giant"}


def test_unknown_and_grammarless_languages_have_no_symbols_but_are_supported() -> None:
    assert extract_symbols("fun main() {}\n", "kotlin") == []
    assert supported("kotlin")
    assert not has_symbols("kotlin")
    assert extract_symbols("x", "brainfuck") == []
    assert not supported("brainfuck")
    assert not supported(None)
    assert has_symbols("python")


def test_symbol_hash_covers_its_own_lines_only() -> None:
    source = "def a():\n    return 1\n\n\ndef b():\n    return 2\n"
    a1, b1 = extract_symbols(source, "python")
    a2, b2 = extract_symbols(source.replace("return 2", "return 3"), "python")
    assert a1.sha256 == a2.sha256
    assert b1.sha256 != b2.sha256
    moved = extract_symbols("\n\n" + source, "python")
    assert [s.sha256 for s in moved] == [a1.sha256, b1.sha256]


def _folded(node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """An ``@overload`` variant or a property's ``@x.setter``: part of another symbol of the name."""
    for dec in node.decorator_list:
        text = ast.unparse(dec)
        if text.split(".")[-1] == "overload" or text in {f"{node.name}.setter", f"{node.name}.deleter"}:
            return True
    return False


def _ast_names(source: str) -> list[str]:
    """Qualified names of every def and class, nested at any depth, by the interpreter's own parser."""
    names: list[str] = []
    stack: list[tuple[ast.AST, str]] = [(ast.parse(source), "")]
    while stack:
        node, prefix = stack.pop()
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef) and _folded(child):
                continue
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                names.append(prefix + child.name)
                stack.append((child, f"{prefix}{child.name}."))
            else:
                stack.append((child, prefix))
    return sorted(names)


@pytest.mark.parametrize("module", ["argparse", "typing", "inspect", "difflib", "asyncio.base_events"])
def test_real_files_match_the_interpreters_own_parser(module: str) -> None:
    spec = importlib.util.find_spec(module)
    assert spec is not None and spec.origin is not None
    source = Path(spec.origin).read_text(encoding="utf-8")
    code = [
        s for s in extract_symbols(source, "python") if s.kind in {"class", "function", "method", "property"}
    ]
    assert sorted(s.name for s in code) == _ast_names(source)


def test_byte_order_mark_does_not_hide_the_first_doc_comment() -> None:
    syms = extract_symbols("\ufeff// Greets.\nfunction hello() {}\n", "javascript")
    assert [(s.name, s.start, s.docstring) for s in syms] == [("hello", 1, "Greets.")]


# immer's `IProduce`: generic call signatures on lines of their own, without `;` between them.
# tree-sitter-typescript reads `Curried\n<Recipe>(` as type arguments and loses the rest of the file.
GENERIC_CALL_SIGNATURES = """\
export interface IProduce {
\t/** Curried from the output */
\t<Curried>(
\t\trecipe: Curried,
\t): Curried

\t/** Curried from the recipe */
\t<Recipe extends AnyFunc>(recipe: Recipe): Recipe // trailing comment
\t<Base, D = Draft<Base>>(base: Base, recipe: (draft: D) => D): Base
}

export type Later = <T>(
\tx: T,
) =>
\t<U>(y: U) => [T, U]

export function after(x: number): number {
\treturn x
}
"""


@pytest.mark.parametrize("language", ["typescript", "tsx"])
def test_generic_call_signatures_on_their_own_lines_do_not_hide_what_follows(language: str) -> None:
    from docbot import languages

    data = GENERIC_CALL_SIGNATURES.encode()
    assert languages.parser(language).parse(data).root_node.has_error  # the grammar's own reading
    assert languages.syntax_errors(languages.parse(language, data)) == 0
    found = [(s.id, s.kind, s.start, s.end) for s in extract_symbols(GENERIC_CALL_SIGNATURES, language)]
    assert found == [
        ("IProduce", "interface", 1, 10),
        ("Later", "type_alias", 12, 15),
        ("after", "function", 17, 19),
    ]
    signatures = [s.signature for s in extract_symbols(GENERIC_CALL_SIGNATURES, language)]
    assert signatures == ["interface IProduce", "type Later = <T>(", "function after(x: number): number"]


def test_the_typescript_repair_leaves_continuations_and_first_members_alone() -> None:
    from docbot.languages import repair_ts_generic_signatures

    # After `=>`, `{`, `(` or `,` a line-leading `<T>` continues the code: no `;` goes there.
    source = b"type A = () =>\n  <T>(x: T) => T\ninterface B {\n  <T>(x: T): T\n}\nf(\n  <T>() => 1)\n"
    assert repair_ts_generic_signatures(source) == source
    assert repair_ts_generic_signatures(b"interface C {\n  (): A\n  <T>(x: T): T\n}\n") == (
        b"interface C {\n  (): A\n ;<T>(x: T): T\n}\n"
    )
