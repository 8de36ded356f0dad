"""Symbols as the API is: overloads, decorators, attributes and constants, visibility, whole signatures,
ids that keep same-named definitions apart, hashes that follow a symbol's own code, and linear cost."""

from __future__ import annotations

import re

import pytest

from docbot.chunking import split_source
from docbot.llm.base import DocRequest
from docbot.llm.offline import OfflineProvider
from docbot.merge import merge_file
from docbot.render.page import render_page
from docbot.symbols import Symbol, extract_symbols, visible

_HEADING = re.compile(r"^#{3,6} `(.+)`$", re.MULTILINE)

# Per language: a source using every kind the language has, and every symbol it yields as
# (id, kind, signature, decorators, overloads, type, value, public).
CASES: dict[
    str,
    tuple[str, list[tuple[str, str, str, tuple[str, ...], tuple[str, ...], str | None, str | None, bool]]],
] = {
    "python": (
        '''\
"""Module."""
from typing import overload, Final, TypeAlias
import typing

__all__ = ["MAX", "Box", "f", "Color", "Alias", "Point", "g", "Thing"]

MAX = 10
#: The limit.
limit: int = 3
LONG: Final = "x" * 1 + "yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy"
Alias: TypeAlias = "int | str"
type Vec = list[float]
_private = 1
counter = 0

@overload
def f(x: int) -> int: ...
@typing.overload
def f(x: str) -> str: ...
def f(x):
    """Implementation."""
    return x

def g(
    a: int,
    b: str = "long",
) -> None:
    pass

if TYPE_CHECKING:
    def h(): ...
else:
    def h(): pass

@dataclass(frozen=True)
class Point:
    x: int
    y: int = 0
    z: ClassVar[int] = 1

class Color(Enum):
    RED = 1
    GREEN = 2

class Box:
    """Box."""
    size: int
    KIND = "box"
    """The kind."""

    def __init__(self, a):
        self.a: int = a
        #: The b.
        self.b = a
        self.c = a
        self._d: int = 1

    @property
    def area(self) -> int:
        return 1

    @area.setter
    def area(self, v) -> None:
        pass

    @staticmethod
    def s(): pass

    @classmethod
    def c2(cls): pass

    def __repr__(self): return ""
    def __call__(self): return ""
    def _hidden(self): pass

class Thing(NamedTuple):
    a: int
    b: str
''',
        [
            ("MAX", "constant", "MAX = 10", (), (), None, "10", True),
            ("limit", "attribute", "limit: int = 3", (), (), "int", "3", False),
            (
                "LONG",
                "constant",
                'LONG: Final = "x" * 1 + "yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy…',  # noqa: E501
                (),
                (),
                "Final",
                '"x" * 1 + "yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy…',
                False,
            ),
            (
                "Alias",
                "type_alias",
                'Alias: TypeAlias = "int | str"',
                (),
                (),
                "TypeAlias",
                '"int | str"',
                True,
            ),
            ("Vec", "type_alias", "type Vec = list[float]", (), (), None, None, False),
            # Module-level names are importable API (griffe's view), left out here as private or
            # outside __all__.
            ("_private", "variable", "_private = 1", (), (), None, "1", False),
            ("counter", "variable", "counter = 0", (), (), None, "0", False),
            (
                "f",
                "function",
                "def f(x)",
                (),
                ("def f(x: int) -> int", "def f(x: str) -> str"),
                None,
                None,
                True,
            ),
            (
                "g",
                "function",
                'def g(\n    a: int,\n    b: str = "long",\n) -> None',
                (),
                (),
                None,
                None,
                True,
            ),
            ("h", "function", "def h()", (), (), None, None, False),
            ("h@2", "function", "def h()", (), (), None, None, False),
            ("Point", "class", "class Point", ("@dataclass(frozen=True)",), (), None, None, True),
            ("Point.x", "field", "x: int", (), (), "int", None, True),
            ("Point.y", "field", "y: int = 0", (), (), "int", "0", True),
            ("Point.z", "attribute", "z: ClassVar[int] = 1", (), (), "ClassVar[int]", "1", True),
            ("Color", "class", "class Color(Enum)", (), (), None, None, True),
            ("Color.RED", "enum_member", "RED = 1", (), (), None, "1", True),
            ("Color.GREEN", "enum_member", "GREEN = 2", (), (), None, "2", True),
            ("Box", "class", "class Box", (), (), None, None, True),
            ("Box.size", "attribute", "size: int", (), (), "int", None, True),
            ("Box.KIND", "attribute", 'KIND = "box"', (), (), None, '"box"', True),
            ("Box.__init__", "method", "def __init__(self, a)", (), (), None, None, True),
            ("Box.a", "attribute", "self.a: int = a", (), (), "int", "a", True),
            ("Box.b", "attribute", "self.b = a", (), (), None, "a", True),
            ("Box.c", "attribute", "self.c = a", (), (), None, "a", True),  # assigned in __init__
            ("Box._d", "attribute", "self._d: int = 1", (), (), "int", "1", False),
            (
                "Box.area",
                "property",
                "def area(self) -> int",
                ("@property", "@area.setter"),
                (),
                None,
                None,
                True,
            ),
            ("Box.s", "method", "def s()", ("@staticmethod",), (), None, None, True),
            ("Box.c2", "method", "def c2(cls)", ("@classmethod",), (), None, None, True),
            ("Box.__repr__", "method", "def __repr__(self)", (), (), None, None, False),
            ("Box.__call__", "method", "def __call__(self)", (), (), None, None, True),
            ("Box._hidden", "method", "def _hidden(self)", (), (), None, None, False),
            ("Thing", "class", "class Thing(NamedTuple)", (), (), None, None, True),
            ("Thing.a", "field", "a: int", (), (), "int", None, True),
            ("Thing.b", "field", "b: str", (), (), "str", None, True),
        ],
    ),
    "javascript": (
        """\
export function read(path) {}
function local() {}
export const TIMEOUT = 30;
export class Store {
  #secret = 1;
  size = 0;
  get count() { return 1; }
}
""",
        [
            ("read", "function", "function read(path)", (), (), None, None, True),
            ("local", "function", "function local()", (), (), None, None, False),
            ("TIMEOUT", "constant", "export const TIMEOUT = 30", (), (), None, "30", True),
            ("Store", "class", "class Store", (), (), None, None, True),
            ("Store.#secret", "attribute", "#secret = 1", (), (), None, "1", False),
            ("Store.size", "attribute", "size = 0", (), (), None, "0", True),
            ("Store.count", "property", "get count()", (), (), None, None, True),
        ],
    ),
    "typescript": (
        """\
/** Greets. */
export function greet(name: string): string;
export function greet(names: string[]): string;
export function greet(x: any): string {
  return String(x);
}
function helper() {}
export const LIMIT = 10;
const hidden = 1;
export type Id = string | number;
export interface Opts {
  retries: number;
  log(msg: string): void;
}
export enum Level { Low = 1, High }
@sealed
export class Box {
  private secret = 1;
  #hash = 2;
  size: number = 0;
  open(a: string): void;
  open(a: number): void;
  @logged
  open(a: any) {}
  get area(): number { return 1; }
  set area(v: number) {}
}
""",
        [
            (
                "greet",
                "function",
                "function greet(x: any): string",
                (),
                ("function greet(name: string): string", "function greet(names: string[]): string"),
                None,
                None,
                True,
            ),
            ("helper", "function", "function helper()", (), (), None, None, False),
            ("LIMIT", "constant", "export const LIMIT = 10", (), (), None, "10", True),
            ("hidden", "constant", "const hidden = 1", (), (), None, "1", False),
            ("Id", "type_alias", "type Id = string | number", (), (), None, None, True),
            ("Opts", "interface", "interface Opts", (), (), None, None, True),
            ("Opts.retries", "attribute", "retries: number", (), (), "number", None, True),
            ("Opts.log", "method", "log(msg: string): void", (), (), None, None, True),
            ("Level", "enum", "enum Level", (), (), None, None, True),
            ("Level.Low", "enum_member", "Low = 1", (), (), None, "1", True),
            ("Level.High", "enum_member", "High", (), (), None, None, True),
            ("Box", "class", "class Box", ("@sealed",), (), None, None, True),
            ("Box.secret", "attribute", "private secret = 1", (), (), None, "1", False),
            ("Box.#hash", "attribute", "#hash = 2", (), (), None, "2", False),
            ("Box.size", "attribute", "size: number = 0", (), (), "number", "0", True),
            (
                "Box.open",
                "method",
                "open(a: any)",
                ("@logged",),
                ("open(a: string): void", "open(a: number): void"),
                None,
                None,
                True,
            ),
            ("Box.area", "property", "get area(): number", (), (), None, None, True),
        ],
    ),
    "tsx": (
        """\
export interface Props {
  name: string;
}
export const Hello = ({ name }: Props) => <p>{name}</p>;
export const DEFAULT_NAME = "world";
""",
        [
            ("Props", "interface", "interface Props", (), (), None, None, True),
            ("Props.name", "attribute", "name: string", (), (), "string", None, True),
            ("Hello", "function", "export const Hello = ({ name }: Props) =>", (), (), None, None, True),
            (
                "DEFAULT_NAME",
                "constant",
                'export const DEFAULT_NAME = "world"',
                (),
                (),
                None,
                '"world"',
                True,
            ),
        ],
    ),
    "go": (
        """\
package geo

// Pi is pi.
const Pi = 3.14

const (
	A, B = 1, 2
	hidden = 3
)

var Default = New()

type ID = string

type Point struct {
	X, Y int
	label string
}

func (p *Point) Move() {}
func (p *point) Other() {}
func helper() {}
""",
        [
            ("Pi", "constant", "const Pi = 3.14", (), (), None, "3.14", True),
            ("A", "constant", "A, B = 1, 2", (), (), None, "1, 2", True),
            ("B", "constant", "A, B = 1, 2", (), (), None, "1, 2", True),
            ("hidden", "constant", "hidden = 3", (), (), None, "3", False),
            ("Default", "variable", "var Default = New()", (), (), None, "New()", True),
            ("ID", "type_alias", "type ID = string", (), (), None, None, True),
            ("Point", "struct", "type Point struct", (), (), None, None, True),
            ("Point.X", "field", "X, Y int", (), (), "int", None, True),
            ("Point.Y", "field", "X, Y int", (), (), "int", None, True),
            ("Point.label", "field", "label string", (), (), "string", None, False),
            ("Point.Move", "method", "func (p *Point) Move()", (), (), None, None, True),
            ("point.Other", "method", "func (p *point) Other()", (), (), None, None, False),
            ("helper", "function", "func helper()", (), (), None, None, False),
        ],
    ),
    "java": (
        """\
public class A {
    public static final int MAX = 10;
    private int count;
    protected String name = "a";

    @Override
    @Deprecated(since = "2")
    public String toString() { return name; }

    private void hidden() {}

    enum Mode { ON, OFF }
}
""",
        [
            ("A", "class", "public class A", (), (), None, None, True),
            ("A.MAX", "constant", "public static final int MAX = 10", (), (), "int", "10", True),
            ("A.count", "field", "private int count", (), (), "int", None, False),
            ("A.name", "field", 'protected String name = "a"', (), (), "String", '"a"', True),
            (
                "A.toString",
                "method",
                "public String toString()",
                ("@Override", '@Deprecated(since = "2")'),
                (),
                None,
                None,
                True,
            ),
            ("A.hidden", "method", "private void hidden()", (), (), None, None, False),
            ("A.Mode", "enum", "enum Mode", (), (), None, None, True),
            ("A.Mode.ON", "enum_member", "ON", (), (), None, None, True),
            ("A.Mode.OFF", "enum_member", "OFF", (), (), None, None, True),
        ],
    ),
    "rust": (
        """\
pub const MAX: u32 = 10;
static COUNT: u32 = 0;
pub type Id = u64;

#[derive(Debug, Clone)]
pub struct Point {
    pub x: i32,
    y: i32,
}

pub enum Kind { A, B(i32) }

impl Point {
    pub fn new() -> Self { Point { x: 0, y: 0 } }
    fn private(&self) {}
}

pub trait Shape {
    fn area(&self) -> f64;
}

impl Shape for Point {
    fn area(&self) -> f64 { 0.0 }
}
""",
        [
            ("MAX", "constant", "pub const MAX: u32 = 10", (), (), "u32", "10", True),
            ("COUNT", "constant", "static COUNT: u32 = 0", (), (), "u32", "0", False),
            ("Id", "type_alias", "pub type Id = u64", (), (), None, None, True),
            ("Point", "struct", "pub struct Point", ("#[derive(Debug, Clone)]",), (), None, None, True),
            ("Point.x", "field", "pub x: i32", (), (), "i32", None, True),
            ("Point.y", "field", "y: i32", (), (), "i32", None, False),
            ("Kind", "enum", "pub enum Kind", (), (), None, None, True),
            ("Kind.A", "enum_member", "A", (), (), None, None, True),
            ("Kind.B", "enum_member", "B(i32)", (), (), None, None, True),
            ("Point@2", "impl", "impl Point", (), (), None, None, True),
            ("Point.new", "method", "pub fn new() -> Self", (), (), None, None, True),
            ("Point.private", "method", "fn private(&self)", (), (), None, None, False),
            ("Shape", "trait", "pub trait Shape", (), (), None, None, True),
            ("Shape.area", "method", "fn area(&self) -> f64", (), (), None, None, True),
            ("<Point as Shape>", "impl", "impl Shape for Point", (), (), None, None, True),
            ("<Point as Shape>.area", "method", "fn area(&self) -> f64", (), (), None, None, True),
        ],
    ),
    "c": (
        """\
#define MAX 10
typedef unsigned long size_type;
int count(int a);

/* Counts. */
int count(int a) {
    return a;
}
enum color { RED, GREEN = 2 };
""",
        [
            ("MAX", "constant", "#define MAX 10", (), (), None, "10", True),
            ("size_type", "type_alias", "typedef unsigned long size_type", (), (), None, None, True),
            ("count", "function", "int count(int a)", (), (), None, None, True),
            ("color", "enum", "enum color", (), (), None, None, True),
            ("color.RED", "enum_member", "RED", (), (), None, None, True),
            ("color.GREEN", "enum_member", "GREEN = 2", (), (), None, "2", True),
        ],
    ),
    "cpp": (
        """\
class Shape {
 public:
  int area(int scale) const;
  int area(int scale) const { return scale; }
  int size;
};
""",
        [
            ("Shape", "class", "class Shape", (), (), None, None, True),
            ("Shape.area", "method", "int area(int scale) const", (), (), None, None, True),
            ("Shape.size", "field", "int size", (), (), "int", None, True),
        ],
    ),
    "ruby": (
        """\
module Geo
  VERSION = "1.0"
  class Shape
    attr_accessor :width, :height
    def area
      def helper; end
      1
    end
  end
end
""",
        [
            ("Geo", "module", "module Geo", (), (), None, None, True),
            ("Geo.VERSION", "constant", 'VERSION = "1.0"', (), (), None, '"1.0"', True),
            ("Geo.Shape", "class", "class Shape", (), (), None, None, True),
            ("Geo.Shape.width", "attribute", "attr_accessor :width", (), (), None, None, True),
            ("Geo.Shape.height", "attribute", "attr_accessor :height", (), (), None, None, True),
            ("Geo.Shape.area", "method", "def area", (), (), None, None, True),
            ("Geo.Shape.area.helper", "function", "def helper; end", (), (), None, None, False),
        ],
    ),
}


