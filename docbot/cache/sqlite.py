"""The embedded default cache: one SQLite file (stdlib), safe for concurrent runs on one machine."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from docbot.cache import CacheEntry, CacheStats
from docbot.errors import ConfigError

_SCHEMA = """
CREATE TABLE IF NOT EXISTS entries (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    model TEXT NOT NULL,
    created REAL NOT NULL,
    expires REAL NOT NULL,
    input_tokens INTEGER NOT NULL DEFAULT 0,
    output_tokens INTEGER NOT NULL DEFAULT 0,
    cost_usd REAL NOT NULL DEFAULT 0
)
"""
# SQLite allows 999 host parameters per statement in old builds; stay well under.
_BATCH = 500


class SqliteCache:
    """A ``Cache`` in a local SQLite file. Expired rows are misses and are purged on open."""

    backend = "sqlite"

    def __init__(
        self, path: Path, *, ttl_seconds: float = 86400, clock: Callable[[], float] = time.time
    ) -> None:
        self.path = Path(path)
        self.ttl_seconds = ttl_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self.available = True
        self.error: str | None = None
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.path, check_same_thread=False, timeout=30)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute(_SCHEMA)
            self._db.execute("DELETE FROM entries WHERE expires <= ?", (self._clock(),))
            self._db.commit()
        except (OSError, sqlite3.Error) as exc:
            # Fail open: the run goes on uncached and the report says why.
            self.available = False
            self.error = f"SQLite cache at {self.path} unusable: {exc}"
            self._db = sqlite3.connect(":memory:", check_same_thread=False)

    def get_many(self, keys: Sequence[str]) -> dict[str, CacheEntry]:
        if not self.available:
            return {}
        found: dict[str, CacheEntry] = {}
        now = self._clock()
        with self._lock:
            for i in range(0, len(keys), _BATCH):
                batch = list(keys[i : i + _BATCH])
                marks = ",".join("?" * len(batch))
                rows = self._db.execute(
                    "SELECT key, value, model, created, input_tokens, output_tokens, cost_usd "  # noqa: S608
                    f"FROM entries WHERE key IN ({marks}) AND expires > ?",
                    [*batch, now],
                ).fetchall()
                for key, value, model, created, tin, tout, cost in rows:
                    found[key] = CacheEntry(value, model, created, tin, tout, cost)
        return found

    def put_many(self, entries: Mapping[str, CacheEntry]) -> dict[str, str]:
        if not self.available or not entries:
            return {}
        expires = self._clock() + self.ttl_seconds
        rows = [
            (k, e.value, e.model, e.created, expires, e.input_tokens, e.output_tokens, e.cost_usd)
            for k, e in entries.items()
        ]
        with self._lock:
            try:
                self._db.executemany("INSERT OR REPLACE INTO entries VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)
                self._db.commit()
            except sqlite3.Error as exc:
                self.available = False
                self.error = f"SQLite cache write failed: {exc}"
        return {}  # SQLite has no item size limit worth refusing over

    def count(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT COUNT(*) FROM entries").fetchone()[0])

    def stats(self) -> CacheStats:
        """Live and expired entries, and what generating the live ones cost.

        Raises:
            ConfigError: the file could not be opened (the message says why).
        """
        self._require()
        with self._lock:
            live, cost, expired = self._db.execute(
                "SELECT COALESCE(SUM(expires > ?1), 0),"
                " COALESCE(SUM(CASE WHEN expires > ?1 THEN cost_usd END), 0),"
                " COALESCE(SUM(expires <= ?1), 0) FROM entries",
                (self._clock(),),
            ).fetchone()
        return CacheStats(
            backend=self.backend,
            location=str(self.path),
            entries=int(live),
            expired=int(expired),
            stored_cost_usd=float(cost),
            details=(("ttl_hours", f"{self.ttl_seconds / 3600:g}"),),
        )

    def _require(self) -> None:
        if not self.available:
            raise ConfigError(self.error or f"SQLite cache at {self.path} unusable")

    def purge(self) -> int:
        """Delete every entry; returns how many there were.

        Raises:
            ConfigError: the file could not be opened (the message says why).
        """
        self._require()
        with self._lock:
            n = int(self._db.execute("SELECT COUNT(*) FROM entries").fetchone()[0])
            self._db.execute("DELETE FROM entries")
            self._db.commit()
            return n

    def close(self) -> None:
        with self._lock:
            self._db.close()
