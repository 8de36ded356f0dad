"""Which two commits a run compares: the revision-range policy.

An event asks for a range in its own terms (a push's ``before..after``, a pull request's
``base...head``, a new branch, a forced push); ``resolve_range`` turns that into two concrete commits
or "every file", fetching what a shallow clone lacks. Its rules:

- 40 zeros (a new branch's ``before``) and git's empty tree mean "no base": every file at head.
- a new or rewritten branch falls back to its merge-base with the default branch; on the default
  branch itself, to the head's parent (or every file on its first push).
- a shallow clone fetches a missing commit by SHA (``--depth=1``: a two-dot diff needs its tree, not
  its history) and deepens in bounded steps (``DEEPEN_STEPS``) when history is needed; when the
  history cannot be had the error names ``fetch-depth: 0`` (``FETCH_HINT``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from docbot.config import ZERO_SHA
from docbot.errors import GitError
from docbot.git import Git

RangeKind = Literal["two-dot", "three-dot", "push", "new-branch"]

# git's well-known empty tree (SHA-1 repositories). ``Git.empty_tree`` asks git, so SHA-256
# repositories work too; this constant is accepted as a ``--base`` spelling of "nothing".
EMPTY_TREE_SHA1 = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"

# How far to deepen a shallow clone, step by step, before giving up (commits from each tip).
DEEPEN_STEPS: tuple[int, ...] = (50, 200, 1000, 5000)
FETCH_HINT = "use actions/checkout with `fetch-depth: 0` (or fetch the missing history) and run again"


@dataclass(frozen=True)
class DiffRange:
    """The two commits a run compares. ``base`` of ``None`` means every file at ``head``."""

    head: str
    base: str | None
    notices: tuple[str, ...] = ()

    @property
    def everything(self) -> bool:
        return self.base is None


def is_nothing(rev: str | None) -> bool:
    """Whether ``rev`` spells "no commit" (40 zeros or the empty tree): the range is every file."""
    return rev in {ZERO_SHA, EMPTY_TREE_SHA1}


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
    if sha is None and not git.has_any_commit():
        raise GitError(f"{git.repo} has no commits yet; commit the code to document, then run again")
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
        if is_nothing(base):
            return DiffRange(head=head_sha, base=None)
        return DiffRange(head=head_sha, base=_require(git, base, "base"))

    if kind == "three-dot":
        if base is None or is_nothing(base):
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

    created = kind == "new-branch" or base is None or is_nothing(base)
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
