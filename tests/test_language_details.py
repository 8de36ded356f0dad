"""Per-language details of a rendered page (offline), asserted as the exact text a reader sees.

Each source goes the real way: ``extract_symbols`` -> ``chunk_file`` -> the offline provider ->
``merge_file`` -> ``render_page``; the assertions are on the section under a symbol's heading.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from docbot import languages, overview
from docbot.docs import static_doc
from docbot.docstrings import comment_lines
from docbot.symbols import extract_symbols
from tests.offline_page import offline_page


def page(path: str, language: str, source: str) -> str:
    return offline_page(path, language, source)


def section(rendered: str, name: str) -> str:
    """The text under the heading of the symbol called ``name`` (its first one), up to the next heading."""
    reference = rendered.split("## Reference\n", 1)[1]
    parts = re.split(r"^#{3,6} .*`(.*)`$", reference, flags=re.M)
    found = dict(zip(parts[1::2], parts[2::2], strict=True))
    return found[name].strip()


def body(text: str) -> str:
    """``text`` without its first line (the kind and the source-line link)."""
    return text.split("\n", 2)[2]


def lines(*parts: str) -> str:
    return "\n".join(parts)


RUST = """\
/// The first item.
pub fn first<T>(items: &[T]) -> Option<T> where T: Clone {
    items.first().cloned()
}

pub fn serialize<L, S>(this: &Either<L>, serializer: S) -> Result<S::Ok, S::Error>
where
    S: Serializer,
    L: Serialize,
{
    todo!()
}

pub struct Stack;

