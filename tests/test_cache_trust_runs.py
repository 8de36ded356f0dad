"""Whole runs over planted and damaged caches: each run succeeds and writes pages with their marker.

Each test reproduces an input that used to break runs (a page without docbot's marker, a value stored
as bytes, a chunk answer with ``"params": "notalist"``, a damaged SQLite file, DynamoDB errors) and
asserts the defined outcome: a counted miss that the run overwrites, or the cache unavailable with a
reason, and either way every file documented.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from docbot.cache import Cache, open_cache
from docbot.markers import GENERATED as MARKER
from docbot.markers import marker_line
from tests.conftest import GitRepo
from tests.fakes.dynamodb import REGION, FakeDynamo, dynamo_fixture, moto_server_fixture  # noqa: F401
from tests.fakes.priced import PricedProvider
from tests.local_run import run_local, split
from tests.test_cache_pipeline import CHUNKS, ENTRIES, FILES, make_repo
from tests.test_cache_trust import TABLE, DynamoStore, SqliteStore, Store, damage_index

NOW = 1_800_000_000.0
SOURCES = ["src/big.py", "src/small.py", "src/tiny.py"]


class Runs:
    """Runs of docbot over one repository and one cache store, each opening the cache anew."""

    def __init__(self, repo: GitRepo, store: Store, ttl_hours: float = 24) -> None:
        self.repo = repo
        self.store = store
        self.clock = [NOW]
        self.ttl_hours = ttl_hours

    def settings(self) -> dict[str, Any]:
        base = {"repo": self.repo.path, "all_files": True, "chunk_max_lines": 20}
        if isinstance(self.store, SqliteStore):
            return {
                **base,
                "cache": "sqlite",
                "cache_path": self.store.path,
                "cache_ttl_hours": self.ttl_hours,
            }
        return {**base, "cache": f"dynamodb:{TABLE}", "cache_ttl_hours": self.ttl_hours}

    def env(self) -> dict[str, str]:
        if isinstance(self.store, DynamoStore):
            return {"AWS_REGION": REGION, "AWS_ENDPOINT_URL_DYNAMODB": self.store.dynamo.endpoint}
        return {}

    def run(self, provider: PricedProvider | None = None) -> tuple[dict[str, Any], PricedProvider]:
        provider = provider or PricedProvider()
        settings, _ = split(self.settings(), self.env())
        cache: Cache = open_cache(settings.cache, clock=lambda: self.clock[0])
        try:
            report = run_local(
                self.repo.path, store=cache, provider=provider, settings=settings, all_files=True
            )
        finally:
            cache.close()
        data: dict[str, Any] = report.to_json()
        return data, provider

    def assert_pages_marked(self) -> None:
        for source in SOURCES:
            page = (self.repo.path / "docs/api" / f"{source}.md").read_text()
            assert page.startswith(marker_line(source) + "\n"), source

    def pages(self) -> dict[str, str]:
        return {k: v for k, v in self.store.values().items() if v.startswith(MARKER)}

    def chunks(self) -> dict[str, str]:
        """The chunk answers (not the pages, nor the symbols' and overviews' own entries)."""
        return {k: v for k, v in self.store.values().items() if not v.startswith(MARKER) and '"usage"' in v}


@pytest.fixture(params=["sqlite", "dynamodb"])
def runs(request: pytest.FixtureRequest, git_repo: GitRepo, tmp_path: Path) -> Runs:
    make_repo(git_repo)
    if request.param == "sqlite":
        return Runs(git_repo, SqliteStore(tmp_path / "cache.sqlite3"))
    return Runs(git_repo, DynamoStore(request.getfixturevalue("dynamo")))


@pytest.fixture
def sqlite_runs(git_repo: GitRepo, tmp_path: Path) -> Runs:
    make_repo(git_repo)
    return Runs(git_repo, SqliteStore(tmp_path / "cache.sqlite3"))


def assert_green(data: dict[str, Any]) -> None:
    assert data["files"]["failed"] == []
    assert sorted(data["files"]["documented"]) == SOURCES


@pytest.mark.parametrize(
    "planted",
    [
        lambda page: "# API notes\n\nHand-written, no marker.\n",
        # docbot's marker, but another file's: publishing it would claim the wrong source.
        lambda page: page.replace('source="src/', 'source="elsewhere/', 1),
        # The marker somewhere other than the first line.
        lambda page: "\n" + page,
    ],
    ids=["no-marker", "other-files-marker", "marker-not-first"],
)
def test_a_planted_page_is_a_counted_miss_and_the_run_rewrites_it(
    runs: Runs, planted: Callable[[str], str]
) -> None:
    first, _ = runs.run()
    assert first["cache"]["rejected"] == 0
    stored = runs.pages()
    assert len(stored) == FILES
    for key, page in stored.items():
        runs.store.set_value(key, planted(page))

    second, provider = runs.run()
    assert_green(second)
    assert second["cache"]["available"] is True
    assert second["cache"]["rejected"] == FILES
    assert second["cache"]["files"] == {"hits": 0, "misses": FILES}
    assert second["cache"]["chunks"] == {"hits": CHUNKS, "misses": 0}  # rebuilt from cached chunks
    assert provider.requests == []
    runs.assert_pages_marked()
    assert runs.pages() == stored  # the fresh pages overwrote the planted ones

    third, _ = runs.run()
    assert third["cache"]["rejected"] == 0
    assert third["cache"]["files"] == {"hits": FILES, "misses": 0}


def test_values_stored_as_bytes_are_counted_misses_and_rewritten_as_text(sqlite_runs: Runs) -> None:
    assert isinstance(sqlite_runs.store, SqliteStore)
    sqlite_runs.run()
    sqlite_runs.store.sql("UPDATE entries SET value = CAST(value AS BLOB)")  # used to raise TypeError

    data, provider = sqlite_runs.run()
    assert_green(data)
    assert data["cache"]["rejected"] == ENTRIES
    assert data["cache"]["misses"] == CHUNKS
    assert len(provider.requests) == CHUNKS
    sqlite_runs.assert_pages_marked()
    assert sqlite_runs.store.sql("SELECT DISTINCT typeof(value) FROM entries") == [("text",)]


def test_a_chunk_answer_with_params_not_a_list_is_a_counted_miss(runs: Runs) -> None:
    runs.run()
    chunks = runs.chunks()
    assert len(chunks) == CHUNKS
    for key, value in chunks.items():
        data = json.loads(value)
        data["symbols"][0]["params"] = "notalist"  # used to raise IndexError in ChunkDoc.from_json
        runs.store.set_value(key, json.dumps(data))
    for key in runs.pages():
        runs.store.delete(key)  # so that the run looks the chunks up

    data, provider = runs.run()
    assert_green(data)
    assert data["cache"]["rejected"] == CHUNKS
    # Each refused chunk is answered from its symbol's own entry, and stored again, well-formed.
    assert data["cache"]["symbols"] == {"hits": CHUNKS, "misses": 0}
    assert provider.requests == []
    runs.assert_pages_marked()
    assert all(json.loads(v)["symbols"][0]["params"] != "notalist" for v in runs.chunks().values())

    again, provider = runs.run()
    assert again["cache"]["rejected"] == 0
    assert provider.requests == []


def test_garbage_over_the_sqlite_file_runs_uncached_and_says_why(sqlite_runs: Runs) -> None:
    assert isinstance(sqlite_runs.store, SqliteStore)
    sqlite_runs.run()
    sqlite_runs.store.path.write_bytes(os.urandom(256 * 1024))
    data, provider = sqlite_runs.run()
    assert_green(data)
    assert data["cache"]["available"] is False
    assert "file is not a database" in data["cache"]["error"]
    assert len(provider.requests) == CHUNKS
    sqlite_runs.assert_pages_marked()


def test_a_damaged_sqlite_index_runs_uncached_and_says_why(sqlite_runs: Runs) -> None:
    assert isinstance(sqlite_runs.store, SqliteStore)
    sqlite_runs.run()
    damage_index(sqlite_runs.store)
    data, provider = sqlite_runs.run()  # used to raise sqlite3.DatabaseError from get_many
    assert_green(data)
    assert data["cache"]["available"] is False
    assert "malformed" in data["cache"]["error"]
    assert len(provider.requests) == CHUNKS
    sqlite_runs.assert_pages_marked()


@pytest.fixture
def dynamo_runs(git_repo: GitRepo, dynamo: FakeDynamo) -> Runs:
    make_repo(git_repo)
    return Runs(git_repo, DynamoStore(dynamo))


@pytest.mark.parametrize(
    ("operation", "fault", "says"),
    [
        ("BatchGetItem", "error:400:ValidationException", "BatchGetItem"),
        ("BatchWriteItem", "error:400:AccessDeniedException", "refused"),
        ("BatchWriteItem", "error:500:InternalServerError", "5 times"),
    ],
)
def test_dynamodb_errors_run_uncached_and_say_why(
    dynamo_runs: Runs, operation: str, fault: str, says: str
) -> None:
    assert isinstance(dynamo_runs.store, DynamoStore)
    attempts = 5 if fault.startswith("error:5") else 1
    dynamo_runs.store.dynamo.proxy.add(operation, *[fault] * attempts)
    data, provider = dynamo_runs.run()
    assert_green(data)
    assert data["cache"]["available"] is False
    assert says in data["cache"]["error"]
    assert operation in data["cache"]["error"]
    assert len(provider.requests) == CHUNKS
    dynamo_runs.assert_pages_marked()


def test_the_configured_ttl_expires_whole_runs(runs: Runs) -> None:
    runs.ttl_hours = 1.5  # through the settings, open_cache and the backend to the stored expiry
    _, provider = runs.run()
    assert len(provider.requests) == CHUNKS
    runs.clock[0] = NOW + 1.5 * 3600 - 1
    second, provider = runs.run()
    assert (second["cache"]["hits"], provider.requests) == (CHUNKS, [])
    runs.clock[0] = NOW + 1.5 * 3600
    third, provider = runs.run()
    assert third["cache"]["files"] == {"hits": 0, "misses": FILES}
    assert third["cache"]["chunks"] == {"hits": 0, "misses": CHUNKS}
    assert third["cache"]["rejected"] == 0  # expired is a plain miss
    assert len(provider.requests) == CHUNKS