def _row(s: Symbol) -> tuple[str, str, str, tuple[str, ...], tuple[str, ...], str | None, str | None, bool]:
    return (s.id, s.kind, s.signature, s.decorators, s.overloads, s.type, s.value, s.public)


@pytest.mark.parametrize("language", sorted(CASES))
def test_every_kind_of_the_language_with_signature_decorators_overloads_type_and_value(language: str) -> None:
    source, expected = CASES[language]
    assert [_row(s) for s in extract_symbols(source, language)] == expected


@pytest.mark.parametrize("language", sorted(CASES))
def test_public_visibility_keeps_exactly_the_public_symbols(language: str) -> None:
    source, expected = CASES[language]
    public = [row[0] for row in expected if row[7]]
    assert [s.id for s in extract_symbols(source, language, visibility="public")] == public
    syms, chunks = split_source(f"m.{language}", language, source)  # public is the default
    assert [s.id for s in syms] == public
    assert [s.id for c in chunks for s in c.symbols] == public
    # What is left out is still in the chunks' text, as code context for the rest.
    assert "".join(c.text + "\n" for c in chunks) == source
    everything, _ = split_source(f"m.{language}", language, source, visibility="all")
    assert [s.id for s in everything] == [row[0] for row in expected]


def test_an_unknown_visibility_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="visibility 'internal': use one of public, all"):
        split_source("m.py", "python", "x = 1\n", visibility="internal")


