"""What a reader sees on a page, asserted as the exact Markdown ``docbot run`` writes (offline provider).

Each test writes a small source into a repository, runs the same ``cli.document`` that ``docbot run``
runs, and reads the page back: docbot's own markers shown in code, counts in words, docstring blocks
(lists, literal blocks, doctests) kept, module-qualified names linked, dunder anchors whole.
"""

from __future__ import annotations

import re
from itertools import pairwise
from pathlib import Path
from urllib.parse import unquote

from markdown_it import MarkdownIt

from docbot.cache.sqlite import SqliteCache
from docbot.llm.offline import OfflineProvider
from docbot.markers import STICKY_COMMENT, TRAILER
from docbot.render.markdown import anchor
from docbot.render.safe import ZWJ
from tests.conftest import GitRepo
from tests.local_run import run_local


def pages(repo: GitRepo, tmp_path: Path, files: dict[str, str], **overrides: object) -> dict[str, str]:
    """The pages ``docbot run --all`` writes for ``files`` (source path -> page text)."""
    for path, text in files.items():
        repo.write(path, text)
    repo.commit("sources")
    store = SqliteCache(tmp_path / "cache.sqlite3")
    try:
        run_local(repo.path, store=store, provider=OfflineProvider(), all_files=True, **overrides)
    finally:
        store.close()
    return {path: (repo.path / f"docs/api/{path}.md").read_text(encoding="utf-8") for path in files}


def section(page: str, name: str) -> str:
    """The section of symbol ``name`` on ``page``: from its heading to the next heading."""
    start = page.index(f"`{name}`\n")
    start = page.rindex("\n#", 0, start) + 1
    end = page.find("\n#", start + 1)
    return page[start : end if end != -1 else len(page)].strip()


MARKERS_SOURCE = f'''"""Markers."""

STICKY = "{STICKY_COMMENT}"
TRAILER_LINE = "{TRAILER}"


def find(body: str) -> bool:
    """True when ``body`` holds `{STICKY_COMMENT}`; a {STICKY_COMMENT} in prose is escaped."""
    return "{STICKY_COMMENT}" in body
'''


def test_markers_in_code_read_whole_but_no_longer_match(git_repo: GitRepo, tmp_path: Path) -> None:
    page = pages(git_repo, tmp_path, {"m.py": MARKERS_SOURCE})["m.py"]
    broken = f"<!-{ZWJ}- docbot:sticky-comment -->"
    assert section(page, "STICKY") == "\n".join(
        [
            '### <a id="sticky"></a>`STICKY`',
            "",
            "*constant, [line 3](../../m.py#L3)*",
            "",
            "```python",
            f'STICKY = "{broken}"',
            "```",
        ]
    )
    assert f'TRAILER_LINE = "Docbot{ZWJ}-Generated: true"' in page
    # In prose the renderer escapes the marker's "<": it reads whole and is no HTML comment at all.
    assert (
        f"True when `body` holds `{broken}`; a &lt;!-- docbot:sticky-comment --&gt; in prose is escaped."
        in section(page, "find")
    )
    assert STICKY_COMMENT not in page and TRAILER not in page


def test_counts_are_plural_only_when_not_one(git_repo: GitRepo, tmp_path: Path) -> None:
    source = 'def one():\n    pass\n\n\ndef two():\n    """Two.\n\n    More.\n    """\n'
    page = pages(git_repo, tmp_path, {"c.py": source, "single.py": "X = 1\n"})
    assert "*python, 9 lines, 2 functions; source sha256" in page["c.py"]
    assert "Largest: [`two`](#two) (5 lines), [`one`](#one) (2 lines)." in page["c.py"]
    assert "*python, 1 line, 1 constant; source sha256" in page["single.py"]
    source_one = "def a():\n    pass\n\n\ndef b(): pass\n"
    page = pages(git_repo, tmp_path, {"d.py": source_one})["d.py"]
    assert "Largest: [`a`](#a) (2 lines), [`b`](#b) (1 line)." in page


BLOCKS_SOURCE = '''def retry(times: int) -> int:
    """Retry a call.

    It tries:
    - once more on a timeout
    - twice on a <reset> connection

    Steps:

    1. wait
    2. call again, with a line
       that wraps

    Usage::

        retry(3)

    >>> retry(1)
    1

    Notes
    -----
    Never *forever*.
    """
    return times
'''


