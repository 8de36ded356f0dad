"""Merge: one section per symbol from its owning chunk, completeness retry, static fill, metrics; and an
end-to-end run on 50,000-line files that documents every symbol exactly once."""

from __future__ import annotations

import re
import threading
from pathlib import Path

import pytest

from docbot.cache.sqlite import SqliteCache
from docbot.chunking import Chunk, chunk_file
from docbot.config import ZERO_SHA
from docbot.docs import ChunkDoc, FileDoc, SymbolDoc, Usage
from docbot.errors import TransientError
from docbot.llm.base import DocRequest
from docbot.llm.offline import OfflineProvider
from docbot.llm.prompt import asked_names
from docbot.merge import combine, merge_file, missing_symbols
from docbot.render.page import render_page
from docbot.report import RunReport
from docbot.symbols import Symbol, extract_symbols
from tests.conftest import GitRepo
from tests.local_run import run_local
from tests.sources import EXTENSIONS, generate

SOURCE = "".join(f"def f{i}(x):\n" + "    y = x\n" * 30 + "    return y\n\n\n" for i in range(20))
_HEADING = re.compile(r'^#{3,6} <a id="[^"]+"></a>`(.+)`$', re.MULTILINE)


def _chunks(max_lines: int = 120) -> tuple[list[Symbol], list[Chunk]]:
    syms = extract_symbols(SOURCE, "python")
    return syms, chunk_file("m.py", "python", SOURCE, syms, max_lines=max_lines, overlap=40)


def _merge_sample(syms: list[Symbol], chunks: list[Chunk], answers: list[ChunkDoc]) -> FileDoc:
    """merge_file over SOURCE, the sample module these tests cut into chunks."""
    return merge_file(
        path="m.py",
        language="python",
        source_sha256="0" * 64,
        total_lines=SOURCE.count("\n"),
        symbols=syms,
        chunk_docs=answers,
        chunks=chunks,
    )


def _answer(names: list[str], overview: str | None = None, tag: str = "") -> ChunkDoc:
    return ChunkDoc(overview, tuple(SymbolDoc(n, f"{n} doc{tag}.") for n in names), model="m")


def test_each_symbol_documented_once_from_the_chunk_that_owns_it() -> None:
    syms, chunks = _chunks()
    assert len(chunks) >= 4
    answers = []
    for i, chunk in enumerate(chunks):
        names = [s.name for s in chunk.symbols]
        if i > 0:
            names.append(chunks[i - 1].symbols[-1].name)  # seen in the overlap: answered again
        answers.append(_answer(names, overview="Overview." if i == 0 else None, tag=f" from {i}"))
    answers[1] = ChunkDoc(None, (*answers[1].symbols, SymbolDoc("ghost", "Invented.")), model="m")
    doc = _merge_sample(syms, chunks, answers)
    assert [s.symbol.name for s in doc.sections] == [s.name for s in syms]
    owner = {s.name: i for i, c in enumerate(chunks) for s in c.symbols}
    for section in doc.sections:
        assert section.doc.summary == f"{section.symbol.name} doc from {owner[section.symbol.name]}."
    assert doc.duplicates == len(chunks) - 1
    assert doc.invented == 1
    assert doc.missing == ()
    assert doc.overview == "Overview."
    page = render_page(doc)
    assert _HEADING.findall(page) == [s.name for s in syms]
    assert "ghost" not in page


def test_missing_symbols_are_filled_statically_flagged_and_counted() -> None:
    syms, chunks = _chunks()
    answers = [_answer([s.name for s in c.symbols if s.name != "f3"]) for c in chunks]
    doc = _merge_sample(syms, chunks, answers)
    assert doc.missing == ("f3",)
    section = next(s for s in doc.sections if s.symbol.name == "f3")
    assert section.static
    assert section.doc.summary == "Function `f3`, taking `x`."
    page = render_page(doc)
    assert "> 1 symbol documented from the code alone (no answer)." in page
    assert page.count("Built from the code alone") == 1