impl Stack {
    pub fn peek(&self, depth: usize) -> &str { "" }
    pub fn push(&mut self, item: u8) {}
    pub fn into_vec(mut self) -> Vec<u8> { vec![] }
    pub fn boxed(self: Box<Self>, tag: u8) -> u8 { tag }
    pub fn with<'a>(&'a mut self, this: u8) -> &'a str { "" }
}
"""


def test_a_rust_where_clause_stays_in_the_signature_and_out_of_the_return_type() -> None:
    rendered = page("src/lib.rs", "rust", RUST)
    assert body(section(rendered, "first")) == lines(
        "```rust",
        "pub fn first<T>(items: &[T]) -> Option<T> where T: Clone",
        "```",
        "",
        "The first item.",
        "",
        "**Parameters**",
        "",
        "- `items`: `&[T]`",
        "",
        "**Returns:** `Option<T>`",
    )
    assert body(section(rendered, "serialize")) == lines(
        "```rust",
        "pub fn serialize<L, S>(this: &Either<L>, serializer: S) -> Result<S::Ok, S::Error>",
        "where",
        "    S: Serializer,",
        "    L: Serialize,",
        "```",
        "",
        "**Parameters**",
        "",
        "- `this`: `&Either<L>`",
        "- `serializer`: `S`",
        "",
        "**Returns:** `Result<S::Ok, S::Error>`",
    )


def test_only_self_is_a_rust_receiver_and_this_is_an_ordinary_parameter() -> None:
    rendered = page("src/lib.rs", "rust", RUST)
    # The parameters static_doc sees (the page shows no such summary: its heading and signature say it).
    syms = {s.name: s for s in extract_symbols(RUST, "rust")}
    summaries = {
        name: static_doc(syms[f"Stack.{name}"], "rust").summary
        for name in ("peek", "push", "into_vec", "boxed", "with")
    }
    assert summaries == {
        "peek": "Method `peek`, taking `depth`.",
        "push": "Method `push`, taking `item`.",
        "into_vec": "Method `into_vec`, taking no arguments.",
        "boxed": "Method `boxed`, taking `tag`.",
        "with": "Method `with`, taking `this`.",
    }
    assert body(section(rendered, "Stack.with")).endswith(
        lines("**Parameters**", "", "- `this`: `u8`", "", "**Returns:** `&'a str`")
    )


def test_a_rust_doc_comment_written_back_lists_this_and_returns_the_type_alone() -> None:
    syms = {s.name: s for s in extract_symbols(RUST, "rust")}
    sym = syms["serialize"]
    assert comment_lines("rust", static_doc(sym, "rust"), sym, "", "google") == [
        "/// Function `serialize`, taking `this`, `serializer`.",
        "///",
        "/// # Arguments",
        "///",
        "/// * `this`",
        "/// * `serializer`",
        "///",
        "/// # Returns",
        "///",
        "/// `Result<S::Ok, S::Error>`",
    ]


CPP = """\
class options {
public:
    /// Leaves the settings as they are.
    options() {}
    options &operator=(const options &) = delete;
    /// Turns docstrings off.
    options &disable_docstrings() & { return *this; }
    static state &global_state() { static state s; return s; }
    const char *name() const { return ""; }
    auto size() const -> int { return 0; }
};
"""


def test_cpp_functions_that_return_a_reference_are_documented_with_their_return_type() -> None:
    rendered = page("include/options.hpp", "cpp", CPP)
    contents = rendered.split("## Contents\n", 1)[1].split("\n## ", 1)[0].strip()
    assert contents == lines(
        "- [`options`](#options) (class)",
        "    - [`options.options`](#options.options) (method)",
        "    - [`options.operator=`](#options.operator) (method)",
        "    - [`options.disable_docstrings`](#options.disable_docstrings) (method)",
        "    - [`options.global_state`](#options.global_state) (method)",
        "    - [`options.name`](#options.name) (method)",
        "    - [`options.size`](#options.size) (method)",
    )
    assert body(section(rendered, "options.disable_docstrings")) == lines(
        "```cpp",
        "options &disable_docstrings() &",
        "```",
        "",
        "Turns docstrings off.",
        "",
        "**Returns:** `options &`",
    )
    returns = {
        name: body(section(rendered, f"options.{name}")).rsplit("\n\n", 1)[1]
        for name in ("global_state", "name", "size", "operator=")
    }
    assert returns == {
        "global_state": "**Returns:** `state &`",
        "name": "**Returns:** `const char *`",
        "size": "**Returns:** `int`",
        "operator=": "**Returns:** `options &`",
    }
    assert body(section(rendered, "options.options")).endswith("Leaves the settings as they are.")


def test_deprecation_attributes_say_so_on_the_page_with_their_version_and_note() -> None:
    rust = page(
        "src/lib.rs",
        "rust",
        '/// Old.\n#[deprecated(since = "1.2.0", note = "use `fresh`")]\npub fn stale() {}\n'
        '#[deprecated = "gone"]\npub fn gone() {}\n#[deprecated]\npub fn bare() {}\n',
    )
    assert body(section(rust, "stale")) == lines(
        "```rust",
        '#[deprecated(since = "1.2.0", note = "use `fresh`")]',
        "pub fn stale()",
        "```",
        "",
        "Old.",
        "",
        "> Deprecated since 1.2.0: use `fresh`",
    )
    assert body(section(rust, "gone")).endswith("> Deprecated: gone")
    assert body(section(rust, "bare")).endswith("> Deprecated.")
    java = page(
        "src/A.java",
        "java",
        "public class A {\n"
        "    /** Old. @deprecated use {@link #fresh} */\n"
        '    @Deprecated(since = "9")\n'
        "    public int old() { return 1; }\n"
        "    @Deprecated\n"
        "    public void bare() {}\n"
        "}\n",
    )
    assert body(section(java, "A.old")).endswith(
        lines("Old.", "", "**Returns:** `int`", "", "> Deprecated since 9: use `#fresh`")
    )
    assert body(section(java, "A.bare")).endswith(lines("public void bare()", "```", "", "> Deprecated."))
    cpp = page(
        "src/a.hpp",
        "cpp",
        '/// Old.\n[[deprecated("use g")]] int f(int x = 3);\nint f(int x) { return x; }\n'
        "[[nodiscard, deprecated]] int h() { return 0; }\n",
    )
    assert body(section(cpp, "f")) == lines(
        "```cpp",
        '[[deprecated("use g")]]',
        "int f(int x)",
        "```",
        "",
        "**Overloads**",
        "",
        "```cpp",
        "int f(int x = 3)",
        "```",
        "",
        "Old.",
        "",
        "**Parameters**",
        "",
        "- `x`: `int`, default `3`",
        "",
        "**Returns:** `int`",
        "",
        "> Deprecated: use g",
    )
    assert body(section(cpp, "h")).endswith(lines("**Returns:** `int`", "", "> Deprecated."))


PYBIND_STYLE_HEADER = """\
#pragma once

