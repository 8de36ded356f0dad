"""Docstrings written back: only comments and docstrings change, in each language's own convention.

The proof runs on real third-party files in every language: Python, JavaScript and C from packages the
dev lock installs (docstring_parser, unidiff, pre-commit, werkzeug's debugger, markupsafe's C extension),
and TypeScript, Java, C++, Go and Rust vendored under tests/fixtures/thirdparty (each with its project's
licence beside it and a header naming the project and version). The small hand-written files in
tests/fixtures/docstrings pin the names each convention documents.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import docstring_parser
import markupsafe
import pre_commit
import pytest
import tree_sitter
import unidiff
import werkzeug

from docbot import cli, symbols
from docbot.cache.sqlite import SqliteCache
from docbot.config import ZERO_SHA
from docbot.docs import SymbolDoc, static_doc
from docbot.docstrings import (
    apply,
    apply_edits,
    code_shape,
    detect_style,
    plan,
    wants_docstring,
    write_back,
)
from docbot.events import RunSpec
from docbot.git import Git
from docbot.llm.client import AnthropicProvider
from tests.conftest import GitRepo
from tests.fakes.anthropic_server import running
from tests.fakes.clock import FakeClock
from tests.fakes.llm import settings_for
from tests.local_run import run_local

FIXTURES = Path(__file__).parent / "fixtures" / "docstrings"
THIRDPARTY = Path(__file__).parent / "fixtures" / "thirdparty"


def _package_file(module: object, rel: str) -> Path:
    return Path(str(getattr(module, "__file__", ""))).parent / rel


REAL = [
    ("python", _package_file(docstring_parser, "common.py")),
    ("python", _package_file(unidiff, "patch.py")),
    ("python", _package_file(pre_commit, "util.py")),
    ("javascript", _package_file(werkzeug, "debug/shared/debugger.js")),
    ("c", _package_file(markupsafe, "_speedups.c")),
    ("go", _package_file(pre_commit, "resources/empty_template_main.go")),
    ("rust", _package_file(pre_commit, "resources/empty_template_main.rs")),
]
VENDORED = [
    ("typescript", THIRDPARTY / "immer-10.1.1" / "scope.ts"),
    ("typescript", THIRDPARTY / "immer-10.1.1" / "immerClass.ts"),
    ("java", THIRDPARTY / "jpype1-1.5.0" / "HtmlWriter.java"),
    ("java", THIRDPARTY / "jpype1-1.5.0" / "ByteBufferInputStream.java"),
    ("cpp", THIRDPARTY / "pybind11-2.13.6" / "options.h"),
    ("cpp", THIRDPARTY / "pybind11-2.13.6" / "gil.h"),
    ("go", THIRDPARTY / "google-uuid-1.3.0" / "uuid.go"),
    ("rust", THIRDPARTY / "either-1.6.1" / "serde_untagged.rs"),
]
WRITTEN = [
    ("typescript", FIXTURES / "shapes.ts"),
    ("java", FIXTURES / "Inventory.java"),
    ("cpp", FIXTURES / "ring.cpp"),
    ("go", FIXTURES / "geometry.go"),
    ("rust", FIXTURES / "stack.rs"),
]


def _without_docs(language: str, source: str) -> list[tuple[str, bytes]]:
    """The test's own reading of the tree: every node but comments and Python docstrings, in order."""
    tree = symbols.parse(source, language)
    assert tree is not None

    def docstring(node: tree_sitter.Node) -> bool:
        parent = node.parent
        return (
            language == "python"
            and node.type == "expression_statement"
            and node.named_children[0].type == "string"
            and parent is not None
            and parent.type in {"module", "block"}
            and next(c for c in parent.named_children if c.type != "comment") == node
        )

    def walk(node: tree_sitter.Node) -> Iterator[tuple[str, bytes]]:
        if "comment" in node.type or docstring(node):
            return
        yield node.type, (node.text or b"") if not node.children else b""
        for child in node.children:
            yield from walk(child)

    return list(walk(tree.root_node))


def _errors(language: str, source: str) -> int:
    tree = symbols.parse(source, language)
    assert tree is not None
    return str(tree.root_node).count("ERROR") + str(tree.root_node).count("MISSING")


