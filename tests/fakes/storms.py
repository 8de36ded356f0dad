"""Random fault storms for the loopback Messages API: a share of requests answered with 529s, 5xx or
dropped connections, reproducible for a seed.

The draw depends on the seed, the request body and how often that body was seen, not on arrival order,
so concurrent runs see the same storm from one invocation to the next.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass, field

from tests.fakes.anthropic_server import Fault, drop, status


@dataclass
class Storm:
    """``rate`` of the requests get one of ``faults`` (chosen by the same draw)."""

    rate: float
    faults: tuple[Fault, ...] = field(default_factory=lambda: (status(529),))
    seed: int = 0
    _seen: dict[str, int] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def draw(self, raw: bytes) -> Fault | None:
        body_key = hashlib.sha256(raw).hexdigest()
        with self._lock:
            n = self._seen[body_key] = self._seen.get(body_key, 0) + 1
        digest = hashlib.sha256(f"storm:{self.seed}:{body_key}:{n}".encode()).digest()
        if int.from_bytes(digest[:8], "big") / 2**64 >= self.rate:
            return None
        return self.faults[int.from_bytes(digest[8:16], "big") % len(self.faults)]


def overloaded(rate: float, seed: int = 0) -> Storm:
    """``rate`` of the requests answered 529 overloaded_error."""
    return Storm(rate, (status(529),), seed)


def mixed(rate: float, seed: int = 0) -> Storm:
    """``rate`` of the requests answered 529, 500, 503 or not at all (a dropped connection)."""
    return Storm(rate, (status(529), status(500), status(503), drop()), seed)
