"""Docstrings written back into the source: the provider's answers as each language's own doc comments.

For every public function, method, class or type without a docstring (or, with ``update``, whose
docstring names other parameters than its signature has), an ``Edit`` inserts (or replaces) a doc
comment in the language's convention:

- Python: a docstring as the first statement of the body, in the file's detected style (Google, NumPy
  or reST, read from its existing docstrings with ``docstring_parser``; Google when there are none);
- JavaScript: JSDoc, TypeScript: TSDoc, Java: Javadoc, C and C++: Doxygen (``/** ... */`` blocks);
- Go: ``// Name ...`` line comments; Rust: ``///`` line comments.

Edits touch whole lines only, in the file's own indentation and line ending, and never anything but
comments: ``apply`` re-parses the result and refuses a file whose syntax tree without comments and
docstrings (``code_shape``) differs from the original's. The text comes from the model (or the offline
provider) and is untrusted: nothing in it can end the comment or the string it is written into.
"""

from __future__ import annotations

import difflib
import re
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import docstring_parser
import tree_sitter

from docbot import languages, symbols
from docbot.cache import Cache
from docbot.config import Settings
from docbot.docs import SymbolDoc, is_receiver, param_text, signature_params
from docbot.events import RunSpec
from docbot.filters import ATTRIBUTES, FileFilter
from docbot.git import Git
from docbot.llm.base import Provider
from docbot.merge import merge_file
from docbot.pipeline import chunk_key, document_chunks, list_changes, select_files
from docbot.symbols import Symbol

PythonStyle = Literal["google", "numpy", "rest"]
STYLES: tuple[str, ...] = ("auto", "google", "numpy", "rest")
LANGUAGES = frozenset({"python", "javascript", "typescript", "java", "go", "rust", "c", "cpp"})
_DOCUMENTED_KINDS = frozenset(
    {"function", "method", "property", "class", "interface", "struct", "enum", "trait", "type", "macro"}
)
# Control characters, and the ones some languages end a line at (U+2028 ends a JavaScript comment).
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f\x85\u2028\u2029]")


@dataclass(frozen=True)
class Edit:
    """Replace lines ``start``..``end`` (0-based, end exclusive; ``start == end`` inserts) with ``lines``."""

    symbol: str  # the symbol's id
    start: int
    end: int
    lines: tuple[str, ...]  # without line endings


# --- what needs a docstring ---


_IDENTIFIER = re.compile(r"[A-Za-z_$][\w$]*")
_TYPE_FIRST = frozenset({"java", "c", "cpp"})  # `int count`: the name comes last


def _names_in(param: str, language: str) -> list[str]:
    """The parameter names one declaration holds (Go's `a, b int` holds two)."""
    text = param.split("=", 1)[0].strip()
    if language == "go":
        *names, last = [part.strip() for part in text.split(",")]
        names.append(last.split()[0] if last.split() else last)
        return [n.lstrip(".") for n in names if n]
    if language in _TYPE_FIRST:
        found = _IDENTIFIER.findall(re.sub(r"\[.*?\]", "", text))
        return found[-1:] if found and found[-1] != "void" else []
    head = text.split(":", 1)[0]
    found = _IDENTIFIER.findall(head)
    return found[-1:] if found else []


def _param_names(sym: Symbol, language: str) -> list[str]:
    return [n for p in sym.params if not is_receiver(p, language) for n in _names_in(p, language)]


def documented_params(docstring: str) -> set[str] | None:
    """The parameter names an existing docstring documents, or ``None`` when it has no parameter section."""
    try:
        parsed = docstring_parser.parse(docstring)
    except docstring_parser.ParseError:
        return None
    names = {p.arg_name.split(":")[0].strip().lstrip("*") for p in parsed.params}
    return names or None


def is_outdated(sym: Symbol, language: str) -> bool:
    """The docstring documents parameters, and not the ones the signature has (added or removed)."""
    if not sym.docstring:
        return False
    documented = documented_params(sym.docstring)
    wanted = set(_param_names(sym, language))
    return documented is not None and documented != wanted