def _docs(source: str, language: str) -> tuple[list[symbols.Symbol], dict[str, SymbolDoc]]:
    syms = symbols.extract_symbols(source, language, visibility="public")
    return syms, {s.id: static_doc(s) for s in syms}  # what the offline provider answers


@pytest.mark.parametrize(("language", "path"), REAL + VENDORED + WRITTEN, ids=lambda v: getattr(v, "name", v))
def test_only_comments_and_docstrings_change(language: str, path: Path) -> None:
    data = path.read_bytes()
    source = data.decode("utf-8")
    syms, docs = _docs(source, language)
    edits = plan(language, source, syms, docs)
    new = apply_edits(source, edits)

    assert _without_docs(language, new) == _without_docs(language, source)
    assert _errors(language, new) == _errors(language, source)
    # Every original line is still there, in order, byte for byte (line endings included).
    old_lines = source.splitlines(keepends=True)
    new_lines = new.splitlines(keepends=True)
    matcher_iter = iter(new_lines)
    assert all(any(line == candidate for candidate in matcher_iter) for line in old_lines)
    newline = "\r\n" if "\r\n" in source else "\n"
    assert all(line.endswith(newline) for line in new_lines[:-1])
    # Each inserted block has the indentation of the code it documents.
    for edit in edits:
        below = old_lines[edit.end] if edit.end < len(old_lines) else ""
        indent = below[: len(below) - len(below.lstrip(" \t"))]
        if language != "python":
            assert all(line.startswith(indent) for line in edit.lines)
    assert apply(language, source, edits) == new


@pytest.mark.parametrize(
    ("path", "language", "wanted"),
    [
        (
            FIXTURES / "shapes.ts",
            "typescript",
            ["Circle", "Circle.area", "Circle.scale", "onResize", "Shape"],
        ),
        (
            FIXTURES / "Inventory.java",
            "java",
            ["Inventory", "Inventory.Inventory", "Inventory.add", "Inventory.remove"],
        ),
        (FIXTURES / "geometry.go", "go", ["Midpoint", "Point", "Point.Distance"]),
        (FIXTURES / "stack.rs", "rust", ["Stack", "Stack<T>.new", "Stack<T>.push", "depth"]),
        (FIXTURES / "ring.cpp", "cpp", ["ring.Buffer.push", "ring.Buffer.size", "ring.clamp"]),
    ],
)
def test_each_undocumented_public_symbol_gets_one(path: Path, language: str, wanted: list[str]) -> None:
    source = path.read_bytes().decode("utf-8")
    syms, docs = _docs(source, language)
    got = sorted(e.symbol for e in plan(language, source, syms, docs))
    assert [g for g in got if g in wanted] == sorted(wanted), got


@pytest.mark.parametrize(("language", "path"), REAL + VENDORED, ids=lambda v: getattr(v, "name", v))
def test_every_undocumented_public_symbol_of_a_real_file_gets_one(language: str, path: Path) -> None:
    source = path.read_bytes().decode("utf-8")
    syms, docs = _docs(source, language)
    needy = {s.id for s in syms if wants_docstring(s, language, update=False)}
    new = apply(language, source, plan(language, source, syms, docs))

    assert new is not None, "the proof refused the edit"
    after = symbols.extract_symbols(new, language, visibility="public")
    assert sorted(s.id for s in after) == sorted(s.id for s in syms)
    assert [s.id for s in after if wants_docstring(s, language, update=False)] == []
    documented = {s.id: s.docstring for s in after}
    assert all(documented[i] for i in needy)
    if path.is_relative_to(THIRDPARTY):  # chosen for their undocumented public symbols
        assert needy


def test_the_conventions_of_each_language() -> None:
    def first_block(language: str, name: str) -> list[str]:
        source = next(p for lang, p in WRITTEN if lang == language).read_bytes().decode("utf-8")
        syms, docs = _docs(source, language)
        return list(next(e for e in plan(language, source, syms, docs) if e.symbol == name).lines)

    assert first_block("go", "Midpoint") == ["// Midpoint function `Midpoint`, taking `a, b Point`."]
    rust = first_block("rust", "depth")
    assert rust[0].startswith("/// ") and "/// # Arguments" in rust and "/// * `stack`" in rust
    java = first_block("java", "Inventory.remove")
    assert java[0] == "    /**" and "     * @param sku" in java and java[-1] == "     */"
    ts = first_block("typescript", "Circle.scale")
    assert ts[0] == "  /**" and any(line.startswith("   * @param factor") for line in ts)
    cpp = first_block("cpp", "ring.clamp")
    assert cpp[1].startswith(" * @brief ") and " * @param value" in cpp