def test_module_all_decides_what_is_public() -> None:
    source = (
        '__all__ = ["a"]\n__all__ += ["B"]\n\ndef a(): ...\ndef b(): ...\nclass B:\n    def m(self): ...\n'
    )
    assert [s.id for s in extract_symbols(source, "python", visibility="public")] == ["a", "B", "B.m"]
    computed = "__all__ = names()\n\ndef a(): ...\ndef b(): ...\n"
    assert [s.id for s in extract_symbols(computed, "python", visibility="public")] == ["a", "b"]


def test_same_names_get_distinct_ids_and_sections() -> None:
    source = (
        "if TYPE_CHECKING:\n"
        "    def f(x: int) -> int: ...\n"
        "else:\n"
        "    def f(x):\n"
        "        def inner(): ...\n"
        "        return x\n"
        "\n"
        "def f(x, y): ...\n"
    )
    syms = extract_symbols(source, "python")
    assert [(s.id, s.name, s.parent) for s in syms] == [
        ("f", "f", None),
        ("f@2", "f", None),
        ("f.inner", "f.inner", "f@2"),
        ("f@3", "f", None),
    ]
    page = _page("m.py", "python", source, visibility="all")
    assert _HEADING.findall(page) == ["f", "f", "f.inner", "f"]
    assert page.count("```\ndef f(x)\n```") == 1
    assert page.count("```\ndef f(x, y)\n```") == 1