def wants_docstring(sym: Symbol, language: str, *, update: bool) -> bool:
    """A public function, method, class or type without a docstring (or an outdated one, with update)."""
    if not sym.public or sym.kind not in _DOCUMENTED_KINDS:
        return False
    if sym.name.startswith("<"):  # a Rust trait impl's method: the trait documents it
        return False
    return not sym.docstring or (update and is_outdated(sym, language))


# --- Python style ---


_STYLE_NAMES: Mapping[docstring_parser.DocstringStyle, PythonStyle] = {
    docstring_parser.DocstringStyle.GOOGLE: "google",
    docstring_parser.DocstringStyle.NUMPYDOC: "numpy",
    docstring_parser.DocstringStyle.REST: "rest",
}


def detect_style(docstrings: Sequence[str], default: PythonStyle = "google") -> PythonStyle:
    """The style most of ``docstrings`` with sections are written in; ``default`` when none has any."""
    seen: Counter[PythonStyle] = Counter()
    for text in docstrings:
        try:
            parsed = docstring_parser.parse(text)
        except docstring_parser.ParseError:
            continue
        style = _STYLE_NAMES.get(parsed.style) if parsed.style is not None else None
        if style is not None and parsed.meta:
            seen[style] += 1
    return seen.most_common(1)[0][0] if seen else default


# --- text: untrusted, made safe for the comment it goes into ---


def _clean(text: str) -> str:
    return _CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n")).strip()


def _one_line(text: str) -> str:
    """A summary, parameter, return or exception text on one line: each is written after a prefix (``///``,
    ``Args:`` indentation) that only its first line would get, and a Rust return type can bring its
    ``where`` clause along."""
    return " ".join(_clean(text).split())


def _prose(description: str) -> str:
    """A description without its own parameter sections (an outdated docstring's, say): those are rebuilt."""
    try:
        # The parsers read a first line as the summary: give them one, so "Args:" opens a section.
        parsed = docstring_parser.parse("Summary.\n\n" + description)
    except docstring_parser.ParseError:
        return description
    return (parsed.long_description or "") if parsed.meta else description


def _body(
    doc: SymbolDoc, sym: Symbol, language: str
) -> tuple[str, str, list[tuple[str, str]], str, list[str]]:
    """Summary, description, (param, text), returns, raises, all cleaned; params as the signature has them."""
    given = {name: _one_line(text) for name, text in doc.params}
    # What the offline provider says of an undocumented parameter: its declared type and default.
    facts = {p.name: _one_line(param_text(p, None)) for p in signature_params(sym, language)}
    params = []
    for name in _param_names(sym, language):
        text = given.get(name, "")
        declared = next((p for p in sym.params if name in _names_in(p, language)), name)
        # The offline provider repeats the declaration: say nothing rather than echo it.
        params.append((name, "" if text in {_one_line(declared), name, facts.get(name)} else text))
    returns = _one_line(doc.returns or "")
    description = _prose(_clean(doc.description))
    return _one_line(doc.summary), description, params, returns, [_one_line(r) for r in doc.raises]


def _python_text(doc: SymbolDoc, sym: Symbol, style: PythonStyle) -> list[str]:
    summary, description, params, returns, raises = _body(doc, sym, "python")
    lines = [summary]
    if description:
        lines += ["", *description.split("\n")]
    if style == "google":
        if params:
            lines += ["", "Args:", *(f"    {n}: {t}".rstrip() for n, t in params)]
        if returns:
            lines += ["", "Returns:", f"    {returns}"]
        if raises:
            lines += ["", "Raises:", *(f"    {r}" for r in raises)]
    elif style == "numpy":
        for title, entries in (("Parameters", params), ("Raises", [(r, "") for r in raises])):
            if entries:
                lines += ["", title, "-" * len(title)]
                for n, t in entries:
                    lines += [n] + ([f"    {t}"] if t else [])
        if returns:
            lines += ["", "Returns", "-------", returns]
    else:
        fields = [f":param {n}: {t}".rstrip() for n, t in params]
        fields += [f":returns: {returns}"] if returns else []
        fields += [f":raises {r}:" for r in raises]
        if fields:
            lines += ["", *fields]
    return lines