class gil {
public:
    /// Takes the lock.
    PYBIND11_NOINLINE gil() : depth(0) { acquire(); }
    PYBIND11_NOINLINE void acquire() {}
    PYBIND11_NOINLINE ~gil() {}
protected:
    int level() const { return depth; }
private:
    struct state { bool on = true; };
    static state &global() { static state s; return s; }
    int depth;
};

struct point { int x; };
"""


def test_a_cpp_header_ending_in_h_is_read_as_cpp_and_private_members_are_left_out() -> None:
    assert languages.language_for("include/gil.h") == "c"
    assert languages.language_of("include/gil.h", PYBIND_STYLE_HEADER) == "cpp"
    assert languages.language_of("include/stdio.h", "int puts(const char *s);\n") == "c"
    assert languages.language_of("src/gil.hpp", PYBIND_STYLE_HEADER) == "cpp"
    rendered = page("include/gil.h", "cpp", PYBIND_STYLE_HEADER)
    contents = rendered.split("## Contents\n", 1)[1].split("\n## ", 1)[0].strip()
    assert contents == lines(
        "- [`gil`](#gil) (class)",
        "    - [`gil.gil`](#gil.gil) (method)",
        "    - [`gil.acquire`](#gil.acquire) (method)",
        "    - [`gil.~gil`](#gil.-gil) (method)",
        "    - [`gil.level`](#gil.level) (method)",
        "- [`point`](#point) (struct)",
        "    - [`point.x`](#point.x) (field)",
    )
    assert body(section(rendered, "gil.gil")) == lines(
        "```cpp", "PYBIND11_NOINLINE gil()", "```", "", "Takes the lock."
    )
    assert body(section(rendered, "gil.acquire")) == lines(
        "```cpp", "PYBIND11_NOINLINE void acquire()", "```"
    )
    assert body(section(rendered, "gil.~gil")).endswith("```")  # no sentence that only restates the heading
    assert body(section(rendered, "gil.level")).endswith("**Returns:** `int`")


def test_the_pipeline_documents_a_cpp_header_ending_in_h_as_cpp(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    (repo / "include").mkdir(parents=True)
    (repo / "include" / "gil.h").write_text(PYBIND_STYLE_HEADER)
    git = ["git", "-C", str(repo), "-c", "user.email=a@b", "-c", "user.name=a"]
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-qm", "header"], check=True)
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "docbot",
            "run",
            "--repo",
            str(repo),
            "--all",
            "--out",
            "docs",
            "--cache",
            "none",
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "ANTHROPIC_API_KEY": ""},
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    rendered = (repo / "docs" / "include" / "gil.h.md").read_text()
    assert "*cpp, 17 lines, 1 class, 1 field, 4 methods, 1 struct;" in rendered


GO = """\
package uuid

// A Variant represents a UUID's variant.
type Variant byte

// Constants returned by Variant.
const (
	Invalid   = Variant(iota) // Invalid UUID
	RFC4122                   // The variant specified in RFC4122
	Future
)

