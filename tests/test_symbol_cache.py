"""Symbol-level cache keys and requests: an edit re-asks only the symbols it changed."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from docbot.cache import CacheEntry
from docbot.cache.sqlite import SqliteCache
from docbot.chunking import split_source
from docbot.config import load_settings
from docbot.docs import ChunkDoc, SymbolDoc, Usage
from docbot.llm.client import AnthropicProvider
from docbot.pipeline import (
    OUTLINE_MAX_CHARS,
    SourceFile,
    _compatible_chunk_keys,
    document_chunks,
    outline,
    own_code,
    symbol_key,
)
from tests.conftest import GitRepo
from tests.fakes.anthropic_server import FakeAnthropic, running
from tests.fakes.model_behaviour import asked_names
from tests.local_run import run_local

SOURCE = '''\
import os


def helper(a, b):
    """Add two numbers."""
    return a + b


@dataclass
class Greeter:
    """Says hello."""

    def greet(self, name):
        return f"hello {name}"

    def wave(self):
        return "wave"


@overload
def conv(x: int) -> int: ...
@overload
def conv(x: str) -> str: ...
def conv(x):
    return x
'''


def provider(**overrides: object) -> AnthropicProvider:
    values: dict[str, object] = {"provider": "anthropic", "anthropic_api_key": "k", **overrides}
    return AnthropicProvider(load_settings(values, env={}).llm)  # builds a client; sends nothing


def source_file(source: str, path: str = "pkg/mod.py") -> SourceFile:
    syms, chunks = split_source(path, "python", source)
    return SourceFile(
        path=path,
        language="python",
        source_sha256="x",
        total_lines=len(source.splitlines()),
        symbols=tuple(syms),
        chunks=tuple(chunks),
        own_code=own_code(tuple(syms), source),
        outline=outline(tuple(syms)),
    )


def keys(source: str, p: AnthropicProvider | None = None) -> dict[str, str]:
    f = source_file(source)
    return {s.id: symbol_key(s, f, p or provider()) for s in f.symbols}


BASE = keys(SOURCE)


def changed(new: dict[str, str]) -> set[str]:
    assert new.keys() == BASE.keys()
    return {i for i in BASE if BASE[i] != new[i]}


def test_the_file_has_the_symbols_the_cases_below_edit() -> None:
    assert set(BASE) == {"helper", "Greeter", "Greeter.greet", "Greeter.wave", "conv"}


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("return a + b", "return a - b", {"helper"}),  # own code
        ('"""Add two numbers."""', '"""Add numbers."""', {"helper"}),  # docstring
        ("@dataclass\n", "@dataclass(frozen=True)\n", {"Greeter"}),  # decorators
        ("def conv(x: str) -> str: ...", "def conv(x: bytes) -> bytes: ...", {"conv"}),  # overload set
        # The class's signature encloses its methods: they are keyed by it.
        ("class Greeter:", "class Greeter(Base):", {"Greeter", "Greeter.greet", "Greeter.wave"}),
        # A method's body is the method's own code, not its class's nor its neighbour's.
        ('return f"hello {name}"', 'return f"hi {name}"', {"Greeter.greet"}),
        # Line numbers are not part of any key.
        ("import os\n", "import os\n\n\n\n", set()),
    ],
)
def test_what_changes_a_symbol_key(old: str, new: str, expected: set[str]) -> None:
    assert old in SOURCE
    assert changed(keys(SOURCE.replace(old, new, 1))) == expected


@pytest.mark.parametrize(
    "overrides",
    [{"model": "claude-haiku-5-5"}, {"effort": "high"}, {"thinking": "adaptive"}],
)
def test_model_effort_and_thinking_change_every_key(overrides: dict[str, object]) -> None:
    assert changed(keys(SOURCE, provider(**overrides))) == set(BASE)


def test_the_prompt_version_changes_every_key() -> None:
    p = provider()
    p.prompt_version = "claude-docs-test"  # type: ignore[misc]
    assert changed(keys(SOURCE, p)) == set(BASE)


def _names_asked(fake: FakeAnthropic) -> list[list[str]]:
    return [asked_names(s.body) for s in fake.seen if s.body is not None]


def _function(name: str, marker: str = "v1") -> str:
    body = "\n".join(f"    x{i} = {i}  # {marker}" for i in range(4))
    return f'def {name}(a, b):\n    """{name} does things."""\n{body}\n    return a + b\n\n\n'


def test_editing_one_function_asks_for_it_alone_and_keeps_the_rest(git_repo: GitRepo, tmp_path: Path) -> None:
    git_repo.write("src/big.py", "".join(_function(f"f{i}") for i in range(30)))
    git_repo.commit("initial")
    cache = SqliteCache(tmp_path / "cache.sqlite3")
    with running(api_key="k") as fake:
        settings = {"all_files": True, "anthropic_api_key": "k", "anthropic_base_url": fake.url}
        llm = load_settings(
            {"provider": "anthropic", "anthropic_api_key": "k", "anthropic_base_url": fake.url}, env={}
        ).llm
        cold = run_local(git_repo.path, store=cache, provider=AnthropicProvider(llm), **settings)
        asked_cold = _names_asked(fake)
        fake.seen.clear()
        git_repo.write(
            "src/big.py", "".join(_function(f"f{i}", "v2" if i == 17 else "v1") for i in range(30))
        )
        git_repo.commit("edit f17")
        edit = run_local(git_repo.path, store=cache, provider=AnthropicProvider(llm), **settings)
        asked_edit = _names_asked(fake)
    assert sorted(n for names in asked_cold for n in names) == sorted(f"f{i}" for i in range(30))
    assert asked_edit == [["f17"]]
    assert cold.to_json()["cache"]["symbols"] == {"hits": 0, "misses": 30}
    assert edit.to_json()["cache"]["symbols"] == {"hits": 29, "misses": 1}
    assert edit.documented == ["src/big.py"]
    page = (git_repo.path / "docs/api/src/big.py.md").read_text()
    assert "Summary of f17." in page and "Summary of f3." in page


def test_chunk_entries_of_the_previous_prompt_version_still_answer_unchanged_chunks(tmp_path: Path) -> None:
    f = source_file(SOURCE)
    (chunk,) = f.chunks
    cache = SqliteCache(tmp_path / "cache.sqlite3")
    with running(api_key="k") as fake:
        p = AnthropicProvider(
            load_settings(
                {"provider": "anthropic", "anthropic_api_key": "k", "anthropic_base_url": fake.url}, env={}
            ).llm
        )
        old = ChunkDoc(
            overview="Old overview.",
            symbols=tuple(SymbolDoc(s.id, f"Old {s.id}.") for s in chunk.symbols),
            model="claude-sonnet-5-5",
            usage=Usage(requests=1, cost_usd=0.25),
        )
        # None is compatible since claude-docs-4 changed the answers' shape; the mechanism stays for the
        # next prompt change that keeps it.
        assert p.compatible_prompt_versions == ()
        p.compatible_prompt_versions = ("claude-docs-4-previous",)
        (legacy_key,) = _compatible_chunk_keys(chunk, p)
        entry = CacheEntry(json.dumps(old.to_json()), "claude-sonnet-5-5", time.time(), 1, 1, 0.25)
        cache.put_many({legacy_key: entry})
        answers = document_chunks([f], cache=cache, provider=p, max_concurrency=2)
        again = document_chunks([f], cache=cache, provider=p, max_concurrency=2)
        sent = len(fake.seen)
    assert sent == 0
    (doc,) = answers.docs.values()
    assert doc.overview == "Old overview." and doc.symbols == old.symbols
    assert (answers.hits, answers.misses, answers.saved_usd) == (1, 0, 0.25)
    assert (again.hits, again.saved_usd) == (1, 0.25)  # now stored under today's key too
    assert cache.get_many(list(answers.docs))


def test_a_file_of_several_chunks_warms_its_prefix_once_and_every_chunk_reads_it(
    git_repo: GitRepo, tmp_path: Path
) -> None:
    git_repo.write("src/big.py", "".join(_function(f"f{i}") for i in range(60)))
    git_repo.commit("initial")
    with running(api_key="k") as fake:
        llm = load_settings(
            {"provider": "anthropic", "anthropic_api_key": "k", "anthropic_base_url": fake.url}, env={}
        ).llm
        report = run_local(
            git_repo.path,
            store=SqliteCache(tmp_path / "c.sqlite3"),
            provider=AnthropicProvider(llm),
            all_files=True,
            chunk_max_lines=100,
        )
        seen = list(fake.seen)
    # The file's overview is a request of its own, after the chunks: it shares the system prefix only.
    (overview_request,) = [s for s in seen if s.body and "overview of the whole file" in json.dumps(s.body)]
    warm, *chunks = [s for s in seen if s is not overview_request]
    assert warm.body is not None and warm.body["max_tokens"] == 0
    assert warm.usage is not None and warm.usage["output_tokens"] == 0
    assert len(chunks) >= 3 and all(s.body and s.body["max_tokens"] > 0 for s in chunks)
    blocks = {s.body["messages"][0]["content"][0]["text"] for s in [warm, *chunks] if s.body}
    assert len(blocks) == 1 and "Outline of the file" in blocks.pop()
    assert all(
        s.usage and s.usage["cache_read_input_tokens"] == warm.usage["cache_creation_input_tokens"]
        for s in chunks
    )
    assert report.usage.requests == len(seen)  # the warm-up is counted and paid for
    assert report.usage.cache_saved_usd > 0


def test_the_outline_of_a_huge_file_is_cut_to_its_top_level_within_a_budget() -> None:
    source = "".join(f"class C{i}:\n    def m(self):\n        return {i}\n\n\n" for i in range(4000))
    f = source_file(source)
    assert len(f.outline) <= OUTLINE_MAX_CHARS + 40
    assert f.outline.startswith("- C0 (class): class C0\n- C1 (class)")
    assert "C0.m" not in f.outline and f.outline.endswith("more symbols")
    small = source_file(SOURCE).outline
    assert "- Greeter.greet (method): def greet(self, name)" in small.splitlines()