def test_a_docstring_keeps_its_lists_literal_blocks_and_doctests(git_repo: GitRepo, tmp_path: Path) -> None:
    page = pages(git_repo, tmp_path, {"r.py": BLOCKS_SOURCE})["r.py"]
    description = section(page, "retry").split("```\n\n", 1)[1].split("\n\n**Parameters**", 1)[0]
    assert description == "\n".join(
        [
            "Retry a call.",
            "",
            "It tries:",
            "",
            "- once more on a timeout",
            "- twice on a &lt;reset&gt; connection",
            "",
            "Steps:",
            "",
            "1. wait",
            "2. call again, with a line that wraps",
            "",
            "Usage:",
            "",
            "```python",
            "retry(3)",
            "```",
            "",
            "```pycon",
            ">>> retry(1)",
            "1",
            "```",
            "",
            "**Notes**",
            "",
            "Never *forever*.",
        ]
    )


def test_module_qualified_names_link_across_pages(git_repo: GitRepo, tmp_path: Path) -> None:
    files = {
        "pkg/markers.py": 'def front_matter():\n    """Front."""\n',
        "pkg/use.py": (
            "def run():\n"
            '    """Run.\n\n'
            "    Calls `markers.front_matter` and `pkg.markers.front_matter()` of `pkg.markers`.\n"
            '    """\n'
        ),
    }
    page = pages(git_repo, tmp_path, files)["pkg/use.py"]
    assert (
        "Calls [`markers.front_matter`](markers.py.md#front_matter) and "
        "[`pkg.markers.front_matter()`](markers.py.md#front_matter) of [`pkg.markers`](markers.py.md)."
    ) in section(page, "run")


MARKDOWN_BREAKING_NAMES = ["a](b.py", "[x].py", "p)q.py", "l<t>.py", "pi|pe.py", "back`tick.py", "sp ace&.py"]


def test_paths_that_break_markdown_link_to_their_pages_from_the_index(
    git_repo: GitRepo, tmp_path: Path
) -> None:
    files = {f"odd/{name}": f"def f():\n    '''Doc of {name}.'''\n" for name in MARKDOWN_BREAKING_NAMES}
    pages(git_repo, tmp_path, files)
    docs = git_repo.path / "docs/api"
    index = (docs / "README.md").read_text(encoding="utf-8").split("\n---\n", 1)[1]
    links: dict[str, str] = {}
    for token in MarkdownIt("commonmark").parse(index):
        children = token.children or []
        for opening, label in pairwise(children):
            if opening.type == "link_open" and label.type == "code_inline":
                links[label.content] = str(opening.attrs["href"])
    assert sorted(links) == sorted(MARKDOWN_BREAKING_NAMES)  # each name whole, as the link's text
    for name, href in links.items():
        target = (docs / unquote(href)).resolve()
        assert target == (docs / "odd" / f"{name}.md").resolve() and target.is_file(), (name, href)
        assert f'source: "odd/{name}"' in target.read_text(encoding="utf-8")


def test_a_page_beyond_the_size_cap_is_cut_at_a_symbol_with_a_note(git_repo: GitRepo, tmp_path: Path) -> None:
    body = "    '''Return the value, explained at some length so that each section is large.'''\n"
    git_repo.write("big.py", "".join(f"def f{i:03}():\n{body}\n\n" for i in range(200)))
    git_repo.commit("big")
    store = SqliteCache(tmp_path / "cache.sqlite3")
    try:
        runs = [
            run_local(
                git_repo.path, store=store, provider=OfflineProvider(), all_files=True, max_page_bytes=10_000
            )
            for _ in range(2)
        ]
    finally:
        store.close()
    page = (git_repo.path / "docs/api/big.py.md").read_text(encoding="utf-8")
    assert len(page.encode()) <= 10_000
    shown = re.findall(r'^### <a id="(f\d+)"></a>', page, flags=re.MULTILINE)
    kept = len(shown)
    assert 0 < kept < 200 and shown == [f"f{i:03}" for i in range(kept)]  # a prefix, each section whole
    last = kept - 1
    assert page.endswith(
        f'### <a id="f{last:03}"></a>`f{last:03}`\n\n*function, [lines {4 * last + 1}–{4 * last + 2}]'
        f"(../../big.py#L{4 * last + 1}-L{4 * last + 2})*\n\n```python\ndef f{last:03}()\n```\n\n"
        "Return the value, explained at some length so that each section is large.\n"
    )
    assert (
        f"> **{200 - kept} symbols of 200 left out:** the page reached its size cap of 10,000 bytes "
        f"(`max_page_bytes`), so it ends after {kept} symbols; the source has the rest."
    ) in page
    assert f"- [`f{kept - 1:03}`](#f{kept - 1:03}) (function)\n\n## Reference" in page
    for report in runs:  # recorded every time (a cut page is not served from the cache)
        cut = report.to_json()["pages"]["cut"]
        reason = f"page cut at 10,000 bytes (max_page_bytes): {200 - kept} of 200 symbols left out"
        assert cut == [{"path": "big.py", "reason": reason}]
        assert (
            "Pages cut at max_page_bytes",
            f"big.py: {200 - kept} of 200 symbols left out",
        ) in report.extra_rows()


