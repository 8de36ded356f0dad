"""Each foundation stage alone: symbols, chunks, cache, offline provider, merge, render, publish."""

from __future__ import annotations

import itertools
from pathlib import Path

from docbot.cache import CacheEntry, content_key
from docbot.cache.sqlite import SqliteCache
from docbot.chunking import chunk_file
from docbot.docs import ChunkDoc, SymbolDoc
from docbot.llm.base import DocRequest
from docbot.llm.offline import OfflineProvider
from docbot.markers import GENERATED as MARKER
from docbot.markers import marker_line, source_of
from docbot.merge import merge_file
from docbot.publish.files import FilesPublisher
from docbot.publish.plan import DocsPlan
from docbot.render.page import render_page
from docbot.report import RunReport
from docbot.symbols import extract_symbols

SAMPLE = '''"""Sample module."""
import os


# Adds things.
def add(a: int, b: int = 2) -> int:
    return a + b


@dataclass
class Box:
    """A box.

    Holds one value.
    """

    def get(self) -> int:
        """Return the value."""
        def inner():
            pass
        return 1

    async def aget(self, *args, **kw):
        return 2
'''


def test_python_symbols_have_qualified_names_kinds_lines_and_docs() -> None:
    syms = extract_symbols(SAMPLE, "python")
    got = [(s.name, s.kind, s.start, s.end) for s in syms]
    assert got == [
        ("add", "function", 5, 7),  # the leading comment line belongs to the symbol
        ("Box", "class", 10, 24),  # decorators included
        ("Box.get", "method", 17, 21),
        ("Box.get.inner", "function", 19, 20),
        ("Box.aget", "method", 23, 24),
    ]
    by_name = {s.name: s for s in syms}
    assert by_name["add"].signature == "def add(a: int, b: int = 2) -> int"
    assert by_name["add"].params == ("a: int", "b: int = 2")
    assert by_name["add"].docstring == "Adds things."
    assert by_name["Box"].docstring == "A box.\n\nHolds one value."
    assert by_name["Box.aget"].signature == "async def aget(self, *args, **kw)"
    assert by_name["Box.get.inner"].parent == "Box.get"
    assert len({s.sha256 for s in syms}) == len(syms)


def test_symbols_survive_syntax_errors_and_new_syntax() -> None:
    broken = "def ok():\n    return 1\n\ndef broken(:\n    pass\n\nclass Later[T]:\n    def m(self): ...\n"
    names = [s.name for s in extract_symbols(broken, "python")]
    assert "ok" in names
    assert "Later" in names  # PEP 695 syntax that Python 3.11's ast rejects
    assert "Later.m" in names


def test_chunks_partition_the_file_and_respect_the_budget() -> None:
    source = "".join(f"def f{i}():\n" + "    x = 1\n" * 8 + "\n" for i in range(40))
    syms = extract_symbols(source, "python")
    chunks = chunk_file("m.py", "python", source, syms, max_lines=100)
    assert chunks[0].start == 1
    assert chunks[-1].end == len(source.splitlines())
    for before, after in itertools.pairwise(chunks):
        assert after.start == before.end + 1
    assert all(c.end - c.start + 1 <= 100 for c in chunks)
    owned = [s.name for c in chunks for s in c.symbols]
    assert owned == [s.name for s in syms]  # every symbol exactly once, in order


def test_chunk_key_ignores_position_but_not_content() -> None:
    source = "def f():\n    return 1\n"
    moved = "\n\n" + source
    a = chunk_file("m.py", "python", source, extract_symbols(source, "python"))[0]
    b = chunk_file("m.py", "python", moved, extract_symbols(moved, "python"))[0]
    assert a.sha256 != b.sha256  # the blank lines are part of the single chunk's text
    c = chunk_file("m.py", "python", source.replace("1", "2"), extract_symbols(source, "python"))[0]
    assert c.sha256 != a.sha256


def test_sqlite_cache_hits_misses_and_expiry(tmp_path: Path) -> None:
    now = [1000.0]
    cache = SqliteCache(tmp_path / "c.sqlite3", ttl_seconds=60, clock=lambda: now[0])
    key = content_key("chunk", "code", model="m", prompt_version="p1", options={})
    assert cache.get_many([key]) == {}
    entry = CacheEntry("value", "m", created=1000.0, input_tokens=5, output_tokens=7, cost_usd=0.25)
    cache.put_many({key: entry})
    assert cache.get_many([key, "other"]) == {key: entry}
    now[0] += 61
    assert cache.get_many([key]) == {}
    cache.close()


