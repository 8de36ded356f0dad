"""The provider seam: what the pipeline asks for (``DocRequest``) and gets back (``docs.ChunkDoc``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from docbot.chunking import Chunk
from docbot.docs import ChunkDoc


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
