"""A second runner for concurrency tests, kept light: a spawned process imports only this and docbot.

(Defining it in a test module would make every spawned process import pytest and moto first.)
"""

from __future__ import annotations

from typing import Any

from docbot.cache import CacheEntry
from docbot.cache.dynamodb import DynamoCache


def write_same_keys(table: str, region: str, endpoint: str, tag: str, start: Any) -> int:
    """Wait at ``start`` (a barrier), then write keys k0..k59 three times with values ``tag-i``.

    Returns:
        How many BatchWriteItem calls were made.
    """
    cache = DynamoCache(table, region=region, endpoint_url=endpoint)
    start.wait(timeout=30)  # both runners ready: write at the same moment
    for _ in range(3):
        cache.put_many({f"k{i}": CacheEntry(f"{tag}-{i}", "m-1", 0.0, 1, 1, 0.01) for i in range(60)})
    assert cache.available, cache.error
    return cache.write_calls
