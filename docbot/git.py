"""The one git runner: every git process docbot starts goes through ``Git`` (or its ``BlobReader``).

``Git.run`` (and ``run_bytes``) raise ``GitError`` carrying git's stderr; ``try_*`` helpers return
``None`` or ``False`` instead; the questions a caller asks are predicates (``is_repo``, ``is_shallow``,
``has_commit``, ``has_remote``, ``is_ancestor``). What to diff and which commits to compare live in
``changes`` and ``ranges``; this module only knows how to ask git.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path

from docbot.errors import GitError


def decode_path(raw: bytes) -> str:
    """A path from git's ``-z`` output as ``str``, round-tripping names that are not UTF-8.

    surrogateescape turns undecodable bytes back into the same bytes when the name is passed to git
    (or the file system) again.
    """
    return raw.decode("utf-8", errors="surrogateescape")


def check_rev(rev: str) -> str:
    """``rev`` if it can only be read as a revision, never as an option (``--upload-pack=...``).

    Revisions come from webhook payloads and workflow_dispatch inputs: text others wrote.

    Raises:
        GitError: ``rev`` is empty, starts with ``-`` or holds a control character.
    """
    if not rev or rev.startswith("-") or any(ord(ch) < 32 or ord(ch) == 127 for ch in rev):
        raise GitError(f"{rev!r} is not a revision; pass a commit SHA, branch or tag name")
    return rev


class Git:
    """Runs git in one repository.

    ``run`` and ``run_bytes`` raise ``GitError`` with git's stderr; ``try_run``, ``try_resolve`` and
    ``try_fetch`` return ``None`` or ``False`` instead.
    """

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

    def uncommitted_paths(self) -> list[str]:
        """Paths whose working-tree state differs from HEAD: staged, unstaged and untracked files
        (ignored ones left out)."""
        out = self.run_bytes("status", "--porcelain=v1", "-z", "--untracked-files=all")
        entries = iter(out.split(b"\0"))
        paths = []
        for entry in entries:
            if len(entry) < 4:
                continue
            paths.append(decode_path(entry[3:]))
            if entry[:1] in (b"R", b"C"):
                next(entries, None)  # a rename's or copy's source path follows as its own entry
        return paths

    def snapshot_worktree(self) -> str:
        """A commit of the working tree as it is now, whose parent is HEAD: tracked changes, staged or
        not, and untracked files (ignored ones left out).

        Written through a temporary index, so no ref, the real index or any file changes: the commit
        is an unreferenced object that git's garbage collection removes in time.
        """
        with tempfile.TemporaryDirectory(prefix="docbot-index-") as tmp:
            index = {"GIT_INDEX_FILE": str(Path(tmp) / "index")}
            self.run("read-tree", "HEAD", env=index)
            self.run("add", "--all", "--", ".", env=index)
            tree = self.run("write-tree", env=index).strip()
        who = {"GIT_AUTHOR_NAME": "docbot", "GIT_AUTHOR_EMAIL": "docbot@localhost"}
        who |= {"GIT_COMMITTER_NAME": "docbot", "GIT_COMMITTER_EMAIL": "docbot@localhost"}
        return self.run("commit-tree", tree, "-p", "HEAD", "-m", "docbot: the working tree", env=who).strip()

    def is_shallow(self) -> bool:
        return (self.try_run("rev-parse", "--is-shallow-repository") or "").strip() == "true"

    def has_remote(self) -> bool:
        return self.try_run("remote", "get-url", self.remote) is not None

    def try_remote_url(self) -> str | None:
        """The remote's URL as configured, or ``None`` without one."""
        url = self.try_run("remote", "get-url", self.remote)
        return url.strip() if url else None

    def has_commit(self, rev: str) -> bool:
        check_rev(rev)
        return self.try_run("rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}") is not None

    def has_any_commit(self) -> bool:
        """False in a repository where nothing was committed yet (no branch, tag or HEAD to name)."""
        return bool(self.try_run("rev-list", "-n", "1", "--all")) or self.has_commit("HEAD")

    def shallow_commits(self) -> frozenset[str]:
        """The commits whose parents a shallow clone cut off (empty in a full clone)."""
        path = self.try_run("rev-parse", "--git-path", "shallow")
        if not path:
            return frozenset()
        file = Path(path.strip())
        file = file if file.is_absolute() else self.repo / file
        return frozenset(file.read_text(encoding="ascii").split()) if file.is_file() else frozenset()

    def try_resolve(self, rev: str) -> str | None:
        """The full commit SHA of ``rev``, or ``None`` when no such commit is here."""
        check_rev(rev)
        sha = self.try_run("rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}")
        return sha.strip() if sha else None

    def resolve(self, rev: str) -> str:
        """The full commit SHA of ``rev``.

        Raises:
            GitError: ``rev`` is not a revision, or no such commit is in this repository.
        """
        sha = self.try_resolve(rev)
        if sha is None:
            raise GitError(f"revision {rev!r} is not in {self.repo}")
        return sha

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

    def commit_index(self) -> str:
        """A commit of the staged files (the index) on top of HEAD, made without moving any ref.

        ``docbot run --staged`` documents it, so a pre-commit hook sees exactly what is about to be
        committed; the commit stays unreferenced (git's garbage collection removes it).
        """
        tree = self.run("write-tree").strip()
        head = self.try_resolve("HEAD")
        who = {"GIT_AUTHOR_NAME": "docbot", "GIT_AUTHOR_EMAIL": "docbot@localhost"}
        who |= {"GIT_COMMITTER_NAME": "docbot", "GIT_COMMITTER_EMAIL": "docbot@localhost"}
        parent = ("-p", head) if head else ()
        return self.run("commit-tree", tree, *parent, "-m", "docbot: staged files", env=who).strip()

    def show_file(self, rev: str, path: str) -> bytes:
        return self.run_bytes("show", f"{rev}:{path}")

    def try_read_blob(self, sha: str) -> bytes | None:
        """The blob ``sha`` if this repository has it, else ``None``."""
        try:
            return self.run_bytes("cat-file", "blob", check_rev(sha))
        except GitError:
            return None

    def blob_reader(self, rev: str) -> BlobReader:
        """A reader for many files at ``rev`` through one git process (use as a context manager)."""
        return BlobReader(self, rev)

    def ls_files(self, rev: str) -> list[str]:
        out = self.run_bytes("ls-tree", "-r", "-z", "--name-only", rev)
        return [decode_path(p) for p in out.split(b"\0") if p]

    def attributes(
        self, rev: str | None, paths: Sequence[str], names: Sequence[str]
    ) -> dict[str, dict[str, str]]:
        """``git check-attr`` for ``paths`` with the ``.gitattributes`` files of ``rev`` (not the work tree).

        git 2.39 (Debian's) has no ``check-attr --source``, so the tree of ``rev`` is read into a
        temporary index and ``--cached`` reads the attributes from there. ``rev=None`` reads the
        working tree's ``.gitattributes`` instead (``docbot check`` looks at uncommitted files).

        Returns:
            path -> {attribute: value} for every attribute that is not "unspecified"; values are
            ``set``, ``unset`` or the assigned string.
        """
        if not paths or not names:
            return {}
        stdin = b"".join(p.encode("utf-8", errors="surrogateescape") + b"\0" for p in paths)
        if rev is None:
            out = self.run_bytes("check-attr", "-z", "--stdin", *names, stdin=stdin)
        else:
            with tempfile.TemporaryDirectory(prefix="docbot-attr-") as tmp:
                env = {"GIT_INDEX_FILE": str(Path(tmp) / "index")}
                self.run("read-tree", rev, env=env)
                out = self.run_bytes("check-attr", "--cached", "-z", "--stdin", *names, stdin=stdin, env=env)
        fields = out.split(b"\0")
        result: dict[str, dict[str, str]] = {}
        for i in range(0, len(fields) - 2, 3):
            path, name, value = decode_path(fields[i]), fields[i + 1].decode(), fields[i + 2].decode()
            if value != "unspecified":
                result.setdefault(path, {})[name] = value
        return result


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
