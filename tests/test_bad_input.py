"""Bad input gets a clear error or a recorded skip reason: settings files, file contents, paths, repos."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from docbot.cache import NullCache
from docbot.cli import main
from docbot.config import MAX_CONFIG_BYTES, load_settings
from docbot.errors import ConfigError
from docbot.llm.offline import OfflineProvider
from tests.conftest import GitRepo
from tests.local_run import run_local

BILLION_LAUGHS = "\n".join(
    ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    + [f"{c}: &{c} [" + ",".join([f"*{p}"] * 9) + "]" for p, c in zip("abcdefgh", "bcdefghi", strict=True)]
    + ["pr_title: *i", ""]
)


def write_config(repo: Path, text: str) -> None:
    (repo / ".github").mkdir(exist_ok=True)
    (repo / ".github" / "docbot.yml").write_text(text, encoding="utf-8")


def test_a_yaml_alias_bomb_is_refused_at_once(tmp_path: Path) -> None:
    write_config(tmp_path, BILLION_LAUGHS)
    started = time.process_time()

    with pytest.raises(ConfigError, match=r"anchors and aliases \(\*name\) are not supported") as info:
        load_settings({"repo": tmp_path}, {})

    assert time.process_time() - started < 5  # linear in the file: no expansion ever happens
    assert len(str(info.value)) < 600


def test_a_huge_settings_file_is_refused_by_size(tmp_path: Path) -> None:
    write_config(tmp_path, "pr_title: " + "x" * MAX_CONFIG_BYTES + "\n")

    with pytest.raises(ConfigError, match="too large for a settings file"):
        load_settings({"repo": tmp_path}, {})


def test_an_error_about_a_huge_value_quotes_it_briefly(tmp_path: Path) -> None:
    nested: object = "deep"
    for _ in range(2000):
        nested = [nested, nested]  # shared references: cheap to build, enormous to print in full
    with pytest.raises(ConfigError) as info:
        load_settings({"pr_title": nested}, {})

    assert len(str(info.value)) < 200


def test_an_lfs_pointer_is_skipped_with_its_reason(git_repo: GitRepo) -> None:
    git_repo.write(
        "src/model.py",
        "version https://git-lfs.github.com/spec/v1\n"
        "oid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\nsize 12345\n",
    )
    git_repo.write("src/real.py", "def real():\n    return 1\n")
    git_repo.commit("an LFS file and a real one")

    report = run_local(
        git_repo.path, store=NullCache(), provider=OfflineProvider(), all_files=True, cache="none"
    )

    assert report.documented == ["src/real.py"]
    assert [(s.path, s.reason.split(" (")[0]) for s in report.skipped] == [
        ("src/model.py", "Git LFS pointer")
    ]


def test_a_path_with_a_newline_is_skipped_not_rendered(git_repo: GitRepo) -> None:
    git_repo.write("src/ok.py", "def ok():\n    return 1\n")
    (git_repo.path / "src" / "bad\nname.py").write_text("def bad():\n    return 2\n")
    git_repo.commit("a file name with a newline")

    report = run_local(
        git_repo.path, store=NullCache(), provider=OfflineProvider(), all_files=True, cache="none"
    )

    assert report.documented == ["src/ok.py"]
    assert [(s.path, s.reason) for s in report.skipped] == [
        ("src/bad\nname.py", "path contains a newline or another control character")
    ]
    index = (git_repo.path / "docs" / "api" / "README.md").read_text()
    assert "bad" not in index
    assert not any("\n" in p.name for p in (git_repo.path / "docs" / "api").rglob("*"))


def test_an_empty_repository_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    empty = GitRepo(tmp_path / "empty")

    assert main(["run", "--repo", str(empty.path), "--provider", "offline", "--cache", "none"]) == 2

    err = capsys.readouterr().err
    assert "has no commits yet; commit the code to document, then run again" in err
    assert "fetch-depth" not in err
