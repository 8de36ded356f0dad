"""Existing documentation, parsed: a docstring or doc comment -> one ``DocComment``.

Python docstrings (Google, NumPy, reST/Sphinx, Epydoc) are read by ``docstring_parser``; the reST
version directives it leaves in the text (``.. versionadded::``, ``.. versionchanged::``,
``.. deprecated::``) are lifted out here. Doc comments of the other languages (JSDoc/TSDoc, Javadoc,
Doxygen ``/** */`` and ``\\param``, Rust ``///`` with ``# Examples``/``# Panics``/``# Errors``
sections, Go's ``Deprecated:`` paragraph) share one small tag reader. The symbol extractor has already
removed the comment markers, so both readers see plain text.

Whatever is parsed never reaches a page raw: fields become ``params``/``returns``/``raises``/...,
and a tag docbot does not know becomes a one-line note.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import docstring_parser
import docstring_parser.google

from docbot.render.blocks import LIST_MARKER

_SENTENCE_END = re.compile(r"(?<=[.!?])\s")
_LIST_ITEM = re.compile(rf"\s*(?:{LIST_MARKER})\s+\S")


@dataclass(frozen=True)
class Param:
    """One documented parameter; ``type`` and ``default`` only where the documentation says them."""

    name: str
    type: str | None = None
    default: str | None = None
    description: str = ""
    optional: bool = False  # may be left out, with no default written (TypeScript's `x?`, JSDoc's `[x]`)


@dataclass(frozen=True)
class Raised:
    """An error the documentation says is raised (or a Rust panic/error condition)."""

    type: str | None
    description: str = ""


@dataclass(frozen=True)
class Version:
    """A version note: ``kind`` is ``added``, ``changed``, ``deprecated`` or ``since``."""

    kind: str
    version: str | None
    text: str = ""

    def sentence(self) -> str:
        lead = {
            "added": "Added in",
            "changed": "Changed in",
            "deprecated": "Deprecated since",
            "since": "Since",
        }[self.kind]
        if self.version:
            head = f"{lead} {self.version}"
        else:
            head = "Deprecated" if self.kind == "deprecated" else lead.rsplit(" ", 1)[0]
        return f"{head}: {self.text}" if self.text else f"{head}."


@dataclass(frozen=True)
class DocComment:
    """Everything a docstring or doc comment says, as structure."""

    summary: str = ""
    description: str = ""
    params: tuple[Param, ...] = ()
    returns: str | None = None
    returns_type: str | None = None
    raises: tuple[Raised, ...] = ()
    examples: tuple[str, ...] = ()
    versions: tuple[Version, ...] = ()
    notes: tuple[str, ...] = ()  # tags with no section of their own (``@see``, ``@author`` ...)

    @property
    def deprecated(self) -> bool:
        return any(v.kind == "deprecated" for v in self.versions)

    def param(self, name: str) -> Param | None:
        bare = name.lstrip("*&$")
        return next((p for p in self.params if p.name.lstrip("*&$") == bare), None)


def parse(text: str | None, language: str) -> DocComment:
    """The structure of ``text`` (a docstring for Python, a comment's text for the other languages)."""
    if not text or not text.strip():
        return DocComment()
    if language == "python":
        return _python(text)
    if language == "rust":
        text = rust_visible(text)
    return _tagged(text)


_RUST_FENCE = re.compile(r"^\s*```+\s*(\S*)")
_RUST_HIDDEN = re.compile(r"^\s*#(?:\s|$)")


def rust_visible(text: str) -> str:
    """``text`` as rustdoc shows it: in a Rust code block, a line that starts with ``# `` (or is ``#``)
    is compiled but hidden (``# fn main() {``), and ``##`` is a literal ``#``."""
    out: list[str] = []
    rust = False
    fenced = False
    for line in text.split("\n"):
        fence = _RUST_FENCE.match(line)
        if fence:
            rust = not fenced and (fence.group(1) in {"", "rust"} or fence.group(1).startswith("rust,"))
            fenced = not fenced
        elif fenced and rust and _RUST_HIDDEN.match(line):
            continue
        elif fenced and rust and line.lstrip().startswith("##"):
            line = line.replace("##", "#", 1)
        out.append(line)
    return "\n".join(out)


def split_summary(text: str) -> tuple[str, str]:
    """The first sentence of the first paragraph, and everything after it.

    The rest keeps its lines, so a list that follows the summary line without a blank line in between
    stays a list (and is never read into the summary).
    """
    paragraphs = text.strip().split("\n\n", 1)
    lines = paragraphs[0].split("\n")
    cut = next((i for i, line in enumerate(lines) if i and _LIST_ITEM.match(line)), len(lines))
    parts = _SENTENCE_END.split("\n".join(lines[:cut]), maxsplit=1)
    rest = "\n".join(([parts[1].strip()] if len(parts) > 1 else []) + lines[cut:]).strip()
    tail = paragraphs[1].strip() if len(paragraphs) > 1 else ""
    return " ".join(parts[0].split()), "\n\n".join(p for p in (rest, tail) if p)


# --- Python ---

_DIRECTIVE = re.compile(r"^\.\. (versionadded|versionchanged|deprecated)::[ \t]*(\S*)[ \t]*(.*)$")
_ATTRIBUTE_FIELDS = frozenset({"attribute", "attr", "var", "ivar", "cvar"})  # a class's, not a call's
_VERSION_KINDS = {"versionadded": "added", "versionchanged": "changed", "deprecated": "deprecated"}


def _lift_directives(text: str) -> tuple[str, list[Version]]:
    """``text`` without its version directives (and their indented bodies), and those directives."""
    kept: list[str] = []
    versions: list[Version] = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        match = _DIRECTIVE.match(lines[i].strip())
        if not match:
            kept.append(lines[i])
            i += 1
            continue
        body = [match.group(3)] if match.group(3) else []
        indent = _indent(lines[i])
        i += 1
        while i < len(lines):
            line = lines[i]
            following = line if line.strip() else (lines[i + 1] if i + 1 < len(lines) else "")
            if not following.strip() or _indent(following) <= indent:
                break  # the body is the indented block right under the directive
            body.append(line.strip())
            i += 1
        text_of = " ".join(part for part in body if part)
        versions.append(Version(_VERSION_KINDS[match.group(1)], match.group(2) or None, text_of))
    return "\n".join(kept), versions


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


# Prose sections with no field of their own (Google's ``Note:``, NumPy's ``Notes`` ...): docstring_parser
# drops Google's and files NumPy's away as bare meta, so they are read here and kept in the description
# under their title.
_PROSE_SECTIONS = {
    "note": "Note",
    "notes": "Notes",
    "warning": "Warning",
    "warnings": "Warnings",
    "todo": "Todo",
    "tip": "Tip",
    "hint": "Hint",
    "important": "Important",
    "attention": "Attention",
    "caution": "Caution",
    "see_also": "See also",
    "references": "References",
}


@functools.cache
def _google_parser() -> docstring_parser.google.GoogleParser:
    # Built once: adding each section recompiles the parser's title pattern, and parsing never
    # changes it, so one parser serves every docstring (and every thread).
    parser = docstring_parser.google.GoogleParser()
    for key, title in _PROSE_SECTIONS.items():
        for spelling in {title, title.title()}:
            parser.add_section(
                docstring_parser.google.Section(spelling, key, docstring_parser.google.SectionType.SINGULAR)
            )
    return parser


def _parse_python(text: str) -> docstring_parser.Docstring:
    doc = docstring_parser.parse(text)
    if doc.style == docstring_parser.DocstringStyle.GOOGLE:
        doc = _google_parser().parse(text)
    return doc


def _prose_sections(doc: docstring_parser.Docstring) -> list[str]:
    """Each prose section as a titled block (the title underlined, as NumPy writes it)."""
    out = []
    for meta in doc.meta:
        key = meta.args[0] if meta.args else ""
        if type(meta) is docstring_parser.DocstringMeta and key in _PROSE_SECTIONS and meta.description:
            title = _PROSE_SECTIONS[key]
            out.append(f"{title}\n{'-' * len(title)}\n{meta.description.strip()}")
    return out


def _python(text: str) -> DocComment:
    text, versions = _lift_directives(text)
    try:
        doc = _parse_python(text)
    except docstring_parser.ParseError:
        summary, description = split_summary(text)
        return DocComment(summary=summary, description=description, versions=tuple(versions))
    joiner = "\n\n" if doc.blank_after_short_description else "\n"
    prose = joiner.join(p for p in (doc.short_description, doc.long_description) if p)
    prose = "\n\n".join([prose, *_prose_sections(doc)]) if prose else prose
    summary, description = split_summary(prose) if prose else ("", "")
    params = tuple(
        Param(
            name=p.arg_name,
            type=p.type_name or None,
            default=p.default,
            description=" ".join((p.description or "").split()),
        )
        for p in doc.params
        if not p.args or p.args[0] not in _ATTRIBUTE_FIELDS
    )
    returns = doc.returns
    if doc.deprecation is not None:
        versions.append(Version("deprecated", doc.deprecation.version, doc.deprecation.description or ""))
    examples = tuple(
        "\n".join(part for part in (e.snippet, e.description) if part).strip() for e in doc.examples
    )
    return DocComment(
        summary=summary,
        description=description,
        params=params,
        returns=(returns.description or None) if returns else None,
        returns_type=(returns.type_name or None) if returns else None,
        raises=tuple(
            Raised(r.type_name or None, " ".join((r.description or "").split())) for r in doc.raises
        ),
        examples=tuple(e for e in examples if e),
        versions=tuple(versions),
    )


# --- tagged doc comments: JSDoc/TSDoc, Javadoc, Doxygen, Rust, Go ---

# A block tag written mid-line (``/** Pick one. @param x what */``) starts its own line.
_MIDLINE_TAG = re.compile(
    r"\s+(?=@(?:param|arg|argument|returns?|throws?|exception|example|deprecated|since|see|remarks)\b)"
)
_TAG = re.compile(r"^[@\\](\w+)(?:\[[^\]]*\])?(?:\s+|$)(.*)$")
_BRACED_TYPE = re.compile(r"^\{([^{}]*(?:\{[^{}]*\}[^{}]*)*)\}\s*")
_YARD_TYPE = re.compile(r"^\[([^\]]*)\]\s*")  # Ruby's YARD: @param name [Type] text, @return [Type] text
_INLINE = re.compile(r"\{@(?:code|link|linkplain|literal)\s+([^}]*)\}")
_RUST_HEADING = re.compile(r"^#\s+(Examples?|Panics|Errors|Safety|Arguments|Returns)\s*$")
_GO_DEPRECATED = re.compile(r"^Deprecated:\s*(.*)$", re.DOTALL)
_PARAM_TAGS = {"param", "arg", "argument", "tparam", "typeparam", "template"}
_RETURN_TAGS = {"return", "returns", "retval", "result"}
_RAISE_TAGS = {"throws", "throw", "exception", "raise", "raises"}
_SKIP_TAGS = {"brief", "details", "fn", "func", "function", "method", "class", "struct", "file", "module"}


def _inline(text: str) -> str:
    return _INLINE.sub(lambda m: f"`{m.group(1).strip()}`", text)


def _blocks(text: str) -> tuple[list[str], list[tuple[str, str]]]:
    """Prose lines before the first tag, and ``(tag, text)`` for each tag (continuations joined)."""
    prose: list[str] = []
    tags: list[tuple[str, list[str]]] = []
    fenced = False
    for line in _MIDLINE_TAG.sub("\n", text).splitlines():
        if line.strip().startswith("```"):
            fenced = not fenced
        match = None if fenced else _TAG.match(line.strip())
        if match:
            tags.append((match.group(1).lower(), [match.group(2)]))
        elif tags:
            tags[-1][1].append(line)
        else:
            prose.append(line)
    return prose, [(tag, "\n".join(body).strip()) for tag, body in tags]


def _param(body: str) -> Param:
    typ = None
    match = _BRACED_TYPE.match(body)
    if match:
        typ, body = match.group(1).strip(), body[match.end() :]
    name, _, rest = body.partition(" ")
    default = None
    optional = name.startswith("[") and name.endswith("]")
    if optional:  # JSDoc optional: [name] or [name=default]
        name, _, default_text = name[1:-1].partition("=")
        default = default_text or None
    description = rest.strip()
    yard = _YARD_TYPE.match(description)
    if yard and typ is None:
        typ, description = yard.group(1).strip(), description[yard.end() :]
    description = description[1:].strip() if description.startswith("-") else description
    return Param(
        name=name,
        type=typ,
        default=default,
        description=" ".join(_inline(description).split()),
        optional=optional,
    )


def _typed(body: str) -> tuple[str | None, str]:
    match = _BRACED_TYPE.match(body) or _YARD_TYPE.match(body)
    if match:
        return match.group(1).strip(), " ".join(_inline(body[match.end() :]).split())
    return None, " ".join(_inline(body).split())


@dataclass
class _Sections:
    """What Rust's conventional sections say, and the prose around them."""

    kept: list[str] = field(default_factory=list)
    examples: list[str] = field(default_factory=list)
    raises: list[Raised] = field(default_factory=list)
    params: list[Param] = field(default_factory=list)
    returns: str | None = None


# An item of a `# Arguments` list: "* `name` - what it is" (also `-` bullets and `:` after the name).
_RUST_ARGUMENT = re.compile(r"^[*-]\s+`?([A-Za-z_]\w*)`?\s*(?:-|:|\u2013|\u2014)\s*(.*)$")


def _rust_arguments(text: str) -> list[Param]:
    """The parameters a ``# Arguments`` list documents (empty when it is not such a list)."""
    params: list[Param] = []
    for line in text.splitlines():
        match = _RUST_ARGUMENT.match(line.strip())
        if match:
            params.append(Param(match.group(1), description=match.group(2).strip()))
        elif params and line.strip():  # a wrapped item goes on
            last = params[-1]
            params[-1] = replace(last, description=f"{last.description} {line.strip()}".strip())
        elif line.strip():
            return []
    return [replace(p, description=" ".join(_inline(p.description).split())) for p in params]


def _rust_sections(prose: list[str]) -> _Sections:
    """Rust's conventional ``# Examples`` / ``# Panics`` / ``# Errors`` / ``# Arguments`` / ``# Returns``
    sections lifted out of the prose."""
    out = _Sections()
    section: str | None = None
    body: list[str] = []

    def close() -> None:
        text = "\n".join(body).strip()
        arguments = _rust_arguments(text) if section == "Arguments" else []
        if section in {"Example", "Examples"} and text:
            code = re.findall(r"```[^\n]*\n(.*?)```", text, re.DOTALL)
            out.examples.extend(c.strip() for c in code) if code else out.examples.append(text)
        elif section in {"Panics", "Errors"} and text:
            out.raises.append(Raised("panic" if section == "Panics" else "error", " ".join(text.split())))
        elif arguments:
            out.params.extend(arguments)
        elif section == "Returns" and text and "```" not in text:
            out.returns = " ".join(_inline(text).split())
        elif section is not None:  # titled as the prose sections of a docstring are, for the page
            out.kept.extend([section, "-" * len(section), *body])

    fenced = False
    for line in prose:
        if line.strip().startswith("```"):
            fenced = not fenced
        heading = None if fenced else _RUST_HEADING.match(line.strip())
        if heading:
            close()
            section, body = heading.group(1), []
        elif section is None:
            out.kept.append(line)
        else:
            body.append(line)
    close()
    return out


def _tagged(text: str) -> DocComment:
    prose_lines, tags = _blocks(text)
    rust = _rust_sections(prose_lines)
    prose_lines, examples, raises = rust.kept, rust.examples, rust.raises
    brief = next((body for tag, body in tags if tag == "brief"), "")
    prose = _inline("\n".join(prose_lines)).strip()
    if brief:
        prose = f"{brief}\n\n{prose}".strip()
    versions: list[Version] = []
    paragraphs = [p for p in re.split(r"\n\s*\n", prose) if p.strip()]
    kept_paragraphs = []
    for paragraph in paragraphs:
        go = _GO_DEPRECATED.match(paragraph.strip())
        if go:
            versions.append(Version("deprecated", None, " ".join(go.group(1).split())))
        else:
            kept_paragraphs.append(paragraph)
    summary, description = split_summary("\n\n".join(kept_paragraphs)) if kept_paragraphs else ("", "")
    params: list[Param] = rust.params
    returns: str | None = rust.returns
    returns_type: str | None = None
    notes: list[str] = []
    for tag, body in tags:
        if tag in _PARAM_TAGS:
            params.append(_param(body))
        elif tag in _RETURN_TAGS:
            returns_type, returns = _typed(body)
        elif tag in _RAISE_TAGS:
            typ, rest = _typed(body)
            if typ is None and rest:
                first, _, after = rest.partition(" ")
                typ, rest = first, after.lstrip("- ").strip()
            raises.append(Raised(typ, rest))
        elif tag == "example":
            code = re.findall(r"```[^\n]*\n(.*?)```", body, re.DOTALL)
            examples.extend(c.strip() for c in code) if code else examples.append(body)
        elif tag == "deprecated":
            versions.append(Version("deprecated", None, " ".join(_inline(body).split())))
        elif tag == "since":
            versions.append(Version("since", body.split()[0] if body else None, ""))
        elif tag in _SKIP_TAGS:
            continue
        elif body:
            label = "See also" if tag == "see" else tag.capitalize()
            notes.append(f"{label}: {' '.join(_inline(body).split())}")
    return DocComment(
        summary=summary,
        description=description,
        params=tuple(params),
        returns=returns or None,
        returns_type=returns_type,
        raises=tuple(raises),
        examples=tuple(e for e in examples if e),
        versions=tuple(versions),
        notes=tuple(notes),
    )


# --- attributes that document: Rust `#[deprecated]`, Java `@Deprecated`, C++ `[[deprecated]]`, PEP 702 ---

# The attribute's name, with what follows it: Rust `#[deprecated...`, C++ `[[deprecated...` (also
# `[[nodiscard, deprecated(...)]]`, `[[gnu::deprecated]]`), Java `@Deprecated...`, Python
# `@deprecated(...)` / `@warnings.deprecated(...)`.
_DEPRECATED = re.compile(r"^(?:#\[|\[\[(?:[^\]]*[\s,:])?|@(?:[\w.]+\.)?)deprecated\b", re.IGNORECASE)
_SINCE = re.compile(r"\bsince\s*=\s*\"((?:[^\"\\]|\\.)*)\"")
# Rust's `note = "..."` and `#[deprecated = "..."]`; Java's, C++'s and Python's first string argument.
_NOTE = re.compile(r"\bnote\s*=\s*\"((?:[^\"\\]|\\.)*)\"|^\s*(?:=|\(\s*)\s*\"((?:[^\"\\]|\\.)*)\"")


def attribute_deprecation(decorators: Sequence[str]) -> Version | None:
    """The deprecation an attribute, annotation or decorator declares (``decorators`` as written), if any.

    ``#[deprecated(since = "1.2.0", note = "use g")]`` -> deprecated since 1.2.0, "use g";
    ``@Deprecated`` -> deprecated, no version and no text.
    """
    for text in decorators:
        match = _DEPRECATED.match(text)
        if match is None:
            continue
        args = text[match.end() :]
        since = _SINCE.search(args)
        note = _NOTE.search(args)
        return Version(
            "deprecated",
            since.group(1) if since else None,
            " ".join((note.group(1) or note.group(2) or "").split()) if note else "",
        )
    return None


def with_deprecation(comment: DocComment, found: Version | None) -> DocComment:
    """``comment`` with the deprecation its symbol's attributes declare: a Javadoc ``@deprecated`` text
    and ``@Deprecated(since = "9")`` make one note, "Deprecated since 9: ..."."""
    if found is None:
        return comment
    existing = next((v for v in comment.versions if v.kind == "deprecated"), None)
    if existing is None:
        return replace(comment, versions=(found, *comment.versions))
    merged = Version("deprecated", existing.version or found.version, existing.text or found.text)
    return replace(comment, versions=tuple(merged if v is existing else v for v in comment.versions))


def brief(comment: DocComment) -> str:
    """What ``comment`` says, as compact lines for a prompt (empty when it says nothing)."""
    lines = [comment.summary] if comment.summary else []
    for p in comment.params:
        facts = ", ".join(x for x in (p.type or "", f"default {p.default}" if p.default else "") if x)
        lines.append(
            f"param {p.name}"
            + (f" ({facts})" if facts else "")
            + (f": {p.description}" if p.description else "")
        )
    if comment.returns or comment.returns_type:
        lines.append(
            "returns"
            + (f" ({comment.returns_type})" if comment.returns_type else "")
            + f": {comment.returns or ''}".rstrip(": ")
        )
    lines += [f"raises {r.type or ''}: {r.description}".rstrip(": ") for r in comment.raises]
    lines += [v.sentence() for v in comment.versions]
    return "\n".join(lines)
