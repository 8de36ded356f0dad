"""The escaping of running text, code spans and fenced blocks, and the links on a page."""

from __future__ import annotations

import pytest
from markdown_it import MarkdownIt

from docbot.render.links import NameIndex, SourceLinks, anchor_ids, is_test_source, web_url
from docbot.render.markdown import anchor, escape_blocks, escape_text, fenced_block, inline_code

_MD = MarkdownIt("commonmark")


def _text(markdown: str) -> str:
    """What a CommonMark reader shows of ``markdown``: its text and code, markup dropped."""
    out = []
    for token in _MD.parse(markdown):
        for child in token.children or []:
            if child.type in {"text", "code_inline"}:
                out.append(child.content)
    return "".join(out)


@pytest.mark.parametrize(
    "text",
    [
        'ReturnType<typeof createOctokit>["rest"]',
        "{value} and {/* jsx */} and <!-- comment -->",
        "_not emphasis_ [a](b) ![i](x.png) | pipes ~strike~ & &amp; \\ back",
        "a * b * c, x**2, **kwargs, *args, *.py and *.txt*, a*b*c, ***",
        "# not a heading",
        "- not a list",
        "1. not a list",
        "+ nor this",
        ":::note",
        "    indented",
        "a `stray tick",
    ],
)
def test_escaped_text_shows_exactly_its_characters(text: str) -> None:
    escaped = escape_text(text)
    assert _text(escaped) == text.strip()
    tokens = _MD.parse(escaped)
    assert [t.type for t in tokens] == ["paragraph_open", "inline", "paragraph_close"]
    assert not set("<{}") & set(escaped.replace("&lt;", "").replace("&#123;", "").replace("&#125;", ""))


@pytest.mark.parametrize(
    ("text", "markdown"),
    [
        ("a **bold** and *emphasis*.", "a **bold** and *emphasis*."),
        ("**strong *and emphasis* inside**", "**strong *and emphasis* inside**"),
        ("*emphasis **strong** inside*", "\\*emphasis **strong** inside\\*"),  # strong only: no em at all
        ("unbalanced **bold and *em", "unbalanced \\*\\*bold and \\*em"),
        ("**a*", "\\*\\*a\\*"),
        ("a * b * c and x**2 + y**2", "a \\* b \\* c and x\\*\\*2 + y\\*\\*2"),
        ("f(*args, **kwargs)", "f(\\*args, \\*\\*kwargs)"),
        ("copy *.py and *.txt* files", "copy \\*.py and \\*.txt\\* files"),
        ("__init__ and _private_", "\\_\\_init\\_\\_ and \\_private\\_"),
        ("**[link](https://evil.test)**", "**\\[link\\](https://evil.test)**"),
        ("*![img](x.png)*", "\\*!\\[img\\](x.png)\\*"),
        ("**<b onclick=x>hi</b>**", "**&lt;b onclick=x&gt;hi&lt;/b&gt;**"),
        ("**`code` in bold**, *see `x` here* and ``reST``", "**`code` in bold**, *see `x` here* and `reST`"),
        ("*`code`* alone", "\\*`code`\\* alone"),
    ],
)
def test_emphasis_around_words_is_markdown_and_its_text_still_escaped(text: str, markdown: str) -> None:
    assert escape_text(text) == markdown
    children = _MD.parse(markdown)[1].children or []
    markup = {"em_open", "em_close", "strong_open", "strong_close"}
    assert {t.type for t in children} <= {"text", "code_inline", *markup}
    # Every asterisk docbot leaves unescaped is markup CommonMark reads, closed where it opened.
    shown = "".join(
        {"em_open": "*", "em_close": "*", "strong_open": "**", "strong_close": "**"}.get(t.type, t.content)
        if t.type != "code_inline"
        else f"`{t.content}`"
        for t in children
    )
    assert shown.replace("``", "`") == text.replace("``", "`")


@pytest.mark.parametrize(
    ("text", "markdown"),
    [
        ("a __copy__ of the _base_ state", "a __copy__ of the _base_ state"),
        ("__strong _and em_ inside__", "__strong _and em_ inside__"),
        ("snake_case_name, my_var_ and _x", "snake\\_case\\_name, my\\_var\\_ and \\_x"),
        ("__unclosed and _[link](x)_", "\\_\\_unclosed and \\_\\[link\\](x)\\_"),
        ("**mixed __runs** __", "**mixed \\_\\_runs** \\_\\_"),
    ],
)
def test_underscores_emphasise_only_where_doc_comments_are_markdown(text: str, markdown: str) -> None:
    assert escape_text(text, underscores=True) == markdown
    assert "\\_" in escape_text(text)  # a Python docstring's underscores are names
    children = _MD.parse(markdown)[1].children or []
    assert {t.type for t in children} <= {"text", "em_open", "em_close", "strong_open", "strong_close"}


