"""The cache seam: a ``Cache`` protocol, its entry type, content keys, and the backend registry.

Backends fail open: a broken cache makes a run slower and dearer, never failed. A backend that cannot
serve sets ``available = False`` and ``error``; lookups then miss and writes are dropped.

Contents are untrusted: anyone who can write the shared table (or the local file) can put anything
under a key. Every stored field is checked on read (``trusted_entry``) and the caller checks what the
value means (a ``Validator`` passed to ``get_many``); an entry failing either is a miss, counted in
``rejected``, and the fresh answer the run then produces overwrites it.

Backends: ``sqlite`` (embedded default, one file), ``dynamodb`` (shared by every runner; only
``docbot.cache.dynamodb`` imports boto3) and ``none``.
"""

from __future__ import annotations

import hashlib
import json
import math
import time
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


Validator = Callable[[str, str], bool]
"""``(key, value) -> bool``: whether ``value`` is something docbot could have stored under ``key``.

The caller supplies it because only the caller knows what a key's value means (a rendered page for a
given source path, a chunk answer as JSON); the cache only knows strings.
"""

Clock = Callable[[], float]

# Far above any page or chunk answer docbot writes (DynamoDB items are capped at 400 KB compressed),
# low enough that a planted value cannot make a run decompress or parse gigabytes.
MAX_VALUE_BYTES = 8 * 1024 * 1024
# A model name is short; a longer one was not written by docbot.
_MAX_MODEL_CHARS = 200
# Runners sharing a table disagree a little about the time; an expiry this far beyond "now + TTL" is
# still accepted (see ``is_live``).
CLOCK_SKEW_S = 300.0


def _count(value: object) -> int | None:
    # bool is an int to Python but never a token count docbot wrote.
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


def _amount(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) and value >= 0 else None


def trusted_entry(
    value: object,
    model: object,
    created: object,
    input_tokens: object,
    output_tokens: object,
    cost_usd: object,
) -> CacheEntry | None:
    """The entry a backend's stored fields describe, or ``None`` if any field is not what docbot writes.

    Args:
        value: the value as UTF-8 bytes, as both backends hand it over; anything else (or bytes that
            are too long or not UTF-8) is refused.
        model: the model name, a short ``str``.
        created: epoch seconds, a finite number.
        input_tokens: a count (non-negative ``int``).
        output_tokens: a count.
        cost_usd: a finite, non-negative number (a hit adds it to what the run saved).
    """
    tin, tout, cost, when = _count(input_tokens), _count(output_tokens), _amount(cost_usd), _amount(created)
    if tin is None or tout is None or cost is None or when is None:
        return None
    if not isinstance(model, str) or len(model) > _MAX_MODEL_CHARS:
        return None
    if not isinstance(value, bytes) or len(value) > MAX_VALUE_BYTES:
        return None
    try:
        text = value.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return CacheEntry(text, model, when, tin, tout, cost)


def refusal(entry: CacheEntry) -> str | None:
    """Why ``entry`` would not read back through ``trusted_entry`` (so is not stored), or ``None``."""
    try:
        size = len(entry.value.encode("utf-8"))
    except UnicodeEncodeError:  # a lone surrogate, e.g. from a "\\ud800" escape in a model's JSON
        return "value is not valid UTF-8 text; not cached"
    if size > MAX_VALUE_BYTES:
        return f"value of {size:,} bytes is over the cache's {MAX_VALUE_BYTES:,}-byte limit; not cached"
    metadata = (entry.model, entry.created, entry.input_tokens, entry.output_tokens, entry.cost_usd)
    if trusted_entry(b"", *metadata) is None:
        return "metadata (model, created, tokens, cost) is malformed; not cached"
    return None


def is_live(expires: float, now: float, ttl_seconds: float) -> bool:
    """Whether an entry that expires at ``expires`` may be used at ``now`` under the configured TTL.

    Past its expiry it is dead. An expiry further ahead than one TTL (plus clock skew) was written under
    a longer TTL, or planted: the configured ``cache_ttl_hours`` bounds every entry's life, so lowering
    it takes effect at once instead of after the old TTL runs out.
    """
    return now < expires <= now + ttl_seconds + CLOCK_SKEW_S


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
    # Entries found but refused on read (malformed fields, oversized, or failing the caller's
    # validator), over the cache's life: each was a miss.
    rejected: int

    def get_many(self, keys: Sequence[str], *, validate: Validator | None = None) -> dict[str, CacheEntry]:
        """The live (unexpired), well-formed entries among ``keys``; absent keys are misses.

        Args:
            validate: checks each value found; one it refuses is a miss and counts in ``rejected``.

        Never raises: a backend that fails reading sets ``available = False`` and ``error``.
        """
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
    rejected = 0

    def get_many(self, keys: Sequence[str], *, validate: Validator | None = None) -> dict[str, CacheEntry]:
        return {}

    def put_many(self, entries: Mapping[str, CacheEntry]) -> dict[str, str]:
        return {}

    def stats(self) -> CacheStats:
        return CacheStats(backend="none", location="", entries=0)

    def purge(self) -> int:
        return 0

    def close(self) -> None:
        return None


CacheFactory = Callable[[CacheSettings, Clock], Cache]
_BACKENDS: dict[str, CacheFactory] = {}


def register_backend(name: str, factory: CacheFactory) -> None:
    """Make ``cache: name`` open a backend built by ``factory(settings, clock)``."""
    _BACKENDS[name] = factory


def open_cache(settings: CacheSettings, *, clock: Clock = time.time) -> Cache:
    """The cache backend ``settings.backend`` names, expiring entries after ``settings.cache_ttl_hours``.

    Args:
        clock: epoch seconds now, for writing and checking expiry (tests pass a fake one).

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
    return factory(settings, clock)


def _open_sqlite(settings: CacheSettings, clock: Clock) -> Cache:
    from docbot.cache.sqlite import SqliteCache

    return SqliteCache(settings.sqlite_path(), ttl_seconds=settings.cache_ttl_hours * 3600, clock=clock)


def _open_dynamodb(settings: CacheSettings, clock: Clock) -> Cache:
    # Imported here so runs on other backends never pay boto3's import time.
    from docbot.cache.dynamodb import DynamoCache

    return DynamoCache(
        settings.cache_table,
        region=settings.cache_region,
        endpoint_url=settings.cache_endpoint_url,
        ttl_seconds=settings.cache_ttl_hours * 3600,
        clock=clock,
    )


register_backend("none", lambda settings, clock: NullCache())
register_backend("sqlite", _open_sqlite)
register_backend("dynamodb", _open_dynamodb)
