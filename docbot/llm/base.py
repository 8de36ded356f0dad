"""The provider seam: what the pipeline asks for (``DocRequest``) and gets back (``ChunkDoc``)."""

from __future__ import annotations

import threading
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

from docbot.chunking import Chunk


@dataclass(frozen=True)
class Usage:
    """What one chunk's documentation cost: tokens, HTTP requests (retries included) and dollars."""

    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    requests: int = 0
    retries: int = 0
    rate_limited: int = 0
    cost_usd: float = 0.0

    def __add__(self, other: Usage) -> Usage:
        return Usage(**{k: getattr(self, k) + getattr(other, k) for k in self.__dataclass_fields__})


class UsageMeter:
    """A thread-safe running total of ``Usage``, for work that produced no ``ChunkDoc`` to carry it.

    A provider that sends requests exposes ``failed_usage() -> Usage`` (the total of the chunks that
    raised: their requests, retries, tokens and dollars); the pipeline adds it to the RunReport.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._total = Usage()

    def add(self, usage: Usage) -> None:
        with self._lock:
            self._total += usage

    def total(self) -> Usage:
        with self._lock:
            return self._total


@dataclass(frozen=True)
class SymbolDoc:
    """Documentation of one symbol, keyed by its qualified name."""

    name: str
    summary: str
    description: str = ""
    params: tuple[tuple[str, str], ...] = ()
    returns: str | None = None
    raises: tuple[str, ...] = ()
    example: str | None = None


@dataclass(frozen=True)
class ChunkDoc:
    """A provider's answer for one chunk."""

    overview: str | None
    symbols: tuple[SymbolDoc, ...]
    model: str
    usage: Usage = field(default_factory=Usage)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ChunkDoc:
        return cls(
            overview=data.get("overview"),
            symbols=tuple(
                SymbolDoc(
                    name=s["name"],
                    summary=s["summary"],
                    description=s.get("description", ""),
                    params=tuple((str(p[0]), str(p[1])) for p in s.get("params", ())),
                    returns=s.get("returns"),
                    raises=tuple(s.get("raises", ())),
                    example=s.get("example"),
                )
                for s in data.get("symbols", ())
            ),
            model=data["model"],
            usage=Usage(**data.get("usage", {})),
        )


@dataclass(frozen=True)
class DocRequest:
    """Document the symbols ``chunk`` owns; ``want_overview`` for the first chunk of a file."""

    chunk: Chunk
    want_overview: bool


class Provider(Protocol):
    """Writes documentation for one chunk at a time. Must be safe to call from several threads."""

    name: str
    model: str
    prompt_version: str

    def document(self, request: DocRequest) -> ChunkDoc:
        """Document one chunk.

        Raises:
            TransientError: worth retrying later (the pipeline records the chunk as failed).
            PermanentError: this chunk cannot be documented.
        """
        ...
