"""Docstrings and doc comments parsed into one structure, per style; and the overview's cache key."""

from __future__ import annotations

import pytest

from docbot import doccomments, overview
from docbot.doccomments import DocComment, Param, Raised, Version, parse
from docbot.docs import static_doc
from docbot.symbols import extract_symbols

GOOGLE = """\
Fetch rows from the table,
in key order.

Rows are read lazily.

Args:
    table (str): The table's name.
    limit (int, optional): How many rows. Defaults to 10.

Returns:
    list: The rows read.

Raises:
    KeyError: The table does not exist.

Example:
    >>> fetch("t", 2)
"""

NUMPY = """\
Fetch rows from the table.

Parameters
----------
table : str
    The table's name.
limit : int, default 10
    How many rows.

Returns
-------
list
    The rows read.

Raises
------
KeyError
    The table does not exist.

Examples
--------
>>> fetch("t", 2)

.. deprecated:: 2.0
   Use ``read``.
"""

REST = """\
Fetch rows from the table.

.. versionadded:: 1.2
.. versionchanged:: 8.1
   ``limit`` may be zero.

:param table: The table's name.
:type table: str
:param limit: How many rows.
:type limit: int
:returns: The rows read.
:rtype: list
:raises KeyError: The table does not exist.
"""

EPYDOC = """\
Fetch rows from the table.

@param table: The table's name.
@type table: str
@param limit: How many rows.
@type limit: int
@return: The rows read.
@rtype: list
@raise KeyError: The table does not exist.
"""

TABLE = Param("table", "str", None, "The table's name.")
RAISED = (Raised("KeyError", "The table does not exist."),)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            GOOGLE,
            DocComment(
                summary="Fetch rows from the table, in key order.",
                description="Rows are read lazily.",
                params=(TABLE, Param("limit", "int", "10", "How many rows. Defaults to 10.")),
                returns="The rows read.",
                returns_type="list",
                raises=RAISED,
                examples=('>>> fetch("t", 2)',),
            ),
        ),
        (
            NUMPY,
            DocComment(
                summary="Fetch rows from the table.",
                params=(TABLE, Param("limit", "int", "10", "How many rows.")),
                returns="The rows read.",
                returns_type="list",
                raises=RAISED,
                examples=('>>> fetch("t", 2)',),
                versions=(Version("deprecated", "2.0", "Use ``read``."),),
            ),
        ),
        (
            REST,
            DocComment(
                summary="Fetch rows from the table.",
                params=(TABLE, Param("limit", "int", None, "How many rows.")),
                returns="The rows read.",
                returns_type="list",
                raises=RAISED,
                versions=(Version("added", "1.2"), Version("changed", "8.1", "``limit`` may be zero.")),
            ),
        ),
        (
            EPYDOC,
            DocComment(
                summary="Fetch rows from the table.",
                params=(TABLE, Param("limit", "int", None, "How many rows.")),
                returns="The rows read.",
                returns_type="list",
                raises=RAISED,
            ),
        ),
    ],
    ids=["google", "numpy", "rest", "epydoc"],
)
def test_python_docstring_styles(text: str, expected: DocComment) -> None:
    assert parse(text, "python") == expected


