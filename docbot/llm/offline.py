"""The offline provider: structural documentation from the code itself, at zero cost.

It is the default when no ``ANTHROPIC_API_KEY`` is set. It never leaves the machine: each symbol's
documentation is its parsed docstring or doc comment (``docs.static_doc``), else a sentence built from
the signature; the file's overview is its whole module docstring or leading comment.
"""

from __future__ import annotations

from docbot.docs import ChunkDoc, Usage, static_doc
from docbot.llm.base import DocRequest, OverviewRequest
from docbot.overview import render_doc


class OfflineProvider:
    """Documents chunks from their structure alone; makes no request and costs nothing."""

    name = "offline"
    model = "offline"
    prompt_version = "offline-7"
    # Its text is the code's own documentation, not a model's prose: nothing for the truthfulness
    # guard to check (a docstring may name things docbot cannot see, and asking again changes nothing).
    writes_prose = False

    def document(self, request: DocRequest) -> ChunkDoc:
        chunk = request.chunk
        return ChunkDoc(
            overview=None,
            symbols=tuple(static_doc(sym, chunk.language) for sym in chunk.symbols),
            model=self.model,
            usage=Usage(),
        )

    def overview(self, request: OverviewRequest) -> ChunkDoc:
        text = render_doc(request.module_doc, request.language) if request.module_doc else ""
        return ChunkDoc(overview=text or None, symbols=(), model=self.model, usage=Usage())

    def failed_usage(self) -> Usage:
        return Usage()  # nothing is ever sent