def _page(path: str, language: str, source: str, *, visibility: str = "public") -> str:
    """The page the real path renders (split, offline answers, merge, render)."""
    syms, chunks = split_source(path, language, source, visibility=visibility)
    provider = OfflineProvider()
    answers = [provider.document(DocRequest(c, c.index == 0)) for c in chunks]
    doc = merge_file(
        path=path,
        language=language,
        source_sha256="0" * 64,
        total_lines=chunks[-1].end,
        symbols=syms,
        chunk_docs=answers,
        chunks=chunks,
    )
    assert doc.missing == () and doc.invented == 0 and doc.duplicates == 0
    return render_page(doc)


def test_page_shows_overloads_decorators_and_attributes() -> None:
    source, _ = CASES["python"]
    page = _page("a.py", "python", source)
    assert _HEADING.findall(page) == [
        "MAX",
        "Alias",
        "f",
        "g",
        "Point",
        "Point.x",
        "Point.y",
        "Point.z",
        "Color",
        "Color.RED",
        "Color.GREEN",
        "Box",
        "Box.size",
        "Box.KIND",
        "Box.__init__",
        "Box.a",
        "Box.b",
        "Box.c",
        "Box.area",
        "Box.s",
        "Box.c2",
        "Box.__call__",
        "Thing",
        "Thing.a",
        "Thing.b",
    ]
    assert (
        "```\ndef f(x)\n```\n\n**Overloads**\n\n```\ndef f(x: int) -> int\ndef f(x: str) -> str\n```" in page
    )
    assert "Implementation." in page  # the implementation's docstring, not a stub's
    assert "```\n@property\n@area.setter\ndef area(self) -> int\n```" in page
    assert "*property, lines 58–64*" in page  # the setter is part of the property
    assert "```\n@dataclass(frozen=True)\nclass Point\n```" in page
    assert "*field, lines 37–37*\n\n```\nx: int\n```" in page
    assert "*enum_member, lines 42–42*\n\n```\nRED = 1\n```" in page
    assert "```\nself.a: int = a\n```" in page
    assert "The b." in page  # a `#:` comment documents the attribute
    assert "The kind." in page  # so does a string right after it
    assert '```\ndef g(\n    a: int,\n    b: str = "long",\n) -> None\n```' in page  # whole, as written


