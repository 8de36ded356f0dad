"""Change detection: `docbot changes` must agree with `git diff --name-status -M` on real git histories.

Which commits a run compares (shallow clones, merge-bases) is tested in tests/test_ranges.py.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
from pathlib import Path

import pytest

from docbot.changes import FileChange, changed_files, parse_diff, parse_raw
from docbot.cli import main
from docbot.config import ZERO_SHA
from docbot.errors import GitError
from docbot.git import Git
from docbot.ranges import EMPTY_TREE_SHA1
from tests.conftest import GitRepo

STATUS = {"A": "added", "M": "modified", "T": "modified", "D": "deleted", "R": "renamed"}

# Names that break naive parsing: spaces, quotes, brackets, a leading dash, tabs, newlines,
# backslashes, glob characters and non-ASCII letters.
ODD_NAMES = [
    "with space.py",
    'quo"te.py',
    "[brackets].py",
    "-leading-dash.py",
    "tab\tinside.py",
    "new\nline.py",
    "back\\slash.py",
    "star*and?.py",
    "ünïcödé/日本語.py",
    " leading space.py",
    "a b/c d.py",
    "x b/y.py",
]


UTIL = "".join(f"def f{i}():\n    return {i}\n" for i in range(5))  # 10 lines


def name_status(repo: GitRepo, base: str, head: str) -> list[tuple[str, str, str | None]]:
    """``git diff --name-status -z -M`` as (status, path, old_path), the reference answer."""
    out = subprocess.run(
        ["git", "-C", str(repo.path), "diff", "--name-status", "-z", "-M", base, head],
        capture_output=True,
        check=True,
    ).stdout
    fields = [f.decode("utf-8", errors="surrogateescape") for f in out.split(b"\0")]
    result: list[tuple[str, str, str | None]] = []
    i = 0
    while i < len(fields) and fields[i]:
        letter = fields[i][0]
        if letter == "R":
            result.append((STATUS[letter], fields[i + 2], fields[i + 1]))
            i += 3
        else:
            result.append((STATUS[letter], fields[i + 1], None))
            i += 2
    return result


def cli_changes(capsys: pytest.CaptureFixture[str], repo: GitRepo, *args: str) -> list[dict[str, object]]:
    assert main(["changes", "--repo", str(repo.path), *args, "--json"]) == 0
    data: list[dict[str, object]] = json.loads(capsys.readouterr().out)
    return data


def triples(items: list[dict[str, object]]) -> list[tuple[object, object, object]]:
    return [(c["status"], c["path"], c["old_path"]) for c in items]


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


def commit_gitlink(repo: GitRepo, path: str, sha: str, message: str) -> str:
    """Record a submodule (gitlink) without a second repository: only the index entry matters.

    The empty folder is what an uninitialised submodule looks like; without it ``git add -A`` in a
    later commit would stage the submodule's removal."""
    (repo.path / path).mkdir(parents=True, exist_ok=True)
    repo.git("update-index", "--add", "--cacheinfo", f"160000,{sha},{path}")
    repo.git("commit", "-q", "-m", message)
    return repo.head()


