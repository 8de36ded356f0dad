"""End to end on a real git repository: the pipeline with the SQLite cache and the offline provider."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from docbot.cache.sqlite import SqliteCache
from docbot.config import ZERO_SHA, load_settings
from docbot.docs import ChunkDoc, Usage
from docbot.llm.base import DocRequest
from docbot.llm.offline import OfflineProvider
from docbot.markers import GENERATED as MARKER
from docbot.report import RunReport
from tests.conftest import GitRepo
from tests.local_run import run_local

A_PY = '''"""Module a."""


def greet(name: str) -> str:
    """Say hello."""
    return f"hello {name}"


def shout(name: str) -> str:
    return greet(name).upper()
'''
B_PY = "class Thing:\n    def run(self):\n        return 1\n"


class CountingProvider:
    """The offline provider, counting the chunks it is asked for (a real Provider, not a mock)."""

    name = "offline"
    model = "offline"
    prompt_version = "offline-1"

    def failed_usage(self) -> Usage:
        return Usage()  # no request it sends can fail

    def __init__(self) -> None:
        self.paths: list[str] = []
        self._lock = threading.Lock()
        self._inner = OfflineProvider()

    def document(self, request: DocRequest) -> ChunkDoc:
        with self._lock:
            self.paths.append(request.chunk.path)
        return self._inner.document(request)


@pytest.fixture
def repo(git_repo: GitRepo) -> GitRepo:
    git_repo.write("a.py", A_PY)
    git_repo.write("pkg/b.py", B_PY)
    git_repo.write("README.md", "# project\n")
    git_repo.write("docs/api/guide.md", "Hand-written guide.\n")
    git_repo.commit("initial")
    return git_repo


def _run(repo: GitRepo, tmp_path: Path, provider: CountingProvider, **overrides: object) -> RunReport:
    cache = SqliteCache(tmp_path / "cache.sqlite3")
    try:
        return run_local(repo.path, store=cache, provider=provider, **overrides)
    finally:
        cache.close()


def test_first_run_second_run_edit_delete(repo: GitRepo, tmp_path: Path) -> None:
    docs = repo.path / "docs" / "api"

    # 1. First run over everything: every Python file documented, others skipped with a reason.
    provider = CountingProvider()
    report = _run(repo, tmp_path, provider, base=ZERO_SHA)
    assert sorted(report.documented) == ["a.py", "pkg/b.py"]
    assert {(o.path, o.reason) for o in report.skipped} == {
        ("README.md", "unsupported language"),
        ("docs/api/guide.md", "inside docbot's output folder"),
    }
    assert report.failed == []
    assert (report.cache_hits, report.cache_misses) == (0, 2)
    assert sorted(provider.paths) == ["a.py", "pkg/b.py"]
    page_a = (docs / "a.py.md").read_text()
    assert page_a.startswith(MARKER)
    assert "### `greet`" in page_a and "Say hello." in page_a
    index = (docs / "README.md").read_text()
    assert "[a.py](a.py.md)" in index and "[pkg/b.py](pkg/b.py.md)" in index
    assert (docs / "guide.md").read_text() == "Hand-written guide.\n"

    # 2. The same run again: 100% cache hits, zero provider calls, nothing rewritten.
    again = CountingProvider()
    report = _run(repo, tmp_path, again, base=ZERO_SHA)
    assert (report.cache_hits, report.cache_misses, report.hit_rate) == (2, 0, 1.0)
    assert again.paths == []
    assert report.written_pages == []

    # 3. Edit one function: only that file is re-documented.
    base = repo.head()
    old_page = (docs / "a.py.md").read_text()
    repo.write("a.py", A_PY.replace("return greet(name).upper()", "return greet(name).upper() + '!'"))
    head = repo.commit("edit shout")
    edit = CountingProvider()
    report = _run(repo, tmp_path, edit, base=base, head=head)
    assert report.documented == ["a.py"]
    assert edit.paths == ["a.py"]
    assert report.written_pages == ["docs/api/a.py.md"]
    new_page = (docs / "a.py.md").read_text()
    assert new_page != old_page
    assert new_page.replace(new_page.split("source sha256 ")[1][:14], "") == old_page.replace(
        old_page.split("source sha256 ")[1][:14], ""
    )  # same symbols and docs; only the recorded source hash moved

    # 4. Delete a source file: its page goes, the index follows, the hand-written page stays.
    base = head
    repo.remove("pkg/b.py")
    head = repo.commit("drop b")
    report = _run(repo, tmp_path, CountingProvider(), base=base, head=head)
    assert report.deleted_pages == ["docs/api/pkg/b.py.md"]
    assert not (docs / "pkg").exists()
    assert "pkg/b.py" not in (docs / "README.md").read_text()
    assert (docs / "guide.md").read_text() == "Hand-written guide.\n"


def test_hand_written_page_at_a_generated_path_is_kept_and_reported(repo: GitRepo, tmp_path: Path) -> None:
    repo.write("docs/api/a.py.md", "My own page about a.py.\n")
    repo.commit("hand-written page")
    report = _run(repo, tmp_path, CountingProvider(), base=ZERO_SHA)
    assert (repo.path / "docs/api/a.py.md").read_text() == "My own page about a.py.\n"
    assert "a.py" not in report.documented
    assert any(o.path == "a.py" and "not generated by docbot" in o.reason for o in report.skipped)


def test_renamed_source_moves_its_page(repo: GitRepo, tmp_path: Path) -> None:
    _run(repo, tmp_path, CountingProvider(), base=ZERO_SHA)
    base = repo.head()
    repo.git("mv", "pkg/b.py", "pkg/c.py")
    head = repo.commit("rename")
    provider = CountingProvider()
    report = _run(repo, tmp_path, provider, base=base, head=head)
    assert report.documented == ["pkg/c.py"]
    assert report.deleted_pages == ["docs/api/pkg/b.py.md"]
    assert (repo.path / "docs/api/pkg/c.py.md").exists()
    # The path is part of the chunk's key (its header), so the renamed file's chunk misses; but each
    # symbol's own entry does not depend on the path, so the chunk is answered from those, unasked.
    assert (report.cache_chunk_hits, report.cache_chunk_misses) == (1, 0)
    assert report.cache_symbol_hits > 0 and provider.paths == []


class FailingProvider(CountingProvider):
    def document(self, request: DocRequest) -> ChunkDoc:
        from docbot.errors import TransientError

        if request.chunk.path == "pkg/b.py":
            raise TransientError("overloaded (529)")
        return super().document(request)


def test_failed_file_keeps_its_old_page_and_the_rest_is_published(repo: GitRepo, tmp_path: Path) -> None:
    report = _run(repo, tmp_path, FailingProvider(), base=ZERO_SHA, cache="none")
    assert report.documented == ["a.py"]
    assert [(o.path, o.reason) for o in report.failed] == [("pkg/b.py", "overloaded (529)")]
    assert (repo.path / "docs/api/a.py.md").exists()
    assert not (repo.path / "docs/api/pkg/b.py.md").exists()


def test_force_asks_again_and_refreshes_the_cache(repo: GitRepo, tmp_path: Path) -> None:
    _run(repo, tmp_path, CountingProvider(), base=ZERO_SHA)

    forced = CountingProvider()
    report = _run(repo, tmp_path, forced, base=ZERO_SHA, force=True)
    assert sorted(forced.paths) == ["a.py", "pkg/b.py"]  # nothing answered from the cache
    assert (report.cache_hits, report.cache_misses) == (0, 2)
    assert sorted(report.documented) == ["a.py", "pkg/b.py"]

    after = CountingProvider()
    report = _run(repo, tmp_path, after, base=ZERO_SHA)
    assert after.paths == []  # the forced answers were stored
    assert report.hit_rate == 1.0


def test_force_is_never_read_from_the_repository_file(repo: GitRepo, tmp_path: Path) -> None:
    from docbot.errors import ConfigError

    repo.write(".github/docbot.yml", "force: true\n")
    with pytest.raises(ConfigError, match="unknown setting"):
        load_settings({"repo": repo.path}, env={})


def test_file_that_becomes_a_symlink_loses_its_page_and_back_again_is_documented(
    repo: GitRepo, tmp_path: Path
) -> None:
    import os

    _run(repo, tmp_path, CountingProvider(), base=ZERO_SHA)
    page = repo.path / "docs/api/pkg/b.py.md"
    assert page.exists()

    base = repo.head()
    (repo.path / "pkg/b.py").unlink()
    os.symlink("../a.py", repo.path / "pkg/b.py")
    head = repo.commit("b.py becomes a symlink")
    report = _run(repo, tmp_path, CountingProvider(), base=base, head=head)
    assert ("pkg/b.py", "type changed (regular file -> symlink)") in {
        (o.path, o.reason) for o in report.skipped
    }
    assert report.deleted_pages == ["docs/api/pkg/b.py.md"]
    assert not page.exists()

    base = head
    (repo.path / "pkg/b.py").unlink()
    repo.write("pkg/b.py", B_PY)
    head = repo.commit("b.py is a file again")
    report = _run(repo, tmp_path, CountingProvider(), base=base, head=head)
    assert report.documented == ["pkg/b.py"]
    assert page.exists()