// Point is a place.
type Point struct {
	X int // across
	// Y is up.
	Y int
}
"""


def test_go_constants_and_fields_take_the_comment_on_their_line_or_their_groups() -> None:
    rendered = page("uuid.go", "go", GO)
    summaries = {
        name: body(section(rendered, name)).split("\n\n")[-1]
        for name in ("Invalid", "RFC4122", "Future", "Point.X", "Point.Y")
    }
    assert summaries == {
        "Invalid": "Invalid UUID",
        "RFC4122": "The variant specified in RFC4122",
        "Future": "Constants returned by Variant.",
        "Point.X": "across",
        "Point.Y": "Y is up.",
    }
    assert body(section(rendered, "RFC4122")) == lines(
        "```go",
        "RFC4122",
        "```",
        "",
        "**Type:** `Variant`",
        "",
        "The variant specified in RFC4122",
    )


def test_a_doxygen_comment_after_a_field_and_its_continuation_document_that_field_alone() -> None:
    source = (
        "struct state {\n"
        "    bool docs = true;  //< Include user-supplied texts\n"
        "                       //  in docstrings.\n"
        "    bool sigs = true;  ///< Include signatures.\n"
        "    bool bare = true;\n"
        "};\n"
    )
    rendered = page("options.hpp", "cpp", source)
    summaries = {
        name: [*body(section(rendered, f"state.{name}")).split("\n\n"), ""][1]
        for name in ("docs", "sigs", "bare")
    }
    assert summaries == {
        "docs": "Include user-supplied texts in docstrings.",
        "sigs": "Include signatures.",
        "bare": "",
    }


RUST_CRATE = """\
// Copyright 2015 The Either Authors. Licensed under MIT or Apache-2.0.