@pytest.mark.parametrize(
    ("language", "text", "expected"),
    [
        (
            "javascript",  # JSDoc
            "Fetch rows.\n\n@param {string} table - The table's name.\n@param {number} [limit=10] How many."
            "\n@returns {Row[]} The rows.\n@throws {KeyError} No such table.\n@since 1.2"
            "\n@deprecated Use read.\n@example\nfetch('t')",
            DocComment(
                summary="Fetch rows.",
                params=(
                    Param("table", "string", None, "The table's name."),
                    Param("limit", "number", "10", "How many.", optional=True),
                ),
                returns="The rows.",
                returns_type="Row[]",
                raises=(Raised("KeyError", "No such table."),),
                examples=("fetch('t')",),
                versions=(Version("since", "1.2"), Version("deprecated", None, "Use read.")),
            ),
        ),
        (
            "typescript",  # TSDoc: types live in the signature
            "Fetch rows.\n\n@remarks Lazily.\n@param table - The table's name.\n@returns The rows.\n"
            "@see {@link read}",
            DocComment(
                summary="Fetch rows.",
                params=(Param("table", None, None, "The table's name."),),
                returns="The rows.",
                notes=("Remarks: Lazily.", "See also: `read`"),
            ),
        ),
        (
            "java",  # Javadoc
            "Fetch rows from {@code table}.\n\n@param table the table's name\n@return the rows\n"
            "@throws IllegalStateException when closed\n@author someone",
            DocComment(
                summary="Fetch rows from `table`.",
                params=(Param("table", None, None, "the table's name"),),
                returns="the rows",
                raises=(Raised("IllegalStateException", "when closed"),),
                notes=("Author: someone",),
            ),
        ),
        (
            "cpp",  # Doxygen with backslash commands
            "\\brief Fetch rows.\n\nReads lazily.\n\\param[in] table The table's name.\n\\return The rows.\n"
            "\\exception std::out_of_range No such table.",
            DocComment(
                summary="Fetch rows.",
                description="Reads lazily.",
                params=(Param("table", None, None, "The table's name."),),
                returns="The rows.",
                raises=(Raised("std::out_of_range", "No such table."),),
            ),
        ),
        (
            "go",
            "Fetch reads rows from the table.\n\nRows are read lazily.\n\nDeprecated: use Read.",
            DocComment(
                summary="Fetch reads rows from the table.",
                description="Rows are read lazily.",
                versions=(Version("deprecated", None, "use Read."),),
            ),
        ),
        (
            "rust",
            "Fetch rows.\n\n# Panics\n\nWhen the table is closed.\n\n"
            '# Examples\n\n```\nlet rows = fetch("t");\n```',
            DocComment(
                summary="Fetch rows.",
                raises=(Raised("panic", "When the table is closed."),),
                examples=('let rows = fetch("t");',),
            ),
        ),
    ],
    ids=["jsdoc", "tsdoc", "javadoc", "doxygen", "go", "rust"],
)
def test_doc_comment_styles(language: str, text: str, expected: DocComment) -> None:
    assert parse(text, language) == expected


def test_a_parameter_without_a_description_shows_its_type_and_default_once() -> None:
    source = (
        'def f(message: str, count: int = 3, *, flag=None):\n    """Send.\n\n'
        '    Args:\n        count: How many.\n    """\n'
    )
    doc = static_doc(extract_symbols(source, "python")[0], "python")
    assert doc.params == (
        ("message", "`str`"),
        ("count", "`int`, default `3`: How many."),
        ("flag", "default `None`"),
    )


def test_static_docs_carry_version_notes_and_never_raw_fields() -> None:
    source = f'def fetch(table: str, limit: int) -> list:\n    """{REST}"""\n'
    doc = static_doc(extract_symbols(source, "python")[0], "python")
    assert doc.notes == ("Added in 1.2.", "Changed in 8.1: ``limit`` may be zero.")
    assert doc.returns == "`list`: The rows read."
    assert doc.raises == ("`KeyError`: The table does not exist.",)
    text = "\n".join([doc.summary, doc.description, *doc.notes, *(t for _, t in doc.params)])
    assert ":param" not in text and ".. version" not in text


def _key(source: str) -> str:
    syms = extract_symbols(source, "python")
    req_outline = overview.outline(syms)
    doc = overview.module_doc(source, "python", syms[0].start if syms else None)
    return overview.overview_key(
        "m.py", "python", f"{req_outline}\n\0\n{doc}", provider="anthropic", model="m", prompt_version="p"
    )