def python_docstring(doc: SymbolDoc, sym: Symbol, style: PythonStyle, indent: str) -> list[str]:
    """The docstring lines of ``sym`` at ``indent``: backslashes and quotes cannot end the string."""
    text = [line.replace("\\", "\\\\").replace('"""', '\\"\\"\\"') for line in _python_text(doc, sym, style)]
    if len(text) == 1 and len(indent) + len(text[0]) + 6 <= 100 and not text[0].endswith('"'):
        return [f'{indent}"""{text[0]}"""']
    first, *rest = text
    return [f'{indent}"""{first}', *(f"{indent}{line}".rstrip() for line in rest), f'{indent}"""']


def _block(lines: list[str], indent: str) -> list[str]:
    safe = [line.replace("*/", "*\\/") for line in lines]
    return [f"{indent}/**", *(f"{indent} * {line}".rstrip() for line in safe), f"{indent} */"]


def _tags(doc: SymbolDoc, sym: Symbol, language: str, *, param: str, returns: str, dash: bool) -> list[str]:
    summary, description, params, ret, raises = _body(doc, sym, language)
    lines = [summary] + (["", *description.split("\n")] if description else [])
    tags = [f"{param} {n}{' -' if dash and t else ''} {t}".rstrip() for n, t in params]
    tags += [f"{returns} {ret}"] if ret else []
    tags += [f"@throws {r}" for r in raises]
    return lines + (["", *tags] if tags else [])


def _go_name(sym: Symbol) -> str:
    return sym.name.rsplit(".", 1)[-1]


def _lead(name: str, summary: str) -> str:
    """Go's convention: the comment starts with the name ("Sum returns ...")."""
    if summary.startswith(name + " "):
        return summary
    word = summary[:1].lower() + summary[1:] if summary[1:2].islower() else summary
    return f"{name} {word}"


def comment_lines(language: str, doc: SymbolDoc, sym: Symbol, indent: str, style: PythonStyle) -> list[str]:
    """The doc comment of ``sym`` in ``language``'s convention, each line starting with ``indent``."""
    if language == "python":
        return python_docstring(doc, sym, style, indent)
    if language == "go":
        summary, description, _, _, _ = _body(doc, sym, language)
        text = [_lead(_go_name(sym), summary)] + (["", *description.split("\n")] if description else [])
        return [f"{indent}// {line}".rstrip() for line in text]
    if language == "rust":
        summary, description, params, ret, raises = _body(doc, sym, language)
        text = [summary] + (["", *description.split("\n")] if description else [])
        if params:
            text += ["", "# Arguments", "", *(f"* `{n}` - {t}".rstrip(" -") for n, t in params)]
        if ret:
            text += ["", "# Returns", "", ret]
        if raises:
            text += ["", "# Errors", "", *raises]
        return [f"{indent}/// {line}".rstrip() for line in text]
    if language == "typescript":
        return _block(_tags(doc, sym, language, param="@param", returns="@returns", dash=True), indent)
    if language in {"c", "cpp"}:
        lines = _tags(doc, sym, language, param="@param", returns="@return", dash=False)
        return _block(["@brief " + lines[0], *lines[1:]], indent)
    return _block(
        _tags(
            doc,
            sym,
            language,
            param="@param",
            returns="@return" if language == "java" else "@returns",
            dash=False,
        ),
        indent,
    )


# --- where the comment goes ---


def _indent_of(line: str) -> str:
    return line[: len(line) - len(line.lstrip(" \t"))]


