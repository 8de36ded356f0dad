"""The cache seam: a ``Cache`` protocol, its entry type, content keys, and the backend registry.

Backends fail open: a broken cache makes a run slower and dearer, never failed. A backend that cannot
serve sets ``available = False`` and ``error``; lookups then miss and writes are dropped.

Backends: ``sqlite`` (embedded default, one file), ``dynamodb`` (shared by every runner; only
``docbot.cache.dynamodb`` imports boto3) and ``none``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from docbot.config import CacheSettings
from docbot.errors import ConfigError


@dataclass(frozen=True)
class CacheEntry:
    """A cached value plus what producing it cost, so a hit can report the money it saved."""

    value: str
    model: str
    created: float
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0


@dataclass(frozen=True)
class CacheStats:
    """What a cache holds, for ``docbot cache stats``.

    ``stored_cost_usd`` is what generating the live entries cost: the most that hits on them can save.
    """

    backend: str
    location: str
    entries: int
    expired: int = 0
    stored_cost_usd: float = 0.0
    details: tuple[tuple[str, str], ...] = ()

    def to_json(self) -> dict[str, object]:
        return {
            "backend": self.backend,
            "location": self.location,
            "entries": self.entries,
            "expired": self.expired,
            "stored_cost_usd": round(self.stored_cost_usd, 6),
            **dict(self.details),
        }


class Cache(Protocol):
    backend: str
    available: bool
    error: str | None

    def get_many(self, keys: Sequence[str]) -> dict[str, CacheEntry]:
        """The live (unexpired) entries among ``keys``; absent keys are misses."""
        ...

    def put_many(self, entries: Mapping[str, CacheEntry]) -> dict[str, str]:
        """Store entries; they expire after the backend's TTL.

        Returns:
            key -> reason for each entry the backend refused on its own merits (e.g. too large).
            A backend that is unavailable stores nothing and says so through ``available``/``error``.
        """
        ...

    def stats(self) -> CacheStats:
        """Count what the cache holds.

        Raises:
            DocbotError: the backend cannot be read (unlike lookups, this is for an operator).
        """
        ...

    def purge(self) -> int:
        """Delete every entry; returns how many there were.

        Raises:
            DocbotError: the backend cannot be written.
        """
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

    def put_many(self, entries: Mapping[str, CacheEntry]) -> dict[str, str]:
        return {}

    def stats(self) -> CacheStats:
        return CacheStats(backend="none", location="", entries=0)

    def purge(self) -> int:
        return 0

    def close(self) -> None:
        return None


CacheFactory = Callable[[CacheSettings], Cache]
_BACKENDS: dict[str, CacheFactory] = {}


def register_backend(name: str, factory: CacheFactory) -> None:
    """Make ``cache: name`` open a backend built by ``factory(settings)``."""
    _BACKENDS[name] = factory


def open_cache(settings: CacheSettings) -> Cache:
    """The cache backend ``settings.backend`` names.

    Returns:
        The backend, already checked where checking is cheap: one that cannot serve comes back with
        ``available = False`` and ``error`` set rather than raising (fail open).

    Raises:
        ConfigError: no backend of that name is registered.
    """
    factory = _BACKENDS.get(settings.backend)
    if factory is None:
        raise ConfigError(
            f"cache {settings.backend!r} is not available; known: {', '.join(sorted(_BACKENDS))}"
        )
    return factory(settings)


def _open_sqlite(settings: CacheSettings) -> Cache:
    from docbot.cache.sqlite import SqliteCache

    return SqliteCache(settings.sqlite_path(), ttl_seconds=settings.cache_ttl_hours * 3600)


def _open_dynamodb(settings: CacheSettings) -> Cache:
    # Imported here so runs on other backends never pay boto3's import time.
    from docbot.cache.dynamodb import DynamoCache

    return DynamoCache(
        settings.cache_table,
        region=settings.cache_region,
        endpoint_url=settings.cache_endpoint_url,
        ttl_seconds=settings.cache_ttl_hours * 3600,
    )


register_backend("none", lambda settings: NullCache())
register_backend("sqlite", _open_sqlite)
register_backend("dynamodb", _open_dynamodb)
