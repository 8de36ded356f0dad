"""What changed between two commits: ``git diff`` + ``unidiff`` -> ``[FileChange]``.

Two git outputs are combined for every diff:

- ``git diff --raw -z -M`` is the source of truth for *which* paths changed, their status and their
  modes. ``-z`` gives the exact path bytes, so spaces, quotes, tabs, newlines, a leading ``-`` and
  non-ASCII names come out unchanged, and the list equals ``git diff --name-status -M``.
- the ``--unified=0`` patch, parsed with ``unidiff``, gives the changed line ranges and the binary
  flag. Its entries come in the same order as the raw records (git walks one diff queue for both);
  a type change (file <-> symlink) is the one record git prints as two patch entries.

When every file is new (root commit, 40-zero base, ``--all``), ``--numstat -z`` against the empty
tree replaces the patch: it gives each file's line count without materialising the whole tree as
patch text.

The parsers (``parse_raw``, ``parse_diff``, ``parse_numstat``, ``combine``) are pure; ``changed_files``
and ``all_files`` run git through the ``Git`` they are given. Which two commits to compare is
``ranges``' job.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from unidiff import PatchSet, UnidiffParseError

from docbot.errors import GitError
from docbot.git import Git, decode_path
from docbot.ranges import FETCH_HINT, is_nothing

Status = Literal["added", "modified", "deleted", "renamed"]
LineRange = tuple[int, int]

# Options that keep user git config from changing the diff text we parse:
# quotepath=false gives UTF-8 paths, explicit prefixes guard against diff.noprefix, -M forces rename
# detection, --unified=0 makes hunk coordinates exactly the changed lines. --inter-hunk-context=0
# stops diff.interHunkContext from merging hunks over unchanged lines, and --no-textconv keeps a
# textconv driver from diffing converted text instead of the file.
_DIFF_ARGS = (
    "-c",
    "core.quotepath=false",
    "diff",
    "--no-color",
    "--no-ext-diff",
    "--no-textconv",
    "-M",
    "--unified=0",
    "--inter-hunk-context=0",
    "--src-prefix=a/",
    "--dst-prefix=b/",
)
# The raw listing: same rename detection, exact bytes. --no-abbrev keeps blob ids comparable.
_RAW_ARGS = ("diff", "--no-color", "--no-ext-diff", "-M", "--raw", "-z", "--no-abbrev")
# Per-file line counts, used only against the empty tree, where every file is an addition.
_NUMSTAT_ARGS = ("diff", "--no-color", "--no-ext-diff", "--no-textconv", "--numstat", "-z")

_MODE_SYMLINK = "120000"
_MODE_GITLINK = "160000"
_MODES_REGULAR = frozenset({"100644", "100755"})
_MODE_NAMES = {
    "100644": "regular file",
    "100755": "executable file",
    "120000": "symlink",
    "160000": "submodule",
}


@dataclass(frozen=True)
class FileChange:
    """One changed path. Line ranges are 1-based, inclusive, in the new file.

    ``skip_reason`` is set for changes that are listed (they are real changes) but never documented:
    symlinks, submodules, mode-only changes and type changes. ``no_longer_file`` marks a regular
    file that became a symlink or submodule: the page documenting the old file is stale.
    """

    path: str
    status: Status
    old_path: str | None = None
    binary: bool = False
    changed_lines: tuple[LineRange, ...] = ()
    skip_reason: str | None = None
    no_longer_file: bool = False

    def to_json(self) -> dict[str, object]:
        """The DESIGN contract's keys, plus ``skip_reason`` only on the changes that have one."""
        data: dict[str, object] = {
            "path": self.path,
            "old_path": self.old_path,
            "status": self.status,
            "binary": self.binary,
            "changed_lines": [list(r) for r in self.changed_lines],
        }
        if self.skip_reason:
            data["skip_reason"] = self.skip_reason
        if self.no_longer_file:
            data["no_longer_file"] = True
        return data


@dataclass(frozen=True)
class RawEntry:
    """One record of ``git diff --raw -z``."""

    status: str  # A, D, M, R, T (C only with -C, U never between commits)
    old_mode: str
    new_mode: str
    old_blob: str
    new_blob: str
    path: str
    old_path: str | None = None


def _merge_ranges(ranges: list[LineRange]) -> tuple[LineRange, ...]:
    merged: list[LineRange] = []
    for start, end in sorted(ranges):
        if merged and start <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return tuple(merged)


