"""What changed between two revisions: ``git diff`` parsed with ``unidiff`` into ``FileChange`` values.

This is the only module that runs git. ``Git`` is a thin runner with one ``run()``; the functions
below build pure ``FileChange`` values from its output.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from unidiff import PatchSet, UnidiffParseError

from docbot.config import ZERO_SHA
from docbot.errors import GitError

Status = Literal["added", "modified", "deleted", "renamed"]
LineRange = tuple[int, int]

# Options that keep user git config from changing the diff text we parse (REFERENCE 7.3):
# quotepath=false gives UTF-8 paths, explicit prefixes guard against diff.noprefix, -M forces rename
# detection, --unified=0 makes hunk coordinates exactly the changed lines.
_DIFF_ARGS = (
    "-c",
    "core.quotepath=false",
    "diff",
    "--no-color",
    "--no-ext-diff",
    "-M",
    "--unified=0",
    "--src-prefix=a/",
    "--dst-prefix=b/",
)


@dataclass(frozen=True)
class FileChange:
    """One changed path. Line ranges are 1-based, inclusive, in the new file."""

    path: str
    status: Status
    old_path: str | None = None
    binary: bool = False
    changed_lines: tuple[LineRange, ...] = ()

    def to_json(self) -> dict[str, object]:
        return {
            "path": self.path,
            "old_path": self.old_path,
            "status": self.status,
            "binary": self.binary,
            "changed_lines": [list(r) for r in self.changed_lines],
        }


class Git:
    """Runs git in one repository. ``run`` raises ``GitError``; ``try_run`` returns ``None`` instead."""

    def __init__(self, repo: Path) -> None:
        self.repo = Path(repo)

    def run(self, *args: str) -> str:
        return self._run(args).decode("utf-8", errors="replace")

    def run_bytes(self, *args: str) -> bytes:
        return self._run(args)

    def try_run(self, *args: str) -> str | None:
        try:
            return self.run(*args)
        except GitError:
            return None

    def _run(self, args: tuple[str, ...]) -> bytes:
        try:
            proc = subprocess.run(
                ["git", "-C", str(self.repo), *args],
                capture_output=True,
                check=False,
                timeout=300,
            )
        except FileNotFoundError as exc:
            raise GitError("git is not installed or not on PATH") from exc
        except subprocess.TimeoutExpired as exc:
            raise GitError(f"git {' '.join(args[:2])} timed out after 300 s") from exc
        if proc.returncode != 0:
            stderr = proc.stderr.decode("utf-8", errors="replace").strip()
            raise GitError(f"git {' '.join(args)} failed: {stderr}")
        return proc.stdout

    def mark_safe(self) -> None:
        """Trust the repository despite its owner (the Actions workspace is owned by another uid):
        avoids git's "detected dubious ownership in repository" refusal inside the container."""
        self.run("config", "--global", "--add", "safe.directory", str(self.repo.resolve()))

    # --- questions and lookups ---

    def is_repo(self) -> bool:
        return self.try_run("rev-parse", "--git-dir") is not None

    def resolve(self, rev: str) -> str:
        """The full commit SHA of ``rev``; a clear error when it does not exist here."""
        sha = self.try_run("rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}")
        if not sha:
            raise GitError(
                f"revision {rev!r} is not in {self.repo}; in a shallow clone fetch more history "
                "(actions/checkout with fetch-depth: 0)"
            )
        return sha.strip()

    def parent(self, rev: str) -> str | None:
        """The first parent of ``rev``, or ``None`` for a root commit."""
        out = self.try_run("rev-parse", "--verify", "--quiet", f"{rev}^1")
        return out.strip() if out else None

    def show_file(self, rev: str, path: str) -> bytes:
        return self.run_bytes("show", f"{rev}:{path}")

    def ls_files(self, rev: str) -> list[str]:
        out = self.run_bytes("ls-tree", "-r", "-z", "--name-only", rev)
        return [p.decode("utf-8", errors="surrogateescape") for p in out.split(b"\0") if p]

    def diff(self, base: str, head: str) -> str:
        return self.run(*_DIFF_ARGS, base, head)


