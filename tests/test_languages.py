"""The language registry: endings, grammars and queries of the built-ins, and registering a new one."""

from __future__ import annotations

import pytest
import tree_sitter

from docbot import languages
from docbot import symbols as symbols_mod
from docbot.config import load_settings
from docbot.errors import ConfigError
from docbot.languages import LanguageSpec, language_for, register
from docbot.symbols import Symbol, extract_symbols, has_symbols

WITH_GRAMMAR = ["c", "cpp", "go", "java", "javascript", "python", "ruby", "rust", "tsx", "typescript"]


@pytest.mark.parametrize(
    ("path", "language"),
    [
        ("a/b.py", "python"),
        ("stubs.pyi", "python"),
        ("App.JSX", "javascript"),
        ("lib.mjs", "javascript"),
        ("x.ts", "typescript"),
        ("x.d.ts", "typescript"),
        ("View.tsx", "tsx"),
        ("main.go", "go"),
        ("A.java", "java"),
        ("lib.rs", "rust"),
        ("x.c", "c"),
        ("x.h", "c"),
        ("x.hpp", "cpp"),
        ("x.cc", "cpp"),
        ("x.rb", "ruby"),
        ("tasks/Rakefile", "ruby"),
        ("Build.kt", "kotlin"),
        ("README.md", None),
        ("Makefile", None),
        ("noext", None),
    ],
)
def test_language_for_path(path: str, language: str | None) -> None:
    assert language_for(path) == language


@pytest.mark.parametrize("name", WITH_GRAMMAR)
def test_every_builtin_grammar_loads_offline_and_its_query_compiles(name: str) -> None:
    assert languages.spec(name).has_grammar
    assert languages.definitions_query(name).pattern_count >= 1
    tree = languages.parser(name).parse(b"\n")
    assert tree.root_node is not None


def test_builtins_are_in_the_registry() -> None:
    assert set(WITH_GRAMMAR) <= set(languages.languages())
    assert {"csharp", "kotlin", "php", "scala", "shell", "swift"} <= set(languages.languages())
    assert not languages.spec("kotlin").has_grammar


def test_a_new_language_registers_like_the_builtins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(languages, "_REGISTRY", dict(languages._REGISTRY))
    monkeypatch.setattr(languages, "_BY_EXTENSION", dict(languages._BY_EXTENSION))
    # Starlark is Python-shaped: reuse the Python grammar with a narrower query.
    register(
        LanguageSpec(
            "starlark",
            (".bzl",),
            "tree_sitter_python",
            definitions="(function_definition) @function",
            imports=r"^load\(",
        )
    )
    assert language_for("rules.bzl") == "starlark"
    assert has_symbols("starlark")
    syms = extract_symbols("def rule_impl(ctx):\n    pass\n\nclass NotHere:\n    pass\n", "starlark")
    assert [(s.name, s.kind) for s in syms] == [("rule_impl", "function")]


def test_bad_registrations_and_lookups_are_clear_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(languages, "_REGISTRY", dict(languages._REGISTRY))
    monkeypatch.setattr(languages, "_BY_EXTENSION", dict(languages._BY_EXTENSION))
    with pytest.raises(ConfigError, match=r"unknown capture\(s\) def in its definitions query"):
        register(
            LanguageSpec("bad", (".bad",), "tree_sitter_python", definitions="(function_definition) @def")
        )
    with pytest.raises(ConfigError, match="unknown language 'cobol'; known: c, cpp"):
        languages.spec("cobol")
    register(LanguageSpec("broken", (".brk",), "tree_sitter_python", definitions="(no_such_node) @function"))
    with pytest.raises(ConfigError, match="language 'broken': its definitions query is invalid"):
        languages.definitions_query("broken")
    register(LanguageSpec("absent", (".abs",), "tree_sitter_absent_grammar"))
    with pytest.raises(ConfigError, match="needs the tree-sitter-absent-grammar package"):
        languages.grammar("absent")


def test_chunk_settings_from_env_and_flags() -> None:
    settings = load_settings({}, env={})
    assert (
        settings.chunking.chunk_max_lines,
        settings.chunking.chunk_max_tokens,
        settings.chunking.chunk_overlap_lines,
    ) == (
        2000,
        4_000,
        8,
    )
    env = {
        "DOCBOT_CHUNK_MAX_TOKENS": "8000",
        "DOCBOT_CHUNK_OVERLAP_LINES": "0",
        "DOCBOT_CHUNK_MAX_LINES": "500",
    }
    settings = load_settings({}, env=env)
    assert (
        settings.chunking.chunk_max_lines,
        settings.chunking.chunk_max_tokens,
        settings.chunking.chunk_overlap_lines,
    ) == (
        500,
        8000,
        0,
    )
    with pytest.raises(ConfigError, match="chunk_max_tokens: 10 is out of range; use a value from 1000"):
        load_settings({"chunk_max_tokens": "10"}, env={})
    bad_overlap = (
        r"chunk_overlap_lines \(from DOCBOT_CHUNK_OVERLAP_LINES\): expected a whole number, got 'lots'"
    )
    with pytest.raises(ConfigError, match=bad_overlap):
        load_settings({}, env={"DOCBOT_CHUNK_OVERLAP_LINES": "lots"})


def test_a_language_may_bring_its_own_extractor(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(symbols_mod, "_EXTRACTORS", {})

    def top_level_only(root: tree_sitter.Node, data: bytes, lines: list[bytes]) -> list[Symbol]:
        return [
            Symbol(child.type, "function", child.start_point.row + 1, child.end_point.row + 1, "", "0" * 64)
            for child in root.named_children
        ]

    symbols_mod.register_extractor("python", top_level_only)
    found = extract_symbols("def a():\n    def b(): pass\n\nx = 1\n", "python")
    assert [(s.name, s.start, s.end) for s in found] == [
        ("function_definition", 1, 2),
        ("expression_statement", 4, 4),
    ]