def parse_raw(data: bytes) -> list[RawEntry]:
    """Parse ``git diff --raw -z`` output.

    Each record is ``:old_mode new_mode old_blob new_blob STATUS\\0path\\0`` with a second path for
    renames and copies.

    Raises:
        GitError: the bytes are not raw diff records.
    """
    fields = data.split(b"\0")
    entries: list[RawEntry] = []
    i = 0
    while i < len(fields) and fields[i]:
        head = fields[i].decode("ascii", errors="replace")
        parts = head.lstrip(":").split(" ")
        if not head.startswith(":") or len(parts) != 5 or i + 1 >= len(fields):
            raise GitError(f"unexpected git diff --raw record: {head!r}")
        old_mode, new_mode, old_blob, new_blob, status = parts
        letter = status[:1]
        if letter in {"R", "C"}:
            if i + 2 >= len(fields):
                raise GitError(f"git diff --raw record without its second path: {head!r}")
            old, new = decode_path(fields[i + 1]), decode_path(fields[i + 2])
            entries.append(RawEntry(letter, old_mode, new_mode, old_blob, new_blob, new, old))
            i += 3
        else:
            path = decode_path(fields[i + 1])
            entries.append(RawEntry(letter, old_mode, new_mode, old_blob, new_blob, path))
            i += 2
    return entries


@dataclass(frozen=True)
class _PatchInfo:
    ranges: tuple[LineRange, ...]
    binary: bool


def _patch_infos(diff_text: str) -> list[_PatchInfo]:
    try:
        # Only hunk headers are needed: metadata_only skips building a Line per diff line.
        patch = PatchSet(diff_text, metadata_only=True)
    except UnidiffParseError as exc:
        raise GitError(f"could not parse git diff output: {exc}") from exc
    infos = []
    for pf in patch:
        ranges: list[LineRange] = []
        for hunk in pf:
            if hunk.target_length > 0:
                ranges.append((hunk.target_start, hunk.target_start + hunk.target_length - 1))
            elif hunk.source_length > 0:
                # Pure deletion: mark the line the removed block sat after (at least line 1),
                # so the symbol that lost lines still counts as changed.
                ranges.append((max(hunk.target_start, 1), max(hunk.target_start, 1)))
        infos.append(_PatchInfo(_merge_ranges(ranges), bool(pf.is_binary_file)))
    return infos


def _unquote(path: str) -> str:
    """Undo git's C-style quoting, which git keeps for ``"``, ``\\``, TAB and LF even with quotepath off."""
    if not (len(path) >= 2 and path.startswith('"') and path.endswith('"')):
        return path
    raw = path[1:-1].encode("latin-1", errors="backslashreplace").decode("unicode_escape")
    return raw.encode("latin-1").decode("utf-8", errors="replace")


def _strip_prefix(name: str) -> str:
    name = _unquote(name)
    return name[2:] if name[:2] in {"a/", "b/"} else name


def parse_diff(diff_text: str) -> list[FileChange]:
    """Turn patch text alone into ``FileChange`` values (no modes, paths from the patch headers).

    ``changed_files`` is exact (it takes paths and modes from ``--raw -z``); this serves callers
    that only have a patch, such as a diff read from a file.

    Raises:
        GitError: the text is not a diff unidiff can read.
    """
    try:
        patch = PatchSet(diff_text, metadata_only=True)
    except UnidiffParseError as exc:
        raise GitError(f"could not parse git diff output: {exc}") from exc
    changes: list[FileChange] = []
    for pf, info in zip(patch, _patch_infos(diff_text), strict=True):
        status: Status = "modified"
        path, old_path = _strip_prefix(pf.target_file), None
        if pf.is_added_file:
            status = "added"
        elif pf.is_removed_file:
            status, path = "deleted", _strip_prefix(pf.source_file)
        elif pf.is_rename:
            status, old_path = "renamed", _strip_prefix(pf.source_file)
        changes.append(
            FileChange(
                path=path,
                status=status,
                old_path=old_path,
                binary=info.binary,
                changed_lines=() if status == "deleted" or info.binary else info.ranges,
            )
        )
    return changes


def _mode_name(mode: str) -> str:
    return _MODE_NAMES.get(mode, f"mode {mode}")