def test_the_overview_key_changes_with_the_outline_only() -> None:
    base = '"""Tools."""\n\n\ndef a(x):\n    return x\n\n\ndef b():\n    return 1\n'
    body_edit = base.replace("return x", "return x * 2")
    moved = base.replace('"""Tools."""\n', '"""Tools."""\n\nimport os\n')
    resigned = base.replace("def a(x)", "def a(x, y)")
    added = base + "\n\ndef c():\n    pass\n"
    redoc = base.replace("Tools.", "Other tools.")
    assert _key(body_edit) == _key(base) == _key(moved)
    assert len({_key(base), _key(resigned), _key(added), _key(redoc)}) == 4


def test_module_doc_is_the_whole_docstring_or_the_leading_comment() -> None:
    assert overview.module_doc('"""One.\n\nTwo, three."""\nx = 1\n', "python", None) == "One.\n\nTwo, three."
    go = "// Package db reads rows.\n//\n// It is lazy.\npackage db\n\nfunc F() {}\n"
    assert overview.module_doc(go, "go", 6) == "Package db reads rows.\n\nIt is lazy."
    # A comment right above the first symbol is that symbol's; a licence header is nobody's overview.
    assert overview.module_doc("// F does it.\nfunc F() {}\n", "go", 1) is None
    assert overview.module_doc("/* Copyright 2020 X. MIT License */\nint x;\n", "c", None) is None


def test_a_module_docstring_is_rendered_whole_with_its_paragraphs_and_no_directives() -> None:
    text = "Retry helpers. They wrap\ncalls.\n\nSee the guide.\n\n.. versionadded:: 2.0"
    assert (
        overview.render_doc(text, "python")
        == "Retry helpers.\nThey wrap\ncalls.\n\nSee the guide.\n\nAdded in 2.0."
    )
    # Its lines are kept, so a list right under the first sentence stays a list on the page.
    assert overview.render_doc("Helpers:\n- one\n- two", "python") == "Helpers:\n- one\n- two"
    assert overview.render_doc("One.\n\nTwo.", "python") == "One.\n\nTwo."


def test_prose_sections_are_kept_under_their_title_not_dropped() -> None:
    google = (
        "Retry.\n\nArgs:\n    x: the x.\n\nNote:\n    Careful.\n\n    - a\n    - b\n\nWarning:\n    Hot.\n"
    )
    comment = parse(google, "python")
    assert comment.description == "Note\n----\nCareful.\n\n- a\n- b\n\nWarning\n-------\nHot."
    assert [p.name for p in comment.params] == ["x"]
    numpy = "Retry.\n\nNotes\n-----\nNever forever.\n\nSee Also\n--------\nwait : pause first\n"
    assert parse(numpy, "python").description == (
        "Notes\n-----\nNever forever.\n\nSee also\n--------\nwait : pause first"
    )


@pytest.mark.parametrize(
    ("decorators", "expected"),
    [
        (['#[deprecated(since = "1.2.0", note = "use g")]'], Version("deprecated", "1.2.0", "use g")),
        (['#[deprecated = "use g"]'], Version("deprecated", None, "use g")),
        (["#[deprecated]"], Version("deprecated", None, "")),
        (['@Deprecated(since = "9", forRemoval = true)'], Version("deprecated", "9", "")),
        (["@java.lang.Deprecated"], Version("deprecated", None, "")),
        (['[[deprecated("use g")]]'], Version("deprecated", None, "use g")),
        (['[[nodiscard, gnu::deprecated("use \\"g\\"")]]'], Version("deprecated", None, 'use \\"g\\"')),
        (['@warnings.deprecated("Use g")'], Version("deprecated", None, "Use g")),
        (["#[derive(Debug)]", "@deprecated_alias", "@Override", "[[nodiscard]]"], None),
    ],
)
def test_attribute_deprecation_reads_each_languages_spelling(
    decorators: list[str], expected: Version | None
) -> None:
    assert doccomments.attribute_deprecation(decorators) == expected
