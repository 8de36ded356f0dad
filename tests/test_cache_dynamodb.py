"""The DynamoDB backend against moto on 127.0.0.1 (real boto3), with faults injected over HTTP."""

from __future__ import annotations

import multiprocessing
import random
import string
import time
import zlib
from concurrent.futures import ProcessPoolExecutor

import pytest

from docbot.cache import CacheEntry
from docbot.cache.dynamodb import MAX_ITEM_BYTES, DynamoCache, init_table
from docbot.errors import ConfigError
from tests.fakes.dynamodb import REGION, FakeDynamo, dynamo_fixture, moto_server_fixture  # noqa: F401
from tests.fakes.writer import write_same_keys

TABLE = "doc-cache-test"
NOW = 1_800_000_000.0


def entry(value: str = "doc", cost: float = 0.0125) -> CacheEntry:
    return CacheEntry(
        value=value, model="m-1", created=NOW - 5, input_tokens=1000, output_tokens=250, cost_usd=cost
    )


def open_cache(dynamo: FakeDynamo, **kwargs: object) -> tuple[DynamoCache, list[float]]:
    sleeps: list[float] = []
    options: dict[str, object] = {"clock": lambda: NOW, "sleep": sleeps.append}
    options.update(kwargs)
    cache = DynamoCache(TABLE, region=REGION, endpoint_url=dynamo.endpoint, **options)  # type: ignore[arg-type]
    return cache, sleeps


@pytest.fixture
def table(dynamo: FakeDynamo) -> FakeDynamo:
    dynamo.create_table(TABLE)
    return dynamo


def test_miss_then_hit_keeps_value_and_cost_exactly(table: FakeDynamo) -> None:
    cache, _ = open_cache(table)
    assert cache.available
    assert cache.error is None
    assert cache.get_many(["k1", "k2"]) == {}
    stored = entry("ünïcode page\n" * 50, cost=0.1 + 0.2)
    assert cache.put_many({"k1": stored}) == {}
    assert cache.get_many(["k1", "k2"]) == {"k1": stored}

    (item,) = table.items(TABLE)
    assert item["file_hash"] == {"S": "k1"}
    assert item["ttl"] == {"N": str(int(NOW + 86400))}
    assert zlib.decompress(item["value"]["B"]).decode() == stored.value
    assert len(item["value"]["B"]) < len(stored.value.encode())  # stored compressed
    assert item["cost_usd"] == {"N": repr(0.1 + 0.2)}
    assert item["model"] == {"S": "m-1"}


def test_numbers_round_trip_exactly_without_exponents(table: FakeDynamo) -> None:
    cache, _ = open_cache(table)
    tiny = CacheEntry(
        value="", model="", created=NOW + 0.125, input_tokens=0, output_tokens=0, cost_usd=1e-05
    )
    cache.put_many({"tiny": tiny})
    assert cache.get_many(["tiny"]) == {"tiny": tiny}
    (item,) = table.items(TABLE)
    assert item["cost_usd"] == {"N": "0.00001"}
    assert item["created"] == {"N": "1800000000.125"}


def test_250_keys_are_read_in_3_batch_calls_and_written_in_10(table: FakeDynamo) -> None:
    cache, _ = open_cache(table)
    keys = [f"key-{i:03}" for i in range(250)]
    assert cache.put_many({k: entry(k) for k in keys}) == {}
    writes = table.proxy.calls("BatchWriteItem")
    assert [len(w["RequestItems"][TABLE]) for w in writes] == [25] * 10

    found = cache.get_many([*keys, *keys[:10]])  # duplicates are asked for once
    assert sorted(found) == keys
    assert all(found[k].value == k for k in keys)
    reads = table.proxy.calls("BatchGetItem")
    assert [len(r["RequestItems"][TABLE]["Keys"]) for r in reads] == [100, 100, 50]


def test_an_item_whose_ttl_is_past_is_a_miss(table: FakeDynamo) -> None:
    clock = [NOW]
    cache, _ = open_cache(table, clock=lambda: clock[0], ttl_seconds=3600)
    cache.put_many({"k": entry()})
    clock[0] = NOW + 3599
    assert set(cache.get_many(["k"])) == {"k"}
    # moto (like DynamoDB for up to two days) still returns the expired item: the read must drop it.
    clock[0] = NOW + 3600
    assert cache.get_many(["k"]) == {}
    assert len(table.items(TABLE)) == 1


def incompressible(n: int, seed: int = 7) -> str:
    return "".join(random.Random(seed).choices(string.ascii_letters + string.digits, k=n))