def test_metrics_count_kinds_and_rank_the_largest_symbols() -> None:
    source = (
        "class A:\n"
        + "    def big(self):\n"
        + "        x = 1\n" * 50
        + "    def small(self):\n        pass\n"
    )
    source += "def mid():\n" + "    y = 2\n" * 10
    syms = extract_symbols(source, "python")
    doc = merge_file(
        path="a.py",
        language="python",
        source_sha256="0" * 64,
        total_lines=source.count("\n"),
        symbols=syms,
        chunk_docs=[],
    )
    assert [s.name for s in doc.largest(3)] == ["A", "A.big", "mid"]
    assert doc.metrics() == {
        "lines": 65,
        "symbols": 4,
        "kinds": {"class": 1, "method": 2, "function": 1},
        "largest": [
            {"name": "A", "lines": 54},
            {"name": "A.big", "lines": 51},
            {"name": "mid", "lines": 11},
            {"name": "A.small", "lines": 2},
        ],
        "filled_statically": 4,
        "invented_dropped": 0,
        "duplicates_dropped": 0,
    }
    largest = "Largest: [`A`](#a) (54 lines), [`A.big`](#a.big) (51 lines), [`mid`](#mid) (11 lines)."
    assert largest in render_page(doc)


def test_chunks_without_symbols_document_module_level_code() -> None:
    source = "".join(f"X{i} = {i}\n" for i in range(300))
    chunks = chunk_file("c.py", "python", source, [], max_lines=100, overlap=0)
    assert len(chunks) >= 3
    answers = [_answer([], overview=f"Constants part {i}.") for i in range(len(chunks))]
    doc = merge_file(
        path="c.py",
        language="python",
        source_sha256="0" * 64,
        total_lines=300,
        symbols=[],
        chunk_docs=answers,
        chunks=chunks,
    )
    assert doc.overview == "Constants part 0."
    assert [(n.start, n.end, n.text) for n in doc.notes] == [
        (c.start, c.end, f"Constants part {i}.") for i, c in enumerate(chunks) if i > 0
    ]
    page = render_page(doc)
    assert "## Module-level code" in page
    lines = f"Lines {chunks[1].start}–{chunks[1].end}](../../c.py#L{chunks[1].start}-L{chunks[1].end})"
    assert f"*[{lines}:* Constants part 1." in page


def test_missing_symbols_and_combine() -> None:
    _, chunks = _chunks()
    chunk = chunks[0]
    names = [s.name for s in chunk.symbols]
    first = ChunkDoc("O.", (SymbolDoc(names[0], "a"),), model="m", usage=Usage(input_tokens=5, requests=1))
    assert [s.name for s in missing_symbols(chunk, first)] == names[1:]
    again = ChunkDoc(
        "ignored", tuple(SymbolDoc(n, "b") for n in names), model="m", usage=Usage(input_tokens=3, requests=1)
    )
    both = combine(first, again)
    assert [s.name for s in both.symbols] == names
    assert both.symbols[0].summary == "a"  # the first answer wins where both answered
    assert both.overview == "O."
    assert both.usage == Usage(input_tokens=8, requests=2)
    assert missing_symbols(chunk, both) == ()


