"""The offline provider: structural documentation from the code itself, at zero cost.

It is the default when no ``ANTHROPIC_API_KEY`` is set. It never leaves the machine: the summary is the
first sentence of the docstring (or leading comment), else a sentence built from the signature.
"""

from __future__ import annotations

import re
from collections import Counter

from docbot.chunking import Chunk
from docbot.docs import ChunkDoc, Usage, split_doc, static_doc
from docbot.llm.base import DocRequest
from docbot.symbols import count_phrase

_MODULE_DOCSTRING = re.compile(r'^\s*(?:#[^\n]*\n\s*)*[rRuU]?("""|\'\'\')(.*?)\1', re.DOTALL)


def _overview(chunk: Chunk) -> str:
    counts = Counter(s.kind for s in chunk.symbols)
    shape = count_phrase(counts) or "no functions or classes"
    match = _MODULE_DOCSTRING.match(chunk.text) if chunk.language == "python" else None
    summary, _ = split_doc(match.group(2) if match else None)
    lead = f"{summary} " if summary else ""
    return f"{lead}(This part of `{chunk.path}` defines {shape}.)"


class OfflineProvider:
    """Documents chunks from their structure alone; makes no request and costs nothing."""

    name = "offline"
    model = "offline"
    prompt_version = "offline-1"

    def document(self, request: DocRequest) -> ChunkDoc:
        return ChunkDoc(
            overview=_overview(request.chunk) if request.want_overview else None,
            symbols=tuple(static_doc(sym) for sym in request.chunk.symbols),
            model=self.model,
            usage=Usage(),
        )
