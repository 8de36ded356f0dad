"""Links on the pages: each symbol's anchor, its lines in the source, and names that link to their docs.

- ``anchor_ids``: a stable explicit anchor per symbol, from its id (``Class.method`` ->
  ``class.method``, ``Box.__init__`` -> ``box.__init__``), unique within the page whatever the order
  of the symbols.
- ``SourceLinks``: where a line range links: the file at the documented commit on the repository's
  web page (``{server}/{owner}/{repo}/blob/{sha}/{path}#L3-L9``) when the repository is known, else a
  link relative to the page (which GitHub's file view and a checkout both follow).
- ``NameIndex``: every documented symbol of the docs folder by qualified name, so that ``Class.method``
  in backticks anywhere in the docs links to its section, on the same page or on another one; with
  its module's name in front too (``markers.front_matter``, ``docbot.markers.front_matter``).
- ``linked_anchors``: the anchors the written pages link to, so that a page cut at its size cap keeps
  the anchors of the symbols it cut that someone links to (on its cap note).
- ``is_test_source``: a test module, whose symbols (fixtures, helpers) are linked only from their own
  page: a word in a docstring (``site``, ``repo``) must not link to a test's fixture of that name.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from urllib.parse import quote, unquote, urlsplit

from docbot.render.markdown import ANCHOR_ID

# The page's own section headings: a symbol whose slug is one of these gets a numbered anchor.
RESERVED_ANCHORS = frozenset({"contents", "reference", "module-level-code"})
_NOT_SLUG = re.compile(r"[^a-z0-9._]+")
_CALL = re.compile(r"\([^()]*\)$")
# A plain lower-case word (`index`, `note`, `count`) in another module's docs is far more often a word,
# a field or a parameter there than this page's function of that name: it links on its own page only
# (`count()`, `make_box` and `markers.count` still link across).
_WORD = re.compile(r"[a-z]+")
# A link docbot writes to a symbol's anchor: ``](#box.get)`` on the page, ``](../b.py.md#f)`` across.
_ANCHOR_LINK = re.compile(rf"\]\(([^()\s#]*)#({ANCHOR_ID})\)")
_TEST_FOLDERS = frozenset({"test", "tests", "__tests__", "spec", "specs"})
# test_x.py, x_test.py, x_test.go, x.test.ts, x.spec.js, conftest.py, XTest.java, XTests.kt, XTests.cs
_TEST_FILE = re.compile(r"test_.*|.*_test\.\w+|.*\.(test|spec)\.\w+|conftest\.py|.*Tests?\.(java|kt|cs)")


def is_test_source(path: str) -> bool:
    """True when the source at ``path`` is a test module (by its folder or its file name)."""
    *folders, name = path.split("/")
    return bool(_TEST_FOLDERS.intersection(folders)) or _TEST_FILE.fullmatch(name) is not None


def _slug(symbol_id: str) -> str:
    # Underscores are part of a name (``__init__``, ``_private``): only the separators docbot puts in
    # for other characters are trimmed, so ``Box.__init__`` is ``box.__init__``, not ``box.__init``.
    slug = _NOT_SLUG.sub("-", symbol_id.lower()).strip("-.")
    return slug or "symbol"


def anchor_ids(symbol_ids: Iterable[str]) -> dict[str, str]:
    """Symbol id -> its anchor on the page: lower case, ``[a-z0-9._-]``, unique within the page.

    Ids that share a slug (``Foo.bar`` and ``foo_bar``... ``foo.bar``) are numbered in sorted order, so
    an anchor depends only on the set of ids, never on where the symbols are in the file.
    """
    by_slug: dict[str, list[str]] = {}
    for symbol_id in sorted(set(symbol_ids)):
        by_slug.setdefault(_slug(symbol_id), []).append(symbol_id)
    taken = set(by_slug) | RESERVED_ANCHORS
    out: dict[str, str] = {}
    for slug, ids in by_slug.items():
        numbered = slug in RESERVED_ANCHORS
        for n, symbol_id in enumerate(ids, start=1):
            if n == 1 and not numbered:
                out[symbol_id] = slug
                continue
            k = n
            while f"{slug}-{k}" in taken:
                k += 1
            out[symbol_id] = f"{slug}-{k}"
            taken.add(out[symbol_id])
    return out


def module_names(source: str) -> tuple[str, ...]:
    """The dotted names a reader may give the module at ``source``, longest first.

    ``docbot/render/links.py`` -> ``docbot.render.links``, ``render.links``, ``links``; a package's
    ``__init__.py`` is named by its folder. Only parts that are identifiers make a name.
    """
    parts = source.split("/")
    if not parts[-1]:
        return ()
    parts[-1] = parts[-1].split(".", 1)[0]
    if parts[-1] == "__init__":
        parts.pop()
    names: list[str] = []
    for start in range(len(parts) - 1, -1, -1):
        if not parts[start].isidentifier():
            break
        names.append(".".join(parts[start:]))
    return tuple(reversed(names))


def _url_path(path: str) -> str:
    return quote(path, safe="/")


def relative_link(from_page: str, to_path: str) -> str:
    """The link from the page at ``from_page`` to the file ``to_path`` (both repository-relative)."""
    return _url_path(posixpath.relpath(to_path, posixpath.dirname(from_page) or "."))


def web_url(remote: str, server_url: str | None = None) -> str | None:
    """The repository's web address from a git remote URL (https, ssh or scp-like), without credentials.

    Args:
        remote: ``https://github.com/o/r.git``, ``git@github.com:o/r.git``, ``ssh://git@host/o/r``.
        server_url: the web server to use instead of the remote's host (GitHub Enterprise behind SSH).

    Returns:
        ``https://host/owner/repo``, or ``None`` when the remote is a local path or has no owner/repo.
    """
    remote = remote.strip()
    scp = re.fullmatch(r"(?:[\w.-]+@)?([\w.-]+):(?!//)(.+)", remote)
    if scp and "/" in scp.group(2):
        host, path = scp.group(1), scp.group(2)
    else:
        parts = urlsplit(remote)
        if parts.scheme not in {"http", "https", "ssh", "git"} or not parts.hostname:
            return None
        host, path = parts.hostname, parts.path
    path = path.strip("/").removesuffix(".git")
    if path.count("/") != 1 or not all(re.fullmatch(r"[\w.-]+", p) for p in path.split("/")):
        return None
    base = (server_url or f"https://{host}").rstrip("/")
    return f"{base}/{path}"


@dataclass(frozen=True)
class SourceLinks:
    """Where a symbol's line range links: the repository's web page at ``commit``, or relative."""

    repo_url: str | None = None  # https://github.com/owner/repo
    commit: str | None = None  # the documented commit's full SHA

    def lines(self, page: str, source: str, start: int, end: int) -> str:
        """The link to lines ``start``-``end`` of ``source``, from the page at ``page``."""
        fragment = f"#L{start}-L{end}" if end != start else f"#L{start}"
        if self.repo_url and self.commit:
            return f"{self.repo_url}/blob/{self.commit}/{_url_path(source)}{fragment}"
        return relative_link(page, source) + fragment


@dataclass(frozen=True)
class Target:
    """A symbol's section: the page that documents it and its anchor there."""

    page: str
    anchor: str
    shared: bool = True  # may be linked from other pages (data such as a test's constant is not)


