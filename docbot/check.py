"""``docbot check``: is the docs folder current? No model calls, no writes.

A generated page records the sha256 of the source it documents, so the check is a hash comparison per
page. Three findings, each naming the source file (where a CI annotation belongs):

- ``stale``: the page's recorded hash is not the source's hash;
- ``missing``: a source docbot would document (the run's own include/exclude, vendored, size and
  visibility rules, via ``pipeline.select_files``) has no page;
- ``orphan``: the page's source is gone.

The check reads the working tree (tracked files and untracked ones git does not ignore). Under a
pre-commit hook that is the staged state: pre-commit stashes unstaged changes before running hooks.
Only sources that are not already current are parsed, so a current docs folder costs one hash per file.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Literal

from docbot import languages, symbols
from docbot.changes import FileChange
from docbot.config import Settings
from docbot.filters import ATTRIBUTES, FileFilter
from docbot.git import Git, decode_path
from docbot.markers import source_of, source_sha256_of
from docbot.pipeline import select_files
from docbot.render.index import INDEX_NAME
from docbot.render.page import page_path

Kind = Literal["stale", "missing", "orphan"]

_MESSAGES: Mapping[Kind, str] = {
    "stale": "the source changed since its page was generated; run docbot to regenerate {page}",
    "missing": "no page documents this file; run docbot to generate {page}",
    "orphan": "the source is gone but its page {page} remains; run docbot to delete it",
}


@dataclass(frozen=True)
class Finding:
    """One page that is not current, named by its source file."""

    kind: Kind
    source: str
    page: str

    @property
    def message(self) -> str:
        return _MESSAGES[self.kind].format(page=self.page)

    def to_json(self) -> dict[str, str]:
        return {"kind": self.kind, "source": self.source, "page": self.page, "message": self.message}


@dataclass(frozen=True)
class CheckResult:
    """The check's answer: what is not current, and how much was looked at."""

    out_dir: str
    findings: tuple[Finding, ...]
    sources: int  # files considered as sources
    pages: int  # generated pages found in the docs folder

    @property
    def ok(self) -> bool:
        return not self.findings

    def to_json(self) -> dict[str, object]:
        return {
            "ok": self.ok,
            "out_dir": self.out_dir,
            "sources": self.sources,
            "pages": self.pages,
            "findings": [f.to_json() for f in self.findings],
        }


def _first_line(data: bytes) -> str:
    return data.split(b"\n", 1)[0].decode("utf-8", errors="replace")


def read_pages(files: Mapping[str, bytes], out_dir: str) -> dict[str, tuple[str, str | None]]:
    """Generated pages of the docs folder: page path -> (source path, recorded source sha256 or None).

    Hand-written files and the index page are not pages of a source, so they are left out.
    """
    pages: dict[str, tuple[str, str | None]] = {}
    index = f"{out_dir}/{INDEX_NAME}"
    for path, data in files.items():
        if path == index or not PurePosixPath(path).is_relative_to(out_dir):
            continue
        source = source_of(_first_line(data))
        if source is not None:
            pages[path] = (source, source_sha256_of(data.decode("utf-8", errors="replace")))
    return pages


def _is_current(recorded: str | None, actual: str) -> bool:
    return recorded is not None and actual.startswith(recorded)


