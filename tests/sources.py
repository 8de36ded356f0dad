"""Deterministic generated source files in every built-in language, for tests and ``bench/chunking.py``.

A generated file mixes small functions (some with nested functions), classes with methods, runs of
module-level statements without any function, one giant function holding thousands of nested
functions (or, where the language has no nested functions, thousands of statements) and one class of
4,000+ lines: the shapes that break naive chunkers.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

NESTED = frozenset({"python", "javascript", "typescript", "tsx", "rust", "ruby"})
EXTENSIONS = {
    "python": "py",
    "javascript": "js",
    "typescript": "ts",
    "tsx": "tsx",
    "go": "go",
    "java": "java",
    "rust": "rs",
    "c": "c",
    "cpp": "cpp",
    "ruby": "rb",
}


@dataclass
class _Out:
    language: str
    lines: list[str]

    def add(self, depth: int, text: str) -> None:
        self.lines.append(("    " * depth) + text)


_STATEMENTS = {
    "python": "x{i} = a + {i}",
    "javascript": "let x{i} = a + {i};",
    "typescript": "let x{i}: number = a + {i};",
    "tsx": "let x{i}: number = a + {i};",
    "go": "x{i} := a + {i}",
    "java": "int x{i} = a + {i};",
    "rust": "let x{i} = a + {i};",
    "c": "int x{i} = a + {i};",
    "cpp": "int x{i} = a + {i};",
    "ruby": "x{i} = a + {i}",
}


# The module-level statements that are symbols too (constants, variables, fields), by language.
_GLOBAL_NAMES = {
    "python": "G{i}",
    "javascript": "g{i}",
    "typescript": "g{i}",
    "tsx": "g{i}",
    "go": "g{i}",
    "java": "Main.g{i}",
    "rust": "G{i}",
    "ruby": "G{i}",
}


def _stmt(lang: str, i: int) -> str:
    return _STATEMENTS[lang].format(i=i)


def _global(lang: str, i: int) -> str:
    return {
        "python": f"G{i} = {i}",
        "javascript": f"const g{i} = {i};",
        "typescript": f"const g{i}: number = {i};",
        "tsx": f"const g{i}: number = {i};",
        "go": f"var g{i} = {i}",
        "java": f"static int g{i} = {i};",
        "rust": f"const G{i}: i32 = {i};",
        "c": f"int g{i} = {i};",
        "cpp": f"int g{i} = {i};",
        "ruby": f"G{i} = {i}",
    }[lang]


def _open_func(lang: str, name: str, method: bool) -> str:
    return {
        "python": f"def {name}(self, a, b):" if method else f"def {name}(a, b):",
        "javascript": f"{name}(a, b) {{" if method else f"function {name}(a, b) {{",
        "typescript": f"{name}(a: number, b: number): number {{"
        if method
        else f"function {name}(a: number, b: number): number {{",
        "tsx": f"{name}(a: number, b: number): number {{"
        if method
        else f"function {name}(a: number, b: number): number {{",
        "go": f"func {name}(a int, b int) int {{",
        "java": f"int {name}(int a, int b) {{" if method else f"static int {name}(int a, int b) {{",
        "rust": f"fn {name}(&self, a: i32, b: i32) -> i32 {{"
        if method
        else f"fn {name}(a: i32, b: i32) -> i32 {{",
        "c": f"int {name}(int a, int b) {{",
        "cpp": f"int {name}(int a, int b) {{",
        "ruby": f"def {name}(a, b)",
    }[lang]


def _close(lang: str) -> str:
    return {"python": "", "ruby": "end"}.get(lang, "}")


def _ret(lang: str) -> str:
    return {"python": "return a", "ruby": "a", "go": "return a", "rust": "a"}.get(lang, "return a;")


class Generator:
    """Writes one file; ``symbols`` records the qualified names it defines, in source order."""

    def __init__(self, language: str, seed: int = 0) -> None:
        self.lang = language
        self.rng = random.Random(seed)
        self.out = _Out(language, [])
        self.counter = 0
        self.symbols: list[str] = []
        # Java has no free functions: everything lives in one top-level class, itself a symbol.
        self.base = 1 if language == "java" else 0
        self.prefix = "Main." if language == "java" else ""

    def _id(self, stem: str) -> str:
        self.counter += 1
        return f"{stem}{self.counter}"

    def _comment(self, depth: int, text: str) -> None:
        mark = "#" if self.lang in {"python", "ruby"} else "//"
        self.out.add(depth, f"{mark} {text}")

    def function(
        self, depth: int, qual: str, *, statements: int, nested: int = 0, method: bool = False
    ) -> None:
        name = self._id("m" if method else "f")
        full = f"{qual}{name}"
        self.symbols.append(full)
        self._comment(depth, f"{name} does step {self.counter}.")
        self.out.add(depth, _open_func(self.lang, name, method))
        for i in range(statements):
            self.out.add(depth + 1, _stmt(self.lang, i))
            if nested and self.lang in NESTED and i % max(1, statements // nested) == 0:
                self.function(depth + 1, f"{full}.", statements=3)
        self.out.add(depth + 1, _ret(self.lang))
        close = _close(self.lang)
        if close:
            self.out.add(depth, close)
        self.out.lines.append("")

    def klass(self, depth: int, *, methods: int, size: tuple[int, int]) -> None:
        name = self._id("C")
        lang = self.lang
        qual = f"{self.prefix}{name}"
        self._comment(depth, f"{name} holds state.")
        if lang == "go":
            self.symbols += [qual, f"{qual}.a"]  # the struct and its field
            self.out.add(depth, f"type {name} struct {{")
            self.out.add(depth + 1, "a int")
            self.out.add(depth, "}")
            self.out.lines.append("")
            for _ in range(methods):
                method = self._id("m")
                self.symbols.append(f"{name}.{method}")
                self.out.add(depth, f"func (r *{name}) {method}(a int, b int) int {{")
                for i in range(self.rng.randint(*size)):
                    self.out.add(depth + 1, _stmt(lang, i))
                self.out.add(depth + 1, "return a")
                self.out.add(depth, "}")
                self.out.lines.append("")
            return
        if lang == "c":
            self.symbols += [qual, f"{qual}.a"]
            self.out.add(depth, f"struct {name} {{ int a; }};")
            self.out.lines.append("")
            for _ in range(methods):
                self.function(depth, "", statements=self.rng.randint(*size))
            return
        self.symbols.append(qual)
        if lang == "rust":
            self.symbols.append(f"{qual}.a")
            self.out.add(depth, f"struct {name} {{ a: i32 }}")
            self.out.lines.append("")
            self.out.add(depth, f"impl {name} {{")
            self.symbols.append(qual)  # the impl block has the type's name too
        else:
            self.out.add(
                depth,
                {
                    "python": f"class {name}:",
                    "ruby": f"class {name}",
                    "java": f"static class {name} {{",
                    "cpp": f"class {name} {{",
                }.get(lang, f"class {name} {{"),
            )
            if lang == "cpp":
                self.out.add(depth, "public:")
        for _ in range(methods):
            self.function(depth + 1, f"{qual}.", statements=self.rng.randint(*size), method=True)
        close = {"python": "", "ruby": "end", "cpp": "};"}.get(lang, "}")
        if close:
            self.out.add(depth, close)
        self.out.lines.append("")

    def statements(self, depth: int, count: int) -> None:
        for _ in range(count):
            self.counter += 1
            self.out.add(depth, _global(self.lang, self.counter))
            if self.lang in _GLOBAL_NAMES:
                self.symbols.append(_GLOBAL_NAMES[self.lang].format(i=self.counter))
        self.out.lines.append("")

    def generate(self, lines: int) -> str:
        lang, depth = self.lang, self.base
        header = {
            "python": ["import os", "from typing import Any", ""],
            "javascript": ['import fs from "fs";', ""],
            "typescript": ['import * as fs from "fs";', ""],
            "tsx": ['import * as React from "react";', ""],
            "go": ["package big", "", 'import "fmt"', ""],
            "java": ["package big;", "", "import java.util.List;", "", "public class Main {"],
            "rust": ["use std::fmt;", ""],
            "c": ["#include <stdio.h>", ""],
            "cpp": ["#include <vector>", ""],
            "ruby": ['require "set"', ""],
        }[lang]
        self.out.lines.extend(header)
        if lang == "java":
            self.symbols.append("Main")
        giant_done = big_class_done = False
        while len(self.out.lines) < lines - 10:
            roll = self.rng.random()
            if not giant_done and len(self.out.lines) > lines // 3:
                giant_done = True
                # One function of ~12% of the file: thousands of nested functions where possible.
                count = lines // 8
                self.function(depth, self.prefix, statements=count, nested=count // 6)
            elif not big_class_done and len(self.out.lines) > lines // 2:
                big_class_done = True
                self.klass(depth, methods=200, size=(15, 25))  # 4,000+ lines
            elif roll < 0.6:
                nested = self.rng.choice((0, 0, 1, 2))
                self.function(depth, self.prefix, statements=self.rng.randint(3, 60), nested=nested)
            elif roll < 0.85:
                self.klass(depth, methods=self.rng.randint(2, 8), size=(2, 25))
            else:
                self.statements(depth, self.rng.randint(5, 80))
        if lang == "java":
            self.out.lines.append("}")
        return "\n".join(self.out.lines) + "\n"


def generate(language: str, lines: int = 50_000, seed: int = 0) -> tuple[str, list[str]]:
    """A generated file of about ``lines`` lines, and the qualified names of the symbols it defines."""
    gen = Generator(language, seed)
    text = gen.generate(lines)
    return text, gen.symbols
