"""The house style: the ``instructions`` setting resolved to its text, and how the summary shows it.

``instructions`` is either the text itself or the path of a Markdown file in the repository. The file
is read through a ``read`` callable the caller chooses: the working tree for ``docbot run``, the base
commit on a pull request (so a pull request cannot rewrite the instructions its own review runs
under). The resolved text replaces the path in the settings, so the provider, the cache key and the
summary all see the same text.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path, PurePosixPath

from docbot.config import MAX_INSTRUCTIONS_CHARS, Settings
from docbot.errors import ConfigError, GitError
from docbot.git import Git

_FILE_SUFFIXES = (".md", ".markdown", ".txt")


def names_a_file(value: str) -> bool:
    """True when ``instructions`` is a path (one line ending in .md, .markdown or .txt), not the text."""
    return "\n" not in value and value.lower().endswith(_FILE_SUFFIXES) and " " not in value.strip()


def _safe_path(value: str) -> str:
    path = PurePosixPath(value.replace("\\", "/"))
    if path.is_absolute() or ".." in path.parts:
        raise ConfigError(
            f"instructions: {value!r} must be a file inside the repository, such as docs/style.md"
        )
    return str(path)


def resolve(value: str, read: Callable[[str], bytes | None]) -> str:
    """The house style text ``value`` stands for.

    Args:
        value: the ``instructions`` setting.
        read: a repository-relative path -> its bytes, or ``None`` when there is no such file.

    Raises:
        ConfigError: the file is missing, not UTF-8, or longer than the limit.
    """
    if not names_a_file(value):
        return value
    path = _safe_path(value)
    data = read(path)
    if data is None:
        raise ConfigError(f"instructions: {path} is not a file in the repository; add it or give the text")
    try:
        text = data.decode("utf-8-sig").strip()
    except UnicodeDecodeError:
        raise ConfigError(f"instructions: {path} is not UTF-8 text") from None
    if len(text) > MAX_INSTRUCTIONS_CHARS:
        raise ConfigError(
            f"instructions: {path} has {len(text):,} characters; keep it to {MAX_INSTRUCTIONS_CHARS:,}"
        )
    return text


def worktree_reader(repo: Path) -> Callable[[str], bytes | None]:
    """Reads files of the working tree of ``repo``; a symlink out of the repository reads as absent."""
    root = repo.resolve()

    def read(path: str) -> bytes | None:
        full = (root / path).resolve()
        return full.read_bytes() if full.is_relative_to(root) and full.is_file() else None

    return read


def revision_reader(git: Git, rev: str) -> Callable[[str], bytes | None]:
    """Reads files at commit ``rev`` (fetched first in a shallow clone that lacks it)."""

    def read(path: str) -> bytes | None:
        if not git.has_commit(rev):
            git.try_fetch(rev, depth=1)
        try:
            return git.show_file(rev, path)
        except GitError:
            return None

    return read


def resolved(settings: Settings, read: Callable[[str], bytes | None]) -> Settings:
    """``settings`` with ``instructions`` replaced by the text it stands for."""
    text = resolve(settings.llm.instructions, read)
    return replace(settings, llm=replace(settings.llm, instructions=text))
