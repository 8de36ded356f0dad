"""Path -> language, and loading the tree-sitter grammar for it.

Grammars come from the per-language wheels (``tree-sitter-python`` ...), which work offline; they are
loaded lazily and once per process. A language without a registered grammar is still recognised so
that it can be skipped with a clear reason.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from functools import cache
from pathlib import PurePosixPath

import tree_sitter


@dataclass(frozen=True)
class LanguageSpec:
    """A language docbot can parse: its name, file endings and where its grammar lives."""

    name: str
    extensions: tuple[str, ...]
    module: str  # the grammar wheel's module, e.g. "tree_sitter_python"
    function: str = "language"  # the module function returning the grammar pointer


_REGISTRY: dict[str, LanguageSpec] = {}
_BY_EXTENSION: dict[str, str] = {}


def register(spec: LanguageSpec) -> None:
    """Add a language (built-ins register the same way)."""
    _REGISTRY[spec.name] = spec
    for ext in spec.extensions:
        _BY_EXTENSION[ext] = spec.name


register(LanguageSpec("python", (".py", ".pyi"), "tree_sitter_python"))


def language_for(path: str) -> str | None:
    """The registered language of ``path`` by its ending, or ``None``."""
    suffix = PurePosixPath(path).suffix.lower()
    return _BY_EXTENSION.get(suffix)


def languages() -> list[str]:
    return sorted(_REGISTRY)


@cache
def grammar(name: str) -> tree_sitter.Language:
    """The tree-sitter ``Language`` for a registered language name."""
    spec = _REGISTRY[name]
    module = importlib.import_module(spec.module)
    return tree_sitter.Language(getattr(module, spec.function)())


def parser(name: str) -> tree_sitter.Parser:
    """A new parser for ``name`` (parsers are cheap; grammars are cached)."""
    return tree_sitter.Parser(grammar(name))
