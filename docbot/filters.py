"""Which changed files docbot documents: gitignore-style include/exclude globs and the skip rules.

Pure: the caller passes the settings and the ``.gitattributes`` answers (``Git.attributes``); this
module never reads files or runs git. Every skipped path gets a reason for the RunReport.

Order of the rules (the first that applies is the reason given):

1. docbot's own output folder: always skipped, so a run never documents its own pages (loop
   prevention, whatever ``include`` says).
2. ``exclude`` globs, then ``include`` globs (when set), then the run's requested ``paths``.
3. ``.gitattributes``: ``linguist-generated`` / ``linguist-vendored``. An explicit
   ``linguist-vendored=false`` (or ``-linguist-generated``) keeps a file the built-in rules below
   would skip, as in GitHub's linguist.
4. Built-in vendored and generated patterns: ``node_modules/``, ``vendor/``, lock files, minified
   ``*.min.js`` / ``*.min.css``.
5. Size: files over ``max_file_bytes`` (checked with the size, once known).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from pathspec import GitIgnoreSpec

from docbot.config import FileSettings
from docbot.errors import ConfigError

ATTRIBUTES = ("linguist-generated", "linguist-vendored")

VENDORED_DIRS = ("node_modules/", "vendor/", "bower_components/", "jspm_packages/")
LOCK_FILES = (
    "package-lock.json",
    "npm-shrinkwrap.json",
    "yarn.lock",
    "pnpm-lock.yaml",
    "bun.lockb",
    "bun.lock",
    "Cargo.lock",
    "Gemfile.lock",
    "poetry.lock",
    "Pipfile.lock",
    "pdm.lock",
    "uv.lock",
    "composer.lock",
    "go.sum",
    "mix.lock",
    "Podfile.lock",
    "packages.lock.json",
    "flake.lock",
    "pubspec.lock",
)
MINIFIED = ("*.min.js", "*.min.mjs", "*.min.css", "*-min.js")


def _spec(patterns: Iterable[str], name: str) -> GitIgnoreSpec | None:
    lines = [p for p in patterns if p.strip()]
    if not lines:
        return None
    try:
        return GitIgnoreSpec.from_lines(lines)
    except (ValueError, TypeError) as exc:
        raise ConfigError(
            f"{name}: invalid glob in {lines!r} ({exc}); use gitignore syntax such as src/**/*.py"
        ) from exc


_VENDORED = GitIgnoreSpec.from_lines(VENDORED_DIRS)
_LOCKS = GitIgnoreSpec.from_lines(LOCK_FILES)
_MINIFIED = GitIgnoreSpec.from_lines(MINIFIED)


def _is_true(value: str | None) -> bool | None:
    """A gitattributes value as a boolean: ``set``/``true`` -> True, ``unset``/``false`` -> False."""
    if value is None:
        return None
    if value in {"set", "true", "1"}:
        return True
    if value in {"unset", "false", "0"}:
        return False
    return None


@dataclass(frozen=True)
class FileFilter:
    """Decides, per path, whether docbot documents it or why not."""

    out_dir: str
    include: GitIgnoreSpec | None = None
    exclude: GitIgnoreSpec | None = None
    paths: GitIgnoreSpec | None = None
    max_file_bytes: int | None = None
    attributes: Mapping[str, Mapping[str, str]] = field(default_factory=dict)

    @classmethod
    def from_settings(
        cls,
        settings: FileSettings,
        *,
        out_dir: str,
        attributes: Mapping[str, Mapping[str, str]] | None = None,
        paths: Sequence[str] = (),
    ) -> FileFilter:
        """Build the filter for a run.

        Args:
            settings: ``include``, ``exclude`` and ``max_file_bytes``.
            out_dir: docbot's own output folder, never documented.
            attributes: ``Git.attributes(head, paths, ATTRIBUTES)`` for the changed paths.
            paths: globs this run is limited to (a ``/docbot`` command's or a dispatch's paths).

        Raises:
            ConfigError: a glob is not valid gitignore syntax.
        """
        return cls(
            out_dir=out_dir,
            include=_spec(settings.include, "include"),
            exclude=_spec(settings.exclude, "exclude"),
            paths=_spec(list(paths), "paths"),
            max_file_bytes=settings.max_file_bytes,
            attributes=attributes or {},
        )

    def skip_reason(self, path: str, size: int | None = None) -> str | None:
        """Why ``path`` is not documented, or ``None`` when it is.

        Args:
            path: the repository-relative path (``/`` separators).
            size: the file's size in bytes, when known.
        """
        if PurePosixPath(path).is_relative_to(self.out_dir):
            return "inside docbot's output folder"
        if self.exclude is not None:
            hit = self.exclude.check_file(path)
            if hit.include and hit.index is not None:
                return f"excluded by pattern {self.exclude.patterns[hit.index].pattern!r}"
        if self.include is not None and not self.include.match_file(path):
            return "not matched by any include pattern"
        if self.paths is not None and not self.paths.match_file(path):
            return "outside the paths requested for this run"
        attrs = self.attributes.get(path, {})
        generated = _is_true(attrs.get("linguist-generated"))
        vendored = _is_true(attrs.get("linguist-vendored"))
        if generated:
            return "generated (linguist-generated in .gitattributes)"
        if vendored:
            return "vendored (linguist-vendored in .gitattributes)"
        if vendored is None and generated is None:
            if _VENDORED.match_file(path):
                return "vendored (node_modules/, vendor/ and similar folders)"
            if _LOCKS.match_file(path):
                return "lock file"
            if _MINIFIED.match_file(path):
                return "minified"
        if size is not None and self.max_file_bytes is not None and size > self.max_file_bytes:
            return f"larger than max_file_bytes ({size} > {self.max_file_bytes} bytes)"
        return None


# The first line of every Git LFS pointer file (the spec's version key, always first).
_LFS_POINTER = b"version https://git-lfs.github.com/spec/"
# Characters a page path cannot carry: they would split the page's marker line and the index's links.
_UNSAFE_PATH_CHARS = re.compile(r"[\x00-\x1f\x7f]")


def path_skip_reason(path: str) -> str | None:
    """Why a file's path cannot be given a page (control characters such as a newline), or ``None``."""
    if _UNSAFE_PATH_CHARS.search(path):
        return "path contains a newline or another control character"
    return None


def content_skip_reason(data: bytes) -> str | None:
    """Why a file's content is not source code to document, judged from its bytes, or ``None``."""
    if data.startswith(_LFS_POINTER) and len(data) < 1024:
        return "Git LFS pointer (the file's content is not in the checkout; run `git lfs pull`)"
    return None