def _python_definition(tree: tree_sitter.Tree, sym: Symbol) -> tree_sitter.Node | None:
    """The function or class node of ``sym``: the one named like it that starts within its lines."""
    name = sym.name.rsplit(".", 1)[-1]
    stack = [tree.root_node]
    while stack:
        node = stack.pop()
        if node.start_point.row > sym.end - 1 or node.end_point.row < sym.start - 1:
            continue
        if node.type in {"function_definition", "class_definition"} and sym.start - 1 <= node.start_point.row:
            found = node.child_by_field_name("name")
            if found is not None and found.text is not None and found.text.decode() == name:
                return node
        stack.extend(node.children)
    return None


def _python_docstring_node(body: tree_sitter.Node) -> tree_sitter.Node | None:
    statements = [c for c in body.named_children if c.type != "comment"]
    first = statements[0] if statements else None
    if first is not None and first.type == "expression_statement" and first.named_children:
        return first if first.named_children[0].type == "string" else None
    return None


def _header_end_row(node: tree_sitter.Node) -> int:
    colons = [c for c in node.children if c.type == ":"]
    return colons[-1].end_point.row if colons else node.start_point.row


def _python_edit(
    tree: tree_sitter.Tree, lines: list[str], sym: Symbol, doc: SymbolDoc, style: PythonStyle
) -> Edit | None:
    node = _python_definition(tree, sym)
    body = node.child_by_field_name("body") if node is not None else None
    if node is None or body is None:
        return None
    # What starts on a line of its own after the header (a comment on the `def` line stays there).
    header = _header_end_row(node)
    after = [c for c in body.named_children if c.start_point.row > header]
    if not after or any(c.type != "comment" and c.start_point.row <= header for c in body.named_children):
        return None  # `def f(): return 1`: no line of its own to put a docstring on
    first = after[0]
    if lines[first.start_point.row][: first.start_point.column].strip():
        return None  # the statement does not start its line
    indent = _indent_of(lines[first.start_point.row])
    old = _python_docstring_node(body)
    if old is not None:
        rest = lines[old.end_point.row][old.end_point.column :].strip()
        if rest and not rest.startswith("#"):
            return None  # more code after the docstring on its line: leave it alone
        if lines[old.start_point.row][: old.start_point.column].strip():
            return None
        start, end = old.start_point.row, old.end_point.row + 1
    else:
        start = end = first.start_point.row
    return Edit(sym.id, start, end, tuple(python_docstring(doc, sym, style, indent)))


_COMMENT_LINE = re.compile(r"\s*(//|/\*|\*|#!?\[doc)")


def _comment_edit(language: str, lines: list[str], sym: Symbol, doc: SymbolDoc) -> Edit | None:
    start = sym.start - 1
    end = start
    if sym.docstring:  # --update: the doc comment directly above, which Symbol.start includes
        while end < len(lines) and _COMMENT_LINE.match(lines[end]):
            end += 1
        if end == start:
            return None
    line = lines[end] if end < len(lines) else ""
    return Edit(sym.id, start, end, tuple(comment_lines(language, doc, sym, _indent_of(line), "google")))


def plan(
    language: str,
    source: str,
    syms: Sequence[Symbol],
    docs: Mapping[str, SymbolDoc],
    *,
    update: bool = False,
    style: str = "auto",
) -> list[Edit]:
    """The edits that give each symbol needing one (``wants_docstring``) its docstring, in line order.

    Args:
        language: a language in ``LANGUAGES``.
        source: the file's text.
        syms: its symbols (``symbols.extract_symbols``).
        docs: symbol id -> the provider's documentation.
        update: also rewrite docstrings whose parameters no longer match the signature.
        style: the Python docstring style, or ``auto`` to detect it from the file.
    """
    lines = split_lines(source)
    tree = symbols.parse(source, language)
    if tree is None:
        return []
    chosen: PythonStyle = "google"
    if language == "python":
        if style == "auto":
            chosen = detect_style([s.docstring for s in syms if s.docstring])
        elif style in _STYLE_NAMES.values():
            chosen = style  # type: ignore[assignment]
    edits: list[Edit] = []
    for sym in syms:
        doc = docs.get(sym.id)
        if doc is None or not doc.summary.strip() or not wants_docstring(sym, language, update=update):
            continue
        if language == "python":
            edit = _python_edit(tree, lines, sym, doc, chosen)
        else:
            edit = _comment_edit(language, lines, sym, doc)
        if edit is not None:
            edits.append(edit)
    # Two edits on the same lines (a symbol nested in one line with another): keep the first.
    kept: list[Edit] = []
    for edit in sorted(edits, key=lambda e: (e.start, e.end)):
        if not kept or (edit.start >= kept[-1].end and edit.start != kept[-1].start):
            kept.append(edit)
    return kept