def test_content_key_changes_with_model_and_prompt_version() -> None:
    base = content_key("chunk", "code", model="m", prompt_version="p1", options={"a": 1})
    assert base != content_key("chunk", "code", model="m2", prompt_version="p1", options={"a": 1})
    assert base != content_key("chunk", "code", model="m", prompt_version="p2", options={"a": 1})
    assert base != content_key("file", "code", model="m", prompt_version="p1", options={"a": 1})
    assert len(base) == 64 and int(base, 16) >= 0


def test_unusable_sqlite_path_fails_open(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    cache = SqliteCache(blocker / "c.sqlite3")
    assert not cache.available
    assert "unusable" in (cache.error or "")
    cache.put_many({"k": CacheEntry("v", "m", 0.0)})
    assert cache.get_many(["k"]) == {}


def test_offline_provider_documents_every_symbol_for_free() -> None:
    syms = extract_symbols(SAMPLE, "python")
    chunk = chunk_file("m.py", "python", SAMPLE, syms)[0]
    doc = OfflineProvider().document(DocRequest(chunk=chunk, want_overview=True))
    assert [d.name for d in doc.symbols] == [s.name for s in syms]
    by_name = {d.name: d for d in doc.symbols}
    assert by_name["add"].summary == "Adds things."
    assert by_name["add"].params == (("a", "`int`"), ("b", "`int`, default `2`"))
    assert by_name["add"].returns == "`int`"
    assert by_name["Box"].description == "Holds one value."
    assert by_name["Box.aget"].summary == "Method `aget`, taking `*args`, `**kw`."
    assert doc.overview is None  # the file's overview is asked once per file, not of a chunk
    assert doc.usage.cost_usd == 0 and doc.usage.requests == 0
    assert ChunkDoc.from_json(doc.to_json()) == doc


def test_merge_orders_dedupes_fills_missing_and_drops_invented() -> None:
    syms = extract_symbols(SAMPLE, "python")
    answers = [
        ChunkDoc("Overview.", (SymbolDoc("Box", "Box doc."), SymbolDoc("add", "Add doc.")), model="m"),
        ChunkDoc(None, (SymbolDoc("add", "Second add doc."), SymbolDoc("ghost", "Invented.")), model="m"),
    ]
    doc = merge_file(
        path="m.py",
        language="python",
        source_sha256="0" * 64,
        total_lines=24,
        symbols=syms,
        chunk_docs=answers,
    )
    assert [s.symbol.name for s in doc.sections] == ["add", "Box", "Box.get", "Box.get.inner", "Box.aget"]
    assert doc.sections[0].doc.summary == "Add doc."
    assert doc.missing == ("Box.get", "Box.get.inner", "Box.aget")
    assert doc.invented == 1
    assert doc.overview == "Overview."


def test_render_page_starts_with_marker_and_lists_symbols() -> None:
    syms = extract_symbols(SAMPLE, "python")
    doc = merge_file(
        path="pkg/m.py",
        language="python",
        source_sha256="a" * 64,
        total_lines=24,
        symbols=syms,
        chunk_docs=[],
    )
    page = render_page(doc)
    first = page.splitlines()[0]
    assert first.startswith(MARKER)
    assert source_of(first) == "pkg/m.py"
    assert "### `add`" in page and "#### `Box.get`" in page
    assert "Built from the code alone" in page  # static fill is flagged on the page
    assert "*python, 24 lines, 1 class, 2 functions, 2 methods;" in page


def test_files_publisher_never_touches_hand_written_files(tmp_path: Path) -> None:
    docs = tmp_path / "docs" / "api"
    docs.mkdir(parents=True)
    (docs / "mine.py.md").write_text("# my own notes\n")
    (docs / "guide.md").write_text("hand written\n")
    generated = marker_line("old.py") + "\n# old\n"
    (docs / "old.py.md").write_text(generated)
    plan = DocsPlan(
        "docs/api",
        pages=(("docs/api/mine.py.md", marker_line("mine.py") + "\nnew\n"),),
        deletions=("docs/api/old.py.md", "docs/api/guide.md"),
    )
    result = FilesPublisher(tmp_path).publish(plan, RunReport())
    assert (docs / "mine.py.md").read_text() == "# my own notes\n"
    assert (docs / "guide.md").read_text() == "hand written\n"
    assert not (docs / "old.py.md").exists()
    assert result.deleted == ("docs/api/old.py.md",)
    assert sorted(p for p, _ in result.refused) == ["docs/api/guide.md", "docs/api/mine.py.md"]


def test_files_publisher_refuses_paths_outside_the_docs_folder(tmp_path: Path) -> None:
    plan = DocsPlan("docs/api", pages=(("docs/api/../../evil.md", f"{MARKER} -->\n"),))
    result = FilesPublisher(tmp_path).publish(plan, RunReport())
    assert not (tmp_path / "evil.md").exists()
    assert result.refused[0][0] == "docs/api/../../evil.md"
