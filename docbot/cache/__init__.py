"""The cache seam: a ``Cache`` protocol, its entry type, content keys, and the backend registry.

Backends fail open: a broken cache makes a run slower and dearer, never failed. A backend that cannot
serve sets ``available = False`` and ``error``; lookups then miss and writes are dropped.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from docbot.config import Settings


@dataclass(frozen=True)
class CacheEntry:
    """A cached value plus what producing it cost, so a hit can report the money it saved."""

    value: str
    model: str
    created: float
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0


class Cache(Protocol):
    backend: str
    available: bool
    error: str | None

    def get_many(self, keys: Sequence[str]) -> dict[str, CacheEntry]:
        """The live (unexpired) entries among ``keys``; absent keys are misses."""
        ...

    def put_many(self, entries: Mapping[str, CacheEntry]) -> None:
        """Store entries; they expire after the backend's TTL."""
        ...

    def close(self) -> None: ...


def content_key(
    kind: str, content: str, *, model: str, prompt_version: str, options: Mapping[str, object]
) -> str:
    """sha256 hex over everything that changes the output: kind, content, model, prompt version, options."""
    material = json.dumps(
        {"kind": kind, "model": model, "prompt": prompt_version, "options": dict(sorted(options.items()))},
        sort_keys=True,
    )
    digest = hashlib.sha256(material.encode())
    digest.update(b"\0")
    digest.update(content.encode("utf-8", "surrogateescape"))
    return digest.hexdigest()


class NullCache:
    """``cache: none``: every lookup misses, nothing is stored."""

    backend = "none"
    available = False
    error: str | None = None

    def get_many(self, keys: Sequence[str]) -> dict[str, CacheEntry]:
        return {}

    def put_many(self, entries: Mapping[str, CacheEntry]) -> None:
        return None

    def close(self) -> None:
        return None


CacheFactory = Callable[[Settings], Cache]
_BACKENDS: dict[str, CacheFactory] = {}


def register_backend(name: str, factory: CacheFactory) -> None:
    _BACKENDS[name] = factory


def open_cache(settings: Settings) -> Cache:
    """The cache backend ``settings.cache`` names."""
    return _BACKENDS[settings.cache](settings)


def _open_sqlite(settings: Settings) -> Cache:
    from docbot.cache.sqlite import SqliteCache

    return SqliteCache(settings.cache_path, ttl_seconds=settings.cache_ttl_hours * 3600)


register_backend("none", lambda settings: NullCache())
register_backend("sqlite", _open_sqlite)