READING_SOURCE = '''class wait_fixed:
    """Wait a fixed time; see `stop_after(3)`.

    .. warning:: Never
                 forever.
    """

    def __init__(self, wait):
        self.wait_fixed = wait
        """How long `wait_fixed` waits."""


def stop_after(n):
    """Stop."""
'''


def test_admonitions_calls_and_a_symbols_own_name(git_repo: GitRepo, tmp_path: Path) -> None:
    page = pages(git_repo, tmp_path, {"w.py": READING_SOURCE})["w.py"]
    cls = section(page, "wait_fixed")
    # A call with its arguments links to the function; a reST warning is a bold "Warning:".
    assert "Wait a fixed time; see [`stop_after(3)`](#stop_after).\n\n**Warning:** Never forever." in cls
    # The attribute's docstring names the attribute itself, not the class that shares its name.
    assert section(page, "wait_fixed.wait_fixed").endswith("How long `wait_fixed` waits.")


RETURNS_SOURCE = '''"""Returns."""


class Box:
    def __init__(self, size: int) -> None:
        self.size = size

    def clear(self) -> None:
        """Empty the box.

        Returns:
            None, always: the box is emptied in place.
        """

    def volume(self) -> int:
        return self.size**3
'''


def test_a_function_returning_nothing_has_no_returns_line_unless_its_docs_say_more(
    git_repo: GitRepo, tmp_path: Path
) -> None:
    page = pages(git_repo, tmp_path, {"r.py": RETURNS_SOURCE})["r.py"]
    assert "**Returns:**" not in section(page, "Box.__init__")
    assert "**Returns:** `None`: None, always: the box is emptied in place." in section(page, "Box.clear")
    assert "**Returns:** `int`" in section(page, "Box.volume")


FORWARD_SOURCE = '''"""Forward references."""


class Box:
    def copy(self, other: "Box", label: 'str' = "x") -> "Box":
        return other
'''


def test_a_forward_reference_reads_and_links_as_the_type_it_names(git_repo: GitRepo, tmp_path: Path) -> None:
    text = section(pages(git_repo, tmp_path, {"f.py": FORWARD_SOURCE})["f.py"], "Box.copy")
    assert "- `other`: [`Box`](#box)\n" in text
    assert '- `label`: `str`, default `"x"`\n' in text
    assert "**Returns:** [`Box`](#box)" in text
    assert 'def copy(self, other: "Box", label: \'str\' = "x") -> "Box"' in text  # the signature as written


EMPHASIS_SOURCE = '''def scale(*args, **kwargs):
    """Scale **every** value *in place*; a * b * c is arithmetic.

    Matches *.py files and passes ``**kwargs`` on; **unbalanced stays *literal.
    """
'''


def test_emphasis_in_a_docstring_is_shown_as_emphasis(git_repo: GitRepo, tmp_path: Path) -> None:
    page = pages(git_repo, tmp_path, {"s.py": EMPHASIS_SOURCE})["s.py"]
    # (and no Parameters list of bare names: the signature shows them)
    assert section(page, "scale").split("```\n\n", 1)[1] == "\n".join(
        [
            "Scale **every** value *in place*; a \\* b \\* c is arithmetic.",
            "",
            "Matches \\*.py files and passes `**kwargs` on; \\*\\*unbalanced stays \\*literal.",
        ]
    )


