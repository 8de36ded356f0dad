"""The provider seam: what the pipeline asks for (``DocRequest``) and gets back (``docs.ChunkDoc``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from docbot.chunking import Chunk
from docbot.docs import ChunkDoc, Usage


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

    def failed_usage(self) -> Usage:
        """What the requests of chunks that raised cost (their requests, retries, tokens and dollars).

        The pipeline adds it to the report: a request that failed was still sent, and maybe billed.
        """
        ...