def build_history(repo: GitRepo) -> list[str]:
    """A history with every kind of change; returns the commits oldest first."""
    commits: list[str] = []
    repo.write("src/app.py", "".join(f"line {i}\n" for i in range(1, 21)))
    repo.write("src/util.py", UTIL)
    repo.write("README.md", "# demo\n")
    repo.write("logo.png", b"\x89PNG\r\n\x1a\n\x00\x00binary")
    for name in ODD_NAMES:
        repo.write(name, f"print({name!r})\n")
    repo.write("script.sh", "echo hi\n")
    repo.write("typed.txt", "a regular file\n")
    os.symlink("src/util.py", repo.path / "link.py")
    commits.append(repo.commit("root"))

    # modify (two separate hunks), rename with edits, delete, binary change, mode-only change,
    # symlink retarget, file -> symlink type change, non-ASCII content.
    lines = [f"line {i}\n" for i in range(1, 21)]
    lines[4] = "changed 5\n"
    lines[15:17] = []
    repo.write("src/app.py", "".join([*lines, "appended\n"]))
    repo.git("mv", "src/util.py", "src/helpers.py")
    repo.write("src/helpers.py", UTIL + "\n\ndef g():\n    return 2\n")
    repo.remove("README.md")
    repo.write("logo.png", b"\x89PNG\r\n\x1a\n\x00\x00other")
    (repo.path / "script.sh").chmod(0o755)
    os.unlink(repo.path / "link.py")
    os.symlink("src/app.py", repo.path / "link.py")
    os.unlink(repo.path / "typed.txt")
    os.symlink("src/app.py", repo.path / "typed.txt")
    repo.write("ünïcödé/日本語.py", "print('naïve café 日本')\nprint('ß')\n")
    repo.write("with space.py", "print('space')\nprint('two')\n")
    repo.git("mv", 'quo"te.py', 'quo"ted again.py')
    commits.append(repo.commit("every kind of change"))

    # a 60-file commit and a submodule
    for i in range(60):
        repo.write(f"many/file_{i:02}.py", f"x = {i}\n")
    repo.write("empty.py", "")
    repo.commit("many files")
    commits.append(commit_gitlink(repo, "vendor/sub", commits[0], "submodule"))

    # a merge commit: both sides change files; the merge is compared with its first parent
    repo.git("checkout", "-q", "-b", "feature")
    repo.write("feature.py", "def feature():\n    pass\n")
    repo.write("many/file_01.py", "x = 'feature'\n")
    feature = repo.commit("feature work")
    repo.git("checkout", "-q", "main")
    repo.write("main_only.py", "m = 1\n")
    repo.commit("main work")
    repo.git("merge", "-q", "--no-ff", "-m", "merge feature", "feature")
    commits.append(repo.head())
    commits.append(feature)

    # deletion of many files, a submodule removal and an edit in one commit
    for i in range(0, 60, 3):
        repo.remove(f"many/file_{i:02}.py")
    repo.git("rm", "-q", "--cached", "vendor/sub")
    repo.write("src/app.py", "rewritten\n")
    commits.append(repo.commit("deletions"))
    return commits


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> tuple[GitRepo, list[str]]:
    """Built once per module (the tests only read it), with git isolated from the user's config."""
    tmp = tmp_path_factory.mktemp("history")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("GIT_CONFIG_GLOBAL", str(tmp / "gitconfig"))
        mp.setenv("GIT_CONFIG_NOSYSTEM", "1")
        repo = GitRepo(tmp / "repo")
        return repo, build_history(repo)


def test_every_pair_of_commits_matches_git_name_status(
    history: tuple[GitRepo, list[str]], capsys: pytest.CaptureFixture[str]
) -> None:
    repo, commits = history
    for base in commits:
        for head in commits:
            if base == head:
                continue
            got = triples(cli_changes(capsys, repo, "--base", base, "--head", head))
            assert got == name_status(repo, base, head), (base, head)


def test_root_commit_and_zero_base_and_empty_tree_list_every_file_as_added(
    history: tuple[GitRepo, list[str]], capsys: pytest.CaptureFixture[str]
) -> None:
    repo, commits = history
    expected = name_status(repo, EMPTY_TREE_SHA1, commits[0])
    assert expected
    assert {s for s, _, _ in expected} == {"added"}
    # no base on a root commit: its "parent" is nothing
    assert triples(cli_changes(capsys, repo, "--head", commits[0])) == expected
    assert triples(cli_changes(capsys, repo, "--base", ZERO_SHA, "--head", commits[0])) == expected
    assert triples(cli_changes(capsys, repo, "--base", EMPTY_TREE_SHA1, "--head", commits[0])) == expected
    everything = cli_changes(capsys, repo, "--head", commits[-1], "--all")
    assert triples(everything) == name_status(repo, EMPTY_TREE_SHA1, commits[-1])


def test_merge_commit_is_compared_with_its_first_parent(
    history: tuple[GitRepo, list[str]], capsys: pytest.CaptureFixture[str]
) -> None:
    repo, commits = history
    merge = commits[3]
    assert len(repo.git("rev-list", "--parents", "-n1", merge).split()) == 3  # really a merge
    got = triples(cli_changes(capsys, repo, "--head", merge))
    assert got == name_status(repo, f"{merge}^1", merge)
    assert ("added", "feature.py", None) in got
    assert all(path != "main_only.py" for _, path, _ in got)


