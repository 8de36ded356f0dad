"""A test-only ``Provider`` that costs money: the offline provider's answers at a fixed price per chunk.

Cache tests need runs whose cost and savings are not zero, without a model API behind them.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import replace

from docbot.docs import ChunkDoc, Usage
from docbot.llm.base import DocRequest, OverviewRequest
from docbot.llm.offline import OfflineProvider

CHUNK_USAGE = Usage(input_tokens=1200, output_tokens=300, requests=1, cost_usd=0.0081)


class PricedProvider:
    """Documents like the offline provider, bills ``CHUNK_USAGE`` per chunk, counts every call (file
    overviews, free, in ``overviews``).

    Args:
        on_call: run before each chunk is documented (e.g. to stop a server mid-run).
    """

    name = "priced"
    model = "priced-1"
    prompt_version = "priced-1"

    def failed_usage(self) -> Usage:
        return Usage()  # no request it sends can fail

    def __init__(self, on_call: Callable[[DocRequest], None] | None = None) -> None:
        self._offline = OfflineProvider()
        self._lock = threading.Lock()
        self._on_call = on_call
        self.requests: list[DocRequest] = []
        self.overviews: list[OverviewRequest] = []

    def document(self, request: DocRequest) -> ChunkDoc:
        with self._lock:
            self.requests.append(request)
        if self._on_call is not None:
            self._on_call(request)
        doc = self._offline.document(request)
        return replace(doc, model=self.model, usage=CHUNK_USAGE)

    def overview(self, request: OverviewRequest) -> ChunkDoc:
        """The offline overview, free: only chunks are billed, so a run's cost is its chunks'."""
        with self._lock:
            self.overviews.append(request)
        return replace(self._offline.overview(request), model=self.model)

    @property
    def documented_symbols(self) -> list[str]:
        """Names of the symbols of every chunk sent so far, in call order."""
        with self._lock:
            return [s.name for r in self.requests for s in r.chunk.symbols]
