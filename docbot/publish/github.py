"""Publishing to GitHub through PyGithub: a docs pull request, one sticky comment, or a commit.

Built on ``github_api.GitHubApi`` (the client, its retry policy and error translation), and only
writes: what to change is decided by ``plan.decide`` and the bodies are rendered by
``render.bodies``. ``GitHubPublisher.publish(plan, report)`` does the whole job and returns a
``PublishRecord``: in ``pull_request`` and ``commit`` mode the pages land in one commit, built with the
git data API so they appear atomically when the ref moves, then the pull request is opened or updated;
in ``comment`` mode the sticky comment carries the pages. ``publish_sources`` commits docstrings
written back into source files to ``docbot/docstrings/<base>`` and opens or updates their pull request.

Every write is idempotent: a rerun on the same input finds the branch, pull request or comment it made
before and updates it; a 422 "already exists" is resolved by looking the object up. Nothing is kept on
the publisher between calls.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from github.GitRef import GitRef
from github.InputGitTreeElement import InputGitTreeElement

from docbot.config import PublishSettings
from docbot.errors import ConfigError, PermanentError, TransientError
from docbot.events import RunSpec
from docbot.markers import FRONT_MATTER_MAX, TRAILER, front_matter_value, source_of
from docbot.plural import count
from docbot.publish.files import FilesPublisher
from docbot.publish.github_api import GitHubApi, GitHubApiError, PullInfo, pull_info
from docbot.publish.plan import (
    FORBIDDEN_PREFIX,
    Changes,
    DocsPlan,
    Existing,
    decide,
    git_blob_sha,
    neutralised,
    unsafe_path,
)
from docbot.render.bodies import Links, comment_body, pull_request_body, refused_pull_request_comment
from docbot.render.site import SITE_FILE_NAMES, is_site_file
from docbot.report import PublishRecord, RunReport

ACTIONS_PR_FORBIDDEN = "not permitted to create or approve pull requests"
PR_SETTING_HINT = (
    "turn on Settings → Actions → General → Workflow permissions → 'Allow GitHub Actions to create and "
    "approve pull requests' (or pass a personal access token as github_token)"
)
# Pages up to this size travel inside the tree request itself: one request instead of one blob per
# page keeps a large run clear of GitHub's limit of about 80 content-creating requests a minute.
INLINE_MAX_BYTES = 64 * 1024

Mode = Literal["pull_request", "comment", "commit"]
ReadBlob = Callable[[str], bytes | None]
Entry = tuple[str, str]  # (mode, blob sha)
_FILE_MODES = {"100644", "100755"}


@dataclass(frozen=True)
class Target:
    """Where a run publishes.

    ``branch`` is the branch the pages build on: the base of the docs pull request (mode
    ``pull_request``), the branch committed to (``commit``); ``pr_number`` is the pull request the run is
    about (the sticky comment's home, and where a refused pull request falls back to).
    """

    mode: Mode
    branch: str | None = None
    pr_number: int | None = None
    links: Links = field(default_factory=Links)
    pr_title: str = "docs: update the API documentation"
    server_url: str = "https://github.com"
    trigger_phrase: str = "/docbot"


@dataclass(frozen=True)
class SourceEdit:
    """A source file's new text (docstrings written back) and the text it was made from."""

    path: str
    old: bytes
    new: bytes


# The subject of docbot's docstrings commits: only such a commit's files are carried into the next one.
DOCSTRINGS_SUBJECT = "docs: add docstrings to"


def docstrings_branch(base: str) -> str:
    """The branch of the docstrings pull request into ``base`` (beside ``docbot/<base>``, the pages')."""
    return f"docbot/docstrings/{base}"


def unsafe_source(path: str) -> str | None:
    """Why ``path`` is no source file docbot may commit to: not a clean relative path, or a workflow."""
    parts = path.split("/")
    if not path or path.startswith("/") or any(p in {"", ".", ".."} for p in parts) or parts[0] == ".git":
        return "is not a clean relative path inside the repository"
    if path.startswith(FORBIDDEN_PREFIX):
        return "is under .github/workflows, where docbot never writes"
    return None


def _head(data: bytes) -> str:
    # The marker is the page's front matter (or, from docbot 0.1, its first line).
    return data[:FRONT_MATTER_MAX].decode("utf-8", errors="replace")


@dataclass(frozen=True)
class _Commit:
    """What the commit step did, for the pull request step."""

    branch: str
    sha: str | None  # None: nothing to change
    open_pr: PullInfo | None = None
    written: tuple[str, ...] = ()
    deleted: tuple[str, ...] = ()


class _Tree:
    """Reading one publish call's trees and blobs: blobs come from the checkout when it has them."""

    def __init__(self, api: GitHubApi, local_blob: ReadBlob) -> None:
        self.api = api
        self.local_blob = local_blob
        self.blobs: dict[str, bytes] = {}
        # Blobs of docbot's own earlier commit (carried over): known to be generated pages, so neither
        # their marker nor their source needs a read; page_path() maps path <-> source one to one.
        self.carried: set[str] = set()
        self.listings: dict[str, dict[str, Any]] = {}

    def blob(self, sha: str) -> bytes:
        if sha not in self.blobs:
            data = self.local_blob(sha)
            if data is None:
                blob = self.api.call(f"GET blob {sha[:12]}", lambda: self.api.repo.get_git_blob(sha))
                data = base64.b64decode(blob.content) if blob.encoding == "base64" else blob.content.encode()
            self.blobs[sha] = data
        return self.blobs[sha]

    def existing(self, path: str, entry: Entry, out_dir: str) -> Existing:
        mode, sha = entry
        if mode not in _FILE_MODES:
            return Existing(digest="", generated=False)  # a symlink or a submodule: never a page
        if sha in self.carried:
            site_file = path.rsplit("/", 1)[-1] in SITE_FILE_NAMES
            if site_file:
                return Existing(sha, True, None)
            summary = front_matter_value(_head(self.blob(sha)), "description") or ""
            return Existing(sha, True, path[len(out_dir) + 1 : -len(".md")], summary)
        head = _head(self.blob(sha))
        source = source_of(head)
        summary = front_matter_value(head, "description") or ""
        return Existing(sha, source is not None or is_site_file(path, head), source, summary)

    def entries(self, tree_sha: str, folder: str) -> tuple[Any, dict[str, Entry]]:
        """The root tree object and the files under ``folder`` at ``tree_sha``.

        Walks down to ``folder`` one level at a time and lists only that subtree recursively, so a huge
        repository never meets the API's truncation of recursive listings of the whole tree.
        """
        root = self.tree(tree_sha)
        tree = root
        parts = folder.split("/")
        for depth, part in enumerate(parts, 1):
            named = [e for e in tree.tree if e.path == part]
            if named and named[0].type != "tree":
                # A commit would replace this symlink, file or submodule with a folder: never docbot's call.
                shown = "/".join(parts[:depth])
                kind = {"120000": "a symlink", "160000": "a submodule"}.get(named[0].mode, "a file")
                raise ConfigError(
                    f"docs folder {folder}: {shown} is {kind} in the repository, not a folder; "
                    "docbot will not replace it (choose another docs_dir)"
                )
            if not named:
                return root, {}
            match = named
            # The folder itself is listed recursively at once; the levels above it one by one.
            tree = self.tree(match[0].sha, recursive=depth == len(parts))
        listing = tree
        if listing.raw_data.get("truncated"):
            raise PermanentError(
                f"the folder {folder} holds more entries than the API lists at once; use a docs_dir with "
                "fewer files"
            )
        # Submodules (type commit) are listed too, so a page can never replace one.
        entries = {
            f"{folder}/{e.path}": (e.mode, e.sha) for e in listing.tree if e.type in {"blob", "commit"}
        }
        return root, entries

    def tree(self, sha: str, *, recursive: bool = False) -> Any:
        return self.api.call(
            f"GET tree {sha[:12]}", lambda: self.api.repo.get_git_tree(sha, recursive=recursive)
        )

    def listing(self, sha: str) -> dict[str, Any]:
        """One tree's entries by name (not recursive), read once per publish call."""
        if sha not in self.listings:
            self.listings[sha] = {e.path: e for e in self.tree(sha).tree}
        return self.listings[sha]

    def lookup(self, tree_sha: str, path: str) -> tuple[Entry | None, str | None]:
        """The file at ``path`` under ``tree_sha`` (``None`` when absent), or why docbot must not write it.

        Walked one folder at a time from the root, like ``paths.unsafe_target`` in a working tree: a
        symlink, a submodule or a file where a folder is needed makes the path unsafe.
        """
        parts = path.split("/")
        sha = tree_sha
        for depth, part in enumerate(parts, 1):
            entry = self.listing(sha).get(part)
            if entry is None:
                return None, None
            shown = "/".join(parts[:depth])
            if entry.mode == "120000":
                return None, f"{shown} is a symlink in the repository; docbot never writes through one"
            if depth == len(parts):
                if entry.mode not in _FILE_MODES:
                    return None, f"{shown} is not a regular file in the repository"
                return (entry.mode, entry.sha), None
            if entry.type != "tree":
                return None, f"{shown} is not a folder in the repository"
            sha = entry.sha
        return None, None

    def changed(self, old: str, new: str, prefix: str = "") -> list[str]:
        """The paths whose entries differ between trees ``old`` and ``new``, reading only the folders
        that differ (their SHAs say so), so a small commit costs a few requests in any repository."""
        if old == new:
            return []
        left, right = self.listing(old), self.listing(new)
        out: list[str] = []
        for name in sorted(set(left) | set(right)):
            a, b = left.get(name), right.get(name)
            if a is not None and b is not None and (a.mode, a.sha) == (b.mode, b.sha):
                continue
            if a is not None and b is not None and a.type == b.type == "tree":
                out += self.changed(a.sha, b.sha, f"{prefix}{name}/")
            else:
                out.append(f"{prefix}{name}")
        return out


class GitHubPublisher:
    """Publishes a ``DocsPlan`` to GitHub in one of three modes (see ``Target``).

    Args:
        api: the client for the repository.
        target: mode, branch and pull request.
        local_blob: reads a blob by SHA from the local checkout (``None`` if absent), so reading existing
            pages costs no API request when the checkout has them.
        head_sha: the commit the run documented (named in the commit message and the bodies).
    """

    def __init__(
        self, api: GitHubApi, target: Target, *, local_blob: ReadBlob | None = None, head_sha: str = ""
    ) -> None:
        self.api = api
        self.target = target
        self.local_blob = local_blob or (lambda sha: None)
        self.head_sha = head_sha

    def publish(self, plan: DocsPlan, report: RunReport) -> PublishRecord:
        """Carry out ``plan`` and announce it with ``report``'s summary.

        Raises:
            GitHubApiError, GitHubTransientError: the API refused or kept failing; nothing half-done is
                visible, because only the final ref update publishes the commit.
        """
        plan = neutralised(plan, self.target.trigger_phrase)
        if self.target.mode == "comment":
            return self._comment(plan, report)
        commit, changes = self._commit(plan)
        refused = changes.refused
        if commit.sha is None:
            return PublishRecord(
                branch=commit.branch, refused=refused, notes=("The docs are already up to date: no commit.",)
            )
        if self.target.mode == "commit":
            return PublishRecord(
                "committed",
                branch=commit.branch,
                commit_sha=commit.sha,
                written=changes.written,
                deleted=changes.delete,
                refused=refused,
            )
        return self._pull_request(
            report.published(PublishRecord(written=changes.written, deleted=changes.delete, refused=refused)),
            commit,
            changes,
        )

    # --- the commit ---

    def _commit(self, plan: DocsPlan) -> tuple[_Commit, Changes]:
        repo = self.api.repo
        base_branch = self.target.branch
        if not base_branch:
            raise ConfigError(f"mode {self.target.mode}: no branch to publish to (the event names none)")
        if not plan.pages and not plan.deletions:
            # Nothing documented or removed: no commit, no pull request, not even a read.
            return _Commit(base_branch, None), Changes()
        tree = _Tree(self.api, self.local_blob)
        base = self.api.call(f"GET branch {base_branch}", lambda: repo.get_branch(base_branch).commit.sha)
        base_commit = self.api.call(f"GET commit {base[:12]}", lambda: repo.get_git_commit(base))
        root, start = tree.entries(base_commit.tree.sha, plan.out_dir)
        current = dict(start)

        if self.target.mode == "pull_request":
            branch = f"docbot/{base_branch}"
            ref = self._ref_sha(branch)
            open_pr = self._find_pr(branch, base_branch)
            prev = None
            if ref is not None and open_pr is not None:
                prev_sha = ref[1]
                prev = self.api.call(f"GET commit {prev_sha[:12]}", lambda: repo.get_git_commit(prev_sha))
                self._carry_over(tree, prev, plan.out_dir, current)
        else:
            branch, ref, open_pr, prev = base_branch, None, None, None

        changes = decide(plan, list(current), lambda path: tree.existing(path, current[path], plan.out_dir))
        new = dict(changes.write)
        for path, text in changes.write:
            current[path] = ("100644", git_blob_sha(text.encode("utf-8")))
        for path in changes.delete:
            del current[path]
        changed = {p: e for p, e in current.items() if start.get(p) != e}
        removed = [p for p in start if p not in current]
        if not changed and not removed:
            return _Commit(branch, None, open_pr), changes

        elements = []
        for path, (mode, sha) in sorted(changed.items()):
            content = new.get(path)
            if content is not None and len(content.encode("utf-8")) <= INLINE_MAX_BYTES:
                elements.append(InputGitTreeElement(path, mode, "blob", content=content))
            elif content is not None:
                blob = self._create_blob(content)
                elements.append(InputGitTreeElement(path, mode, "blob", sha=blob.sha))
            else:
                elements.append(InputGitTreeElement(path, mode, "blob", sha=sha))
        elements += [InputGitTreeElement(path, "100644", "blob", sha=None) for path in sorted(removed)]
        new_tree = self.api.call("POST tree", lambda: repo.create_git_tree(elements, root))

        if prev is not None and prev.tree.sha == new_tree.sha and [p.sha for p in prev.parents] == [base]:
            # A rerun on the same input: the branch already holds exactly this commit.
            sha = prev.sha
        else:
            message = self._message(changes)
            commit = self.api.call(
                "POST commit", lambda: repo.create_git_commit(message, new_tree, [base_commit])
            )
            sha = commit.sha
            self._move_ref(branch, sha, ref, force=self.target.mode == "pull_request")
        # The pull request's pages: everything its commit changes against the base, carried-over included.
        return _Commit(branch, sha, open_pr, tuple(sorted(changed)), tuple(sorted(removed))), changes

    def _carry_over(self, tree: _Tree, prev: Any, out_dir: str, current: dict[str, Entry]) -> None:
        """Keep the pages an earlier, still open docbot pull request added: the branch is rebuilt on the
        new base head, and a run documents only its own changes, so without this a second push would
        drop the first push's pages from the pull request."""
        if len(prev.parents) != 1:
            return
        parent = self.api.call("GET parent commit", lambda: self.api.repo.get_git_commit(prev.parents[0].sha))
        _, before = tree.entries(parent.tree.sha, out_dir)
        _, after = tree.entries(prev.tree.sha, out_dir)
        for path in sorted(set(before) | set(after)):
            if before.get(path) == after.get(path):
                continue
            if path in after:
                current[path] = after[path]
                tree.carried.add(after[path][1])
            else:
                current.pop(path, None)

    def _create_blob(self, content: str) -> Any:
        return self.api.call("POST blob", lambda: self.api.repo.create_git_blob(content, "utf-8"))

    def _message(self, changes: Changes) -> str:
        short = self.head_sha[:12] if self.head_sha else "the latest changes"
        lines = [f"docs: update the API documentation for {short}", ""]
        lines += [f"- update {p}" for p in changes.written] + [f"- delete {p}" for p in changes.delete]
        return "\n".join(lines) + f"\n\n{TRAILER}\n"

    def _move_ref(self, branch: str, sha: str, ref: tuple[GitRef, str] | None, *, force: bool) -> None:
        repo = self.api.repo
        if ref is None and force:
            try:
                self.api.call(
                    f"POST ref heads/{branch}", lambda: repo.create_git_ref(f"refs/heads/{branch}", sha)
                )
                return
            except GitHubApiError as exc:
                if exc.status != 422 or "already exists" not in exc.api_message.lower():
                    raise
            ref = self._ref_sha(branch)  # created meanwhile by another run: update it instead
        if ref is None:
            ref = self._ref_sha(branch)
            if ref is None:
                raise PermanentError(f"branch {branch!r} does not exist any more; rerun on a live branch")
        git_ref = ref[0]
        try:
            self.api.call(f"PATCH ref heads/{branch}", lambda: git_ref.edit(sha, force=force))
        except GitHubApiError as exc:
            if exc.status == 422 and not force:
                raise TransientError(
                    f"branch {branch!r} moved while docbot ran ({exc.api_message}); rerun the job"
                ) from exc
            raise

    def _ref_sha(self, branch: str) -> tuple[GitRef, str] | None:
        def get() -> tuple[GitRef, str]:
            ref = self.api.repo.get_git_ref(f"heads/{branch}")
            return ref, ref.object.sha  # reading .object completes the lazy ref (and sets its PATCH url)

        try:
            return self.api.call(f"GET ref heads/{branch}", get)
        except GitHubApiError as exc:
            if exc.status == 404:
                return None
            raise

    def _find_pr(self, head: str, base: str) -> PullInfo | None:
        owner = self.api.repository.split("/")[0]

        def find() -> PullInfo | None:
            for pr in self.api.repo.get_pulls(state="open", head=f"{owner}:{head}", base=base):
                return pull_info(pr)
            return None

        return self.api.call(f"GET pull requests from {head}", find)

    # --- the pull request, the comment ---

    def _compare_url(self, base: str, branch: str) -> str:
        return f"{self.target.server_url}/{self.api.repository}/compare/{base}...{branch}?expand=1"

    def _pull_request(self, report: RunReport, commit: _Commit, changes: Changes) -> PublishRecord:
        repo = self.api.repo
        base = self.target.branch or ""
        body = pull_request_body(
            report, commit.written, commit.deleted, head_sha=self.head_sha, run_url=self.target.links.run_url
        )
        title = self.target.pr_title
        done = {
            "branch": commit.branch,
            "commit_sha": commit.sha,
            "written": changes.written,
            "deleted": changes.delete,
            "refused": changes.refused,
        }

        def update(number: int) -> None:
            self.api.call(
                f"PATCH pull request #{number}", lambda: repo.get_pull(number).edit(title=title, body=body)
            )

        if commit.open_pr is not None:
            update(commit.open_pr.number)
            return PublishRecord("updated", commit.open_pr.number, commit.open_pr.html_url, **done)  # type: ignore[arg-type]
        try:
            pr = self.api.call(
                "POST pull request",
                lambda: repo.create_pull(base=base, head=commit.branch, title=title, body=body),
            )
            return PublishRecord("created", pr.number, pr.html_url, **done)  # type: ignore[arg-type]
        except GitHubApiError as exc:
            if exc.status == 422 and "already exists" in exc.api_message.lower():
                existing = self._find_pr(commit.branch, base)
                if existing is not None:
                    update(existing.number)
                    return PublishRecord("updated", existing.number, existing.html_url, **done)  # type: ignore[arg-type]
            if exc.status == 403 and ACTIONS_PR_FORBIDDEN in exc.api_message:
                return self._pull_request_refused(report, commit, changes, exc)
            raise

    def _pull_request_refused(
        self, report: RunReport, commit: _Commit, changes: Changes, exc: GitHubApiError
    ) -> PublishRecord:
        compare = self._compare_url(self.target.branch or "", commit.branch)
        warning = (
            f"The docs are on branch {commit.branch}, but GitHub refused to open the pull request "
            f"({exc.api_message}). To let docbot open it, {PR_SETTING_HINT}. Open it by hand: {compare}"
        )
        comment_id = comment_url = None
        if self.target.pr_number is not None:
            text = refused_pull_request_comment(report, warning)
            comment_id, comment_url, _ = self.api.upsert_comment(self.target.pr_number, text)
        return PublishRecord(
            "committed",
            branch=commit.branch,
            commit_sha=commit.sha,
            comment_id=comment_id,
            comment_url=comment_url,
            written=changes.written,
            deleted=changes.delete,
            refused=changes.refused,
            notes=(warning,),
            warnings=(warning,),
        )

    def _comment(self, plan: DocsPlan, report: RunReport) -> PublishRecord:
        number = self.target.pr_number
        if number is None:
            raise ConfigError("mode comment needs a pull request; use mode pull_request for push events")
        refused = tuple((p, why) for p, _ in plan.pages if (why := unsafe_path(p, plan.out_dir)))
        shown = [(p, text) for p, text in plan.pages if p not in dict(refused)]
        body, left_out = comment_body(
            report.published(PublishRecord(refused=refused)),
            shown,
            plan.deletions,
            run_url=self.target.links.run_url,
            trigger_phrase=self.target.trigger_phrase,
        )
        comment_id, url, _ = self.api.upsert_comment(number, body)
        notes = (
            (
                f"{count(len(left_out), 'page')} did not fit in the comment "
                "(GitHub's 65,536-character limit); "
                "they are below.",
            )
            if left_out
            else ()
        )
        return PublishRecord(
            "commented",
            pr_number=number,
            comment_id=comment_id,
            comment_url=url,
            refused=refused,
            notes=notes,
            not_shown=left_out,
        )

    # --- docstrings written back: source files on docbot's branch, and their pull request ---

    def publish_sources(
        self, edits: Sequence[SourceEdit], *, title: str, body: Callable[[tuple[str, ...]], str]
    ) -> PublishRecord:
        """Commit ``edits`` on ``docbot/docstrings/<branch>`` and open or update its pull request, whose
        body is ``body`` of the files committed.

        Each file is committed only when it is a regular file on the base branch, reached without a
        symlink, whose content is still the ``old`` text the edit was made from; one that already has the
        ``new`` text (the pull request was merged) needs nothing. The docstrings of an earlier, still open
        pull request are kept while their files are unchanged on the base. A rerun that finds the branch
        already holding exactly this commit writes nothing.

        Raises:
            ConfigError: the event names no branch.
            GitHubApiError, GitHubTransientError: the API refused or kept failing.
        """
        base_branch = self.target.branch
        if not base_branch:
            raise ConfigError(
                "mode docstrings: no branch to open the pull request against (the event names none)"
            )
        branch = docstrings_branch(base_branch)
        if not edits:
            return PublishRecord(notes=("No docstrings to add: no commit.",))
        repo, tree = self.api.repo, _Tree(self.api, self.local_blob)
        base = self.api.call(f"GET branch {base_branch}", lambda: repo.get_branch(base_branch).commit.sha)
        base_commit = self.api.call(f"GET commit {base[:12]}", lambda: repo.get_git_commit(base))
        base_tree = base_commit.tree.sha
        ref = self._ref_sha(branch)
        open_pr = self._find_pr(branch, base_branch) if ref is not None else None
        prev = None
        previous: dict[str, Entry] = {}
        wanted: dict[str, Entry] = {}
        if ref is not None and open_pr is not None:
            prev_sha = ref[1]
            prev = self.api.call(f"GET commit {prev_sha[:12]}", lambda: repo.get_git_commit(prev_sha))
            previous, wanted = self._previous_sources(tree, prev, base_tree)
        refused: list[tuple[str, str]] = []
        contents: dict[str, bytes] = {}
        for edit in edits:
            entry, why = (None, unsafe_source(edit.path))
            if why is None:
                entry, why = tree.lookup(base_tree, edit.path)
            if why is None and entry is None:
                why = f"is not in the repository on {base_branch}"
            if entry is None:
                refused.append((edit.path, why or ""))
                continue
            mode, sha = entry
            wanted.pop(edit.path, None)
            if sha == git_blob_sha(edit.new):
                continue  # already on the base branch: the pull request was merged
            if sha != git_blob_sha(edit.old):
                refused.append((edit.path, f"changed on {base_branch} since the documented commit"))
                continue
            wanted[edit.path] = (mode, git_blob_sha(edit.new))
            contents[edit.path] = edit.new
        files = tuple(sorted(wanted))
        done = PublishRecord(branch=branch, written=files, refused=tuple(refused))
        if not wanted:
            note = f"Every docstring is already on {base_branch}: no commit."
            return PublishRecord(refused=tuple(refused), notes=(note,))
        if (
            prev is not None
            and open_pr is not None
            and [p.sha for p in prev.parents] == [base]
            and previous == wanted
        ):
            note = f"Pull request #{open_pr.number} already holds these docstrings: nothing changed."
            return replace(
                done, operation="none", pr_number=open_pr.number, pr_url=open_pr.html_url,
                commit_sha=prev.sha, notes=(note,),
            )  # fmt: skip
        elements = []
        for path, (mode, sha) in sorted(wanted.items()):
            data = contents.get(path)
            if data is not None and len(data) <= INLINE_MAX_BYTES:
                elements.append(InputGitTreeElement(path, mode, "blob", content=data.decode("utf-8")))
            elif data is not None:
                blob = self._create_blob(data.decode("utf-8"))
                elements.append(InputGitTreeElement(path, mode, "blob", sha=blob.sha))
            else:
                elements.append(InputGitTreeElement(path, mode, "blob", sha=sha))
        new_tree = self.api.call("POST tree", lambda: repo.create_git_tree(elements, base_commit.tree))
        # No trailer: a push of the merged docstrings must still start the pages run (the sources changed).
        message = f"{DOCSTRINGS_SUBJECT} {len(files)} file(s)\n\n" + "".join(f"- {p}\n" for p in files)
        commit = self.api.call(
            "POST commit", lambda: repo.create_git_commit(message, new_tree, [base_commit])
        )
        self._move_ref(branch, commit.sha, ref, force=True)
        return self._source_pull_request(branch, open_pr, title, body(files), commit.sha, done)

    def _previous_sources(
        self, tree: _Tree, prev: Any, base_tree: str
    ) -> tuple[dict[str, Entry], dict[str, Entry]]:
        """What an open docstrings pull request's commit changed, and the part of it still to keep: the
        files unchanged on the base since (the branch is rebuilt on the new base head each time)."""
        if len(prev.parents) != 1 or not prev.message.startswith(DOCSTRINGS_SUBJECT):
            return {}, {}  # not docbot's own commit: nothing on it is a file docbot was asked to edit
        parent = self.api.call("GET parent commit", lambda: self.api.repo.get_git_commit(prev.parents[0].sha))
        previous: dict[str, Entry] = {}
        kept: dict[str, Entry] = {}
        for path in tree.changed(parent.tree.sha, prev.tree.sha):
            entry, _ = tree.lookup(prev.tree.sha, path)
            if entry is None:
                continue
            previous[path] = entry
            if tree.lookup(base_tree, path) == tree.lookup(parent.tree.sha, path):
                kept[path] = entry
        return previous, kept

    def _source_pull_request(
        self, branch: str, open_pr: PullInfo | None, title: str, body: str, sha: str, done: PublishRecord
    ) -> PublishRecord:
        repo, base = self.api.repo, self.target.branch or ""

        def update(pr: PullInfo) -> PublishRecord:
            self.api.call(
                f"PATCH pull request #{pr.number}",
                lambda: repo.get_pull(pr.number).edit(title=title, body=body),
            )
            return replace(done, operation="updated", pr_number=pr.number, pr_url=pr.html_url, commit_sha=sha)

        if open_pr is not None:
            return update(open_pr)
        try:
            pr = self.api.call(
                "POST pull request", lambda: repo.create_pull(base=base, head=branch, title=title, body=body)
            )
            return replace(done, operation="created", pr_number=pr.number, pr_url=pr.html_url, commit_sha=sha)
        except GitHubApiError as exc:
            if exc.status == 422 and "already exists" in exc.api_message.lower():
                existing = self._find_pr(branch, base)
                if existing is not None:
                    return update(existing)
            if exc.status == 403 and ACTIONS_PR_FORBIDDEN in exc.api_message:
                warning = (
                    f"The docstrings are on branch {branch}, but GitHub refused to open the pull request "
                    f"({exc.api_message}). To let docbot open it, {PR_SETTING_HINT}. Open it by hand: "
                    f"{self._compare_url(base, branch)}"
                )
                return replace(
                    done, operation="committed", commit_sha=sha, notes=(warning,), warnings=(warning,)
                )
            raise


class WorkspacePublisher:
    """Publishes nothing to GitHub (``dry_run``, or mode ``none``): writes the pages into the workspace's
    docs folder instead, with the same rules as ``docbot run``, so a later step can deploy or upload
    them."""

    def __init__(self, why: str, workspace: Path, trigger_phrase: str = "/docbot") -> None:
        self.why = why
        self.files = FilesPublisher(workspace)
        self.trigger_phrase = trigger_phrase

    def publish(self, plan: DocsPlan, report: RunReport) -> PublishRecord:
        record = self.files.publish(neutralised(plan, self.trigger_phrase), report)
        note = (
            f"{self.why}: nothing was published to GitHub; {count(len(record.written), 'file')} written and "
            f"{len(record.deleted)} deleted in `{plan.out_dir}` in the workspace."
        )
        return replace(record, notes=(note,), workspace_dir=plan.out_dir)


def open_publisher(
    spec: RunSpec,
    settings: PublishSettings,
    api: Callable[[], GitHubApi],
    *,
    local_blob: ReadBlob,
    head_sha: str,
    links: Links,
    server_url: str,
    workspace: Path,
) -> GitHubPublisher | WorkspacePublisher:
    """The publisher for ``spec``: the workspace on a dry run or mode ``none``, else GitHub in that mode."""
    if settings.dry_run:
        return WorkspacePublisher("Dry run", workspace, settings.trigger_phrase)
    if spec.mode == "none":
        return WorkspacePublisher("Mode none", workspace, settings.trigger_phrase)
    target = Target(
        mode=spec.mode,
        branch=spec.target_branch,
        pr_number=spec.pr_number,
        links=links,
        pr_title=settings.pr_title,
        server_url=server_url,
        trigger_phrase=settings.trigger_phrase,
    )
    return GitHubPublisher(api(), target, local_blob=local_blob, head_sha=head_sha)