# --- applying, and proving nothing but comments changed ---


def newline_of(source: str) -> str:
    """The file's line ending: CRLF when its first line ends with one, else LF."""
    first = source.split("\n", 1)[0]
    return "\r\n" if first.endswith("\r") and "\n" in source else "\n"


def split_lines(source: str, *, keepends: bool = False) -> list[str]:
    """The lines as tree-sitter counts them: split at LF only (``str.splitlines`` also splits at U+2028,
    form feeds and more, and its line numbers would drift from the syntax tree's rows)."""
    parts = source.split("\n")
    if keepends:
        return [p + "\n" for p in parts[:-1]] + ([parts[-1]] if parts[-1] else [])
    return [p.removesuffix("\r") for p in parts[:-1]] + ([parts[-1]] if parts[-1] else [])


def apply_edits(source: str, edits: Sequence[Edit]) -> str:
    """``source`` with ``edits`` applied (whole lines, the file's own line ending)."""
    newline = newline_of(source)
    lines = split_lines(source, keepends=True)
    for edit in sorted(edits, key=lambda e: e.start, reverse=True):
        new = [line + newline for line in edit.lines]
        if edit.start >= len(lines) and lines and not lines[-1].endswith("\n"):
            lines[-1] += newline
        lines[edit.start : edit.end] = new
    return "".join(lines)


def _is_docstring(node: tree_sitter.Node) -> bool:
    if node.type != "expression_statement" or len(node.named_children) != 1:
        return False
    if node.named_children[0].type not in {"string", "concatenated_string"}:
        return False
    parent = node.parent
    if parent is None or parent.type not in {"module", "block"}:
        return False
    return next(c for c in parent.named_children if c.type != "comment") == node


def code_shape(language: str, source: str) -> list[tuple[str, bytes]]:
    """The syntax tree of ``source`` without comments and docstrings: (node type, leaf text) in order."""
    tree = symbols.parse(source, language)
    assert tree is not None, f"{language} has no grammar"
    out: list[tuple[str, bytes]] = []

    def walk(node: tree_sitter.Node) -> Iterator[tuple[str, bytes]]:
        stack = [node]
        while stack:
            current = stack.pop()
            if "comment" in current.type or (language == "python" and _is_docstring(current)):
                continue
            leaf = current.text or b"" if current.child_count == 0 else b""
            yield current.type, leaf
            stack.extend(reversed(current.children))

    out.extend(walk(tree.root_node))
    return out


def apply(language: str, source: str, edits: Sequence[Edit]) -> str | None:
    """``source`` with ``edits``, or ``None`` when the result would differ in more than comments."""
    if not edits:
        return source
    new = apply_edits(source, edits)
    if code_shape(language, new) != code_shape(language, source):
        return None
    return new


def comment_only(f: FileEdits) -> bool:
    """Whether ``f``'s new text differs from its old one in comments and docstrings only: checked again
    right before a commit, whatever produced the ``FileEdits``."""
    return code_shape(f.language, f.new) == code_shape(f.language, f.old)


def unified_diff(path: str, old: str, new: str) -> str:
    """A ``git apply``-able unified diff of one file (``a/`` and ``b/`` prefixes)."""
    diff = difflib.unified_diff(
        split_lines(old, keepends=True), split_lines(new, keepends=True), f"a/{path}", f"b/{path}"
    )
    return "".join(
        line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in diff
    )


