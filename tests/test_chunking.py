"""Chunking: partition, ownership, budgets, overlap, splitting of giants, stability, the CLI contract.

The property tests draw many random files and budgets from seeded generators (hypothesis is not in
the locked dependencies): every line is owned once, every symbol by exactly one chunk, and no chunk is
over budget unless it is one indivisible line.
"""

from __future__ import annotations

import json
import random
import sys
from itertools import pairwise
from pathlib import Path

import pytest

from docbot import cli
from docbot.chunking import Chunk, chunk_file, estimate_tokens
from docbot.config import LlmSettings
from docbot.languages import languages
from docbot.llm.base import DocRequest
from docbot.llm.prompt import build_params
from docbot.symbols import Symbol, extract_symbols
from tests.sources import EXTENSIONS, generate

_LLM = LlmSettings(model="m", max_tokens=100)


def check_invariants(
    chunks: list[Chunk],
    syms: list[Symbol],
    source: str,
    *,
    max_lines: int,
    max_tokens: int,
    overlap: int,
) -> None:
    lines = source.split("\n")
    total = len(lines) - (1 if source.endswith("\n") else 0)
    # Owned ranges cover every line exactly once, in order.
    assert chunks[0].start == 1
    assert chunks[-1].end == total
    for before, after in pairwise(chunks):
        assert after.start == before.end + 1
    assert [c.index for c in chunks] == list(range(len(chunks)))
    # Every symbol in exactly one chunk: the one holding its first line.
    owned = [s for c in chunks for s in c.symbols]
    assert sorted(owned, key=id) == sorted(syms, key=id)
    for chunk in chunks:
        assert all(chunk.start <= s.start <= chunk.end for s in chunk.symbols)
        # Budgets hold unless the chunk is a single indivisible line.
        if chunk.oversized:
            assert chunk.start == chunk.end
        else:
            assert chunk.end - chunk.start + 1 <= max_lines
            assert chunk.tokens <= max_tokens
            assert sum(map(estimate_tokens, (chunk.header, chunk.context, chunk.text))) <= max_tokens
        # The header is the same for every chunk of the file (a cacheable prompt prefix).
        assert chunk.header == chunks[0].header
        # Overlap is context only: before the chunk, at most `overlap` lines, shown in its context.
        assert max(1, chunk.start - overlap) <= chunk.context_start <= chunk.start
        if chunk.context_start < chunk.start:
            assert chunk.context.endswith("\n".join(lines[chunk.context_start - 1 : chunk.start - 1]))
        else:
            assert "# context only" not in chunk.context
        assert chunk.text == "\n".join(lines[chunk.start - 1 : chunk.end])


def test_random_files_and_budgets_keep_every_invariant() -> None:
    rng = random.Random(20261129)
    for round_ in range(25):
        language = rng.choice(sorted(EXTENSIONS))
        source, _ = generate(language, rng.randint(200, 1_500), seed=round_)
        syms = extract_symbols(source, language)
        max_lines = rng.randint(20, 400)
        max_tokens = rng.randint(1_000, 6_000)
        overlap = rng.choice((0, 5, 100))
        chunks = chunk_file(
            f"f.{EXTENSIONS[language]}",
            language,
            source,
            syms,
            max_lines=max_lines,
            max_tokens=max_tokens,
            overlap=overlap,
        )
        check_invariants(chunks, syms, source, max_lines=max_lines, max_tokens=max_tokens, overlap=overlap)


@pytest.mark.parametrize("language", sorted(EXTENSIONS))
def test_fifty_thousand_lines_in_budget_with_every_symbol_once(language: str) -> None:
    source, expected = generate(language, 50_000)
    syms = extract_symbols(source, language)
    assert [s.name for s in syms] == expected
    # Budgets given explicitly: this checks the line budget, so the token budget is set out of its way.
    chunks = chunk_file(
        f"big.{EXTENSIONS[language]}", language, source, syms, max_lines=2000, max_tokens=40_000
    )
    check_invariants(chunks, syms, source, max_lines=2000, max_tokens=40_000, overlap=100)
    assert not any(c.oversized for c in chunks)
    assert 25 <= len(chunks) <= 60  # about half to full budget each: no pathological slivers