def test_python_style_follows_the_file() -> None:
    numpy = (
        'def a(x):\n    """Do a.\n\n    Parameters\n    ----------\n    x : int\n        The x.\n    """\n'
    )
    rest = 'def a(x):\n    """Do a.\n\n    :param x: the x\n    :returns: y\n    """\n'
    google = 'def a(x):\n    """Do a.\n\n    Args:\n        x: the x.\n    """\n'
    for text, style in ((numpy, "numpy"), (rest, "rest"), (google, "google")):
        syms = symbols.extract_symbols(text, "python")
        assert detect_style([s.docstring for s in syms if s.docstring]) == style
    source = numpy + "\n\ndef b(y, z):\n    return y\n"
    syms, docs = _docs(source, "python")
    (edit,) = plan("python", source, syms, docs)
    assert "    Parameters" in edit.lines and "    ----------" in edit.lines
    (forced,) = plan("python", source, syms, docs, style="rest")
    assert any(line.startswith("    :param y:") for line in forced.lines)


def test_update_rewrites_a_docstring_whose_parameters_changed() -> None:
    source = (
        'def f(a, b):\n    """Old.\n\n    Args:\n        a: the a.\n    """\n    return a\n\n\n'
        'def g(a):\n    """Fine.\n\n    Args:\n        a: the a.\n    """\n'
    )
    syms, docs = _docs(source, "python")
    assert plan("python", source, syms, docs) == []
    (edit,) = plan("python", source, syms, docs, update=True)
    assert edit.symbol == "f" and (edit.start, edit.end) == (1, 6)
    new = apply("python", source, [edit])
    assert new is not None and "Fine." in new
    rewritten = new.split("def g")[0]
    assert rewritten.count("Args:") == 1 and "        a:" in rewritten and "        b:" in rewritten


def test_untrusted_text_cannot_end_the_comment_or_the_string() -> None:
    hostile = SymbolDoc(name="f", summary='Ends here */ and """ here \\ too', params=(("a", "x */ y"),))
    for language, source in (
        ("python", "def f(a):\n    return a\n"),
        ("javascript", "export function f(a) {\n  return a;\n}\n"),
        ("java", "class K {\n  public int f(int a) { return a; }\n}\n"),
    ):
        syms = symbols.extract_symbols(source, language, visibility="public")
        docs = {s.id: hostile if s.name.endswith("f") else static_doc(s) for s in syms}
        edits = plan(language, source, syms, docs)
        assert edits, language
        new = apply(language, source, edits)
        assert new is not None, language
        assert _without_docs(language, new) == _without_docs(language, source)


def test_code_shape_sees_a_code_change() -> None:
    assert code_shape("python", "x = 1\n") != code_shape("python", "x = 2\n")
    assert code_shape("python", "x = 1  # a\n") == code_shape("python", "x = 1\n")


def _git_diff(repo: GitRepo) -> str:
    return repo.git("diff", "--no-color")