def supported(language: str | None) -> bool:
    """Whether docbot writes doc comments for ``language``."""
    return language in LANGUAGES and languages.spec(language).has_grammar


# --- one run: which files, the provider's answers (the pages' cache), the edits ---


@dataclass(frozen=True)
class FileEdits:
    """One file's docstrings: its text before and after, the edits, and why it was left alone if so."""

    path: str
    language: str
    old: str
    new: str
    edits: tuple[Edit, ...]
    changed_lines: tuple[tuple[int, int], ...] = ()  # of the change being documented (1-based)
    refused: str | None = None


@dataclass(frozen=True)
class DocstringsResult:
    files: tuple[FileEdits, ...]
    skipped: tuple[tuple[str, str], ...] = ()  # (path, reason)
    failed: tuple[tuple[str, str], ...] = ()

    def diff(self) -> str:
        return "".join(unified_diff(f.path, f.old, f.new) for f in self.files if f.new != f.old)


def write_back(
    spec: RunSpec,
    settings: Settings,
    *,
    git: Git,
    cache: Cache,
    provider: Provider,
    update: bool = False,
    style: str = "auto",
) -> DocstringsResult:
    """The docstrings of the files ``spec`` covers, as edits of the working tree's text (nothing written).

    The provider is asked through ``pipeline.document_chunks``, so a symbol's docstring comes from the
    same cached answer as its page section, and the other way round.

    Raises:
        GitError: a revision is missing or git failed.
    """
    _, changes = list_changes(spec, git)
    wanted = [c for c in changes if c.status != "deleted" and supported(languages.language_for(c.path))]
    present = [c.path for c in wanted]
    file_filter = FileFilter.from_settings(
        settings.files, out_dir=settings.out_dir, attributes=git.attributes(None, present, ATTRIBUTES)
    )
    texts: dict[str, bytes] = {}
    skipped: list[tuple[str, str]] = []
    for change in wanted:
        path = settings.repo / change.path
        if path.is_symlink() or not path.is_file():
            skipped.append((change.path, "not a file in the working tree"))
            continue
        texts[change.path] = path.read_bytes()
    selection = select_files(
        [c for c in wanted if c.path in texts],
        out_dir=settings.out_dir,
        chunking=settings.chunking,
        read=lambda p: texts[p],
        file_filter=file_filter,
    )
    skipped += [(o.path, o.reason) for o in selection.skipped]
    needy = [
        f for f in selection.files if any(wants_docstring(s, f.language, update=update) for s in f.symbols)
    ]
    answers = document_chunks(
        needy, cache=cache, provider=provider, max_concurrency=settings.llm.max_concurrency, force=spec.force
    )
    lines_of = {c.path: c.changed_lines for c in wanted}
    results: list[FileEdits] = []
    failed: list[tuple[str, str]] = []
    for f in needy:
        keys = [chunk_key(c, provider) for c in f.chunks]
        errors = [answers.errors[k] for k in keys if k in answers.errors]
        if errors:
            failed.append((f.path, errors[0]))
            continue
        doc = merge_file(
            path=f.path,
            language=f.language,
            source_sha256=f.source_sha256,
            total_lines=f.total_lines,
            symbols=list(f.symbols),
            chunk_docs=[answers.docs[k] for k in keys],
            chunks=f.chunks,
        )
        source = texts[f.path].decode("utf-8")
        edits = plan(
            f.language,
            source,
            f.symbols,
            {s.symbol.id: s.doc for s in doc.sections},
            update=update,
            style=style,
        )
        new = apply(f.language, source, edits)
        refused = None if new is not None else "the edit would change more than comments; left as it is"
        results.append(
            FileEdits(
                f.path,
                f.language,
                source,
                new or source,
                tuple(edits if new else ()),
                lines_of[f.path],
                refused,
            )
        )
    return DocstringsResult(tuple(results), tuple(skipped), tuple(failed))
