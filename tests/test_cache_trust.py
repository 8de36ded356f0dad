"""Cache contents are untrusted, and cache failures never fail a run: each backend, on real stores.

Values are planted the way someone who can write the store would: raw SQL on the SQLite file, raw
``PutItem`` on moto. A planted value must come back as a miss, be counted in ``rejected`` and be
replaced by the next ``put_many``; a damaged store must make the cache unavailable with a reason.
"""

from __future__ import annotations

import dataclasses
import json
import os
import sqlite3
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from docbot.cache import MAX_VALUE_BYTES, Cache, CacheEntry, open_cache
from docbot.cache.dynamodb import DynamoCache
from docbot.cache.shapes import (
    CHUNK_FIELDS,
    SYMBOL_FIELDS,
    USAGE_FIELDS,
    USAGE_LATER_FIELDS,
    chunk_answer,
    overview_answer,
    symbol_answer,
)
from docbot.cache.sqlite import SqliteCache
from docbot.config import load_settings
from docbot.docs import ChunkDoc, SymbolDoc, Usage
from docbot.errors import ConfigError
from tests.fakes.dynamodb import REGION, FakeDynamo, dynamo_fixture, moto_server_fixture  # noqa: F401

NOW = 1_800_000_000.0
TABLE = "t-trust"
GOOD = CacheEntry(value="good", model="m", created=NOW, input_tokens=7, output_tokens=3, cost_usd=0.02)


# --- planting values straight into each store ---


class SqliteStore:
    """The SQLite cache file, written around docbot."""

    backend = "sqlite"

    def __init__(self, path: Path) -> None:
        self.path = path

    def open(self, clock: Callable[[], float] = lambda: NOW, ttl: float = 3600) -> Cache:
        return SqliteCache(self.path, ttl_seconds=ttl, clock=clock)

    def sql(self, statement: str, *params: object) -> list[Any]:
        db = sqlite3.connect(self.path)
        try:
            rows = db.execute(statement, params).fetchall()
            db.commit()
            return rows
        finally:
            db.close()

    def values(self) -> dict[str, str]:
        return {k: v for k, v in self.sql("SELECT key, value FROM entries WHERE typeof(value) = 'text'")}

    def set_value(self, key: str, value: str | bytes) -> None:
        # bytes bind as a BLOB: what a writer that is not docbot may well store.
        self.sql("UPDATE entries SET value = ? WHERE key = ?", value, key)

    def delete(self, key: str) -> None:
        self.sql("DELETE FROM entries WHERE key = ?", key)


class DynamoStore:
    """The DynamoDB table on moto, written around docbot (straight to moto, not through the proxy)."""

    backend = "dynamodb"

    def __init__(self, dynamo: FakeDynamo) -> None:
        self.dynamo = dynamo
        dynamo.create_table(TABLE)

    def open(self, clock: Callable[[], float] = lambda: NOW, ttl: float = 3600) -> Cache:
        return DynamoCache(
            TABLE, region=REGION, endpoint_url=self.dynamo.endpoint, ttl_seconds=ttl, clock=clock
        )

    def item(self, key: str) -> dict[str, Any]:
        got: dict[str, Any] = self.dynamo.client().get_item(TableName=TABLE, Key={"file_hash": {"S": key}})
        return dict(got["Item"])

    def put(self, item: dict[str, Any]) -> None:
        self.dynamo.client().put_item(TableName=TABLE, Item=item)

    def values(self) -> dict[str, str]:
        return {
            i["file_hash"]["S"]: zlib.decompress(i["value"]["B"]).decode() for i in self.dynamo.items(TABLE)
        }

    def set_value(self, key: str, value: str | bytes) -> None:
        raw = value.encode() if isinstance(value, str) else value
        self.put({**self.item(key), "value": {"B": zlib.compress(raw)}})

    def delete(self, key: str) -> None:
        self.dynamo.client().delete_item(TableName=TABLE, Key={"file_hash": {"S": key}})


Store = SqliteStore | DynamoStore