def test_giant_symbol_is_split_along_nested_symbols_with_its_signature_in_every_part() -> None:
    body = "".join(
        f"    def inner{i}(x):\n"
        + "".join(f"        y{j} = x + {j}\n" for j in range(8))
        + "        return x\n"
        for i in range(400)
    )
    source = f"import os\n\n\ndef giant(a, b):\n{body}    return 0\n"
    syms = extract_symbols(source, "python")
    chunks = chunk_file("g.py", "python", source, syms, max_lines=300)
    check_invariants(chunks, syms, source, max_lines=300, max_tokens=40_000, overlap=100)
    assert len(chunks) >= 12
    for chunk in chunks[1:]:
        assert chunk.context.startswith("# part of (the enclosing definitions")
        assert "\ndef giant(a, b)\n" in chunk.context
        assert chunk.header == "# file: g.py\nimport os"
        assert chunk.enclosing == ("giant",)
        # Cuts fall between nested functions, never inside one.
        assert chunk.text.lstrip().startswith("def inner")
    assert chunks[0].symbols[0].name == "giant"


@pytest.mark.parametrize("language", ["python", "go", "c"])
def test_giant_body_without_nested_symbols_is_split_at_statements(language: str) -> None:
    source, _ = generate(language, 0)  # just the file header
    body = {
        "python": "".join(f"    x{i} = a + {i}\n" for i in range(5_000)),
        "go": "".join(f"\tx{i} := a + {i}\n" for i in range(5_000)),
        "c": "".join(f"    int x{i} = a + {i};\n" for i in range(5_000)),
    }[language]
    function = {
        "python": f"def giant(a):\n{body}    return a\n",
        "go": f"func giant(a int) int {{\n{body}\treturn a\n}}\n",
        "c": f"int giant(int a) {{\n{body}    return a;\n}}\n",
    }[language]
    source = source + function
    syms = extract_symbols(source, language)
    chunks = chunk_file("g", language, source, syms, max_lines=500)
    check_invariants(chunks, syms, source, max_lines=500, max_tokens=40_000, overlap=100)
    assert len(chunks) >= 10
    for chunk in chunks[1:]:
        assert chunk.enclosing == ("giant",)
        first = chunk.text.split("\n")[0].strip()
        assert first.startswith(("x", "int x", "return")), first  # a whole statement starts each part


def test_module_without_functions_and_language_without_grammar_use_line_chunks() -> None:
    # Calls only: statements that define nothing (an assignment would be a variable symbol).
    source = "".join(f"print({i})\n" for i in range(15_000))
    for language in ("python", "kotlin"):
        syms = extract_symbols(source, language)
        assert syms == []
        chunks = chunk_file("m", language, source, syms)
        check_invariants(chunks, syms, source, max_lines=2000, max_tokens=40_000, overlap=100)
        assert len(chunks) >= 8


def test_token_budget_bounds_long_lines_and_flags_an_indivisible_one() -> None:
    wide = "".join(f"x{i} = '{'y' * 600}'\n" for i in range(400))  # 400 lines, ~80k tokens
    syms = extract_symbols(wide, "python")
    chunks = chunk_file("w.py", "python", wide, syms, max_tokens=5_000)
    check_invariants(chunks, syms, wide, max_lines=2000, max_tokens=5_000, overlap=100)
    assert len(chunks) >= 16
    assert not any(c.oversized for c in chunks)

    minified = "function a(){}\nvar x=" + "1+" * 60_000 + "1;\nfunction b(){}\n"
    syms = extract_symbols(minified, "javascript")
    chunks = chunk_file("m.js", "javascript", minified, syms, max_tokens=5_000)
    check_invariants(chunks, syms, minified, max_lines=2000, max_tokens=5_000, overlap=100)
    assert [(c.start, c.end, c.oversized) for c in chunks] == [(1, 1, False), (2, 2, True), (3, 3, False)]


def test_inserting_ten_lines_at_the_top_keeps_95_percent_of_chunk_keys() -> None:
    source, _ = generate("python", 10_000, seed=7)
    head, rest = source.split("\n\n", 1)  # keep the imports first: they are in every header
    inserted = (
        head
        + "\n\n"
        + "def added(a):\n"
        + "".join(f"    y{i} = a\n" for i in range(8))
        + "    return a\n"
        + rest
    )
    assert inserted.count("\n") == source.count("\n") + 10

    def keys(text: str) -> list[str]:
        return [
            c.sha256
            for c in chunk_file("m.py", "python", text, extract_symbols(text, "python"), max_lines=100)
        ]

    before, after = keys(source), keys(inserted)
    assert len(before) >= 100
    kept = len(set(before) & set(after)) / len(before)
    assert kept >= 0.95, kept