class ForgetfulProvider:
    """A real Provider that leaves out some symbols: on every ask, or only the first time."""

    name = "offline"
    model = "forgetful"
    prompt_version = "test-1"

    def failed_usage(self) -> Usage:
        return Usage()  # no request it sends can fail

    def __init__(self, forget: set[str], *, always: bool, fail_again: bool = False) -> None:
        self.forget = forget
        self.always = always
        self.fail_again = fail_again
        self.requests: list[tuple[tuple[str, ...], bool]] = []
        self._lock = threading.Lock()
        self._inner = OfflineProvider()

    def document(self, request: DocRequest) -> ChunkDoc:
        names = tuple(asked_names(request))
        with self._lock:
            self.requests.append((names, request.want_overview))
            retry = len(self.requests) > 1 and set(names) <= self.forget
        if retry and self.fail_again:
            raise TransientError("overloaded (529)")
        whole = self._inner.document(request)
        doc = ChunkDoc(whole.overview, tuple(s for s in whole.symbols if s.name in names), whole.model)
        if self.always or not retry:
            kept = tuple(s for s in doc.symbols if s.name not in self.forget)
            invented = (SymbolDoc("not_in_file", "Made up."),)
            return ChunkDoc(doc.overview, kept + invented, model=self.model, usage=Usage(requests=1))
        return ChunkDoc(doc.overview, doc.symbols, model=self.model, usage=Usage(requests=1))


def _run(repo: GitRepo, tmp_path: Path, provider: object, **overrides: object) -> RunReport:
    cache = SqliteCache(tmp_path / "cache.sqlite3")
    try:
        return run_local(repo.path, store=cache, provider=provider, base=ZERO_SHA, **overrides)  # type: ignore[arg-type]
    finally:
        cache.close()


def test_pipeline_asks_once_more_for_symbols_left_out(git_repo: GitRepo, tmp_path: Path) -> None:
    git_repo.write("m.py", "def a():\n    '''A.'''\n\n\ndef b():\n    '''B.'''\n\n\ndef c():\n    pass\n")
    git_repo.commit("m")
    provider = ForgetfulProvider({"b", "c"}, always=False)
    report = _run(git_repo, tmp_path, provider)
    # (the file overview is never a chunk's: it is a request of its own)
    assert provider.requests == [(("a", "b", "c"), False), (("b", "c"), False)]
    assert report.symbols_static == 0
    assert report.symbols_invented == 1
    assert report.usage.requests == 2
    page = (git_repo.path / "docs/api/m.py.md").read_text()
    assert _HEADING.findall(page) == ["a", "b", "c"]
    assert "B." in page
    assert "Built from the code alone" not in page

    # The combined answer was cached: the next run asks nothing.
    again = ForgetfulProvider({"b", "c"}, always=False)
    assert _run(git_repo, tmp_path, again).cache_hits == 1
    assert again.requests == []


@pytest.mark.parametrize("fail_again", [False, True])
def test_symbols_still_missing_are_filled_and_flagged(
    git_repo: GitRepo, tmp_path: Path, fail_again: bool
) -> None:
    git_repo.write("m.py", "def a():\n    pass\n\n\ndef b():\n    pass\n")
    git_repo.commit("m")
    provider = ForgetfulProvider({"b"}, always=True, fail_again=fail_again)
    report = _run(git_repo, tmp_path, provider, cache="none")
    assert provider.requests == [(("a", "b"), False), (("b",), False)]  # asked once more, not twice
    assert report.failed == []
    assert report.documented == ["m.py"]
    assert report.symbols_static == 1
    assert report.to_json()["symbols"]["filled_statically"] == 1
    page = (git_repo.path / "docs/api/m.py.md").read_text()
    assert _HEADING.findall(page) == ["a", "b"]
    assert page.count("Built from the code alone") == 1


@pytest.mark.parametrize("language", ["python", "rust", "typescript"])
def test_fifty_thousand_line_file_end_to_end_documents_every_symbol_once(
    language: str, git_repo: GitRepo, tmp_path: Path
) -> None:
    source, expected = generate(language, 50_000, seed=1)
    path = f"src/big.{EXTENSIONS[language]}"
    git_repo.write(path, source)
    git_repo.commit("big")
    provider = CountingOffline()
    report = _run(git_repo, tmp_path, provider)
    assert report.documented == [path]
    assert report.failed == []
    assert report.symbols_static == 0
    assert report.symbols_invented == 0
    assert provider.count >= 25  # split into many chunks, each asked once
    assert report.cache_misses == provider.count
    page = (git_repo.path / f"docs/api/{path}.md").read_text()
    # Under the default visibility the page holds the public part of what the file defines, once
    # each, in order; an impl block that shares its type's name has a section of its own.
    public = [s.name for s in extract_symbols(source, language, visibility="public")]
    assert set(public) <= set(expected)
    assert _HEADING.findall(page) == public