def test_an_item_over_400_kb_is_not_stored_and_is_reported(table: FakeDynamo) -> None:
    cache, _ = open_cache(table)
    big = incompressible(600_000)
    refused = cache.put_many({"big": entry(big), "small": entry("ok")})
    assert list(refused) == ["big"]
    assert "400 KB" in refused["big"]
    assert cache.available  # one oversized value does not disable the cache
    assert set(cache.get_many(["big", "small"])) == {"small"}
    # Just under the limit is stored.
    near = incompressible(MAX_ITEM_BYTES - 1000)
    assert cache.put_many({"near": entry(near)}) == {}
    assert cache.get_many(["near"])["near"].value == near


def test_unprocessed_keys_and_items_are_retried_with_backoff(table: FakeDynamo) -> None:
    cache, sleeps = open_cache(table)
    table.proxy.add("BatchWriteItem", "unprocessed", "unprocessed")
    assert cache.put_many({f"k{i}": entry(f"v{i}") for i in range(20)}) == {}
    assert [len(w["RequestItems"][TABLE]) for w in table.proxy.calls("BatchWriteItem")] == [20, 10, 5]
    assert len(table.items(TABLE)) == 20

    table.proxy.add("BatchGetItem", "unprocessed")
    found = cache.get_many([f"k{i}" for i in range(20)])
    assert len(found) == 20
    assert [len(r["RequestItems"][TABLE]["Keys"]) for r in table.proxy.calls("BatchGetItem")] == [20, 10]
    # Full-jitter exponential backoff: each wait within 0.05 s * 2**(attempt - 1).
    assert len(sleeps) == 3
    for wait, bound in zip(sleeps, [0.05, 0.1, 0.05], strict=True):
        assert 0 <= wait <= bound
    assert cache.available


def test_throttling_is_retried_then_fails_open(table: FakeDynamo) -> None:
    cache, sleeps = open_cache(table, max_attempts=3)
    table.proxy.add("BatchWriteItem", "throttle")
    assert cache.put_many({"k": entry()}) == {}
    assert len(sleeps) == 1
    assert cache.available
    assert set(cache.get_many(["k"])) == {"k"}

    table.proxy.add("BatchGetItem", "throttle", "throttle", "throttle")
    assert cache.get_many(["k"]) == {}
    assert not cache.available
    assert cache.error is not None
    assert "ThrottlingException" in cache.error
    assert "3 times" in cache.error
    assert len(table.proxy.calls("BatchGetItem")) == 4  # one good read, then three throttled
    # Failed open: nothing more is sent this run.
    assert cache.put_many({"k2": entry()}) == {}
    assert cache.get_many(["k"]) == {}
    assert len(table.proxy.sent) == 1 + 2 + 4  # DescribeTable, 2 writes, 4 reads


def test_server_errors_are_retried_like_throttling(table: FakeDynamo) -> None:
    cache, sleeps = open_cache(table)
    cache.put_many({"k": entry()})
    table.proxy.add("BatchGetItem", "error:500:InternalServerError", "error:503:ServiceUnavailable")
    assert set(cache.get_many(["k"])) == {"k"}
    assert len(sleeps) == 2
    assert cache.available


def test_access_denied_fails_open_at_once_and_points_to_the_policy(table: FakeDynamo) -> None:
    table.proxy.add("DescribeTable", "error:400:AccessDeniedException")
    cache, sleeps = open_cache(table)
    assert not cache.available
    assert cache.error is not None
    assert "DescribeTable" in cache.error
    assert "AccessDeniedException" in cache.error
    assert "docs/deployment.md" in cache.error
    assert sleeps == []


def test_persistent_unprocessed_keys_fail_open(table: FakeDynamo) -> None:
    cache, sleeps = open_cache(table, max_attempts=2)
    cache.put_many({k: entry() for k in "abcd"})
    table.proxy.add("BatchGetItem", "unprocessed", "unprocessed")  # 4 keys: 2 read, then 1, 1 left
    assert set(cache.get_many(list("abcd"))) == set("abc")  # what was read is still a hit
    assert not cache.available
    assert cache.error is not None
    assert "1 unprocessed keys after 2 attempts" in cache.error
    assert len(sleeps) == 1


def test_missing_table_fails_open_and_says_how_to_fix(dynamo: FakeDynamo) -> None:
    cache, _ = open_cache(dynamo)
    assert not cache.available
    assert cache.error is not None
    assert f"{TABLE!r}" in cache.error
    assert "docbot cache init --table doc-cache-test" in cache.error
    assert cache.get_many(["k"]) == {}
    assert cache.put_many({"k": entry()}) == {}
    assert [s.operation for s in dynamo.proxy.sent] == ["DescribeTable"]
    with pytest.raises(ConfigError, match="does not exist"):
        cache.stats()