def test_details_of_each_kind_of_change(history: tuple[GitRepo, list[str]]) -> None:
    repo, commits = history
    changes = {c.path: c for c in changed_files(Git(repo.path), commits[0], commits[1])}
    # line 5 changed, lines 16-17 removed (marked at the line before), one line appended at the end
    assert changes["src/app.py"] == FileChange(
        "src/app.py", "modified", changed_lines=((5, 5), (15, 15), (19, 19))
    )
    renamed = changes["src/helpers.py"]
    assert (renamed.status, renamed.old_path, renamed.changed_lines) == (
        "renamed",
        "src/util.py",
        ((11, 14),),
    )
    assert changes["README.md"] == FileChange("README.md", "deleted")
    assert changes["logo.png"] == FileChange("logo.png", "modified", binary=True)
    assert changes["script.sh"].skip_reason == "mode change only (100644 -> 100755)"
    assert changes["link.py"].skip_reason == "symlink"
    assert changes["typed.txt"].skip_reason == "type changed (regular file -> symlink)"
    assert changes["ünïcödé/日本語.py"].changed_lines == ((1, 2),)
    assert changes['quo"ted again.py'].old_path == 'quo"te.py'
    assert changes["with space.py"].changed_lines == ((1, 2),)

    added = {c.path: c for c in changed_files(Git(repo.path), None, commits[0])}
    for name in ODD_NAMES:
        assert added[name] == FileChange(name, "added", changed_lines=((1, 1),))
    assert added["logo.png"].binary
    assert added["logo.png"].changed_lines == ()
    assert added["link.py"].skip_reason == "symlink"

    many = {c.path: c for c in changed_files(Git(repo.path), commits[1], commits[2])}
    assert len(many) == 62
    assert many["empty.py"] == FileChange("empty.py", "added")
    assert many["vendor/sub"].skip_reason == "submodule"
    gone = {c.path: c for c in changed_files(Git(repo.path), commits[3], commits[5])}
    assert gone["vendor/sub"] == FileChange("vendor/sub", "deleted", skip_reason="submodule")


def test_json_contract_and_text_output(
    history: tuple[GitRepo, list[str]], capsys: pytest.CaptureFixture[str]
) -> None:
    repo, commits = history
    data = cli_changes(capsys, repo, "--base", commits[0], "--head", commits[1])
    entry = next(c for c in data if c["path"] == "src/helpers.py")
    assert entry == {
        "path": "src/helpers.py",
        "old_path": "src/util.py",
        "status": "renamed",
        "binary": False,
        "changed_lines": [[11, 14]],
    }
    mode_only = next(c for c in data if c["path"] == "script.sh")
    assert mode_only["skip_reason"] == "mode change only (100644 -> 100755)"
    assert main(["changes", "--repo", str(repo.path), "--base", commits[0], "--head", commits[1]]) == 0
    text = capsys.readouterr().out
    assert "renamed   src/helpers.py (from src/util.py) 11-14" in text
    assert "modified  script.sh  [skipped: mode change only (100644 -> 100755)]" in text


def test_non_utf8_file_name_round_trips(git_repo: GitRepo) -> None:
    name = b"caf\xe9.py"  # latin-1, not UTF-8
    git_repo.write("a.py", "a\n")
    base = git_repo.commit()
    (git_repo.path / os.fsdecode(name)).write_bytes(b"x = 1\n")
    head = git_repo.commit()
    git = Git(git_repo.path)
    [change] = changed_files(git, base, head)
    assert os.fsencode(change.path) == name
    assert git.show_file(head, change.path) == b"x = 1\n"


def test_crlf_and_unicode_line_separators_do_not_shift_ranges(git_repo: GitRepo) -> None:
    git_repo.write("w.py", b"a\r\nb\r\nc\r\n")
    base = git_repo.commit()
    git_repo.write("w.py", b"a\r\nb\x0c\x1c\xc2\x85\xe2\x80\xa8x\r\nc\r\nd\r\n")
    head = git_repo.commit()
    assert changed_files(Git(git_repo.path), base, head) == [
        FileChange("w.py", "modified", changed_lines=((2, 2), (4, 4)))
    ]


