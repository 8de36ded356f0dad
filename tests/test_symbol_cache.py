"""Symbol-level cache keys and requests: an edit re-asks only the symbols it changed."""

from __future__ import annotations

from pathlib import Path

import pytest

from docbot.cache.sqlite import SqliteCache
from docbot.chunking import split_source
from docbot.config import load_settings
from docbot.llm.client import AnthropicProvider
from docbot.pipeline import SourceFile, outline, own_code, symbol_key
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