def test_an_edit_inside_one_function_changes_only_the_chunks_that_contain_it() -> None:
    source, _ = generate("typescript", 10_000, seed=11)
    lines = source.split("\n")
    rng = random.Random(5)
    old = chunk_file("m.ts", "typescript", source, extract_symbols(source, "typescript"), max_lines=200)
    edits = 0
    while edits < 4:
        target = rng.randrange(len(lines) // 10, len(lines) - 10)
        if "a +" not in lines[target]:
            continue
        edits += 1
        edited = "\n".join([*lines[:target], lines[target].replace("a +", "b +", 1), *lines[target + 1 :]])
        new = chunk_file("m.ts", "typescript", edited, extract_symbols(edited, "typescript"), max_lines=200)
        changed = [c for c in new if c.sha256 not in {o.sha256 for o in old}]
        # The chunk that owns the edited line changes; at most one neighbour too, when the edit moved
        # a content-defined cut. A chunk holding the line only as overlap context keeps its key.
        owner = next(c for c in new if c.start <= target + 1 <= c.end)
        assert owner in changed
        assert len(changed) <= 2
        assert all(abs(c.index - owner.index) <= 1 for c in changed)


def test_chunk_key_covers_header_scope_and_text_not_line_numbers_or_overlap() -> None:
    source = "import os\n\n\n" + "".join(f"def f{i}():\n    return {i}\n\n\n" for i in range(200))
    syms = extract_symbols(source, "python")
    chunks = chunk_file("m.py", "python", source, syms, max_lines=100, overlap=3)
    assert all(c.context_start == max(1, c.start - 3) for c in chunks)
    shifted = "# a comment that moves everything down\n" + source
    moved = chunk_file(
        "m.py", "python", shifted, extract_symbols(shifted, "python"), max_lines=100, overlap=3
    )
    assert {c.sha256 for c in chunks[2:]} <= {c.sha256 for c in moved}
    assert chunks[0].sha256 != moved[0].sha256
    renamed = chunk_file("n.py", "python", source, syms, max_lines=100, overlap=3)
    assert not {c.sha256 for c in chunks} & {c.sha256 for c in renamed}  # the path is in every header
    # The overlap is shown to the provider but is not part of the key.
    no_overlap = chunk_file("m.py", "python", source, syms, max_lines=100, overlap=0)
    assert [c.sha256 for c in no_overlap] == [c.sha256 for c in chunks]
    assert [c.context for c in no_overlap] != [c.context for c in chunks]
    # The enclosing signatures are part of it: a part of a split function changes with its signature.
    body = "".join(f"    def inner{i}(x):\n        return x\n" for i in range(200))
    giant = f"def giant(a):\n{body}"
    renamed_param = giant.replace("def giant(a)", "def giant(b)")
    parts = chunk_file("g.py", "python", giant, extract_symbols(giant, "python"), max_lines=100)
    other = chunk_file(
        "g.py", "python", renamed_param, extract_symbols(renamed_param, "python"), max_lines=100
    )
    assert len(parts) >= 3
    assert parts[1].text == other[1].text
    assert (
        parts[1].scope
        == "# part of (the enclosing definitions; their other parts are in other chunks):\ndef giant(a)"
    )
    assert parts[1].sha256 != other[1].sha256


def test_deeply_nested_source_chunks_without_python_recursion() -> None:
    depth = 1_000
    source = "".join(f"function f{i}() {{\n" for i in range(depth)) + "}\n" * depth
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(120)
    try:
        syms = extract_symbols(source, "javascript")
        chunks = chunk_file("d.js", "javascript", source, syms, max_lines=100)
    finally:
        sys.setrecursionlimit(limit)
    check_invariants(chunks, syms, source, max_lines=100, max_tokens=40_000, overlap=100)
    deepest = chunks[len(chunks) // 2]
    assert "# ... " in deepest.context  # the enclosing chain is abbreviated, not thousands of lines long
    assert estimate_tokens(deepest.context.split("# context only")[0]) < 1_100


def test_empty_file_has_no_chunks_and_small_file_is_one_chunk() -> None:
    assert chunk_file("e.py", "python", "", []) == []
    source = "def f():\n    pass\n" * 3
    chunks = chunk_file("s.py", "python", source, extract_symbols(source, "python"))
    assert [(c.start, c.end, c.context_start) for c in chunks] == [(1, 6, 1)]


@pytest.mark.parametrize("language", sorted(EXTENSIONS))
def test_docbot_chunks_json_for_every_language(
    language: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source, expected = generate(language, 3_000, seed=2)
    path = tmp_path / f"big.{EXTENSIONS[language]}"
    path.write_text(source, encoding="utf-8")
    assert cli.main(["chunks", str(path), "--json", "--max-lines", "400"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["language"] == language
    # The default visibility is public: the API part of what the file defines, in the same order.
    public = [s.name for s in extract_symbols(source, language, visibility="public")]
    assert [s["name"] for s in data["symbols"]] == public
    assert set(public) <= set(expected)
    assert all({"name", "kind", "start", "end"} <= set(s) for s in data["symbols"])
    chunks = data["chunks"]
    assert len(chunks) >= 5
    assert [n for c in chunks for n in c["symbols"]] == public
    for c in chunks:
        assert set(c) == {"start", "end", "context_start", "symbols"}
        assert c["end"] - c["start"] + 1 <= 400
        assert max(1, c["start"] - 100) <= c["context_start"] <= c["start"]


def test_docbot_chunks_text_output_and_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "Notes.kt"
    path.write_text("".join(f"val x{i} = {i}\n" for i in range(50)), encoding="utf-8")
    assert cli.main(["chunks", str(path), "--max-lines", "20", "--overlap", "5"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("chunk 0: lines 1-")
    assert "context from" in out[1]
    assert cli.main(["chunks", str(path), "--max-lines", "0"]) == 2
    assert "--max-lines 0: must be at least 1" in capsys.readouterr().err
    assert cli.main(["chunks", str(path), "--language", "cobol"]) == 2
    err = capsys.readouterr().err
    assert "no parser for this file type" in err
    assert ", ".join(languages()) in err


def test_claude_prompt_carries_the_context_after_the_shared_header() -> None:
    body = "".join(f"    def inner{i}(x):\n        return x + {i}\n" for i in range(200))
    source = f"import os\n\n\ndef giant(a):\n{body}    return 0\n"
    syms = extract_symbols(source, "python")
    chunks = chunk_file("g.py", "python", source, syms, max_lines=100, overlap=4)
    chunk = chunks[2]
    params = build_params(DocRequest(chunk, want_overview=False), _LLM)
    shared, ask = params["messages"][0]["content"]
    assert "cache_control" in shared
    assert chunk.header in shared["text"]
    assert chunk.context not in shared["text"]  # per-chunk text stays out of the cached prefix
    assert "cache_control" not in ask
    context_at, text_at = ask["text"].index(chunk.context), ask["text"].index(chunk.text)
    assert context_at < text_at
    assert "do not document it" in ask["text"][:context_at]
    assert "def giant(a)" in chunk.context
    wanted = ask["text"].split("Document these symbols:\n", 1)[1]
    assert wanted.strip().splitlines() == [
        f"- {s.id} ({s.kind}, lines {s.start}-{s.end})" for s in chunk.symbols
    ]


def test_claude_prompt_asks_a_module_level_chunk_about_its_own_lines() -> None:
    source = "".join(f"X{i} = {i}\n" for i in range(300))
    first, later = chunk_file("c.py", "python", source, [], max_lines=100)[:2]
    ask_first = build_params(DocRequest(first, want_overview=True), _LLM)["messages"][0]["content"][1]
    ask_later = build_params(DocRequest(later, want_overview=True), _LLM)["messages"][0]["content"][1]
    # The file's overview is a request of its own (build_overview_params): no chunk asks for it, the
    # first one included; a chunk without symbols is asked about its own lines only.
    for ask in (ask_first, ask_later):
        assert "Also write an overview of these lines (module-level code of the file)." in ask["text"]
        assert "overview of the whole file" not in ask["text"]
