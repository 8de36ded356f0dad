"""The foundation's change detection on real git repositories (edge cases: tests/test_changes.py)."""

from __future__ import annotations

from docbot.changes import FileChange, Git, changed_files, parse_diff
from docbot.config import ZERO_SHA
from tests.conftest import GitRepo


def _by_path(changes: list[FileChange]) -> dict[str, FileChange]:
    return {c.path: c for c in changes}


def test_added_modified_deleted_renamed_binary(git_repo: GitRepo) -> None:
    git_repo.write("keep.py", "a = 1\nb = 2\nc = 3\n")
    git_repo.write("gone.py", "x = 1\n")
    git_repo.write("old_name.py", "".join(f"line_{i} = {i}\n" for i in range(30)))
    base = git_repo.commit("base")
    git_repo.write("keep.py", "a = 1\nb = 20\nc = 3\nd = 4\n")
    git_repo.remove("gone.py")
    git_repo.git("mv", "old_name.py", "new_name.py")
    git_repo.write("new.py", "def f():\n    return 1\n")
    git_repo.write("logo.png", b"\x89PNG\r\n\x1a\n\x00\x00binary")
    head = git_repo.commit("head")

    changes = _by_path(changed_files(Git(git_repo.path), base, head))
    assert changes["keep.py"] == FileChange("keep.py", "modified", changed_lines=((2, 2), (4, 4)))
    assert changes["gone.py"] == FileChange("gone.py", "deleted")
    assert changes["new_name.py"] == FileChange("new_name.py", "renamed", old_path="old_name.py")
    assert changes["new.py"] == FileChange("new.py", "added", changed_lines=((1, 2),))
    assert changes["logo.png"].binary and changes["logo.png"].status == "added"
    assert set(changes) == {"keep.py", "gone.py", "new_name.py", "new.py", "logo.png"}


def test_zero_base_means_every_file_at_head(git_repo: GitRepo) -> None:
    git_repo.write("a.py", "x = 1\n")
    git_repo.commit("one")
    git_repo.write("pkg/b.py", "y = 2\nz = 3\n")
    head = git_repo.commit("two")
    changes = _by_path(changed_files(Git(git_repo.path), ZERO_SHA, head))
    assert changes == {
        "a.py": FileChange("a.py", "added", changed_lines=((1, 1),)),
        "pkg/b.py": FileChange("pkg/b.py", "added", changed_lines=((1, 2),)),
    }


def test_default_base_is_heads_parent_and_root_commit_is_everything(git_repo: GitRepo) -> None:
    git_repo.write("a.py", "x = 1\n")
    root = git_repo.commit("root")
    git = Git(git_repo.path)
    assert [c.path for c in changed_files(git, None, root)] == ["a.py"]
    git_repo.write("b.py", "y = 1\n")
    head = git_repo.commit("second")
    assert [c.path for c in changed_files(git, None, head)] == ["b.py"]


def test_non_ascii_path_comes_back_unquoted(git_repo: GitRepo) -> None:
    base = git_repo.commit("empty")
    git_repo.write("é space.py", "x = 1\n")
    head = git_repo.commit("unicode")
    assert [c.path for c in changed_files(Git(git_repo.path), base, head)] == ["é space.py"]


def test_pure_deletion_hunk_marks_the_line_before() -> None:
    diff = (
        "diff --git a/m.py b/m.py\n"
        "index 1111111..2222222 100644\n"
        "--- a/m.py\n"
        "+++ b/m.py\n"
        "@@ -3,2 +2,0 @@ def f():\n"
        "-    a = 1\n"
        "-    b = 2\n"
    )
    assert parse_diff(diff) == [FileChange("m.py", "modified", changed_lines=((2, 2),))]


def test_blob_reader_reads_many_files_through_one_process(git_repo: GitRepo) -> None:
    import pytest

    from docbot.errors import GitError

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