@pytest.mark.parametrize(
    ("text", "markdown"),
    [
        ("a :class:`~rich.text.Text` instance", "a `rich.text.Text` instance"),
        ("see :py:meth:`Box.get`.", "see `Box.get`."),
        (":ref:`appendix_box` first", "`appendix_box` first"),
        ("the :ref:`box styles <appendix_box>` page", "the box styles page"),
        (":doc:`1. Intro <intro>` opens", "1\\. Intro opens"),  # a title cannot start a list
        (":ref:`<b>x</b> <y>`", "&lt;b&gt;x&lt;/b&gt;"),
        ("at 10:30:`x` and a:b:`c`", "at 10:30:`x` and a:b:`c`"),  # no role: kept as written
    ],
)
def test_sphinx_roles_read_as_the_name_or_title_they_show(text: str, markdown: str) -> None:
    assert escape_text(text) == markdown


def test_code_spans_stay_code_and_can_be_linked() -> None:
    assert escape_text("use `a<b>` and ``x ` y``") == "use `a<b>` and ``x ` y``"
    linked = escape_text("see `Box.get` now", code=lambda c: f"[{inline_code(c)}](#x)")
    assert linked == "see [`Box.get`](#x) now"


def test_paragraphs_are_kept_and_lines_joined_unless_inline() -> None:
    assert escape_text("one\ntwo\n\n- three") == "one two\n\n\\- three"
    assert escape_text("one\n\ntwo", inline=True) == "one two"


@pytest.mark.parametrize("text", ["plain", "a`b", "``x``", "`edge", "x`` ```y"])
def test_inline_code_survives_backticks_inside(text: str) -> None:
    tokens = _MD.parse(inline_code(text))[1].children or []
    assert [(t.type, t.content) for t in tokens] == [("code_inline", text)]


def test_fenced_block_is_longer_than_any_backtick_run_and_tagged() -> None:
    code = "x = '```'\ny = '````'"
    block = fenced_block(code, "python")
    assert block.startswith("`````python\n") and block.endswith("\n`````")
    token = next(t for t in _MD.parse(block) if t.type == "fence")
    assert (token.info, token.content) == ("python", code + "\n")


def test_anchors_are_stable_slugs_unique_within_the_page() -> None:
    ids = ["Foo.bar", "foo_bar", "foo-bar", "Contents", "f@2", "f"]
    anchors = anchor_ids(ids)
    assert anchors == anchor_ids(reversed(ids))  # order does not matter
    assert len(set(anchors.values())) == len(ids)
    assert anchors["Foo.bar"] == "foo.bar" and anchors["f"] == "f" and anchors["f@2"] == "f-2"
    assert anchors["Contents"] != "contents"  # never the page's own Contents heading
    assert all(anchor(a) == f'<a id="{a}"></a>' for a in anchors.values())
    with pytest.raises(ValueError, match="anchor id"):
        anchor('x" onclick="y')


def test_source_links_point_at_the_commit_or_are_relative() -> None:
    remote = SourceLinks("https://github.com/o/r", "c" * 40)
    assert remote.lines("docs/api/src/a b.py.md", "src/a b.py", 3, 9) == (
        f"https://github.com/o/r/blob/{'c' * 40}/src/a%20b.py#L3-L9"
    )
    assert SourceLinks().lines("docs/api/src/a.py.md", "src/a.py", 4, 4) == "../../../src/a.py#L4"


@pytest.mark.parametrize(
    ("remote", "url"),
    [
        ("https://github.com/o/r.git", "https://github.com/o/r"),
        ("https://x-access-token:secret@github.com/o/r", "https://github.com/o/r"),
        ("git@github.com:o/r.git", "https://github.com/o/r"),
        ("ssh://git@ghe.example.com/o/r.git", "https://ghe.example.com/o/r"),
        ("/srv/git/r.git", None),
        ("https://github.com/only", None),
    ],
)
def test_web_url_from_a_remote_never_keeps_credentials(remote: str, url: str | None) -> None:
    assert web_url(remote) == url