def findings(
    sources: Mapping[str, bytes],
    pages: Mapping[str, tuple[str, str | None]],
    settings: Settings,
    *,
    attributes: Mapping[str, Mapping[str, str]],
    present: Iterable[str],
) -> list[Finding]:
    """Compare the sources with the pages (pure).

    Args:
        sources: candidate source files -> their bytes (the docs folder's own files are ignored).
        pages: ``read_pages``'s answer for the pages to check.
        settings: the out_dir, file rules and chunking (visibility) of a run.
        attributes: ``.gitattributes`` answers for the sources.
        present: every file in the repository, to tell a page whose source is gone.
    """
    out_dir = settings.out_dir
    by_source = {source: (page, sha) for page, (source, sha) in pages.items()}
    undecided: list[str] = []
    for path, data in sources.items():
        if PurePosixPath(path).is_relative_to(out_dir) or languages.language_for(path) is None:
            continue
        page = by_source.get(path)
        if page is None or not _is_current(page[1], hashlib.sha256(data).hexdigest()):
            undecided.append(path)
    # Only sources that are not current are run through the run's own selection (it parses them).
    selection = select_files(
        [FileChange(path=p, status="added") for p in undecided],
        out_dir=out_dir,
        chunking=settings.chunking,
        read=lambda p: sources[p],
        file_filter=FileFilter.from_settings(settings.files, out_dir=out_dir, attributes=attributes),
    )
    result: list[Finding] = []
    for f in selection.files:
        page = by_source.get(f.path)
        if page is None:
            result.append(Finding("missing", f.path, page_path(out_dir, f.path)))
        else:
            result.append(Finding("stale", f.path, page[0]))
    gone = set(by_source) - set(present)
    result += [Finding("orphan", source, by_source[source][0]) for source in gone]
    return sorted(result, key=lambda f: (f.source, f.kind))


def _listed(git: Git) -> list[str]:
    out = git.run_bytes("ls-files", "-z", "--cached", "--others", "--exclude-standard")
    return sorted({decode_path(p) for p in out.split(b"\0") if p})


def _read_files(repo: Path, paths: Iterable[str]) -> dict[str, bytes]:
    files: dict[str, bytes] = {}
    for path in paths:
        full = repo / path
        # Symlinks and submodules are never documented; a deletion not yet staged is simply gone.
        if full.is_symlink() or not full.is_file():
            continue
        files[path] = full.read_bytes()
    return files


def _wanted(paths: Sequence[str], out_dir: str, pages: Mapping[str, tuple[str, str | None]]) -> set[str]:
    """The sources to check when the check is limited to ``paths`` (pre-commit's staged files)."""
    wanted: set[str] = set()
    for path in paths:
        if path in pages:
            wanted.add(pages[path][0])
        elif not PurePosixPath(path).is_relative_to(out_dir):
            wanted.add(path)
    return wanted


def check(settings: Settings, git: Git, *, paths: Sequence[str] = ()) -> CheckResult:
    """Check the docs folder of ``settings.repo``'s working tree; ``paths`` limits it to those files.

    ``paths`` may name sources or pages (a staged page checks its source); without it, every file.

    Raises:
        GitError: git failed (not a repository, for one).
    """
    out_dir = settings.out_dir
    listed = _listed(git)
    # Only pages and files of a known language are read: a repository's binaries never are.
    wanted_files = [
        p for p in listed if PurePosixPath(p).is_relative_to(out_dir) or languages.language_for(p) is not None
    ]
    files = _read_files(settings.repo, wanted_files)
    # A source that became a symlink is gone as far as its page goes (docbot run deletes such pages).
    present = {p for p in listed if (settings.repo / p).is_file() and not (settings.repo / p).is_symlink()}
    pages = read_pages({p: d for p, d in files.items() if PurePosixPath(p).is_relative_to(out_dir)}, out_dir)
    if paths:
        wanted = _wanted([p.replace("\\", "/") for p in paths], out_dir, pages)
        pages = {p: v for p, v in pages.items() if v[0] in wanted}
        sources = {p: d for p, d in files.items() if p in wanted}
    else:
        sources = {p: d for p, d in files.items() if not PurePosixPath(p).is_relative_to(out_dir)}
    candidates = [p for p in sources if symbols.supported(languages.language_for(p))]
    attributes = git.attributes(None, candidates, ATTRIBUTES)
    found = findings(sources, pages, settings, attributes=attributes, present=present)
    return CheckResult(out_dir, tuple(found), len(sources), len(pages))
