"""What changed between two revisions, and which two revisions a run should compare.

This is the only module that runs git. ``Git`` is a thin runner with one ``run()`` plus small
questions (``has_commit``, ``is_shallow``) and ``try_*`` helpers; the functions below build pure
``FileChange`` / ``DiffRange`` values from its output.

Two git outputs are combined for every diff (REFERENCE section 7):

- ``git diff --raw -z -M`` is the source of truth for *which* paths changed, their status and their
  modes. ``-z`` gives the exact path bytes, so spaces, quotes, tabs, newlines, a leading ``-`` and
  non-ASCII names come out unchanged, and the list equals ``git diff --name-status -M``.
- the ``--unified=0`` patch, parsed with ``unidiff``, gives the changed line ranges and the binary
  flag. Its entries come in the same order as the raw records (git walks one diff queue for both);
  a type change (file <-> symlink) is the one record git prints as two patch entries.

When every file is new (root commit, 40-zero base, ``--all``), ``--numstat -z`` against the empty
tree replaces the patch: it gives each file's line count without materialising the whole tree as
patch text.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from unidiff import PatchSet, UnidiffParseError

from docbot.config import ZERO_SHA
from docbot.errors import GitError

Status = Literal["added", "modified", "deleted", "renamed"]
LineRange = tuple[int, int]
RangeKind = Literal["two-dot", "three-dot", "push", "new-branch"]

# git's well-known empty tree (SHA-1 repositories). ``Git.empty_tree`` asks git, so SHA-256
# repositories work too; this constant is accepted as a ``--base`` spelling of "nothing".
EMPTY_TREE_SHA1 = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"

# How far to deepen a shallow clone, step by step, before giving up (commits from each tip).
DEEPEN_STEPS: tuple[int, ...] = (50, 200, 1000, 5000)
FETCH_HINT = "use actions/checkout with `fetch-depth: 0` (or fetch the missing history) and run again"

# Options that keep user git config from changing the diff text we parse (REFERENCE 7.3):
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


@dataclass(frozen=True)
class DiffRange:
    """The two commits a run compares. ``base`` of ``None`` means every file at ``head``."""

    head: str
    base: str | None
    notices: tuple[str, ...] = ()

    @property
    def everything(self) -> bool:
        return self.base is None


def check_rev(rev: str) -> str:
    """``rev`` if it can only be read as a revision, never as an option (``--upload-pack=...``).

    Revisions come from webhook payloads and workflow_dispatch inputs: text others wrote.

    Raises:
        GitError: ``rev`` is empty, starts with ``-`` or holds a control character.
    """
    if not rev or rev.startswith("-") or any(ord(ch) < 32 or ord(ch) == 127 for ch in rev):
        raise GitError(f"{rev!r} is not a revision; pass a commit SHA, branch or tag name")
    return rev


def _decode_path(raw: bytes) -> str:
    # surrogateescape round-trips non-UTF-8 names back to the same bytes when passed to git again.
    return raw.decode("utf-8", errors="surrogateescape")


class Git:
    """Runs git in one repository. ``run`` raises ``GitError``; ``try_run`` returns ``None`` instead."""

    def __init__(self, repo: Path, *, remote: str = "origin") -> None:
        self.repo = Path(repo)
        self.remote = remote

    def run(self, *args: str, stdin: bytes | None = None, env: Mapping[str, str] | None = None) -> str:
        return self._run(args, stdin=stdin, env=env).decode("utf-8", errors="replace")

    def run_bytes(
        self, *args: str, stdin: bytes | None = None, env: Mapping[str, str] | None = None
    ) -> bytes:
        return self._run(args, stdin=stdin, env=env)

    def try_run(self, *args: str) -> str | None:
        try:
            return self.run(*args)
        except GitError:
            return None

    def _run(
        self, args: tuple[str, ...], *, stdin: bytes | None = None, env: Mapping[str, str] | None = None
    ) -> bytes:
        try:
            proc = subprocess.run(
                ["git", "-C", str(self.repo), *args],
                input=stdin,
                capture_output=True,
                check=False,
                timeout=300,
                env={**os.environ, **env} if env else None,
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

    def is_shallow(self) -> bool:
        return (self.try_run("rev-parse", "--is-shallow-repository") or "").strip() == "true"

    def has_remote(self) -> bool:
        return self.try_run("remote", "get-url", self.remote) is not None

    def has_commit(self, rev: str) -> bool:
        check_rev(rev)
        return self.try_run("rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}") is not None

    def shallow_commits(self) -> frozenset[str]:
        """The commits whose parents a shallow clone cut off (empty in a full clone)."""
        path = self.try_run("rev-parse", "--git-path", "shallow")
        if not path:
            return frozenset()
        file = Path(path.strip())
        file = file if file.is_absolute() else self.repo / file
        return frozenset(file.read_text(encoding="ascii").split()) if file.is_file() else frozenset()

    def resolve(self, rev: str) -> str:
        """The full commit SHA of ``rev``; a clear error when it does not exist here."""
        check_rev(rev)
        sha = self.try_run("rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}")
        if not sha:
            raise GitError(f"revision {rev!r} is not in {self.repo}; in a shallow clone {FETCH_HINT}")
        return sha.strip()

    def parent(self, rev: str) -> str | None:
        """The first parent of ``rev``, or ``None`` for a root commit (or a shallow clone's edge)."""
        out = self.try_run("rev-parse", "--verify", "--quiet", f"{rev}^1")
        return out.strip() if out else None

    def merge_base(self, a: str, b: str) -> str | None:
        out = self.try_run("merge-base", a, b)
        return out.strip() if out else None

    def is_ancestor(self, ancestor: str, rev: str) -> bool:
        return self.try_run("merge-base", "--is-ancestor", ancestor, rev) is not None

    def empty_tree(self) -> str:
        """The id of the empty tree in this repository's hash (git knows it without storing it)."""
        return self.run("hash-object", "-t", "tree", "--stdin", stdin=b"").strip()

    def try_fetch(self, *refs: str, depth: int | None = None) -> bool:
        """Fetch ``refs`` (SHAs or refspecs) from the remote; ``False`` when that is impossible."""
        for ref in refs:
            check_rev(ref)
        if not self.has_remote():
            return False
        args = ["fetch", "--quiet", "--no-tags", "--no-recurse-submodules"]
        if depth is not None:
            args.append(f"--depth={depth}")
        try:
            # Never wait for a password prompt: without credentials the fetch fails and the caller
            # falls back or names fetch-depth: 0.
            self.run(*args, "--end-of-options", self.remote, *refs, env={"GIT_TERMINAL_PROMPT": "0"})
        except GitError:
            return False
        return True

    def show_file(self, rev: str, path: str) -> bytes:
        return self.run_bytes("show", f"{rev}:{path}")

    def blob_reader(self, rev: str) -> BlobReader:
        """A reader for many files at ``rev`` through one git process (use as a context manager)."""
        return BlobReader(self, rev)

    def ls_files(self, rev: str) -> list[str]:
        out = self.run_bytes("ls-tree", "-r", "-z", "--name-only", rev)
        return [_decode_path(p) for p in out.split(b"\0") if p]

    def diff(self, base: str, head: str) -> str:
        return self.run(*_DIFF_ARGS, base, head)

    def diff_raw(self, base: str, head: str) -> bytes:
        return self.run_bytes(*_RAW_ARGS, base, head)

    def numstat(self, base: str, head: str) -> bytes:
        return self.run_bytes(
            "diff", "--no-color", "--no-ext-diff", "--no-textconv", "--numstat", "-z", base, head
        )

    def attributes(self, rev: str, paths: Sequence[str], names: Sequence[str]) -> dict[str, dict[str, str]]:
        """``git check-attr`` for ``paths`` with the ``.gitattributes`` files of ``rev`` (not the work tree).

        git 2.39 (Debian's) has no ``check-attr --source``, so the tree of ``rev`` is read into a
        temporary index and ``--cached`` reads the attributes from there.

        Returns:
            path -> {attribute: value} for every attribute that is not "unspecified"; values are
            ``set``, ``unset`` or the assigned string.
        """
        if not paths or not names:
            return {}
        with tempfile.TemporaryDirectory(prefix="docbot-attr-") as tmp:
            env = {"GIT_INDEX_FILE": str(Path(tmp) / "index")}
            self.run("read-tree", rev, env=env)
            stdin = b"".join(p.encode("utf-8", errors="surrogateescape") + b"\0" for p in paths)
            out = self.run_bytes("check-attr", "--cached", "-z", "--stdin", *names, stdin=stdin, env=env)
        fields = out.split(b"\0")
        result: dict[str, dict[str, str]] = {}
        for i in range(0, len(fields) - 2, 3):
            path, name, value = _decode_path(fields[i]), fields[i + 1].decode(), fields[i + 2].decode()
            if value != "unspecified":
                result.setdefault(path, {})[name] = value
        return result


# --- parsing ---


class BlobReader:
    """Reads files at one revision through a single ``git cat-file --batch`` process.

    One process for the whole run instead of one ``git show`` per file: on a push of 1,000 files that
    is the difference between seconds of process start-up and a few milliseconds. Files are read one at
    a time, so memory stays bounded by the largest file.
    """

    def __init__(self, git: Git, rev: str) -> None:
        self._git = git
        self._rev = rev
        self._proc: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> BlobReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _process(self) -> subprocess.Popen[bytes]:
        if self._proc is None:
            self._proc = subprocess.Popen(
                ["git", "-C", str(self._git.repo), "cat-file", "--batch"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
            )
        return self._proc

    def read(self, path: str) -> bytes:
        """The bytes of ``path`` at the reader's revision.

        Raises:
            GitError: the path does not exist there (or is not a file).
        """
        if "\n" in path or "\r" in path:
            # --batch takes one object name per line: such names go through git show.
            return self._git.show_file(self._rev, path)
        proc = self._process()
        assert proc.stdin is not None and proc.stdout is not None
        try:
            proc.stdin.write(f"{self._rev}:{path}\n".encode("utf-8", "surrogateescape"))
            proc.stdin.flush()
            header = proc.stdout.readline()
        except OSError as exc:
            raise GitError(f"git cat-file failed while reading {path!r}: {exc}") from exc
        parts = header.split()
        # "<sha> blob <size>" for a file; "<name> missing" (or another type) for anything else.
        if len(parts) != 3 or parts[1] != b"blob":
            raise GitError(
                f"{path!r} is not a file at {self._rev[:12]}: {header.decode(errors='replace').strip()}"
            )
        size = int(parts[2])
        data = proc.stdout.read(size)
        proc.stdout.read(1)  # the newline after the contents
        if len(data) != size:
            raise GitError(f"git cat-file ended early while reading {path!r}")
        return data

    def close(self) -> None:
        if self._proc is not None:
            if self._proc.stdin is not None:
                self._proc.stdin.close()
            if self._proc.stdout is not None:
                self._proc.stdout.close()
            self._proc.wait(timeout=30)
            self._proc = None


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
            old, new = _decode_path(fields[i + 1]), _decode_path(fields[i + 2])
            entries.append(RawEntry(letter, old_mode, new_mode, old_blob, new_blob, new, old))
            i += 3
        else:
            path = _decode_path(fields[i + 1])
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
        result[_decode_path(path)] = counts
    return result


def all_files(git: Git, head: str) -> list[FileChange]:
    """Every file at ``head`` as an addition (a new repository, a root commit, or ``--all``)."""
    empty = git.empty_tree()
    counts = parse_numstat(git.numstat(empty, head))
    changes = []
    for entry in parse_raw(git.diff_raw(empty, head)):
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


def _is_nothing(rev: str | None) -> bool:
    return rev in {ZERO_SHA, EMPTY_TREE_SHA1}


def changed_files(git: Git, base: str | None, head: str, *, everything: bool = False) -> list[FileChange]:
    """The files changed from ``base`` to ``head`` (for a merge commit and no base: its first parent).

    A ``base`` of 40 zeros or the empty tree, ``None`` on a root commit, or ``everything=True``
    means every file at ``head``. ``None`` otherwise means ``head``'s first parent.

    Raises:
        GitError: a revision is missing (the message says how to fetch it) or git failed.
    """
    head_sha = git.resolve(head)
    if everything or _is_nothing(base):
        return all_files(git, head_sha)
    base_sha = git.resolve(base) if base else git.parent(head_sha)
    if base_sha is None:
        if git.is_shallow() and head_sha in git.shallow_commits():
            raise GitError(f"the parent of {head_sha[:12]} is not in this shallow clone; {FETCH_HINT}")
        return all_files(git, head_sha)
    entries = parse_raw(git.diff_raw(base_sha, head_sha))
    if not entries:
        return []
    return combine(entries, _patch_infos(git.diff(base_sha, head_sha)))


# --- which two commits to compare ---


def _short(sha: str) -> str:
    return sha[:12]


def ensure_commit(git: Git, rev: str) -> str | None:
    """The SHA of ``rev``, fetching it from the remote when this clone lacks it; ``None`` if impossible.

    A shallow clone fetches only that commit (``--depth=1``): a two-dot diff needs its tree, not
    its history.
    """
    if git.has_commit(rev):
        return git.resolve(rev)
    depth = 1 if git.is_shallow() else None
    if not git.try_fetch(rev, depth=depth):
        return None
    if git.has_commit(rev):
        return git.resolve(rev)
    # A branch or tag name arrives as FETCH_HEAD, not under its own name.
    return git.resolve("FETCH_HEAD") if git.has_commit("FETCH_HEAD") else None


def _require(git: Git, rev: str, role: str) -> str:
    sha = ensure_commit(git, rev)
    if sha is None:
        where = "this shallow clone" if git.is_shallow() else str(git.repo)
        raise GitError(f"{role} commit {rev!r} is not in {where} and could not be fetched; {FETCH_HINT}")
    return sha


def _deepen_until(
    git: Git, found: Callable[[], bool], tips: Iterable[str], steps: Sequence[int] = DEEPEN_STEPS
) -> bool:
    """Deepen a shallow clone from ``tips`` in bounded steps until ``found()`` holds."""
    if found():
        return True
    refs = list(tips)
    for depth in steps:
        if not git.is_shallow():
            return found()
        # One fetch per tip: with several wants in one fetch, git 2.39 leaves a tip that is already
        # present (and up to date) at its old shallow depth.
        fetched = [git.try_fetch(ref, depth=depth) for ref in refs]
        if not any(fetched):
            return found()
        if found():
            return True
    return False


def _parent_or_everything(git: Git, head: str, notices: list[str]) -> DiffRange:
    parent = git.parent(head)
    if parent is None and head in git.shallow_commits():
        _deepen_until(git, lambda: git.parent(head) is not None, [head], steps=(2,))
        parent = git.parent(head)
        if parent is None:
            raise GitError(f"the parent of {_short(head)} is not in this shallow clone; {FETCH_HINT}")
    if parent is None:
        notices.append(f"{_short(head)} is a root commit: documenting every file")
        return DiffRange(head=head, base=None, notices=tuple(notices))
    return DiffRange(head=head, base=parent, notices=tuple(notices))


def _branch_point(
    git: Git, head: str, default_branch: str | None, steps: Sequence[int]
) -> tuple[str | None, str | None]:
    """``(merge-base of head and the default branch, the ref compared)``; ``(None, ref)`` if none."""
    if not default_branch:
        return None, None
    remote_ref = f"refs/remotes/{git.remote}/{default_branch}"
    local_ref = f"refs/heads/{default_branch}"
    if git.is_shallow() or not (git.has_commit(remote_ref) or git.has_commit(local_ref)):
        git.try_fetch(f"+{local_ref}:{remote_ref}", depth=1 if git.is_shallow() else None)
    ref = remote_ref if git.has_commit(remote_ref) else local_ref if git.has_commit(local_ref) else None
    if ref is None:
        return None, None
    found = _deepen_until(
        git, lambda: git.merge_base(head, ref) is not None, [head, f"+{local_ref}:{remote_ref}"], steps
    )
    return (git.merge_base(head, ref) if found else None), ref


def _since_branch_point(
    git: Git,
    head: str,
    *,
    default_branch: str | None,
    branch: str | None,
    created: bool,
    notices: list[str],
    steps: Sequence[int],
) -> DiffRange:
    """The fallback of a new branch or a rewritten one: its merge-base with the default branch.

    On the default branch itself there is no other branch to compare with: a newly created default
    branch is the repository's first push (every file); a rewritten one falls back to the parent.
    """
    if default_branch and branch != default_branch:
        point, ref = _branch_point(git, head, default_branch, steps)
        if point is not None:
            label = "head is already on" if point == head else "merge-base with"
            notices.append(f"documenting changes since {_short(point)} ({label} {default_branch})")
            return DiffRange(head=head, base=point, notices=tuple(notices))
        why = "has no history in common with" if ref else "cannot be compared with missing branch"
        if git.is_shallow():
            raise GitError(
                f"{_short(head)} {why} {default_branch} within {max(steps, default=0)} commits "
                f"of this shallow clone; {FETCH_HINT}"
            )
        notices.append(f"{_short(head)} {why} {default_branch}: documenting every file")
        return DiffRange(head=head, base=None, notices=tuple(notices))
    if created:
        if default_branch is None:
            notices.append("new branch and no default branch to compare with: documenting every file")
        else:
            notices.append("first push of the default branch: documenting every file")
        return DiffRange(head=head, base=None, notices=tuple(notices))
    notices.append("documenting the last commit's changes (against its parent)")
    return _parent_or_everything(git, head, notices)


def resolve_range(
    git: Git,
    head: str,
    base: str | None = None,
    *,
    kind: RangeKind = "two-dot",
    everything: bool = False,
    default_branch: str | None = None,
    branch: str | None = None,
    steps: Sequence[int] = DEEPEN_STEPS,
) -> DiffRange:
    """Turn what an event asked for into two concrete commits, fetching history a shallow clone lacks.

    Args:
        git: the repository.
        head: the commit to document.
        base: the other end. For ``two-dot``, ``None`` means head's first parent and 40 zeros or the
            empty tree mean every file.
        kind: ``two-dot`` compares base and head as given. ``three-dot`` compares head with its
            merge-base with base (a pull request's own changes, never the synthetic merge commit).
            ``push`` (a forced push) is ``two-dot`` while base is an ancestor of head; when base is
            missing or not an ancestor it falls back like ``new-branch``. ``new-branch`` compares
            with the merge-base of head and ``default_branch``.
        everything: document every file at head.
        default_branch: the repository's default branch name, for the merge-base fallbacks.
        branch: the pushed branch's name: on the default branch itself the fallback is the parent.
        steps: depths to deepen a shallow clone to, in order, before giving up.

    Returns:
        The ``DiffRange``, with notices saying which fallback was taken and why.

    Raises:
        GitError: a required commit or history cannot be had; the message names ``fetch-depth: 0``.
    """
    head_sha = _require(git, head, "head")
    notices: list[str] = []
    if everything:
        return DiffRange(head=head_sha, base=None)

    if kind == "two-dot":
        if base is None:
            return _parent_or_everything(git, head_sha, notices)
        if _is_nothing(base):
            return DiffRange(head=head_sha, base=None)
        return DiffRange(head=head_sha, base=_require(git, base, "base"))

    if kind == "three-dot":
        if base is None or _is_nothing(base):
            raise GitError(f"a three-dot range needs a base commit (a pull request's base.sha), got {base!r}")
        base_sha = _require(git, base, "base")

        def has_merge_base() -> bool:
            return git.merge_base(base_sha, head_sha) is not None

        if not _deepen_until(git, has_merge_base, [base_sha, head_sha], steps):
            if git.is_shallow():
                raise GitError(
                    f"no merge-base of {_short(base_sha)} and {_short(head_sha)} within "
                    f"{max(steps, default=0)} commits of this shallow clone; {FETCH_HINT}"
                )
            raise GitError(
                f"{_short(base_sha)} and {_short(head_sha)} share no history (unrelated branches); "
                "compare them two-dot with `docbot run --base A --head B`"
            )
        merge_base = git.merge_base(base_sha, head_sha)
        assert merge_base is not None
        return DiffRange(head=head_sha, base=merge_base)

    created = kind == "new-branch" or base is None or _is_nothing(base)
    if kind == "push" and not created:
        assert base is not None
        prev_sha = ensure_commit(git, base)
        if prev_sha is None:
            notices.append(f"forced push: the previous tip {_short(base)} is not in the repository any more")
        else:

            def is_ancestor() -> bool:
                return git.is_ancestor(prev_sha, head_sha)

            if _deepen_until(git, is_ancestor, [head_sha], steps):
                return DiffRange(head=head_sha, base=prev_sha)
            notices.append(
                f"forced push: the previous tip {_short(prev_sha)} is not an ancestor of {_short(head_sha)}"
            )
    return _since_branch_point(
        git,
        head_sha,
        default_branch=default_branch,
        branch=branch,
        created=created,
        notices=notices,
        steps=steps,
    )
