"""The same behaviour through the ``Cache`` protocol, for every backend (SQLite file, DynamoDB on moto)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from docbot.cache import Cache, CacheEntry, NullCache, content_key, open_cache
from docbot.cache.dynamodb import DynamoCache
from docbot.cache.sqlite import SqliteCache
from docbot.config import load_settings
from tests.fakes.dynamodb import REGION, FakeDynamo, dynamo_fixture, moto_server_fixture  # noqa: F401

NOW = 1_800_000_000.0
Clock = list[float]
Factory = Callable[[Clock, float], Cache]


@pytest.fixture(params=["sqlite", "dynamodb"])
def make_cache(request: pytest.FixtureRequest, tmp_path: Path) -> Factory:
    """Build a backend with an injected clock and TTL; each call opens the same store again."""
    if request.param == "sqlite":
        return lambda clock, ttl: SqliteCache(tmp_path / "c.sqlite3", ttl_seconds=ttl, clock=lambda: clock[0])
    dynamo: FakeDynamo = request.getfixturevalue("dynamo")
    dynamo.create_table("t-protocol")
    return lambda clock, ttl: DynamoCache(
        "t-protocol", region=REGION, endpoint_url=dynamo.endpoint, ttl_seconds=ttl, clock=lambda: clock[0]
    )


def entry(value: str, cost: float = 0.02) -> CacheEntry:
    return CacheEntry(value=value, model="m", created=NOW, input_tokens=7, output_tokens=3, cost_usd=cost)


def test_miss_then_hit_across_instances(make_cache: Factory) -> None:
    clock = [NOW]
    first = make_cache(clock, 3600)
    assert first.available
    assert first.error is None
    assert first.get_many(["a", "b"]) == {}
    assert first.put_many({"a": entry("A"), "b": entry("B")}) == {}
    first.close()
    second = make_cache(clock, 3600)  # another run: the entries outlive the process
    assert second.get_many(["a", "b", "c"]) == {"a": entry("A"), "b": entry("B")}
    second.close()


def test_expired_entries_are_misses_and_stats_count_them(make_cache: Factory) -> None:
    clock = [NOW]
    cache = make_cache(clock, 100)
    cache.put_many({"old": entry("o", cost=1.0)})
    clock[0] = NOW + 60
    cache.put_many({"new": entry("n", cost=0.5)})
    clock[0] = NOW + 100
    assert set(cache.get_many(["old", "new"])) == {"new"}
    stats = cache.stats()
    assert (stats.entries, stats.expired, stats.stored_cost_usd) == (1, 1, 0.5)
    assert stats.backend == cache.backend
    cache.close()


def test_many_keys_round_trip_and_purge(make_cache: Factory) -> None:
    clock = [NOW]
    cache = make_cache(clock, 3600)
    keys = [content_key("chunk", str(i), model="m", prompt_version="1", options={}) for i in range(620)]
    cache.put_many({k: entry(k[:8]) for k in keys})
    found = cache.get_many(keys)
    assert len(found) == 620
    assert all(found[k].value == k[:8] for k in keys)
    assert cache.purge() == 620
    assert cache.get_many(keys) == {}
    assert cache.stats().entries == 0
    cache.close()


def test_unusable_sqlite_file_fails_open(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    cache = SqliteCache(blocker / "c.sqlite3")
    assert not cache.available
    assert cache.error is not None
    assert str(blocker) in cache.error
    assert cache.get_many(["a"]) == {}
    assert cache.put_many({"a": entry("A")}) == {}


def test_registry_opens_each_backend(tmp_path: Path, dynamo: FakeDynamo) -> None:
    dynamo.create_table("t-reg")
    env = {"AWS_REGION": REGION, "AWS_ENDPOINT_URL_DYNAMODB": dynamo.endpoint}
    cache = open_cache(load_settings({"cache": "dynamodb:t-reg"}, env).cache)
    assert isinstance(cache, DynamoCache)
    assert cache.available
    assert cache.table == "t-reg"
    cache.close()
    assert isinstance(open_cache(load_settings({"cache": "none"}, {}).cache), NullCache)
    sqlite = open_cache(load_settings({"cache": "sqlite", "cache_path": tmp_path / "x.db"}, {}).cache)
    assert isinstance(sqlite, SqliteCache)
    assert sqlite.available
    sqlite.close()