def test_typescript_page_groups_overload_signatures_under_the_implementation() -> None:
    source, _ = CASES["typescript"]
    page = _page("m.ts", "typescript", source)
    assert "## Reference" in page
    assert (
        "```\nfunction greet(x: any): string\n```\n\n**Overloads**\n\n"
        "```\nfunction greet(name: string): string\nfunction greet(names: string[]): string\n```"
    ) in page
    assert "Greets." in page
    assert "```\n@logged\nopen(a: any)\n```" in page
    assert "helper" not in _HEADING.findall(page)
    assert "Box.secret" not in _HEADING.findall(page)


def test_long_values_are_cut_with_a_note_but_signatures_never_are() -> None:
    params = ", ".join(f"p{i}: int = {i}" for i in range(80))
    source = f"TABLE = {list(range(100))!r}\n\ndef wide({params}) -> None: ...\n"
    table, wide = extract_symbols(source, "python")
    assert table.value is not None and len(table.value) <= 80 and table.value.endswith("…")
    assert table.notes == ("value shortened: 390 characters, the first 78 shown",)
    assert wide.signature == f"def wide({params}) -> None"
    assert "value shortened" in _page("t.py", "python", source)


def _by_id(source: str, language: str = "python") -> dict[str, str]:
    return {s.id: s.sha256 for s in extract_symbols(source, language)}