def test_server_gone_mid_run_fails_open(table: FakeDynamo) -> None:
    cache, _ = open_cache(table)
    cache.put_many({"k": entry()})
    table.proxy.stop()
    assert cache.get_many(["k"]) == {}
    assert not cache.available
    assert cache.error is not None
    assert "unreachable" in cache.error


def test_missing_credentials_fail_open(table: FakeDynamo, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    cache, _ = open_cache(table)
    assert not cache.available
    assert cache.error is not None
    assert "no AWS credentials" in cache.error
    assert table.proxy.sent == []


def test_missing_region_fails_open(table: FakeDynamo) -> None:
    cache = DynamoCache(TABLE, region=None, endpoint_url=table.endpoint)
    assert not cache.available
    assert cache.error is not None
    assert "AWS_REGION" in cache.error


@pytest.mark.parametrize("endpoint", ["http://", "http://[::1", "http://127.0.0.1:99999"])
def test_malformed_endpoint_fails_open(dynamo: FakeDynamo, endpoint: str) -> None:
    cache = DynamoCache(TABLE, region=REGION, endpoint_url=endpoint)
    assert not cache.available
    assert cache.error is not None
    assert f"DynamoDB endpoint {endpoint!r} is not usable" in cache.error
    assert cache.get_many(["k"]) == {}


def test_two_processes_writing_the_same_keys_leave_one_value_each(table: FakeDynamo) -> None:
    context = multiprocessing.get_context("spawn")  # a clean interpreter, as a second runner would be
    with context.Manager() as manager, ProcessPoolExecutor(max_workers=2, mp_context=context) as pool:
        start = manager.Barrier(2)
        futures = [
            pool.submit(write_same_keys, TABLE, REGION, table.moto_endpoint, tag, start) for tag in ("A", "B")
        ]
        assert [f.result(timeout=60) for f in futures] == [9, 9]
    items = table.items(TABLE)
    assert sorted(i["file_hash"]["S"] for i in items) == sorted(f"k{i}" for i in range(60))
    cache, _ = open_cache(table, clock=time.time)  # the writers stamped their items with the real clock
    values = cache.get_many([f"k{i}" for i in range(60)])
    for i in range(60):
        assert values[f"k{i}"].value in {f"A-{i}", f"B-{i}"}


def test_init_creates_the_table_once_with_ttl(dynamo: FakeDynamo) -> None:
    first = init_table(TABLE, region=REGION, endpoint_url=dynamo.endpoint)
    assert first == {
        "table": TABLE,
        "region": REGION,
        "created": True,
        "ttl_enabled": True,
        "ttl_attribute": "ttl",
    }
    second = init_table(TABLE, region=REGION, endpoint_url=dynamo.endpoint)
    assert second["created"] is False
    assert second["ttl_enabled"] is False
    client = dynamo.client()
    described = client.describe_table(TableName=TABLE)["Table"]
    assert described["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    assert described["KeySchema"] == [{"AttributeName": "file_hash", "KeyType": "HASH"}]
    assert described["AttributeDefinitions"] == [{"AttributeName": "file_hash", "AttributeType": "S"}]
    ttl = client.describe_time_to_live(TableName=TABLE)["TimeToLiveDescription"]
    assert ttl == {"TimeToLiveStatus": "ENABLED", "AttributeName": "ttl"}


def test_init_refuses_a_table_that_expires_by_another_attribute(table: FakeDynamo) -> None:
    table.client().update_time_to_live(
        TableName=TABLE, TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires_at"}
    )
    with pytest.raises(ConfigError, match="expires items by 'expires_at'"):
        init_table(TABLE, region=REGION, endpoint_url=table.endpoint)


def test_stats_count_live_and_expired_items_and_purge_empties(table: FakeDynamo) -> None:
    clock = [NOW]
    cache, _ = open_cache(table, clock=lambda: clock[0], ttl_seconds=100)
    cache.put_many({f"old{i}": entry(cost=0.5) for i in range(3)})
    clock[0] = NOW + 50
    cache.put_many({f"new{i}": entry(cost=0.25) for i in range(30)})
    clock[0] = NOW + 120
    stats = cache.stats()
    assert (stats.entries, stats.expired) == (30, 3)
    assert stats.stored_cost_usd == pytest.approx(7.5)
    data = stats.to_json()
    assert data["billing_mode"] == "PAY_PER_REQUEST"
    assert data["backend"] == "dynamodb"
    assert cache.purge() == 33
    assert table.items(TABLE) == []
    assert [len(w["RequestItems"][TABLE]) for w in table.proxy.calls("BatchWriteItem")][-2:] == [25, 8]