@pytest.mark.parametrize(
    ("path", "is_test"),
    [
        ("tests/test_site.py", True),
        ("tests/fakes/server.py", True),
        ("conftest.py", True),
        ("pkg/a_test.go", True),
        ("web/client.test.ts", True),
        ("web/client.spec.js", True),
        ("src/test/java/AppTest.java", True),
        ("docbot/render/site.py", False),
        ("pkg/contest.py", False),
        ("docs/latest.py", False),
        ("testing_utils/x.py", False),
    ],
)
def test_test_modules_are_told_by_folder_or_file_name(path: str, is_test: bool) -> None:
    assert is_test_source(path) is is_test


def test_names_link_to_the_same_page_first_and_to_one_other_page_only() -> None:
    names = NameIndex.build(
        {
            "docs/a.py.md": [("Box", "Box", True), ("Box.get", "Box.get", True), ("LIMIT", "LIMIT", False)],
            "docs/pkg/b.py.md": [("helper", "helper", True), ("Box", "Box", True)],
            "docs/c.py.md": [("helper", "helper", True)],
        }
    )
    assert names.link("Box", "docs/a.py.md") == "#box"
    assert names.link("Box.get()", "docs/pkg/b.py.md") == "../a.py.md#box.get"
    assert names.link("helper", "docs/a.py.md") is None  # two other pages define it
    assert names.link("Box", "docs/a.py.md", skip="box") is None  # a section never links to itself
    assert names.link("nothing", "docs/a.py.md") is None
    assert names.link("LIMIT", "docs/a.py.md") == "#limit"  # data links on its own page only
    assert names.link("LIMIT", "docs/c.py.md") is None
    # A plain word links to another page's symbol only as a call or with its module: as a word it is
    # more often a field or a parameter of the page it is written on.
    words = NameIndex.build({"docs/a.py.md": [("count", "count", True)], "docs/b.py.md": []})
    assert words.link("count", "docs/b.py.md") is None
    assert words.link("count()", "docs/b.py.md") == "a.py.md#count"
    assert words.link("count", "docs/a.py.md") == "#count"


def test_module_qualified_names_link_to_the_symbol_and_dotted_modules_to_the_page() -> None:
    index = NameIndex.build(
        {
            "docs/api/docbot/markers.py.md": [
                ("front_matter", "front_matter", True),
                ("Box.get", "Box.get", True),
            ],
            "docs/api/docbot/render/__init__.py.md": [("x", "x", True)],
            "docs/api/docbot/cli.py.md": [],
        },
        sources={
            "docs/api/docbot/markers.py.md": "docbot/markers.py",
            "docs/api/docbot/render/__init__.py.md": "docbot/render/__init__.py",
            "docs/api/docbot/cli.py.md": "docbot/cli.py",
        },
    )
    here = "docs/api/docbot/cli.py.md"
    assert index.link("markers.front_matter", here) == "markers.py.md#front_matter"
    assert index.link("docbot.markers.front_matter()", here) == "markers.py.md#front_matter"
    assert index.link("markers.Box.get", here) == "markers.py.md#box.get"
    assert index.link("docbot.markers", here) == "markers.py.md"
    assert index.link("docbot.render.x", here) == "render/__init__.py.md#x"
    assert index.link("docbot.render", here) == "render/__init__.py.md"
    # A bare file name is a word, not a link; a page does not link to its own top.
    assert index.link("markers", here) is None and index.link("cli", here) is None
    assert index.link("docbot.markers", "docs/api/docbot/markers.py.md") is None
    assert index.link("other.front_matter", here) is None


def test_escape_blocks_keeps_lists_code_and_notes_and_escapes_their_text() -> None:
    text = (
        "Intro <b>.\n\n- one\n  more\n    - nested\n1) first\n\n.. note::\n\n    Body\n    wraps.\n\n"
        "Example::\n\n    x = {1}\n\n>>> f()\n2\n\n```js\na`b\n```"
    )
    assert escape_blocks(text, lang="python") == "\n".join(
        [
            "Intro &lt;b&gt;.",
            "",
            "- one more",
            "    - nested",
            "1. first",
            "",
            "**Note:** Body wraps.",
            "",
            "Example:",
            "",
            "```python",
            "x = {1}",
            "```",
            "",
            "```pycon",
            ">>> f()",
            "2",
            "```",
            "",
            "```js",
            "a`b",
            "```",
        ]
    )