def test_docbot_docstrings_diff_then_write_keeps_crlf_and_bom(
    git_repo: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    git_repo.write("pkg/crlf.py", b"def one(a):\r\n    return a\r\n")
    git_repo.write("pkg/bom.py", "\ufeffdef two():\n\treturn 2\n".encode())
    git_repo.write("pkg/done.py", 'def three():\n    """Documented."""\n')
    git_repo.commit("first")
    args = ["docstrings", "--repo", str(git_repo.path), "--all", "--cache", "none"]

    assert cli.main(args) == 0
    diff = capsys.readouterr().out
    assert "+++ b/pkg/crlf.py" in diff and "+++ b/pkg/bom.py" in diff and "done.py" not in diff
    assert _git_diff(git_repo) == ""  # --diff writes nothing
    # The printed diff applies as it is.
    subprocess.run(
        ["git", "-C", str(git_repo.path), "apply", "--check", "-"], input=diff.encode(), check=True
    )

    assert cli.main([*args, "--write"]) == 0
    crlf = (git_repo.path / "pkg/crlf.py").read_bytes()
    assert crlf.startswith(b'def one(a):\r\n    """') and b"\n" not in crlf.replace(b"\r\n", b"")
    bom = (git_repo.path / "pkg/bom.py").read_bytes()
    assert bom.startswith('\ufeffdef two():\n\t"""'.encode())
    # Nothing but added lines.
    changed = [line for line in _git_diff(git_repo).splitlines() if line[:1] in "+-"]
    assert all(line.startswith(("+++", "---", "+")) for line in changed)

    capsys.readouterr()
    assert cli.main(args) == 0  # a rerun has nothing left to add
    assert capsys.readouterr().out == ""


def test_docstrings_only_for_the_changed_files(git_repo: GitRepo, capsys: pytest.CaptureFixture[str]) -> None:
    git_repo.write("a.py", "def a():\n    pass\n")
    git_repo.commit("first")
    git_repo.write("b.py", "def b():\n    pass\n")
    git_repo.commit("second")
    assert cli.main(["docstrings", "--repo", str(git_repo.path), "--cache", "none"]) == 0
    out = capsys.readouterr().out
    assert "b/b.py" in out and "a.py" not in out


def test_the_cli_runs_as_a_process(git_repo: GitRepo) -> None:
    git_repo.write("a.py", "def a():\n    pass\n")
    git_repo.commit("first")
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "docbot",
            "docstrings",
            "--repo",
            str(git_repo.path),
            "--all",
            "--cache",
            "none",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert '+    """Function `a`, taking no arguments."""' in proc.stdout
    assert "1 docstring proposed in 1 file" in proc.stderr


def test_pages_and_docstrings_share_the_cache(git_repo: GitRepo, tmp_path: Path) -> None:
    """A symbol documented for its page is not asked for again for its docstring (same chunk keys)."""
    git_repo.write("calc.py", "def add(a, b):\n    return a + b\n")
    git_repo.commit("one")
    with running() as fake:
        clock = FakeClock()
        settings = settings_for(fake, repo=git_repo.path, cache_path=tmp_path / "c.sqlite3")
        provider = AnthropicProvider(settings.llm, clock=clock.now, sleep=clock.sleep)
        cache = SqliteCache(settings.cache.sqlite_path())
        try:
            report = run_local(
                git_repo.path, store=cache, provider=provider, settings=settings, base=ZERO_SHA
            )
            assert report.usage.requests == 2  # the chunk and the file's overview
            result = write_back(
                RunSpec(head="HEAD", base=ZERO_SHA),
                settings,
                git=Git(git_repo.path),
                cache=cache,
                provider=provider,
            )
        finally:
            cache.close()
        assert len(fake.seen) == 2  # the docstring came from the page's cached answer
    (edit,) = result.files[0].edits
    assert edit.lines[0] == '    """Summary of add.'


def test_line_separators_other_than_lf_neither_shift_lines_nor_reach_a_comment() -> None:
    source = 'X = "a\u2028b"\n\n\nexport function f(a) {\n  return a;\n}\n'
    syms = symbols.extract_symbols(source, "javascript", visibility="public")
    hostile = {s.id: SymbolDoc(name=s.id, summary="Line one\u2028return 1;") for s in syms}
    (edit,) = plan("javascript", source, syms, hostile)
    assert edit.start == 3  # the line of `export function`, counted as tree-sitter does
    new = apply("javascript", source, [edit])
    assert new is not None and "\u2028return" not in new


def test_a_doc_comment_under_a_macro_without_a_semicolon_is_read_back() -> None:
    # PYBIND11_NAMESPACE_BEGIN(detail) style: the parser's unfinished statement swallows the comment.
    source = "NAMESPACE_BEGIN(detail)\n\n// forward declarations\n/** Counts. */\nint count();\n"
    syms = symbols.extract_symbols(source, "cpp", visibility="public")
    assert [(s.id, s.docstring, s.start) for s in syms] == [("count", "forward declarations\nCounts.", 3)]
