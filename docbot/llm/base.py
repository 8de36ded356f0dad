"""The provider seam: what the pipeline asks for (``DocRequest``) and gets back (``docs.ChunkDoc``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from docbot.chunking import Chunk
from docbot.docs import ChunkDoc, Usage


@dataclass(frozen=True)
class DocRequest:
    """Document the symbols ``chunk`` owns; ``want_overview`` for the first chunk of a file.

    ``names`` narrows the request to those symbol ids (the others of the chunk are shown as already
    documented); None asks for all of them. ``outline`` lists every symbol of the file (the same text
    for all its chunks, so it can sit in a cached prompt prefix). ``long_run`` says the run sends many
    requests, so shared prefixes are worth a longer cache lifetime.
    """

    chunk: Chunk
    want_overview: bool
    names: tuple[str, ...] | None = None
    outline: str = ""
    long_run: bool = False


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
