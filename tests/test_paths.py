"""Path safety: docbot writes only into a real folder inside the repository, never through a symlink."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from docbot.cli import main
from docbot.errors import ConfigError
from docbot.markers import marker_line
from docbot.publish.files import FilesPublisher
from docbot.publish.paths import docs_dir_problem, unsafe_target
from docbot.publish.plan import DocsPlan
from docbot.report import RunReport
from tests.conftest import GitRepo


def tree(root: Path) -> dict[str, bytes]:
    """Every file (and symlink target) under ``root``, without following symlinks."""
    out: dict[str, bytes] = {}
    for dirpath, _dirs, files in os.walk(root):
        for name in files:
            path = Path(dirpath) / name
            out[str(path.relative_to(root))] = (
                os.readlink(path).encode() if path.is_symlink() else path.read_bytes()
            )
    return out


@pytest.fixture
def repo(git_repo: GitRepo) -> GitRepo:
    git_repo.write("src/a.py", 'def a():\n    """Return one."""\n    return 1\n')
    git_repo.commit("first")
    return git_repo


def run(repo: GitRepo, *flags: str) -> int:
    return main(
        ["run", "--repo", str(repo.path), "--all", "--provider", "offline", "--cache", "none", *flags]
    )


def test_a_symlinked_docs_folder_is_refused_before_anything_is_written(
    repo: GitRepo, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (repo.path / "docs").mkdir()
    (repo.path / "docs" / "api").symlink_to(outside)

    assert run(repo) == 2

    assert list(outside.iterdir()) == []
    assert "docbot: error: --out docs/api: docs/api is a symlink; docbot never writes through one" in (
        capsys.readouterr().err
    )


def test_a_symlinked_parent_of_the_docs_folder_is_refused(repo: GitRepo, tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere"
    (outside / "api").mkdir(parents=True)
    (repo.path / "docs").symlink_to(outside)

    assert run(repo) == 2
    assert list((outside / "api").iterdir()) == []


def test_a_file_at_the_docs_path_is_refused_and_kept(
    repo: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    repo.write("docs/api", "my notes\n")

    assert run(repo) == 2

    assert (repo.path / "docs" / "api").read_text() == "my notes\n"
    assert "--out docs/api: docs/api is a file, not a folder" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("out", "message"),
    [
        ("/srv/site/api", "is an absolute path"),
        (".git/api", "must be a folder inside the repository"),
        (".", "must be a folder inside the repository"),
        ("docs/../..", "must be a folder inside the repository"),
    ],
)
def test_an_out_folder_outside_the_repository_is_a_clear_error(
    repo: GitRepo, out: str, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    before = tree(repo.path)

    assert run(repo, "--out", out) == 2

    assert message in capsys.readouterr().err
    assert tree(repo.path) == before
    assert not Path("/srv/site/api").exists()


def test_a_symlink_inside_the_docs_folder_is_never_written_through(repo: GitRepo, tmp_path: Path) -> None:
    target = tmp_path / "victim.md"
    target.write_text("precious\n")
    (repo.path / "docs" / "api" / "src").mkdir(parents=True)
    (repo.path / "docs" / "api" / "src" / "a.py.md").symlink_to(target)

    assert run(repo) == 0

    assert target.read_text() == "precious\n"
    assert (repo.path / "docs" / "api" / "src" / "a.py.md").is_symlink()


def test_the_publisher_itself_refuses_a_symlinked_docs_folder(repo: GitRepo, tmp_path: Path) -> None:
    # Defence in depth: even a caller that skipped the CLI's check cannot write through the link.
    outside = tmp_path / "outside"
    outside.mkdir()
    (repo.path / "docs").mkdir()
    (repo.path / "docs" / "api").symlink_to(outside)
    page = f"{marker_line('src/a.py')}\n\n# a\n"

    with pytest.raises(ConfigError, match="is a symlink"):
        FilesPublisher(repo.path).publish(
            DocsPlan("docs/api", (("docs/api/src/a.py.md", page),)), RunReport()
        )

    assert list(outside.iterdir()) == []


def test_unsafe_target_walks_every_component(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "f").write_text("x")
    (tmp_path / "a" / "link").symlink_to(tmp_path)

    assert unsafe_target(tmp_path, "a/new/page.md") is None
    assert unsafe_target(tmp_path, "a/f") is None
    assert unsafe_target(tmp_path, "a/f/page.md") == "a/f is a file, not a folder"
    assert unsafe_target(tmp_path, "a/link/page.md") == "a/link is a symlink; docbot never writes through one"
    assert docs_dir_problem(tmp_path, ".git/x") == ".git/x is inside .git, where docbot never writes"
    assert docs_dir_problem(tmp_path, "a/f") == "a/f is a file, not a folder"


@pytest.mark.parametrize("report", ["/", "{tmp}"])
def test_a_report_path_that_is_a_folder_is_refused_before_the_run(
    repo: GitRepo, tmp_path: Path, report: str, capsys: pytest.CaptureFixture[str]
) -> None:
    path = report.format(tmp=tmp_path)

    assert run(repo, "--report", path) == 2

    assert f"--report: {path} is a folder; give a file path" in capsys.readouterr().err
    assert not (repo.path / "docs" / "api").exists()