def _skip_reason(entry: RawEntry) -> str | None:
    """Why a listed change is never documented, or ``None`` for an ordinary file change."""
    if entry.status == "T" and entry.new_mode in _MODES_REGULAR:
        return None  # a symlink or submodule replaced by a real file: document the file
    if entry.status == "T":
        return f"type changed ({_mode_name(entry.old_mode)} -> {_mode_name(entry.new_mode)})"
    mode = entry.old_mode if entry.status == "D" else entry.new_mode
    if mode == _MODE_GITLINK:
        return "submodule"
    if mode == _MODE_SYMLINK:
        return "symlink"
    if entry.status == "M" and entry.old_blob == entry.new_blob and entry.old_mode != entry.new_mode:
        return f"mode change only ({entry.old_mode} -> {entry.new_mode})"
    return None


_STATUS: dict[str, Status] = {"A": "added", "D": "deleted", "M": "modified", "T": "modified", "R": "renamed"}


def combine(entries: list[RawEntry], infos: list[_PatchInfo]) -> list[FileChange]:
    """Pair the raw records with the patch entries (same order; a type change has two patch entries).

    Raises:
        GitError: the two git outputs do not line up (never expected; says so rather than guess).
    """
    expected = len(entries) + sum(1 for e in entries if e.status == "T")
    if expected != len(infos):
        raise GitError(
            f"git diff --raw listed {len(entries)} changes but the patch has {len(infos)} entries; "
            "please report this with the two revisions"
        )
    changes: list[FileChange] = []
    pos = 0
    for entry in entries:
        status = _STATUS.get(entry.status)
        if status is None:
            raise GitError(f"unexpected git diff status {entry.status!r} for {entry.path!r}")
        info = infos[pos]
        if entry.status == "T":
            pos += 1  # the first of the pair is the old side's deletion; the new side comes second
            info = infos[pos]
        pos += 1
        changes.append(
            FileChange(
                path=entry.path,
                status=status,
                old_path=entry.old_path if status == "renamed" else None,
                binary=info.binary,
                changed_lines=() if status == "deleted" or info.binary else info.ranges,
                skip_reason=_skip_reason(entry),
                no_longer_file=entry.status == "T"
                and entry.old_mode in _MODES_REGULAR
                and entry.new_mode not in _MODES_REGULAR,
            )
        )
    return changes


def parse_numstat(data: bytes) -> dict[str, tuple[int, int] | None]:
    """``git diff --numstat -z`` without renames: path -> (added, deleted), ``None`` for binary files."""
    result: dict[str, tuple[int, int] | None] = {}
    for record in data.split(b"\0"):
        if not record:
            continue
        added, deleted, path = record.split(b"\t", 2)
        counts = None if added == b"-" else (int(added), int(deleted))
        result[decode_path(path)] = counts
    return result


def all_files(git: Git, head: str) -> list[FileChange]:
    """Every file at ``head`` as an addition (a new repository, a root commit, or ``--all``)."""
    empty = git.empty_tree()
    counts = parse_numstat(git.run_bytes(*_NUMSTAT_ARGS, empty, head))
    changes = []
    for entry in parse_raw(git.run_bytes(*_RAW_ARGS, empty, head)):
        stat = counts.get(entry.path, (0, 0))
        changes.append(
            FileChange(
                path=entry.path,
                status="added",
                binary=stat is None,
                changed_lines=((1, stat[0]),) if stat and stat[0] else (),
                skip_reason=_skip_reason(entry),
            )
        )
    return changes


def _commit(git: Git, rev: str) -> str:
    sha = git.try_resolve(rev)
    if sha is None:
        raise GitError(f"revision {rev!r} is not in {git.repo}; in a shallow clone {FETCH_HINT}")
    return sha


def changed_files(git: Git, base: str | None, head: str, *, everything: bool = False) -> list[FileChange]:
    """The files changed from ``base`` to ``head`` (for a merge commit and no base: its first parent).

    A ``base`` of 40 zeros or the empty tree, ``None`` on a root commit, or ``everything=True``
    means every file at ``head``. ``None`` otherwise means ``head``'s first parent.

    Raises:
        GitError: a revision is missing (the message says how to fetch it) or git failed.
    """
    head_sha = _commit(git, head)
    if everything or is_nothing(base):
        return all_files(git, head_sha)
    base_sha = _commit(git, base) if base else git.parent(head_sha)
    if base_sha is None:
        if git.is_shallow() and head_sha in git.shallow_commits():
            raise GitError(f"the parent of {head_sha[:12]} is not in this shallow clone; {FETCH_HINT}")
        return all_files(git, head_sha)
    entries = parse_raw(git.run_bytes(*_RAW_ARGS, base_sha, head_sha))
    if not entries:
        return []
    return combine(entries, _patch_infos(git.run(*_DIFF_ARGS, base_sha, head_sha)))