//! Untagged serialization support for `Either<L, R>`.
//!
//! ```rust
//! # fn main() -> Result<(), Error> {
//! let data = Either::Left(1);
//! ## not hidden
//! # Ok(())
//! # }
//! ```
pub fn serialize() {}
"""


def test_a_rust_crate_doc_after_a_licence_header_is_the_overview_and_not_the_first_items_doc() -> None:
    rendered = page("src/lib.rs", "rust", RUST_CRATE)
    head = rendered.split("# `src/lib.rs`\n\n", 1)[1].split("\n\n*rust,", 1)[0]
    assert head == lines(
        "Untagged serialization support for `Either<L, R>`.",
        "",
        "```rust",
        "let data = Either::Left(1);",
        "# not hidden",
        "```",
    )
    assert body(section(rendered, "serialize")).endswith("pub fn serialize()\n```")


def test_a_go_package_comment_after_the_copyright_block_is_the_overview() -> None:
    source = (
        "// Copyright 2018 Google Inc. All rights reserved.\n"
        "// Use of this source code is governed by a BSD-style license.\n"
        "\n"
        "// Package uuid generates and inspects UUIDs.\n"
        "package uuid\n"
        "\n"
        "// New returns a UUID.\n"
        'func New() string { return "" }\n'
    )
    rendered = page("uuid.go", "go", source)
    assert rendered.split("# `uuid.go`\n\n", 1)[1].startswith(
        "Package uuid generates and inspects UUIDs.\n\n*go, 8 lines"
    )
    assert overview.module_doc("// Copyright 2018 Google Inc.\n\npackage uuid\n", "go", None) is None


def test_a_tab_indented_typescript_signature_keeps_its_shape_after_export_and_in_a_class() -> None:
    source = (
        "export function createProxy<T>(\n"
        "\tvalue: T,\n"
        "\tparent?: State\n"
        "): Drafted<T> {\n"
        "\treturn value as any\n"
        "}\n"
        "export class Immer {\n"
        "\tconstructor(config?: {\n"
        "\t\tautoFreeze?: boolean\n"
        "\t}) {}\n"
        "}\n"
    )
    rendered = page("src/immer.ts", "typescript", source)
    assert body(section(rendered, "createProxy")).split("\n\n")[0] == lines(
        "```typescript",
        "function createProxy<T>(",
        "    value: T,",
        "    parent?: State",
        "): Drafted<T>",
        "```",
    )
    assert body(section(rendered, "Immer.constructor")).split("\n\n")[0] == lines(
        "```typescript",
        "constructor(config?: {",
        "    autoFreeze?: boolean",
        "})",
        "```",
    )


def test_go_methods_and_out_of_line_cpp_methods_are_not_nested_under_the_symbol_before_them() -> None:
    source = (
        "package uuid\n\n"
        "type UUID [16]byte\n\n"
        "// Must panics on an error.\n"
        "func Must(u UUID, err error) UUID { return u }\n\n"
        "// String returns the text form.\n"
        'func (u UUID) String() string { return "" }\n'
    )
    rendered = page("uuid.go", "go", source)
    contents = rendered.split("## Contents\n", 1)[1].split("\n## ", 1)[0].strip()
    assert contents == lines(
        "- [`UUID`](#uuid) (type)",
        "- [`Must`](#must) (function)",
        "- [`UUID.String`](#uuid.string) (method)",
    )
    assert '### <a id="uuid.string"></a>`UUID.String`' in rendered
    cpp = page("box.cpp", "cpp", "class Box {\npublic:\n    int size();\n};\nint Box::size() { return 0; }\n")
    assert cpp.split("## Contents\n", 1)[1].split("\n## ", 1)[0].strip() == lines(
        "- [`Box`](#box) (class)",
        "- [`Box.size`](#box.size) (method)",
    )


def test_rust_arguments_and_returns_sections_document_the_parameters_and_the_result() -> None:
    source = (
        "/// Splits `text` at `at`.\n"
        "///\n"
        "/// # Arguments\n"
        "///\n"
        "/// * `text` - the text to split, which may be\n"
        "///   empty\n"
        "/// * `at` - where, in bytes\n"
        "///\n"
        "/// # Returns\n"
        "///\n"
        "/// The two halves.\n"
        "///\n"
        "/// # Safety\n"
        "///\n"
        "/// `at` must be a char boundary.\n"
        "pub unsafe fn split(text: &str, at: usize) -> (&str, &str) { todo!() }\n"
    )
    rendered = page("src/lib.rs", "rust", source)
    assert body(section(rendered, "split")).split("```\n\n", 1)[1] == lines(
        "Splits `text` at `at`.",
        "",
        "**Safety**",
        "",
        "`at` must be a char boundary.",
        "",
        "**Parameters**",
        "",
        "- `text`: `&str`: the text to split, which may be empty",
        "- `at`: `usize`: where, in bytes",
        "",
        "**Returns:** `(&str, &str)`: The two halves.",
    )


def test_a_doc_comment_separated_by_a_blank_line_still_documents_the_definition_below() -> None:
    source = (
        "/** @packageDocumentation Scopes of produce calls. */\n"
        "import { Patch } from './patch'\n"
        "\n"
        "/** Each scope represents a `produce` call. */\n"
        "\n"
        "export interface ImmerScope {\n"
        "\tpatches_?: Patch[]\n"
        "}\n"
        "\n"
        "// A plain comment.\n"
        "\n"
        "export function leave(): void {}\n"
    )
    rendered = page("src/scope.ts", "typescript", source)
    assert body(section(rendered, "ImmerScope")).split("\n\n")[1] == "Each scope represents a `produce` call."
    assert len(body(section(rendered, "leave")).split("\n\n")) == 1  # its signature alone
    first = page("src/a.ts", "typescript", "/** @module a */\n\nexport const x = 1\n")
    assert len(body(section(first, "x")).split("\n\n")) == 1


def test_an_exported_rust_macro_is_a_macro_and_an_unexported_one_is_not_api() -> None:
    source = (
        "macro_rules! hidden { () => {} }\n"
        "\n"
        "/// Repeats `x`.\n"
        "#[macro_export]\n"
        "macro_rules! twice {\n"
        "    ($x:expr) => { ($x, $x) };\n"
        "}\n"
    )
    rendered = page("src/lib.rs", "rust", source)
    assert rendered.split("## Contents\n", 1)[1].split("\n## ", 1)[0].strip() == "- [`twice`](#twice) (macro)"
    assert body(section(rendered, "twice")) == lines(
        "```rust", "#[macro_export]", "macro_rules! twice", "```", "", "Repeats `x`."
    )


def test_a_java_throws_clause_is_listed_under_raises_unless_the_javadoc_describes_it() -> None:
    source = (
        "public class HtmlWriter {\n"
        "    public static String asString(Node node) throws IOException, java.io.EOFException {\n"
        "        return null;\n"
        "    }\n"
        "    /**\n"
        "     * Writes one node.\n"
        "     * @throws IOException when the stream fails\n"
        "     */\n"
        "    public void write(Node n) throws IOException {}\n"
        "}\n"
    )
    rendered = page("src/HtmlWriter.java", "java", source)
    assert body(section(rendered, "HtmlWriter.asString")).rsplit("\n\n", 2)[1:] == [
        "**Returns:** `String`",
        "**Raises:** `IOException`, `java.io.EOFException`",
    ]
    assert body(section(rendered, "HtmlWriter.write")).endswith(
        "**Raises:** `IOException`: when the stream fails"
    )


def test_an_optional_typescript_parameter_says_so_when_it_has_no_default() -> None:
    source = (
        "/**\n"
        " * Finishes a draft.\n"
        " * @param [listener] - called with the patches\n"
        " */\n"
        "export function finish(draft: Draft, listener?: Listener, depth: number = 1, tag?: string) {}\n"
    )
    rendered = page("src/finish.ts", "typescript", source)
    assert body(section(rendered, "finish")).split("**Parameters**\n\n", 1)[1] == lines(
        "- `draft`: `Draft`",
        "- `listener`: `Listener`, optional: called with the patches",
        "- `depth`: `number`, default `1`",
        "- `tag`: `string`, optional",
    )


def test_a_cpp_template_keeps_its_parameter_list_in_the_signature() -> None:
    source = (
        "/// A vector.\n"
        "template <typename T, int N = 4>\n"
        "class Vec {\n"
        "public:\n"
        "    template <class U>\n"
        "    U get(int i = 0) const { return U(); }\n"
        "};\n"
    )
    rendered = page("vec.hpp", "cpp", source)
    assert body(section(rendered, "Vec")) == lines(
        "```cpp", "template <typename T, int N = 4>", "class Vec", "```", "", "A vector."
    )
    assert body(section(rendered, "Vec.get")).split("\n\n")[0] == lines(
        "```cpp", "template <class U>", "U get(int i = 0) const", "```"
    )


def test_go_embedded_fields_are_fields_named_by_their_type() -> None:
    source = (
        "package a\n\n"
        "// Opts are options.\n"
        "type Opts struct {\n"
        "\tio.Reader\n"
        "\t// Base holds the defaults.\n"
        "\t*Base\n"
        "\tName string\n"
        "}\n"
    )
    rendered = page("opts.go", "go", source)
    assert rendered.split("## Contents\n", 1)[1].split("\n## ", 1)[0].strip() == lines(
        "- [`Opts`](#opts) (struct)",
        "    - [`Opts.Reader`](#opts.reader) (field)",
        "    - [`Opts.Base`](#opts.base) (field)",
        "    - [`Opts.Name`](#opts.name) (field)",
    )
    assert body(section(rendered, "Opts.Reader")) == lines("```go", "io.Reader", "```")
    assert body(section(rendered, "Opts.Base")) == lines(
        "```go", "*Base", "```", "", "Base holds the defaults."
    )


def test_the_elements_of_a_java_annotation_type_are_documented() -> None:
    source = (
        '/** Marks. */\npublic @interface Mark {\n    /** Its value. */\n    String value() default "x";\n}\n'
    )
    rendered = page("Mark.java", "java", source)
    assert body(section(rendered, "Mark.value")) == lines(
        "```java", 'String value() default "x"', "```", "", "Its value.", "", "**Returns:** `String`"
    )


def test_a_typescript_object_type_over_lines_keeps_its_members_apart() -> None:
    source = lines(
        "/** Configure. */",
        "export function setup(config: {",
        "    autoFreeze?: boolean",
        "    // a comment between members",
        "    useStrictShallowCopy?: StrictMode",
        "}, other: {a: number,",
        "  b: string}): void {}",
        "",
    )
    assert body(section(page("src/setup.ts", "typescript", source), "setup")).split("\n\n", 2)[2] == lines(
        "**Parameters**",
        "",
        "- `config`: `{autoFreeze?: boolean; useStrictShallowCopy?: StrictMode}`",
        "- `other`: `{a: number, b: string}`",
    )


PY_SCRIPT = '''\
"""A module that also runs as a script."""

TOP = 1

if __name__ == "__main__":
    console = 1
    bar = 2
else:
    imported = 3
'''


def test_python_names_bound_under_the_main_guard_are_not_module_api() -> None:
    rendered = page("progress.py", "python", PY_SCRIPT)
    contents = rendered.split("## Contents\n\n", 1)[1].split("\n\n", 1)[0]
    assert contents == lines("- [`TOP`](#top) (constant)", "- [`imported`](#imported) (variable)")
    assert "console" not in rendered and "`bar`" not in rendered


def test_a_parameter_description_follows_its_type_after_a_colon() -> None:
    source = lines(
        "def make(initial: object, count: int = 3):",
        '    """Make a store.',
        "",
        "    Args:",
        "        initial: the initial state",
        "        count: how many",
        '    """',
        "",
    )
    assert body(section(page("store.py", "python", source), "make")).split("\n\n", 2)[2] == lines(
        "**Parameters**",
        "",
        "- `initial`: `object`: the initial state",
        "- `count`: `int`, default `3`: how many",
    )


