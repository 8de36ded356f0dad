"""Markdown that reads the same on GitHub, MkDocs (Python-Markdown) and Docusaurus 3 (MDX).

Text from the code, its docstrings and the model is untrusted: rendered as it comes, a TypeScript type
``ReturnType<typeof f>["rest"]`` becomes an HTML tag that GitHub strips, and a ``{`` stops MDX from
compiling the page at all. Every piece of running text on a page goes through ``escape_text``; names go
through ``inline_code`` and signatures and examples through ``fenced_block``.

What the three renderers agree on decides each escape: a backslash before ``\\ ` * _ [ ]`` anywhere
and before a ``# + -`` that starts a line (Python-Markdown can backslash-escape only a few characters,
these among them); character references for what one of them reads as syntax and cannot escape
(``<`` ``>`` ``&`` ``{`` ``}`` ``|`` ``~``, and a ``:`` that starts a line, Docusaurus's ``:::``): MDX and
both Markdown dialects decode ``&#123;`` to a plain ``{``. Code spans in the text (``like this``) stay
code spans; the lines of a paragraph are joined, so no line but the first can start a block.
``escape_blocks`` is the one exception, for descriptions: it keeps the lists and code blocks a
docstring lays out (``render.blocks``) and escapes the text inside them the same way.

The only raw HTML docbot writes itself (here and in ``render.bodies``) is listed in ``ALLOWED_HTML``,
which ``render.safe`` imports: one list for what is written and what is let through.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

from docbot.render import blocks

# The one list of raw HTML docbot publishes (tag -> the attributes it may carry); ``safe.neutralise``
# escapes every other tag. On a page the only tag is ``<a id>``, the one explicit anchor all three
# renderers keep (MkDocs has no heading-id syntax that MDX accepts, and MDX rejects Python-Markdown's
# ``{#id}``); the pull request body and the comments also collapse sections (``<details>``,
# ``<summary>``, ``<code>`` in a summary); ``<a name>`` and ``<br>`` pass as harmless when the model
# writes them.
ALLOWED_HTML: Mapping[str, frozenset[str]] = {
    "details": frozenset({"open"}),
    "summary": frozenset(),
    "code": frozenset(),
    "a": frozenset({"id", "name"}),
    "br": frozenset(),
}

_BACKSLASHED = frozenset("\\`*_[]")
_REFERENCES = {c: f"&#{ord(c)};" for c in "{}|~"} | {"<": "&lt;", ">": "&gt;", "&": "&amp;"}
# How a line may start a block: an ordered list item ("1." "1)"), a heading, a bullet or a rule, a
# Docusaurus directive.
_ORDERED = re.compile(r"^(\d+)([.)])")
_LINE_START = {"#": "\\#", "+": "\\+", "-": "\\-", ":": "&#58;"}
_BACKTICKS = re.compile(r"`+")
_WHITESPACE = re.compile(r"\s+")


def _escape_char(c: str) -> str:
    if c in _BACKSLASHED:
        return "\\" + c
    return _REFERENCES.get(c, c)


# Emphasis a docstring means, and nothing else: the opening run follows no word character and is followed
# by a letter or digit (emphasis) or by anything but a space (strong); the closing run follows no space and
# is followed by no word character. So ``a * b * c``, ``x**2``, ``**kwargs`` and ``*.py`` stay as they are.
# Underscores emphasise only in doc comments written in Markdown (``UNDERSCORE_EMPHASIS``): in a Python
# docstring ``__init__`` and ``_private_`` are names.
def _strong(mark: str) -> re.Pattern[str]:
    m = re.escape(mark)
    return re.compile(rf"(?<![\w{m}\\]){m}{m}(?=[^\s{m}])(.+?)(?<=[^\s{m}]){m}{m}(?![\w{m}])")


def _emphasis(mark: str) -> re.Pattern[str]:
    m = re.escape(mark)
    return re.compile(rf"(?<![\w{m}\\]){m}(?=[^\W_])([^{m}]*?)(?<=[^\s{m}]){m}(?![\w{m}])")


# Strong before emphasis, so that ``**a *b* c**`` is strong holding emphasis.
_ASTERISKS = ((_strong("*"), "**"), (_emphasis("*"), "*"))
_UNDERSCORES = ((_strong("*"), "**"), (_strong("_"), "__"), (_emphasis("*"), "*"), (_emphasis("_"), "_"))
# The languages whose doc comments are Markdown (JSDoc, TSDoc, rustdoc): ``__bold__`` is strong there.
UNDERSCORE_EMPHASIS = frozenset({"typescript", "tsx", "javascript", "rust"})


# A Sphinx cross-reference role before a code span: ``:class:`~pkg.Box```, ``:py:meth:`Box.get```.
_ROLE = re.compile(r"(?<![\w:`]):(?:[a-z]+:)?[a-z]+:$")
_TITLED = re.compile(r"(.+?)\s*<([^<>]+)>")


def _roles(parts: list[tuple[bool, str]]) -> list[tuple[bool, str]]:
    """The pieces with each Sphinx role read as the reader sees it: the name it refers to as code
    (``~pkg.Box`` is ``pkg.Box``, which links as the module-qualified name), or its explicit title
    (``:ref:`the guide <guide>```) as text."""
    out: list[tuple[bool, str]] = []
    for is_code, part in parts:
        role = _ROLE.search(out[-1][1]) if is_code and out and not out[-1][0] else None
        if role is None:
            out.append((is_code, part))
            continue
        out[-1] = (False, out[-1][1][: role.start()])
        titled = _TITLED.fullmatch(part.strip())
        out.append((False, titled.group(1)) if titled else (True, part.strip().lstrip("~!.")))
    return out


class _Inline:
    """One piece of running text: its code spans (each a single backtick in ``text``, which is how the
    emphasis rules see it) and its prose, escaped character by character but for the emphasis and
    strong emphasis written around words. Their text is escaped like the rest, so no link, image or
    HTML rides inside, and every run of asterisks left unescaped is one CommonMark closes."""

    def __init__(self, piece: str, render_code: Callable[[str], str], *, underscores: bool = False) -> None:
        self.text = ""
        self.codes: dict[int, str] = {}  # position in ``text`` -> the rendered code span
        self.levels = _UNDERSCORES if underscores else _ASTERISKS
        for is_code, part in _roles(_split_code(piece)):
            if is_code:
                self.codes[len(self.text)] = render_code(part)
            self.text += "`" if is_code else part

    def render(self) -> str:
        return self._level(0, 0, len(self.text))

    def _plain(self, start: int, end: int) -> str:
        text, codes = self.text, self.codes
        return "".join(codes[i] if i in codes else _escape_char(text[i]) for i in range(start, end))

    def _level(self, level: int, start: int, end: int) -> str:
        """``text[start:end]`` with the marks of ``levels[level:]``: what lies between and inside the
        marks of one level is rendered with those of the next (strong holds emphasis), the last plain."""
        if level == len(self.levels):
            return self._plain(start, end)
        pattern, mark = self.levels[level]
        out, pos = [], start
        for match in pattern.finditer(self.text, start, end):
            inside = self._level(level + 1, *match.span(1))
            out += [self._level(level + 1, pos, match.start()), mark, inside, mark]
            pos = match.end()
        return "".join(out) + self._level(level + 1, pos, end)


def _inline(piece: str, render_code: Callable[[str], str], *, underscores: bool = False) -> str:
    """A piece of running text as Markdown (``_Inline``); the caller handles its lines."""
    return _Inline(piece, render_code, underscores=underscores).render()


def _escape_line(line: str, escape_span: Callable[[str], str]) -> str:
    # Leading spaces would make an indented code block (and MDX has none): they go. A leading "1." is
    # an ordered list in every dialect, so its dot is escaped. The start is checked once the line is
    # rendered: a Sphinx role it opens with is gone by then, and a role's title may open it instead.
    rendered = escape_span(line.strip())
    match = _ORDERED.match(rendered)
    if match:
        return match.group(1) + "\\" + rendered[match.end(1) :]
    if rendered[:1] in _LINE_START:
        return _LINE_START[rendered[0]] + rendered[1:]
    return rendered


def _split_code(text: str) -> list[tuple[bool, str]]:
    """``text`` as (is code, piece) pairs: a code span is a backtick run closed by a run of the same
    length (CommonMark's rule); an unmatched run is prose."""
    pieces: list[tuple[bool, str]] = []
    pos = 0
    prose_start = 0
    while True:
        opening = _BACKTICKS.search(text, pos)
        if opening is None:
            break
        fence = opening.group()
        closing = opening.end()
        found = None
        while (run := _BACKTICKS.search(text, closing)) is not None:
            if run.group() == fence:
                found = run
                break
            closing = run.end()
        if found is None:
            pos = opening.end()
            continue
        if opening.start() > prose_start:
            pieces.append((False, text[prose_start : opening.start()]))
        content = text[opening.end() : found.start()]
        if len(content) >= 2 and content[0] == " " and content[-1] == " " and content.strip():
            content = content[1:-1]
        pieces.append((True, content))
        pos = prose_start = found.end()
    if prose_start < len(text):
        pieces.append((False, text[prose_start:]))
    return pieces


def escape_text(
    text: str, *, inline: bool = False, code: Callable[[str], str] | None = None, underscores: bool = False
) -> str:
    """``text`` as Markdown that shows exactly these characters everywhere, its code spans kept.

    Args:
        text: running text from the code, a docstring or the model.
        inline: collapse all whitespace to single spaces (a list item, a heading, a table cell);
            otherwise paragraphs (blank lines) are kept and each line is cleaned on its own.
        code: renders each code span's content (default ``inline_code``); the cross-linker passes
            one that links names it knows.
        underscores: ``__strong__`` and ``_emphasis_`` are emphasis too (a doc comment in Markdown).

    Returns:
        Markdown with no raw HTML, no JSX and no block syntax of its own.
    """
    render_code = code or inline_code
    if inline:
        text = _WHITESPACE.sub(" ", text).strip()

    def span(piece: str) -> str:
        return _inline(piece, render_code, underscores=underscores)

    if inline:
        return _escape_line(text, span)
    paragraphs = re.split(r"\n[ \t]*\n", text.strip().replace("\r\n", "\n"))
    out = []
    for paragraph in paragraphs:
        # A code span may run over a line break: join the lines first, then split the spans.
        lines = [line.strip() for line in paragraph.split("\n") if line.strip()]
        if lines:
            out.append(_escape_line(" ".join(lines), span))
    return "\n\n".join(out)


def escape_blocks(
    text: str, *, code: Callable[[str], str] | None = None, lang: str = "", underscores: bool = False
) -> str:
    """A docstring's or model's description as Markdown that keeps its blocks, every piece escaped.

    Paragraphs, bullet and numbered lists (nested four spaces a level, which Python-Markdown needs),
    headings underlined in the text (shown bold: a page's own headings stay the page's), admonitions
    (a bold ``Warning:`` before their text) and code
    (literal ``::`` blocks, indented blocks, doctests, fences) come out as such; the text of each is
    escaped as ``escape_text`` escapes it, so none of it is raw HTML or a block of its own making.

    Args:
        text: the description (plain text laid out by docstring convention, or a model's Markdown).
        code: renders each code span's content, as for ``escape_text``.
        underscores: underscores emphasise too, as for ``escape_text``.
        lang: the fence tag of literal and indented code blocks (the page's language).
    """
    render_code = code or inline_code

    def span(piece: str) -> str:
        return _inline(piece, render_code, underscores=underscores)

    out: list[str] = []
    previous = ""
    for block in blocks.parse(text, lang):
        if block.kind == "code":
            rendered = fenced_block(block.text, block.lang)
        elif block.kind == "heading":
            rendered = f"**{span(block.text)}**"
        elif block.kind == "note":
            rendered = f"**{block.marker}:** {_escape_line(block.text, span)}"
        elif block.kind == "item":
            marker = "-" if block.marker in {"-", "*", "+"} else block.marker[:-1] + "."
            rendered = f"{'    ' * block.depth}{marker} {_escape_line(block.text, span)}"
        else:
            rendered = "    " * block.depth + _escape_line(block.text, span)
        if out:
            out.append("\n" if previous == block.kind == "item" else "\n\n")
        out.append(rendered)
        previous = block.kind
    return "".join(out)


def inline_code(text: str) -> str:
    """``text`` as one code span: the fence is one backtick longer than any run inside."""
    text = _WHITESPACE.sub(" ", text)
    longest = max((len(m.group()) for m in _BACKTICKS.finditer(text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith(("`", " ")) or text.endswith(("`", " ")) else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def fenced_block(code: str, lang: str = "") -> str:
    """``code`` as a fenced block tagged ``lang``: the fence is longer than any backtick run inside."""
    longest = max((len(m.group()) for m in _BACKTICKS.finditer(code)), default=0)
    fence = "`" * max(3, longest + 1)
    tag = re.sub(r"[^\w+#-]", "", lang)
    body = "\n".join(line.rstrip() for line in code.strip("\n").split("\n"))
    return f"{fence}{tag}\n{body}\n{fence}"


# What an anchor id docbot writes may hold; ``links.linked_anchors`` reads links to them by the same rule.
ANCHOR_ID = r"[a-z0-9_][a-z0-9._-]*"


def anchor(anchor_id: str) -> str:
    """The explicit anchor ``<a id="...">`` (in ``ALLOWED_HTML``); ``anchor_id`` is already a slug."""
    if not re.fullmatch(ANCHOR_ID, anchor_id):
        raise ValueError(f"anchor id {anchor_id!r}: use lower-case letters, digits, '.', '_' and '-'")
    return f'<a id="{anchor_id}"></a>'
