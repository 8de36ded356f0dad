"""A write-behind buffer in front of a ``Cache``: answers are stored while the run goes on, not at its end.

A run that is killed (a CI timeout, a cancelled workflow, a crash) keeps every answer it flushed, so
the rerun pays only for what was not yet answered. Writes are batched, because one round trip per
answer would cost a DynamoDB call each: the buffer is written when it holds ``max_batch`` entries,
when its oldest entry is ``interval_s`` old (checked on every ``add`` and by the caller's
``flush_if_due``), and on ``flush`` (the pipeline's ``finally``, which a SIGTERM or SIGINT reaches as
an exception in the main thread).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from docbot.cache import Cache, CacheEntry

# GitHub sends SIGKILL 7.5 s after the SIGTERM of a cancel; a few seconds bounds what a hard kill loses.
FLUSH_INTERVAL_S = 2.0
MAX_BATCH = 25


class WriteBehind:
    """Buffers ``(key, entry)`` pairs and writes them to ``cache`` in batches. Thread-safe.

    Args:
        cache: where entries go (its own failures are its business: it fails open).
        interval_s: the longest an entry waits in the buffer while the run goes on.
        max_batch: entries per write.
        clock: monotonic seconds (injected so tests control time).
    """

    def __init__(
        self,
        cache: Cache,
        *,
        interval_s: float = FLUSH_INTERVAL_S,
        max_batch: int = MAX_BATCH,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.cache = cache
        self.interval_s = interval_s
        self.max_batch = max_batch
        self._clock = clock
        self._lock = threading.Lock()  # guards the buffer
        self._write = threading.Lock()  # one batch at a time, in order
        self._pending: dict[str, CacheEntry] = {}
        self._oldest: float | None = None
        self.refused: dict[str, str] = {}  # key -> why the backend refused it
        self.written = 0
        self.batches = 0

    def add(self, key: str, entry: CacheEntry) -> None:
        """Buffer one entry; write the buffer if it is full or its oldest entry is due."""
        with self._lock:
            self._pending[key] = entry
            if self._oldest is None:
                self._oldest = self._clock()
        self.flush_if_due()

    def due(self) -> bool:
        with self._lock:
            return bool(self._pending) and (
                len(self._pending) >= self.max_batch
                or (self._oldest is not None and self._clock() - self._oldest >= self.interval_s)
            )

    def flush_if_due(self) -> None:
        if self.due():
            self.flush()

    def flush(self) -> None:
        """Write everything buffered now (a no-op when empty)."""
        with self._write:
            with self._lock:
                batch, self._pending, self._oldest = self._pending, {}, None
            if not batch:
                return
            refused = self.cache.put_many(batch)
            with self._lock:
                self.refused.update(refused)
                self.written += len(batch) - len(refused)
                self.batches += 1

    @property
    def pending(self) -> int:
        with self._lock:
            return len(self._pending)
