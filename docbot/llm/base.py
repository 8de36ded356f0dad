"""The provider seam: what the pipeline asks for (``DocRequest``) and gets back (``docs.ChunkDoc``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from docbot.chunking import Chunk
from docbot.docs import ChunkDoc, Usage


@dataclass(frozen=True)
class DocRequest:
    """Document the symbols ``chunk`` owns; ``want_overview`` for a chunk without symbols (a note on its
    module-level lines; the file's overview is an ``OverviewRequest`` of its own).

    ``names`` narrows the request to those symbol ids (the others of the chunk are shown as already
    documented); None asks for all of them. ``outline`` lists every symbol of the file (the same text
    for all its chunks, so it can sit in a cached prompt prefix). ``long_run`` marks the system block for
    the 1-hour cache lifetime: the run sends many requests, or runs with this system block come more
    often than hourly (``llm/system_lifetime.py``). ``names`` fewer than the chunk
    owns: the request carries only their code and the signatures around it (``llm/narrowing.py``).
    """

    chunk: Chunk
    want_overview: bool
    names: tuple[str, ...] | None = None
    outline: str = ""
    long_run: bool = False
    # Asked again because an answer named things the code does not have: the names that do exist.
    real_names: tuple[str, ...] = ()
    # Whether the system block and the file block are marked for the prompt cache: a prefix that no
    # other request of the run (or of the file) will read is not worth a cache write (1.25x input).
    cache_system: bool = True
    cache_file: bool = True


@dataclass(frozen=True)
class OverviewRequest:
    """Write the overview of one whole file from its outline (every symbol's signature)."""

    path: str
    language: str
    outline: str
    module_doc: str | None  # the module docstring or the file's leading comment, as written
    cache_system: bool = True  # the system block marked for the prompt cache (see ``DocRequest``)
    long_run: bool = False  # ... and for the 1-hour lifetime (see ``DocRequest``)

    @property
    def text(self) -> str:
        """Everything the answer depends on (the overview's cache key is its hash)."""
        return f"{self.outline}\n\0\n{self.module_doc or ''}"


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


@runtime_checkable
class OverviewProvider(Protocol):
    """A provider that writes a file's overview in a request of its own (once per file)."""

    name: str
    model: str
    prompt_version: str

    def overview(self, request: OverviewRequest) -> ChunkDoc:
        """The file's overview as a ``ChunkDoc`` without symbols (``overview`` set, ``usage`` its cost).

        Raises:
            TransientError, PermanentError: like ``Provider.document``.
        """
        ...