@pytest.fixture(params=["sqlite", "dynamodb"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Store:
    if request.param == "sqlite":
        return SqliteStore(tmp_path / "c.sqlite3")
    return DynamoStore(request.getfixturevalue("dynamo"))


@pytest.fixture
def sqlite_store(tmp_path: Path) -> SqliteStore:
    return SqliteStore(tmp_path / "c.sqlite3")


@pytest.fixture
def dynamo_store(dynamo: FakeDynamo) -> DynamoStore:
    return DynamoStore(dynamo)


def assert_miss_counted_then_overwritten(cache: Cache, store: Store, key: str = "k") -> None:
    """The planted ``key`` is a counted miss; storing the fresh answer replaces it for good."""
    assert cache.get_many([key]) == {}
    assert cache.rejected == 1
    assert cache.available  # a bad entry is the entry's problem, not the cache's
    assert cache.put_many({key: GOOD}) == {}
    assert cache.get_many([key]) == {key: GOOD}
    assert cache.rejected == 1
    assert store.values()[key] == "good"


# --- planted values: a miss, counted, then overwritten ---


@pytest.mark.parametrize(
    ("statement", "why"),
    [
        ("UPDATE entries SET value = CAST(value AS BLOB)", "value stored as bytes"),
        ("UPDATE entries SET value = CAST(x'80ff' AS TEXT)", "value not UTF-8"),
        ("UPDATE entries SET value = CAST(zeroblob(?) AS TEXT)", "value over the size bound"),
        ("UPDATE entries SET model = x'6d'", "model stored as bytes"),
        ("UPDATE entries SET model = CAST(x'ff' AS TEXT)", "model not UTF-8"),
        ("UPDATE entries SET input_tokens = -1", "negative count"),
        ("UPDATE entries SET output_tokens = 'many'", "count as text"),
        ("UPDATE entries SET cost_usd = 'free'", "cost as text"),
        ("UPDATE entries SET cost_usd = -5.0", "negative cost (would inflate saved_usd)"),
        ("UPDATE entries SET created = 'then'", "created as text"),
    ],
)
def test_sqlite_planted_fields_are_counted_misses(
    sqlite_store: SqliteStore, statement: str, why: str
) -> None:
    cache = sqlite_store.open()
    cache.put_many({"k": GOOD})
    params = (MAX_VALUE_BYTES + 1,) if "?" in statement else ()
    sqlite_store.sql(statement, *params)
    assert_miss_counted_then_overwritten(cache, sqlite_store)


def _bomb() -> bytes:
    # A few kilobytes that would inflate past the bound: read must stop, not allocate it all.
    return zlib.compress(b"\0" * (MAX_VALUE_BYTES + 1), 9)


@pytest.mark.parametrize(
    ("change", "why"),
    [
        ({"value": {"S": "a page"}}, "value as a string, not binary"),
        ({"value": {"B": b"not zlib at all"}}, "value not zlib"),
        ({"value": {"B": zlib.compress(b"\x80\xff")}}, "value not UTF-8"),
        ({"value": {"B": zlib.compress(b"good")[:-3]}}, "value truncated"),
        ({"value": {"B": _bomb()}}, "value inflating past the size bound"),
        ({"model": {"N": "1"}}, "model as a number"),
        ({"input_tokens": {"N": "1.5"}}, "fractional count"),
        ({"output_tokens": {"N": "-3"}}, "negative count"),
        ({"cost_usd": {"N": "-0.5"}}, "negative cost"),
        ({"created": {"S": "yesterday"}}, "created as a string"),
        ({"ttl": {"S": "never"}}, "ttl as a string (DynamoDB would never expire it)"),
    ],
)
def test_dynamodb_planted_attributes_are_counted_misses(
    dynamo_store: DynamoStore, change: dict[str, Any], why: str
) -> None:
    cache = dynamo_store.open()
    cache.put_many({"k": GOOD})
    dynamo_store.put({**dynamo_store.item("k"), **change})
    assert_miss_counted_then_overwritten(cache, dynamo_store)


@pytest.mark.parametrize("attribute", ["value", "model", "created", "input_tokens", "cost_usd", "ttl"])
def test_dynamodb_item_missing_an_attribute_is_a_counted_miss(
    dynamo_store: DynamoStore, attribute: str
) -> None:
    cache = dynamo_store.open()
    cache.put_many({"k": GOOD})
    item = dynamo_store.item("k")
    del item[attribute]
    dynamo_store.put(item)
    assert_miss_counted_then_overwritten(cache, dynamo_store)


def test_a_value_the_callers_validator_refuses_is_a_counted_miss(store: Store) -> None:
    cache = store.open()
    cache.put_many({"k": GOOD, "other": GOOD})
    store.set_value("k", "planted")
    seen: list[tuple[str, str]] = []

    def is_good(key: str, value: str) -> bool:
        seen.append((key, value))
        return value == "good"

    assert cache.get_many(["k", "other"], validate=is_good) == {"other": GOOD}
    assert sorted(seen) == [("k", "planted"), ("other", "good")]
    assert cache.rejected == 1
    cache.put_many({"k": GOOD})
    assert cache.get_many(["k"], validate=is_good) == {"k": GOOD}
    assert cache.rejected == 1


def test_the_size_bound_holds_on_write_too(sqlite_store: SqliteStore) -> None:
    # What a read would refuse is not stored: it is reported like DynamoDB's item limit.
    cache = sqlite_store.open()
    huge = dataclasses.replace(GOOD, value="x" * (MAX_VALUE_BYTES + 1))
    surrogate = dataclasses.replace(GOOD, value="lone \ud800 surrogate")
    refused = cache.put_many({"huge": huge, "surrogate": surrogate, "k": GOOD})
    assert sorted(refused) == ["huge", "surrogate"]
    assert "limit" in refused["huge"]
    assert "UTF-8" in refused["surrogate"]
    assert set(sqlite_store.values()) == {"k"}
    assert cache.available


def test_dynamodb_refuses_a_value_that_is_not_utf8(dynamo_store: DynamoStore) -> None:
    cache = dynamo_store.open()
    refused = cache.put_many({"s": dataclasses.replace(GOOD, value="\ud800"), "k": GOOD})
    assert list(refused) == ["s"]
    assert set(dynamo_store.values()) == {"k"}


# --- the chunk answer's shape ---


def answer(**changes: Any) -> dict[str, Any]:
    doc = ChunkDoc(
        overview="Module overview.",
        symbols=(
            SymbolDoc(
                name="f",
                summary="Does f.",
                description="Longer.",
                params=(("a", "first"), ("b", "second")),
                returns="a sum",
                raises=("ValueError",),
                example="f(1, 2)",
            ),
            SymbolDoc(name="g", summary="Does g."),
        ),
        model="m-1",
        usage=Usage(input_tokens=10, output_tokens=5, requests=1, cost_usd=0.001),
    )
    data = doc.to_json()
    data["symbols"][0].update(changes.pop("symbol", {}))
    data["usage"].update(changes.pop("usage", {}))
    data.update(changes)
    return json.loads(json.dumps(data))  # as stored: tuples become lists


def test_chunk_answers_docbot_writes_are_accepted_and_read_back() -> None:
    for doc in [
        answer(),
        answer(overview=None, symbol={"returns": None, "example": None, "params": [], "raises": []}),
        answer(symbols=[]),
        answer(usage={"cost_usd": 0}),
    ]:
        value = json.dumps(doc)
        assert chunk_answer("k", value)
        assert ChunkDoc.from_json(json.loads(value)).to_json() == ChunkDoc.from_json(doc).to_json()


@pytest.mark.parametrize(
    "value",
    [
        json.dumps(answer(symbol={"params": "notalist"})),  # raised IndexError in ChunkDoc.from_json
        json.dumps(answer(symbol={"params": [["a"]]})),
        json.dumps(answer(symbol={"params": [["a", "b", "c"]]})),
        json.dumps(answer(symbol={"params": [["a", 1]]})),
        json.dumps(answer(symbol={"params": ["ab"]})),  # a 2-character string indexes like a pair
        json.dumps(answer(symbol={"raises": "ValueError"})),  # a string iterates as characters
        json.dumps(answer(symbol={"raises": [None]})),
        json.dumps(answer(symbol={"name": None})),
        json.dumps(answer(symbol={"summary": ["a"]})),
        json.dumps(answer(symbol={"description": None})),
        json.dumps(answer(symbol={"returns": 3})),
        json.dumps(answer(symbol={"extra": "field"})),
        json.dumps(answer(overview=7)),
        json.dumps(answer(model=None)),
        json.dumps(answer(symbols={"f": {}})),
        json.dumps(answer(symbols=["f"])),
        json.dumps(answer(usage={"input_tokens": True})),
        json.dumps(answer(usage={"input_tokens": -1})),
        json.dumps(answer(usage={"input_tokens": 1.5})),
        json.dumps(answer(usage={"unknown": 1})),  # would raise TypeError in Usage(**...)
        json.dumps(answer(usage={"cost_usd": "0.1"})),
        json.dumps({**answer(), "usage": None}),
        json.dumps(answer()).replace('"cost_usd": 0.001', '"cost_usd": NaN'),
        json.dumps(answer()).replace('"cost_usd": 0.001', '"cost_usd": Infinity'),
        json.dumps({k: v for k, v in answer().items() if k != "usage"}),
        json.dumps([answer()]),
        "null",
        '"a string"',
        "{not json",
        "[" * 100_000 + "]" * 100_000,  # nested past the parser's recursion limit
        "",
    ],
)
def test_chunk_answers_of_any_other_shape_are_refused(value: str) -> None:
    assert not chunk_answer("k", value)


def test_the_chunk_shape_names_exactly_the_dataclass_fields() -> None:
    # A field added to ChunkDoc, SymbolDoc or Usage must be added to the shape, or every entry misses.
    assert list(CHUNK_FIELDS) == [f.name for f in dataclasses.fields(ChunkDoc)]
    assert list(SYMBOL_FIELDS) == [f.name for f in dataclasses.fields(SymbolDoc)]
    assert [*USAGE_FIELDS, *USAGE_LATER_FIELDS] == [f.name for f in dataclasses.fields(Usage)]


def test_entries_written_before_the_later_usage_fields_are_still_accepted() -> None:
    old = answer()
    for name in USAGE_LATER_FIELDS:
        old["usage"].pop(name, None)
    assert chunk_answer("k", json.dumps(old))
    old["usage"]["thinking_tokens"] = -1
    assert not chunk_answer("k", json.dumps(old))


def test_symbol_and_overview_entries_have_their_own_strict_shapes() -> None:
    doc = {
        "name": "f",
        "summary": "S.",
        "description": "",
        "params": [["a", "A."]],
        "returns": None,
        "raises": [],
        "example": None,
        "notes": [],
    }
    assert symbol_answer("k", json.dumps({"doc": doc, "model": "m"}))
    assert not symbol_answer("k", json.dumps({"doc": {**doc, "notes": "n"}, "model": "m"}))
    assert not symbol_answer("k", json.dumps({"doc": doc, "model": "m", "extra": 1}))
    assert not symbol_answer("k", json.dumps({"doc": {**doc, "params": "a"}, "model": "m"}))
    assert not symbol_answer("k", json.dumps(answer()))  # a chunk answer is not a symbol answer
    assert overview_answer("k", json.dumps({"overview": "O.", "model": "m"}))
    # null: the file has no overview (asked, and the answer was empty), cached all the same
    assert overview_answer("k", json.dumps({"overview": None, "model": "m"}))
    assert not overview_answer("k", json.dumps({"overview": 1, "model": "m"}))
    assert not overview_answer("k", json.dumps({"overview": "O."}))
    assert not overview_answer("k", "{not json")


# --- a damaged SQLite file: unavailable for the run, with the reason; never an exception ---


def filled(store: SqliteStore, n: int = 2000) -> list[str]:
    cache = store.open()
    keys = [f"key-{i:05}" for i in range(n)]
    assert cache.put_many({k: GOOD for k in keys}) == {}
    cache.close()  # checkpoints the WAL into the main file
    return keys


def damage_index(store: SqliteStore) -> None:
    """Overwrite the first page of the key index with garbage, as a bad disk sector would."""
    ((root,),) = store.sql("SELECT rootpage FROM sqlite_master WHERE name = 'sqlite_autoindex_entries_1'")
    ((page_size,),) = store.sql("PRAGMA page_size")
    with store.path.open("r+b") as f:
        f.seek((root - 1) * page_size)
        f.write(b"\xde\xad\xbe\xef" * (page_size // 4))


def test_garbage_over_a_real_cache_file_fails_open_at_open(sqlite_store: SqliteStore) -> None:
    filled(sqlite_store)
    sqlite_store.path.write_bytes(os.urandom(64 * 1024))
    cache = sqlite_store.open()
    assert not cache.available
    assert cache.error is not None
    assert "file is not a database" in cache.error
    assert str(sqlite_store.path) in cache.error
    assert cache.get_many(["key-00001"]) == {}
    assert cache.put_many({"k": GOOD}) == {}


def test_a_damaged_index_page_fails_open_on_read(sqlite_store: SqliteStore) -> None:
    keys = filled(sqlite_store)
    damage_index(sqlite_store)
    cache = sqlite_store.open()  # opening scans the table, not the index: the damage shows on lookup
    assert cache.available
    assert cache.get_many(keys[:3]) == {}
    assert not cache.available
    assert cache.error is not None
    assert "unreadable" in cache.error
    assert "malformed" in cache.error
    # Unavailable for the rest of the run: writes are dropped without touching the file.
    assert cache.put_many({"k": GOOD}) == {}
    with pytest.raises(ConfigError, match="malformed"):
        cache.stats()


def test_a_damaged_index_page_fails_open_on_write(sqlite_store: SqliteStore) -> None:
    filled(sqlite_store)
    damage_index(sqlite_store)
    cache = sqlite_store.open()
    assert cache.put_many({"new": GOOD}) == {}
    assert not cache.available
    assert cache.error is not None
    assert "unwritable" in cache.error
    assert "malformed" in cache.error


def test_operator_commands_on_a_damaged_file_say_how_to_fix(sqlite_store: SqliteStore) -> None:
    filled(sqlite_store)
    cache = sqlite_store.open()  # opened while whole, damaged underneath
    damage_index(sqlite_store)
    with pytest.raises(ConfigError, match="delete the file"):
        cache.purge()


def test_a_file_that_is_not_a_database_fails_open(sqlite_store: SqliteStore) -> None:
    sqlite_store.path.write_text("# my notes\n" * 500)
    cache = sqlite_store.open()
    assert not cache.available
    assert cache.error is not None
    assert "file is not a database" in cache.error


@pytest.fixture
def locked(sqlite_store: SqliteStore) -> Iterator[sqlite3.Connection]:
    """Another process holding the write lock for longer than docbot waits."""
    sqlite_store.open().close()
    other = sqlite3.connect(sqlite_store.path)
    try:
        yield other
    finally:
        other.rollback()
        other.close()


def test_locked_beyond_the_timeout_fails_open(sqlite_store: SqliteStore, locked: sqlite3.Connection) -> None:
    cache = SqliteCache(sqlite_store.path, clock=lambda: NOW, timeout=0.05)
    assert cache.available
    locked.execute("BEGIN EXCLUSIVE")
    assert cache.get_many(["k"]) == {}  # WAL readers are not blocked by a writer
    assert cache.put_many({"k": GOOD}) == {}
    assert not cache.available
    assert cache.error is not None
    assert "database is locked" in cache.error
    # Opening while the lock is held fails open too (opening purges expired rows: a write).
    again = SqliteCache(sqlite_store.path, clock=lambda: NOW, timeout=0.05)
    assert not again.available
    assert again.error is not None
    assert "database is locked" in again.error


# --- DynamoDB errors on read and write: unavailable with the reason ---


@pytest.mark.parametrize(
    ("operation", "fault", "says"),
    [
        ("BatchGetItem", "error:400:ValidationException", "BatchGetItem"),
        ("BatchGetItem", "error:400:AccessDeniedException", "docs/deployment.md"),
        ("BatchWriteItem", "error:400:ValidationException", "BatchWriteItem"),
        ("BatchWriteItem", "error:400:ResourceNotFoundException", "docbot cache init"),
    ],
)
def test_dynamodb_errors_on_the_runs_path_fail_open(
    dynamo_store: DynamoStore, operation: str, fault: str, says: str
) -> None:
    cache = dynamo_store.open()
    dynamo_store.dynamo.proxy.add(operation, fault)
    if operation == "BatchGetItem":
        assert cache.get_many(["k"]) == {}
    else:
        assert cache.put_many({"k": GOOD}) == {}
    assert not cache.available
    assert cache.error is not None
    assert says in cache.error
    sent = len(dynamo_store.dynamo.proxy.sent)
    assert cache.get_many(["k"]) == {}
    assert cache.put_many({"k": GOOD}) == {}
    assert len(dynamo_store.dynamo.proxy.sent) == sent  # nothing more is sent this run


# --- the configured TTL, from settings to the stored expiry and back ---


def settings_env(store: Store, tmp_path: Path, hours: float) -> tuple[dict[str, object], dict[str, str]]:
    if isinstance(store, SqliteStore):
        return {"cache": "sqlite", "cache_path": store.path, "cache_ttl_hours": hours}, {}
    env = {"AWS_REGION": REGION, "AWS_ENDPOINT_URL_DYNAMODB": store.dynamo.endpoint}
    return {"cache": f"dynamodb:{TABLE}", "cache_ttl_hours": hours}, env


def stored_expiry(store: Store, key: str) -> float:
    if isinstance(store, SqliteStore):
        ((expires,),) = store.sql("SELECT expires FROM entries WHERE key = ?", key)
        return float(expires)
    return float(store.item(key)["ttl"]["N"])


def test_configured_ttl_is_written_and_checked_on_read(store: Store, tmp_path: Path) -> None:
    clock = [NOW]
    overrides, env = settings_env(store, tmp_path, hours=2.5)
    cache = open_cache(load_settings(overrides, env).cache, clock=lambda: clock[0])
    assert cache.backend == store.backend
    cache.put_many({"k": GOOD})
    assert stored_expiry(store, "k") == NOW + 2.5 * 3600
    clock[0] = NOW + 2.5 * 3600 - 1
    assert set(cache.get_many(["k"])) == {"k"}
    clock[0] = NOW + 2.5 * 3600
    # DynamoDB deletes lazily (moto never): the item is still there, and the read must drop it.
    assert "k" in store.values()
    assert cache.get_many(["k"]) == {}
    assert cache.rejected == 0  # expired is a plain miss, not a planted value
    cache.close()


def test_lowering_the_ttl_takes_effect_on_entries_written_under_a_longer_one(
    store: Store, tmp_path: Path
) -> None:
    clock = [NOW]
    overrides, env = settings_env(store, tmp_path, hours=24)
    long_lived = open_cache(load_settings(overrides, env).cache, clock=lambda: clock[0])
    long_lived.put_many({"k": GOOD})
    long_lived.close()
    overrides, env = settings_env(store, tmp_path, hours=1)
    short = open_cache(load_settings(overrides, env).cache, clock=lambda: clock[0])
    # Just written, but it expires in 24 h, which no entry written under a 1 h TTL could.
    assert short.get_many(["k"]) == {}
    short.put_many({"k": GOOD})
    assert set(short.get_many(["k"])) == {"k"}
    clock[0] = NOW + 3600
    assert short.get_many(["k"]) == {}
    short.close()


def test_a_far_future_expiry_is_not_honoured(store: Store) -> None:
    # Planted "forever" items would otherwise outlive every TTL in a shared table.
    cache = store.open(ttl=3600)
    cache.put_many({"k": GOOD})
    if isinstance(store, SqliteStore):
        store.sql("UPDATE entries SET expires = 1e18")
    else:
        store.put({**store.item("k"), "ttl": {"N": "99999999999"}})
    assert cache.get_many(["k"]) == {}
    cache.put_many({"k": GOOD})
    assert set(cache.get_many(["k"])) == {"k"}
