"""The embedded default cache: one SQLite file (stdlib), safe for concurrent runs on one machine.

On the run's path every ``sqlite3.Error`` (a corrupt file or index, "file is not a database", locked
past the timeout) fails open: the cache records why in ``error`` and serves nothing more this run.
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path

from docbot.cache import CLOCK_SKEW_S, CacheEntry, CacheStats, Validator, refusal, trusted_entry
from docbot.errors import ConfigError
from docbot.plural import count

log = logging.getLogger("docbot.cache")

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
        self,
        path: Path,
        *,
        ttl_seconds: float = 86400,
        clock: Callable[[], float] = time.time,
        timeout: float = 30,
    ) -> None:
        """Open (creating if needed) the cache file; failing that, fail open.

        Args:
            timeout: seconds to wait for another process's lock before giving up on the cache.
        """
        self.path = Path(path)
        self.ttl_seconds = ttl_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self.available = True
        self.error: str | None = None
        self.rejected = 0
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.path, check_same_thread=False, timeout=timeout)
            # Text comes back as bytes: a planted value that is not UTF-8 would otherwise raise
            # OperationalError ("Could not decode to UTF-8") and take the whole lookup with it.
            self._db.text_factory = bytes
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute(_SCHEMA)
            self._db.execute("DELETE FROM entries WHERE expires <= ?", (self._clock(),))
            self._db.commit()
        except (OSError, sqlite3.Error) as exc:
            # Fail open: the run goes on uncached and the report says why.
            self.available = False
            self.error = f"SQLite cache at {self.path} unusable: {exc}"
            self._db = sqlite3.connect(":memory:", check_same_thread=False)

    def get_many(self, keys: Sequence[str], *, validate: Validator | None = None) -> dict[str, CacheEntry]:
        if not self.available:
            return {}
        found: dict[str, CacheEntry] = {}
        now = self._clock()
        rejected = 0
        try:
            with self._lock:
                for i in range(0, len(keys), _BATCH):
                    batch = list(keys[i : i + _BATCH])
                    marks = ",".join("?" * len(batch))
                    # typeof(): a BLOB planted where docbot writes TEXT is refused, not decoded.
                    # Live means what ``is_live`` says; a non-numeric ``expires`` sorts above every
                    # number in SQLite, so the upper bound refuses it too.
                    rows = self._db.execute(
                        "SELECT key, typeof(value) = 'text', value, typeof(model) = 'text', model, created, "  # noqa: S608
                        f"input_tokens, output_tokens, cost_usd FROM entries WHERE key IN ({marks}) "
                        "AND expires > ? AND expires <= ?",
                        [*batch, now, now + self.ttl_seconds + CLOCK_SKEW_S],
                    ).fetchall()
                    for key, value_is_text, value, model_is_text, model, created, tin, tout, cost in rows:
                        entry = trusted_entry(
                            value if value_is_text else None,
                            _text(model) if model_is_text else None,
                            created,
                            tin,
                            tout,
                            cost,
                        )
                        if entry is None or (
                            validate is not None and not validate(key.decode(), entry.value)
                        ):
                            rejected += 1
                            continue
                        found[key.decode()] = entry
        except sqlite3.Error as exc:
            self._fail_open(f"SQLite cache at {self.path} unreadable ({type(exc).__name__}: {exc})")
        if rejected:
            self.rejected += rejected
            log.warning(
                "ignored %s in %s that docbot did not write; regenerating",
                count(rejected, "cached value"),
                self.path,
            )
        return found

    def _fail_open(self, message: str) -> None:
        if self.available:
            log.warning("SQLite cache unavailable, running uncached: %s", message)
        self.available = False
        self.error = self.error or message

    def put_many(self, entries: Mapping[str, CacheEntry]) -> dict[str, str]:
        if not self.available or not entries:
            return {}
        expires = self._clock() + self.ttl_seconds
        refused = {k: why for k, e in entries.items() if (why := refusal(e)) is not None}
        rows = [
            (k, e.value, e.model, e.created, expires, e.input_tokens, e.output_tokens, e.cost_usd)
            for k, e in entries.items()
            if k not in refused
        ]
        with self._lock:
            try:
                self._db.executemany("INSERT OR REPLACE INTO entries VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)
                self._db.commit()
            except sqlite3.Error as exc:
                self._fail_open(f"SQLite cache at {self.path} unwritable ({type(exc).__name__}: {exc})")
        return refused

    def count(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT COUNT(*) FROM entries").fetchone()[0])

    def stats(self) -> CacheStats:
        """Live and expired entries, and what generating the live ones cost.

        Raises:
            ConfigError: the file could not be opened or read (the message says why).
        """
        self._require()
        with self._lock, self._operator("stats"):
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

    @contextlib.contextmanager
    def _operator(self, command: str) -> Iterator[None]:
        # Operator commands report a damaged file as an error with a fix, not a traceback.
        try:
            yield
        except sqlite3.Error as exc:
            raise ConfigError(
                f"SQLite cache at {self.path} is damaged ({type(exc).__name__}: {exc}) and `docbot cache "
                f"{command}` cannot read it; delete the file (it is only a cache) and runs will rebuild it"
            ) from exc

    def purge(self) -> int:
        """Delete every entry; returns how many there were.

        Raises:
            ConfigError: the file could not be opened or written (the message says why).
        """
        self._require()
        with self._lock, self._operator("purge"):
            n = int(self._db.execute("SELECT COUNT(*) FROM entries").fetchone()[0])
            self._db.execute("DELETE FROM entries")
            self._db.commit()
            return n

    def close(self) -> None:
        with self._lock:
            self._db.close()


def _text(value: object) -> str | None:
    # ``model`` as stored: UTF-8 text comes back as bytes (text_factory); anything else is not docbot's.
    if not isinstance(value, bytes):
        return None
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError:
        return None