def broken_links(docs: Path) -> list[str]:
    """Every relative link on the pages under ``docs`` whose file, or whose anchor on a page, is missing."""
    broken = []
    for page in sorted(docs.rglob("*.md")):
        text = page.read_text(encoding="utf-8")
        for token in MarkdownIt("commonmark").parse(text):
            for link in (c for c in token.children or [] if c.type == "link_open"):
                href = str(link.attrs["href"])
                if "://" in href:
                    continue
                path, _, fragment = unquote(href).partition("#")
                target = (page.parent / path).resolve() if path else page
                if not target.is_file():
                    broken.append(f"{page.relative_to(docs)}: {href} (no file)")
                elif fragment and target.suffix == ".md" and anchor(fragment) not in target.read_text():
                    broken.append(f"{page.relative_to(docs)}: {href} (no anchor)")
    return broken


def long_module(words: int) -> str:
    """40 functions with docstrings of ``words`` words more; the first names the last two."""
    docs = ["Start here; `f038` and `f039` end it."]
    docs += [" ".join(["Return the value", *["again"] * words]) + "." for _ in range(39)]
    return "".join(f"def f{i:03}():\n    {doc!r}\n\n\n" for i, doc in enumerate(docs))


USER_SOURCE = """def use():
    'Calls `f039`, `big.f038` and `big.f001`.'
"""


def test_links_to_symbols_a_page_cut_land_on_its_cap_note(git_repo: GitRepo, tmp_path: Path) -> None:
    docs = git_repo.path / "docs/api"
    store = SqliteCache(tmp_path / "cache.sqlite3")
    try:
        # First the whole page fits; then longer docstrings cut it while the page that links to it is
        # served from the cache, as the first run rendered it.
        for words, message in ((0, "short"), (40, "long")):
            git_repo.write("big.py", long_module(words))
            git_repo.write("use.py", USER_SOURCE)
            git_repo.commit(message)
            report = run_local(
                git_repo.path, store=store, provider=OfflineProvider(), all_files=True, max_page_bytes=10_000
            )
            assert broken_links(docs) == []
    finally:
        store.close()
    assert report.cache_file_hits == 1  # use.py's page, as the first run wrote it
    page = (docs / "big.py.md").read_text(encoding="utf-8")
    (reason,) = [c["reason"] for c in report.to_json()["pages"]["cut"]]
    kept = len(re.findall(r"^### ", page, flags=re.MULTILINE))
    assert reason.endswith(f"{40 - kept} of 40 symbols left out") and 1 < kept < 38
    assert (
        f'> <a id="f038"></a><a id="f039"></a>**{40 - kept} symbols of 40 left out:** the page reached its '
        "size cap of 10,000 bytes"
    ) in page
    assert len(page.encode()) <= 10_000
    uses = (docs / "use.py.md").read_text(encoding="utf-8")
    calls = "Calls [`f039`](big.py.md#f039), [`big.f038`](big.py.md#f038) and [`big.f001`](big.py.md#f001)."
    assert calls in uses
    assert "Start here; [`f038`](#f038) and [`f039`](#f039) end it." in page


def test_a_page_cut_in_an_incremental_run_keeps_the_anchors_that_pages_outside_the_run_link_to(
    git_repo: GitRepo, tmp_path: Path
) -> None:
    docs = git_repo.path / "docs/api"
    store = SqliteCache(tmp_path / "cache.sqlite3")
    try:
        git_repo.write("big.py", long_module(0))
        # f037 is cut below, and big.py's own page does not link to it: only use.py's page does.
        git_repo.write("use.py", "def use():\n    'Calls `big.f037`.'\n")
        first = git_repo.commit("short")
        run_local(
            git_repo.path, store=store, provider=OfflineProvider(), all_files=True, max_page_bytes=10_000
        )
        # Only big.py changes: use.py's page is not rendered again, but it links into big.py's page.
        git_repo.write("big.py", long_module(40))
        git_repo.commit("long")
        report = run_local(
            git_repo.path, store=store, provider=OfflineProvider(), base=first, max_page_bytes=10_000
        )
    finally:
        store.close()
    assert report.documented == ["big.py"] and len(report.to_json()["pages"]["cut"]) == 1
    assert "[`big.f037`](big.py.md#f037)" in (docs / "use.py.md").read_text(encoding="utf-8")
    assert '<a id="f037"></a>' in (docs / "big.py.md").read_text(encoding="utf-8")
    assert broken_links(docs) == []


