"""Which two commits a run compares, on real clones: shallow clones deepen in bounded steps, fetch
exact SHAs, or fail naming ``fetch-depth: 0``."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from docbot.changes import changed_files
from docbot.errors import GitError
from docbot.git import Git
from docbot.ranges import EMPTY_TREE_SHA1, DiffRange, is_nothing, resolve_range
from tests.conftest import GitRepo


def make_origin(tmp_path: Path, commits: int) -> tuple[GitRepo, list[str]]:
    origin = GitRepo(tmp_path / "origin")
    shas = []
    for i in range(commits):
        origin.write(f"f{i}.py", f"v = {i}\n")
        shas.append(origin.commit(f"c{i}"))
    return origin, shas


def shallow_clone(origin: GitRepo, dest: Path, *extra: str) -> Git:
    subprocess.run(
        ["git", "clone", "-q", "--depth=1", *extra, f"file://{origin.path}", str(dest)],
        check=True,
        capture_output=True,
    )
    return Git(dest)


def test_shallow_clone_fetches_the_exact_base_commit(tmp_path: Path) -> None:
    origin, shas = make_origin(tmp_path, 8)
    git = shallow_clone(origin, tmp_path / "clone")
    assert git.is_shallow()
    assert not git.has_commit(shas[2])
    span = resolve_range(git, shas[-1], shas[2])
    assert span == DiffRange(head=shas[-1], base=shas[2])
    changes = changed_files(git, span.base, span.head)
    assert [c.path for c in changes] == [f"f{i}.py" for i in range(3, 8)]


def test_shallow_clone_deepens_to_find_the_parent(tmp_path: Path) -> None:
    origin, shas = make_origin(tmp_path, 4)
    git = shallow_clone(origin, tmp_path / "clone")
    assert git.parent(shas[-1]) is None  # the clone's edge looks like a root commit
    with pytest.raises(GitError, match=r"parent .* shallow clone.*fetch-depth: 0"):
        changed_files(git, None, shas[-1])
    span = resolve_range(git, shas[-1])
    assert span.base == shas[-2]
    assert [c.path for c in changed_files(git, span.base, span.head)] == ["f3.py"]


def test_shallow_merge_base_deepens_in_bounded_steps_then_fails_clearly(tmp_path: Path) -> None:
    origin, shas = make_origin(tmp_path, 3)
    origin.git("checkout", "-q", "-b", "topic")
    for i in range(12):
        origin.write("topic.py", f"t = {i}\n")
        origin.commit(f"t{i}")
    topic = origin.head()
    origin.git("checkout", "-q", "main")
    origin.write("main.py", "m = 1\n")
    main_tip = origin.commit("main moves on")

    git = shallow_clone(origin, tmp_path / "c1", "--no-single-branch")
    with pytest.raises(GitError, match=r"no merge-base .* within 4 commits .*fetch-depth: 0"):
        resolve_range(git, topic, main_tip, kind="three-dot", steps=(2, 4))
    span = resolve_range(git, topic, main_tip, kind="three-dot", steps=(2, 8, 16))
    assert span.base == shas[-1]  # the fork point, not main's tip
    assert [c.path for c in changed_files(git, span.base, span.head)] == ["topic.py"]


def test_shallow_clone_without_a_remote_names_fetch_depth(tmp_path: Path) -> None:
    origin, shas = make_origin(tmp_path, 3)
    git = shallow_clone(origin, tmp_path / "clone")
    git.run("remote", "remove", "origin")
    with pytest.raises(GitError, match=r"base commit .* is not in this shallow clone .*fetch-depth: 0"):
        resolve_range(git, shas[-1], shas[0])


def test_unrelated_histories_three_dot_is_a_clear_error(git_repo: GitRepo) -> None:
    git_repo.write("a.py", "a\n")
    first = git_repo.commit()
    git_repo.git("checkout", "-q", "--orphan", "other")
    git_repo.write("b.py", "b\n")
    other = git_repo.commit()
    with pytest.raises(GitError, match="share no history"):
        resolve_range(Git(git_repo.path), other, first, kind="three-dot")


def test_zero_sha_and_empty_tree_mean_every_file(git_repo: GitRepo) -> None:
    git_repo.write("a.py", "a\n")
    head = git_repo.commit()
    git = Git(git_repo.path)
    assert git.empty_tree() == EMPTY_TREE_SHA1
    assert is_nothing("0" * 40) and is_nothing(EMPTY_TREE_SHA1)
    assert not is_nothing(None) and not is_nothing(head)
    for base in ("0" * 40, EMPTY_TREE_SHA1):
        assert resolve_range(git, head, base) == DiffRange(head=head, base=None)