def _unquote(path: str) -> str:
    """Undo git's C-style quoting, which git keeps for ``"``, ``\\``, TAB and LF even with quotepath off."""
    if not (len(path) >= 2 and path.startswith('"') and path.endswith('"')):
        return path
    raw = path[1:-1].encode("latin-1", errors="backslashreplace").decode("unicode_escape")
    return raw.encode("latin-1").decode("utf-8", errors="replace")


def _strip_prefix(name: str) -> str:
    name = _unquote(name)
    return name[2:] if name[:2] in {"a/", "b/"} else name


def _merge_ranges(ranges: list[LineRange]) -> tuple[LineRange, ...]:
    merged: list[LineRange] = []
    for start, end in sorted(ranges):
        if merged and start <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return tuple(merged)


def parse_diff(diff_text: str) -> list[FileChange]:
    """Turn ``git diff --unified=0`` output into ``FileChange`` values.

    Raises:
        GitError: the text is not a diff unidiff can read.
    """
    try:
        patch = PatchSet(diff_text)
    except UnidiffParseError as exc:
        raise GitError(f"could not parse git diff output: {exc}") from exc
    changes: list[FileChange] = []
    for pf in patch:
        ranges: list[LineRange] = []
        for hunk in pf:
            if hunk.target_length > 0:
                ranges.append((hunk.target_start, hunk.target_start + hunk.target_length - 1))
            elif hunk.source_length > 0:
                # Pure deletion: mark the line the removed block sat after (at least line 1),
                # so the symbol that lost lines still counts as changed.
                ranges.append((max(hunk.target_start, 1), max(hunk.target_start, 1)))
        status: Status
        old_path: str | None = None
        if pf.is_added_file:
            status = "added"
            path = _strip_prefix(pf.target_file)
        elif pf.is_removed_file:
            status = "deleted"
            path = _strip_prefix(pf.source_file)
        elif pf.is_rename:
            status = "renamed"
            path = _strip_prefix(pf.target_file)
            old_path = _strip_prefix(pf.source_file)
        else:
            status = "modified"
            path = _strip_prefix(pf.target_file)
        changes.append(
            FileChange(
                path=path,
                status=status,
                old_path=old_path,
                binary=bool(pf.is_binary_file),
                changed_lines=() if status == "deleted" else _merge_ranges(ranges),
            )
        )
    return changes


def _looks_binary(data: bytes) -> bool:
    # git's own heuristic: a NUL byte in the first 8000 bytes.
    return b"\0" in data[:8000]


def all_files(git: Git, head: str) -> list[FileChange]:
    """Every file at ``head`` as an addition (a new branch, the first push, or ``--all``)."""
    changes = []
    for path in git.ls_files(head):
        data = git.show_file(head, path)
        lines = data.count(b"\n") + (0 if data.endswith(b"\n") or not data else 1)
        binary = _looks_binary(data)
        changes.append(
            FileChange(
                path=path,
                status="added",
                binary=binary,
                changed_lines=((1, lines),) if lines and not binary else (),
            )
        )
    return changes


def changed_files(git: Git, base: str | None, head: str, *, everything: bool = False) -> list[FileChange]:
    """The files changed from ``base`` to ``head``.

    A ``base`` of 40 zeros (a new branch's push event), ``None`` on a root commit, or
    ``everything=True`` means every file at ``head``. ``None`` otherwise means ``head``'s parent.

    Raises:
        GitError: a revision is missing (the message says how to fetch it) or git failed.
    """
    head_sha = git.resolve(head)
    if everything or base == ZERO_SHA:
        return all_files(git, head_sha)
    base_sha = git.resolve(base) if base else git.parent(head_sha)
    if base_sha is None:
        return all_files(git, head_sha)
    return parse_diff(git.diff(base_sha, head_sha))