@dataclass(frozen=True)
class NameIndex:
    """Documented symbols by qualified name, across the pages of the docs folder."""

    targets: Mapping[str, tuple[Target, ...]] = field(default_factory=dict)

    @classmethod
    def build(
        cls,
        pages: Mapping[str, Iterable[tuple[str, str, bool]]],
        sources: Mapping[str, str] | None = None,
    ) -> NameIndex:
        """From page path -> (qualified name, symbol id, shared) of the symbols it documents; a symbol
        that is not ``shared`` is linked only from its own page.

        ``sources`` (page path -> the source it documents) adds module-qualified names: for
        ``docbot/markers.py``, ``markers.front_matter`` and ``docbot.markers.front_matter`` name the
        symbol ``front_matter``, and ``docbot.markers`` names the page itself.
        """
        targets: dict[str, list[Target]] = {}
        for page, named in pages.items():
            named = list(named)
            anchors = anchor_ids(symbol_id for _, symbol_id, _ in named)
            modules = module_names((sources or {}).get(page, ""))
            shared_page = any(shared for _, _, shared in named)
            # A bare file name (``site``, ``config``) is too often a plain word: a module is named by
            # two parts or more.
            for module in (m for m in modules if "." in m):
                targets.setdefault(module, []).append(Target(page, "", shared_page))
            for name, symbol_id, shared in named:
                target = Target(page, anchors[symbol_id], shared)
                for qualified in (name, *(f"{module}.{name}" for module in modules)):
                    targets.setdefault(qualified, []).append(target)
        return cls({name: tuple(ts) for name, ts in sorted(targets.items())})

    def fingerprint(self) -> str:
        """Everything a page's links depend on, as text (for the cache key of rendered pages)."""
        return "\n".join(
            f"{n}\t{t.page}#{t.anchor}\t{t.shared}" for n, ts in self.targets.items() for t in ts
        )

    def link(self, text: str, page: str, *, skip: str | None = None) -> str | None:
        """The link for the code span ``text`` on ``page``, or ``None`` when it names no one symbol.

        ``Class.method`` and ``Class.method()`` name the symbol; a name defined on ``page`` links there
        first; a name defined on several other pages (and not on this one), a symbol that is not
        shared, or a plain lower-case word defined elsewhere, links nowhere. ``skip``: the
        anchor of the section being written (a section does not link to itself).
        """
        name = _CALL.sub("", text.strip())
        found = self.targets.get(name, ())
        here = [t for t in found if t.page == page]
        if here:
            target = here[0]
            return None if target.anchor in {skip, ""} else f"#{target.anchor}"
        if len(found) != 1 or not found[0].shared or _WORD.fullmatch(text.strip()):
            return None
        target = found[0]
        fragment = f"#{target.anchor}" if target.anchor else ""
        return f"{relative_link(page, target.page)}{fragment}"


def linked_anchors(pages: Iterable[tuple[str, str]]) -> dict[str, frozenset[str]]:
    """Page path -> the anchors on it that the ``pages`` (path, Markdown) link to, themselves included.

    Read from the text, code and all: a code block that happens to hold such a link only makes the
    answer larger, and a larger answer costs a cut page a few bytes, never a broken link.
    """
    found: dict[str, set[str]] = {}
    for page, text in pages:
        for href, fragment in _ANCHOR_LINK.findall(text):
            target = posixpath.normpath(posixpath.join(posixpath.dirname(page), unquote(href)))
            found.setdefault(target if href else page, set()).add(fragment)
    return {page: frozenset(anchors) for page, anchors in found.items()}