def test_identity_follows_own_code_docstring_decorators_and_overload_set() -> None:
    base = (
        "from typing import overload\n\n"
        "@overload\ndef f(x: int) -> int: ...\n"
        "@overload\ndef f(x: str) -> str: ...\n"
        'def f(x):\n    """Doc."""\n    return x\n\n\n'
        "@cache\ndef g():\n    return 1\n\n\n"
        "class C:\n    size: int = 1\n"
    )
    before = _by_id(base)
    assert set(before) == {"f", "g", "C", "C.size"}

    def changed(edited: str) -> set[str]:
        after = _by_id(edited)
        assert set(after) == set(before)
        return {k for k in before if before[k] != after[k]}

    assert changed("\n\n" + base) == set()  # moved: same identity
    assert changed(base.replace("return x", "return -x")) == {"f"}
    assert changed(base.replace("Doc.", "Docs.")) == {"f"}
    assert changed(base.replace("@cache", "@lru_cache")) == {"g"}
    assert changed(base.replace("x: str) -> str", "x: bytes) -> bytes")) == {"f"}
    assert changed(base.replace("@overload\ndef f(x: str) -> str: ...\n", "")) == {"f"}
    assert changed(base.replace("size: int = 1", "size: int = 2")) == {"C", "C.size"}  # and its class


def test_cost_stays_linear_on_a_minified_file_and_deep_nesting() -> None:
    # One 1.9 MB line holding 47,000 functions: each symbol hashes its own bytes, not the line.
    minified = "".join(f"function f{i}(a){{return a+{i}+'{'x' * 8}'}}" for i in range(47_000))
    assert len(minified) > 1_900_000
    syms = extract_symbols(minified, "javascript")
    assert len(syms) == 47_000
    assert sum(len(s.name) + len(s.signature) for s in syms) < len(minified)
    page = _page("min.js", "javascript", minified, visibility="all")
    assert len(page) < 250 * len(syms)  # a bounded section per symbol

    # 2,000 nested functions in 35 KB: names keep at most eight parts, so the page stays small.
    nested = "".join(f"function g{i}(){{\n" for i in range(2_000)) + "}\n" * 2_000
    assert len(nested) < 40_000
    deep = extract_symbols(nested, "javascript")
    assert max(len(s.name) for s in deep) < 80
    assert max(s.depth for s in deep) == 8
    assert deep[-1].notes == ("qualified name shortened: 1992 enclosing levels left out",)
    assert len({s.id for s in deep}) == 2_000
    assert len(_page("deep.js", "javascript", nested, visibility="all")) < 1_000_000
    assert [s.id for s in visible(deep, "public")] == []  # closures are never API