def test_missing_revision_and_not_a_repository_are_clear_errors(
    git_repo: GitRepo, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    git_repo.write("a.py", "a\n")
    git_repo.commit()
    with pytest.raises(GitError, match=r"revision 'nope' is not in .*fetch-depth: 0"):
        changed_files(Git(git_repo.path), "nope", "HEAD")
    assert main(["changes", "--repo", str(git_repo.path), "--base", "nope"]) == 2
    assert "fetch-depth: 0" in capsys.readouterr().err
    (tmp_path / "plain").mkdir()
    assert main(["changes", "--repo", str(tmp_path / "plain")]) == 2
    assert "is not a git repository" in capsys.readouterr().err


def test_parse_raw_rejects_garbage() -> None:
    with pytest.raises(GitError, match="unexpected git diff --raw record"):
        parse_raw(b"not a record\0path\0")
    assert parse_raw(b"") == []


# --- randomised properties: path quoting and line ranges ---

HOSTILE = [
    "a",
    "Z",
    "0",
    " ",
    "-",
    '"',
    "'",
    "\\",
    "\t",
    "\n",
    "[",
    "]",
    "*",
    "?",
    "#",
    "!",
    "é",
    "日",
    "🙂",
    "$",
    "`",
]


def test_random_hostile_names_come_out_exactly(git_repo: GitRepo) -> None:
    rng = random.Random(7)
    git_repo.write("seed.txt", "seed\n")
    previous = git_repo.commit()
    for round_ in range(4):
        names = set()
        while len(names) < 25:
            name = "".join(rng.choice(HOSTILE) for _ in range(rng.randrange(1, 9)))
            if name.strip(" ") and name not in {".", ".."} and not name.startswith(".git"):
                names.add(("d-" + name if rng.random() < 0.3 else name).replace("/", "_"))
        for name in names:
            (git_repo.path / name).write_text(f"{round_} {name!r}\n", encoding="utf-8")
        head = git_repo.commit()
        changes = changed_files(Git(git_repo.path), previous, head)
        assert [(c.status, c.path, c.old_path) for c in changes] == name_status(git_repo, previous, head)
        assert {c.path for c in changes} == names
        previous = head


def test_random_edits_keep_unchanged_lines_outside_the_ranges(git_repo: GitRepo) -> None:
    """Whatever hunks git picks: every line outside the ranges is old text, in the old order, and
    every line with new text is inside a range."""
    rng = random.Random(11)
    old = [f"line {i}\n" for i in range(40)]
    git_repo.write("f.py", "".join(old))
    base = git_repo.commit()
    for case in range(30):  # each case is compared with the same base commit
        new = list(old)
        for _ in range(rng.randrange(1, 6)):
            op, at = rng.choice(["replace", "insert", "delete"]), rng.randrange(len(new) or 1)
            if op == "replace" and new:
                new[at] = f"changed {case} {at}\n"
            elif op == "insert":
                new.insert(at, f"inserted {case} {at}\n")
            elif new:
                del new[at]
        git_repo.write("f.py", "".join(new))
        head = git_repo.commit()
        changes = changed_files(Git(git_repo.path), base, head)
        ranges = changes[0].changed_lines if changes else ()
        inside = {n for start, end in ranges for n in range(start, end + 1)}
        assert all(1 <= n <= max(len(new), 1) for n in inside)
        kept = iter(old)
        for number, text in enumerate(new, start=1):
            if number in inside:
                continue
            assert any(text == candidate for candidate in kept), (case, number)  # a subsequence of old
        assert all(number in inside for number, text in enumerate(new, start=1) if text not in old)


def test_user_git_config_cannot_change_the_answer(git_repo: GitRepo) -> None:
    git_repo.write("a.py", "".join(f"v{i} = {i}\n" for i in range(20)))
    git_repo.write("moved.py", "".join(f"m{i} = {i}\n" for i in range(20)))
    git_repo.write(".gitattributes", "*.py diff=upper\n")
    base = git_repo.commit()
    git_repo.write("a.py", "".join(f"v{i} = {'changed' if i in (3, 6) else i}\n" for i in range(20)))
    git_repo.git("mv", "moved.py", "é moved.py")
    head = git_repo.commit()
    expected = [
        FileChange("a.py", "modified", changed_lines=((4, 4), (7, 7))),
        FileChange("é moved.py", "renamed", old_path="moved.py"),
    ]
    assert changed_files(Git(git_repo.path), base, head) == expected
    for key, value in [
        ("diff.noprefix", "true"),
        ("diff.mnemonicPrefix", "true"),
        ("color.ui", "always"),
        ("color.diff", "always"),
        ("diff.renames", "false"),
        ("core.quotepath", "true"),
        ("diff.interHunkContext", "10"),
        ("diff.context", "7"),
        ("diff.upper.textconv", "tr a-z A-Z"),
        ("diff.external", "false"),
    ]:
        git_repo.git("config", key, value)
    assert changed_files(Git(git_repo.path), base, head) == expected