LAID_OUT_SOURCE = '''from typing import overload


@overload
def pick(
    key: int,
) -> int: ...
@overload
def pick(key: str) -> str: ...
def pick(key):
    """Pick."""


def fail(
    exc_info: tuple[
        type[BaseException],
        BaseException,
    ],
) -> None:
    """Fail."""
'''


def test_types_and_overloads_laid_out_over_lines_read_as_written(git_repo: GitRepo, tmp_path: Path) -> None:
    page = pages(git_repo, tmp_path, {"p.py": LAID_OUT_SOURCE})["p.py"]
    # A multi-line overload is set apart from the next one; a joined annotation keeps no inner spaces.
    overloads = "```python\ndef pick(\n    key: int,\n) -> int\n\ndef pick(key: str) -> str\n```"
    assert f"**Overloads**\n\n{overloads}" in page
    assert "- `exc_info`: `tuple[type[BaseException], BaseException]`" in section(page, "fail")


ROLES_SOURCE = '''class Box:
    """A box."""


def make():
    """Make a :class:`~pkg.boxes.Box`; see :ref:`the guide <guide>`."""
'''


def test_sphinx_roles_show_and_link_the_name(git_repo: GitRepo, tmp_path: Path) -> None:
    page = pages(git_repo, tmp_path, {"pkg/boxes.py": ROLES_SOURCE})["pkg/boxes.py"]
    assert section(page, "make").endswith("Make a [`pkg.boxes.Box`](#box); see the guide.")


def test_a_markdown_doc_comment_keeps_its_underscore_emphasis(git_repo: GitRepo, tmp_path: Path) -> None:
    source = "/**\n * Works on a __copy__ of the _base_ state; my_var_name stays a name.\n */\n"
    source += "export function produce(base: number): number {\n  return base\n}\n"
    page = pages(git_repo, tmp_path, {"p.ts": source})["p.ts"]
    assert section(page, "produce").endswith(
        "Works on a __copy__ of the _base_ state; my\\_var\\_name stays a name.\n\n"
        "**Parameters**\n\n- `base`: `number`\n\n**Returns:** `number`"
    )


def test_a_rust_parameter_named_this_is_a_parameter(git_repo: GitRepo, tmp_path: Path) -> None:
    source = "/// Serialize `this`.\npub fn serialize(this: &Either, serializer: S) -> Result {\n}\n"
    page = pages(git_repo, tmp_path, {"s.rs": source})["s.rs"]
    assert "**Parameters**\n\n- `this`: `&Either`\n- `serializer`: `S`" in section(page, "serialize")


def test_a_parameter_named_in_its_own_section_links_nowhere(git_repo: GitRepo, tmp_path: Path) -> None:
    files = {
        "words.py": 'def count(n, word):\n    """N words."""\n',
        "deal.py": 'def total():\n    """All."""\n\n\ndef deal(files, count):\n'
        '    """Deal `files` to `count` shards of `total()`."""\n',
    }
    page = pages(git_repo, tmp_path, files)["deal.py"]
    assert "Deal `files` to `count` shards of [`total()`](#total)." in section(page, "deal")


SCOPED_SOURCE = '''from dataclasses import dataclass


@dataclass(frozen=True)
class Shard:
    """Shard `index` (1-based) of `count`; see `tally`."""

    index: int
    count: int

    def label(self) -> str:
        """`index` over `count`, as `tally()` prints it."""
        return f"{self.index}/{self.count}"
'''
WORDS_SOURCE = 'def count(n):\n    """N."""\n\n\ndef tally():\n    """T."""\n'


def test_a_bare_name_is_its_class_member_before_a_word_elsewhere(git_repo: GitRepo, tmp_path: Path) -> None:
    page = pages(git_repo, tmp_path, {"shards.py": SCOPED_SOURCE, "words.py": WORDS_SOURCE})["shards.py"]
    # Fields of the class, not words.count; a plain word from another module links only as a call.
    assert "Shard [`index`](#shard.index) (1-based) of [`count`](#shard.count); see `tally`." in page
    assert "[`index`](#shard.index) over [`count`](#shard.count), as [`tally()`](words.py.md#tally)" in page