class CountingOffline(OfflineProvider):
    def __init__(self) -> None:
        self.count = 0
        self._lock = threading.Lock()

    def document(self, request: DocRequest) -> ChunkDoc:
        with self._lock:
            self.count += 1
        return super().document(request)


def test_static_docs_name_every_kind() -> None:
    source = (Path(__file__).parent / "fixtures" / "symbols" / "rust.txt").read_text(encoding="utf-8")
    syms = extract_symbols(source, "rust")
    doc = merge_file(
        path="lib.rs", language="rust", source_sha256="0" * 64, total_lines=32, symbols=syms, chunk_docs=[]
    )
    summaries = {s.symbol.id: s.doc.summary for s in doc.sections}
    assert summaries["Point"] == "A point."  # its doc comment
    assert summaries["<Point as fmt::Display>"] == "Implementation of `<Point as fmt::Display>`."
    assert summaries["Shape"] == "Trait `Shape`."
    assert summaries["inner"] == "Module `inner`."
    assert summaries["inner.Kind"] == "Enum `Kind`."
    assert summaries["Point.new"] == "Method `new`, taking no arguments."
    assert summaries["Point@2"] == "Implementation of `Point`."  # the impl block, apart from the struct
    assert summaries["Point.x"] == "Field `x`, of type `i32`."
    assert summaries["inner.Kind.A"] == "Enum member `A`."


def test_module_level_code_and_grammarless_files_are_documented(git_repo: GitRepo, tmp_path: Path) -> None:
    consts = "".join(f"print({i})\n" for i in range(60))  # calls only: no symbols
    git_repo.write("consts.py", consts)
    git_repo.write("Build.kt", "".join(f"val x{i} = {i}\n" for i in range(10)))
    git_repo.commit("module-level only")
    provider = CountingOffline()
    report = _run(git_repo, tmp_path, provider, chunk_max_lines=20, chunk_overlap_lines=0)
    assert sorted(report.documented) == ["Build.kt", "consts.py"]
    chunks = chunk_file("consts.py", "python", consts, [], max_lines=20, overlap=0)
    assert len(chunks) >= 3
    assert provider.count == len(chunks) + 1  # every chunk asked once, and Build.kt's one chunk
    page = (git_repo.path / "docs/api/consts.py.md").read_text()
    # Offline has nothing to say about code that defines nothing: no invented notes, no overview.
    assert "## Module-level code" not in page
    assert "This part of" not in page
    kotlin = (git_repo.path / "docs/api/Build.kt.md").read_text()
    assert "*kotlin, 10 lines, no symbols;" in kotlin


def test_a_line_over_the_token_budget_is_not_sent_but_documented_from_the_code(
    git_repo: GitRepo, tmp_path: Path
) -> None:
    bundle = (
        "export function small(a) {\n  return a;\n}\nexport var blob = function packed(){return '"
        + "x" * 30_000
        + "'};\n"
    )
    git_repo.write("bundle.js", bundle)
    git_repo.commit("minified")
    provider = ForgetfulProvider(set(), always=False)
    # (By its shape the file is minified and skipped by default; kept here to reach the oversized line.)
    report = _run(
        git_repo, tmp_path, provider, chunk_max_tokens=5_000, cache="none", max_average_line_chars=1_000_000
    )
    assert provider.requests == [(("small",), False)]  # the oversized line never reached the provider
    assert report.documented == ["bundle.js"]
    assert report.symbols_static == 1
    page = (git_repo.path / "docs/api/bundle.js.md").read_text()
    assert _HEADING.findall(page) == ["small", "blob"]
    assert page.count("Built from the code alone") == 1