GO_EMBEDDING = """\
package io

// ReadWriter groups the basic Read and Write methods.
type ReadWriter interface {
\tReader
\tio.Writer
\t~int | string
\tClose() error
}
"""


def test_a_go_interface_embedded_in_an_interface_is_listed_as_a_field() -> None:
    rendered = page("io.go", "go", GO_EMBEDDING)
    contents = rendered.split("## Contents\n\n", 1)[1].split("\n\n", 1)[0]
    assert contents == lines(
        "- [`ReadWriter`](#readwriter) (interface)",
        "    - [`ReadWriter.Reader`](#readwriter.reader) (field)",
        "    - [`ReadWriter.Writer`](#readwriter.writer) (field)",
        "    - [`ReadWriter.Close`](#readwriter.close) (method)",
    )
    assert body(section(rendered, "ReadWriter.Writer")) == lines("```go", "io.Writer", "```")


CPP_UNNAMED = """\
/// Run it.
void run(const options &, int count, unsigned int, std::string, const char *s, unsigned u);
/// Nothing to pass.
void none(void);
"""


def test_an_unnamed_cpp_parameter_reads_as_its_type_alone() -> None:
    rendered = page("run.cpp", "cpp", CPP_UNNAMED)
    assert body(section(rendered, "run")).split("\n\n", 2)[2] == lines(
        "**Parameters**",
        "",
        "- `const options &`",
        "- `count`: `int`",
        "- `unsigned int`",
        "- `std::string`",
        "- `s`: `const char *`",
        "- `u`: `unsigned`",
    )
    assert "**Parameters**" not in section(rendered, "none")
