"""The git runner: ``Git`` and its ``BlobReader`` on real repositories."""

from __future__ import annotations

import subprocess

import pytest

from docbot.changes import changed_files
from docbot.errors import GitError
from docbot.git import Git
from docbot.ranges import resolve_range
from tests.conftest import GitRepo


def test_blob_reader_reads_many_files_through_one_process(git_repo: GitRepo) -> None:
    git_repo.write("a.py", "x = 1\n")
    git_repo.write("bin.dat", b"\x00\n\xff\nend")  # newlines inside the contents must not confuse framing
    git_repo.write("é space.py", "y = 2\n")
    git_repo.write("new\nline.py", "z = 3\n")  # --batch cannot name this one: falls back to git show
    git_repo.write("empty.py", "")
    head = git_repo.commit("files")
    git_repo.write("a.py", "changed in the work tree, not at head\n")

    with Git(git_repo.path).blob_reader(head) as reader:
        assert reader.read("a.py") == b"x = 1\n"
        assert reader.read("bin.dat") == b"\x00\n\xff\nend"
        assert reader.read("empty.py") == b""
        assert reader.read("é space.py") == b"y = 2\n"
        assert reader.read("new\nline.py") == b"z = 3\n"
        with pytest.raises(GitError, match=r"'missing\.py' is not a file"):
            reader.read("missing.py")
        assert reader.read("a.py") == b"x = 1\n"  # still in step after an error


@pytest.mark.parametrize("rev", ["--upload-pack=touch pwned", "-x", "a\nb", "HEAD\x00"])
def test_revisions_that_could_be_read_as_options_are_refused(git_repo: GitRepo, rev: str) -> None:
    git_repo.write("a.py", "a\n")
    head = git_repo.commit()
    origin = Git(git_repo.path)
    clone = git_repo.path.parent / "clone"
    subprocess.run(
        ["git", "clone", "-q", f"file://{git_repo.path}", str(clone)], check=True, capture_output=True
    )
    with pytest.raises(GitError, match="is not a revision; pass a commit SHA, branch or tag name"):
        resolve_range(Git(clone), head, rev)
    with pytest.raises(GitError, match="is not a revision"):
        changed_files(origin, rev, head)
    assert not (clone / "pwned").exists()
    assert not (git_repo.path / "pwned").exists()


def test_resolve_names_the_missing_revision_and_try_resolve_returns_none(git_repo: GitRepo) -> None:
    git_repo.write("a.py", "a\n")
    head = git_repo.commit()
    git = Git(git_repo.path)
    assert git.try_resolve("HEAD") == head
    assert git.resolve(head[:12]) == head
    assert git.try_resolve("nope") is None
    with pytest.raises(GitError, match=r"^revision 'nope' is not in .*repo$"):
        git.resolve("nope")
    with pytest.raises(GitError, match="is not a revision"):
        git.try_resolve("--upload-pack=x")  # refused, not answered: it is never a lookup miss
