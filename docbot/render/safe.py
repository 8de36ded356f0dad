"""Text from code and from the model, made safe to publish: ``neutralise(markdown)``.

Docstrings and model answers reach pages, the pull request body, the sticky comment and the job summary.
Each publisher passes what it sends through ``neutralise`` last, so whatever the renderer let through:

- ``@user`` and ``@org/team`` outside code get a zero-width joiner after the ``@``: they read the same
  but GitHub notifies nobody;
- HTML outside code is escaped unless it is a tag of ``render.markdown.ALLOWED_HTML`` (the one list of
  the HTML docbot writes) with only the attributes listed there (GitHub strips other tags silently,
  MkDocs passes them through, MDX compiles them as JSX);
- a link whose destination has a scheme other than ``http``/``https`` (``javascript:``, ``data:``,
  ``vbscript:``...) points to ``#`` instead; relative links are kept;
- docbot's own hidden markers and commit trailer are removed outside code; inside code (where a reader
  wants to see them, say in the docs of a constant that holds one) a zero-width joiner is put inside
  them (``<!-\u200d- docbot``, ``Docbot\u200d-Generated``): they read the same but no longer match, so
  text carrying them is never taken for docbot's own comment, pull request or commit;
- the trigger phrase is removed outside code, where a reader (and ``events.parse_command``) would take
  a line starting with it for a ``/docbot`` command; in code it stays, so the docs of code that names
  the command still show it.

A leading marker line or YAML front matter, which docbot writes itself, is kept as it is. The function is
idempotent, so text that passes through it twice is unchanged the second time.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Iterator

from docbot.markers import PULL_REQUEST, REPLY, STICKY_COMMENT, TRAILER, is_generated
from docbot.render.markdown import ALLOWED_HTML

DEFAULT_TRIGGER = "/docbot"
SAFE_SCHEMES = frozenset({"http", "https"})
ZWJ = "\u200d"

_OWN_MARKERS = (STICKY_COMMENT, PULL_REQUEST, REPLY)
# Any HTML comment that starts like docbot's markers, and an unterminated start of one.
_MARKER = re.compile(r"<!--\s*docbot.*?(?:-->|(?=\n)|$)", re.IGNORECASE)
_TRAILER = re.compile(re.escape(TRAILER), re.IGNORECASE)
# Where a zero-width joiner breaks a marker in code: inside its ``<!--`` and after the trailer's first word.
_MARKER_IN_CODE = re.compile(r"<!-(?=-\s*docbot)", re.IGNORECASE)
_TRAILER_IN_CODE = re.compile(r"(?<=docbot)(?=-generated:\s*true)", re.IGNORECASE)
_FENCE = re.compile(r" {0,3}(`{3,}|~{3,})")
_BACKTICKS = re.compile(r"`+")
# After a character that can end a word, an address or a path, an @ is not a mention.
_MENTION = re.compile(r"(?<![A-Za-z0-9_`@/])@(?=[A-Za-z0-9])")
_TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9-]*)((?:\s[^<>]*)?)/?>")
_ATTR = re.compile(r"""\s*([^\s=/>"']+)(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s"'=<>`]+))?""")
_AUTOLINK = re.compile(r"<([A-Za-z][A-Za-z0-9+.-]{1,31}):[^\s<>]*>")
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*):")
_REF_DEF = re.compile(r"^( {0,3}\[[^\]\n]+\]:[ \t]*)(<[^>\n]*>|\S+)", re.MULTILINE)
_CONTROL = re.compile(r"[\x00-\x20\x7f]+")
_ESCAPED = re.compile(r"\\([!-/:-@\[-`{-~])")


def neutralise(markdown: str, *, trigger_phrase: str = DEFAULT_TRIGGER) -> str:
    """``markdown`` with mentions, HTML, unsafe links, docbot's markers and the trigger phrase defused."""
    head, body = _split_head(markdown)
    phrases = {DEFAULT_TRIGGER, trigger_phrase}
    out = [
        _defuse_code(chunk) if is_code else _defuse_text(chunk, phrases) for is_code, chunk in _segments(body)
    ]
    return head + "".join(out)


def _defuse_code(code: str) -> str:
    """``code`` with docbot's markers and trailer broken by a zero-width joiner, the rest as it is."""
    return _TRAILER_IN_CODE.sub(ZWJ, _MARKER_IN_CODE.sub("<!-" + ZWJ, code))


def _split_head(text: str) -> tuple[str, str]:
    """The leading marker line and/or YAML front matter docbot wrote, and the rest."""
    head = ""
    first, newline, rest = text.partition("\n")
    if newline and (is_generated(first) or first.rstrip("\r") in _OWN_MARKERS):
        head, text = first + newline, rest
    if text.startswith("---\n"):
        end = text.find("\n---\n", 3)
        if end != -1:
            head += text[: end + 5]
            text = text[end + 5 :]
    return head, text


def _segments(text: str) -> Iterator[tuple[bool, str]]:
    """``(is_code, chunk)`` pieces of ``text`` in order: fenced blocks and code spans are code."""
    lines = text.splitlines(keepends=True)
    prose: list[str] = []
    index = 0
    while index < len(lines):
        opening = _FENCE.match(lines[index])
        if opening is None:
            prose.append(lines[index])
            index += 1
            continue
        yield from _inline_segments("".join(prose))
        prose = []
        fence = opening.group(1)
        end = index + 1
        while end < len(lines) and not _closes(lines[end], fence):
            end += 1
        yield True, "".join(lines[index : end + 1])  # an unclosed fence runs to the end, as in CommonMark
        index = end + 1
    yield from _inline_segments("".join(prose))


def _closes(line: str, fence: str) -> bool:
    match = _FENCE.match(line)
    return bool(
        match
        and match.group(1)[0] == fence[0]
        and len(match.group(1)) >= len(fence)
        and not line[match.end() :].strip()
    )


def _inline_segments(text: str) -> Iterator[tuple[bool, str]]:
    """Code spans (a backtick run closed by a run of the same length in the same paragraph) and the rest."""
    start = 0
    pos = 0
    while (run := _BACKTICKS.search(text, pos)) is not None:
        if _escaped(text, run.start()):
            pos = run.start() + 1
            continue
        closing = _closing_run(text, run.end(), len(run.group()))
        if closing is None:
            pos = run.end()
            continue
        if run.start() > start:
            yield False, text[start : run.start()]
        yield True, text[run.start() : closing]
        start = pos = closing
    if start < len(text):
        yield False, text[start:]


def _closing_run(text: str, pos: int, width: int) -> int | None:
    paragraph_end = re.search(r"\n[ \t]*\n", text[pos:])
    limit = pos + paragraph_end.start() if paragraph_end else len(text)
    for run in _BACKTICKS.finditer(text, pos, limit):
        if len(run.group()) == width:
            return run.end()
    return None


def _escaped(text: str, index: int) -> bool:
    """True when an odd number of backslashes precede ``text[index]``."""
    count = 0
    while index - count - 1 >= 0 and text[index - count - 1] == "\\":
        count += 1
    return count % 2 == 1


def _defuse_text(text: str, trigger_phrases: Iterable[str]) -> str:
    text = _TRAILER.sub("", _MARKER.sub("", text))
    for phrase in trigger_phrases:
        text = re.sub(rf"(?<![\w/]){re.escape(phrase)}(?![\w/-])", "", text, flags=re.IGNORECASE)
    text = _defuse_links(text)
    text = _defuse_html(text)
    return _MENTION.sub("@" + ZWJ, text)


def _defuse_html(text: str) -> str:
    """Escape every ``<`` that would open HTML (or an autolink of an unsafe scheme) but allowed tags."""
    out: list[str] = []
    pos = 0
    for index in (m.start() for m in re.finditer("<", text)):
        if index < pos or _escaped(text, index):
            continue
        if _allowed_at(text, index):
            continue
        if re.match(r"<[A-Za-z/!?]", text[index:]):
            out.append(text[pos:index] + "&lt;")
            pos = index + 1
    out.append(text[pos:])
    return "".join(out)


def _allowed_at(text: str, index: int) -> bool:
    autolink = _AUTOLINK.match(text, index)
    if autolink:
        return autolink.group(1).lower() in SAFE_SCHEMES
    tag = _TAG.match(text, index)
    if tag is None:
        return False
    closing, name, attrs = tag.group(1), tag.group(2).lower(), tag.group(3)
    if name not in ALLOWED_HTML:
        return False
    if closing:
        return not attrs.strip()
    names = [m.group(1).lower() for m in _ATTR.finditer(attrs) if m.group(1)]
    return all(attr in ALLOWED_HTML[name] for attr in names)


def _defuse_links(text: str) -> str:
    """Point inline links and reference definitions with an unsafe scheme at ``#``."""
    out: list[str] = []
    pos = 0
    for match in re.finditer(r"\]\(", text):
        start = match.end()
        if start < pos or _escaped(text, match.start()):
            continue
        dest_start, dest_end = _destination(text, start)
        if _unsafe(text[dest_start:dest_end]):
            out.append(text[pos:dest_start] + "#")
            pos = dest_end
    out.append(text[pos:])
    text = "".join(out)
    return _REF_DEF.sub(lambda m: m.group(1) + ("#" if _unsafe(m.group(2)) else m.group(2)), text)


def _destination(text: str, start: int) -> tuple[int, int]:
    """The span of an inline link's destination that begins at or after ``start`` (after ``](``)."""
    begin = start
    while begin < len(text) and text[begin] in " \t\n":
        begin += 1
    if begin < len(text) and text[begin] == "<":
        close = text.find(">", begin)
        return begin, (close + 1 if close != -1 else len(text))
    depth, end = 0, begin
    while end < len(text) and not text[end].isspace():
        char = text[end]
        if char == "\\" and end + 1 < len(text):
            end += 2
            continue
        if char == "(":
            depth += 1
        elif char == ")":
            if depth == 0:
                break
            depth -= 1
        end += 1
    return begin, end


def _unsafe(destination: str) -> bool:
    """True when the destination, read the way a browser reads it, has a scheme other than http(s)."""
    plain = _CONTROL.sub("", html.unescape(_ESCAPED.sub(r"\1", destination.strip("<>"))))
    scheme = _SCHEME.match(plain)
    return scheme is not None and scheme.group(1).lower() not in SAFE_SCHEMES
