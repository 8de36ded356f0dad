"""The offline provider: structural documentation from the code itself, at zero cost.

It is the default when no ``ANTHROPIC_API_KEY`` is set. It never leaves the machine: the summary is the
first sentence of the docstring (or leading comment), else a sentence built from the signature.
"""

from __future__ import annotations

import re
from collections import Counter

from docbot.chunking import Chunk
from docbot.llm.base import ChunkDoc, DocRequest, SymbolDoc, Usage
from docbot.symbols import Symbol, count_phrase

# Receivers and the bare * and / markers are not parameters a caller passes.
_NOT_PARAMS = frozenset({"self", "cls", "*", "/"})
_SENTENCE_END = re.compile(r"(?<=[.!?])\s")
_MODULE_DOCSTRING = re.compile(r'^\s*(?:#[^\n]*\n\s*)*[rRuU]?("""|\'\'\')(.*?)\1', re.DOTALL)


def _split_doc(doc: str | None) -> tuple[str | None, str]:
    """First sentence (or paragraph line) and the rest of a docstring."""
    if not doc:
        return None, ""
    paragraphs = doc.strip().split("\n\n", 1)
    first = " ".join(paragraphs[0].split())
    parts = _SENTENCE_END.split(first, maxsplit=1)
    summary = parts[0]
    rest = " ".join(parts[1:])
    tail = paragraphs[1].strip() if len(paragraphs) > 1 else ""
    return summary, "\n\n".join(p for p in (rest, tail) if p)


def _param_name(param: str) -> str:
    name = re.split(r"[:=]", param, maxsplit=1)[0].strip()
    return name


def _returns(signature: str) -> str | None:
    if "->" not in signature:
        return None
    return signature.rsplit("->", 1)[1].strip() or None


def _fallback_summary(sym: Symbol) -> str:
    shown = [_param_name(p) for p in sym.params if _param_name(p) not in _NOT_PARAMS]
    if sym.kind not in {"function", "method"}:
        # class, interface, struct, enum, trait, module, type, attribute, constant ...; an impl block
        # is named by its type
        what = "Implementation of" if sym.kind == "impl" else sym.kind.replace("_", " ").capitalize()
        typed = f", of type `{sym.type}`" if sym.type else ""
        return f"{what} `{sym.name.rsplit('.', 1)[-1]}`{typed}."
    what = "Method" if sym.kind == "method" else "Function"
    if not shown:
        return f"{what} `{sym.name.rsplit('.', 1)[-1]}`, taking no arguments."
    return f"{what} `{sym.name.rsplit('.', 1)[-1]}`, taking {', '.join(f'`{p}`' for p in shown)}."


def _overview(chunk: Chunk) -> str:
    counts = Counter(s.kind for s in chunk.symbols)
    shape = count_phrase(counts) or "no functions or classes"
    match = _MODULE_DOCSTRING.match(chunk.text) if chunk.language == "python" else None
    summary, _ = _split_doc(match.group(2) if match else None)
    lead = f"{summary} " if summary else ""
    return f"{lead}(This part of `{chunk.path}` defines {shape}.)"


def static_doc(sym: Symbol) -> SymbolDoc:
    """Documentation of ``sym`` from its signature and docstring alone."""
    summary, details = _split_doc(sym.docstring)
    params = tuple((_param_name(p), p) for p in sym.params if _param_name(p) not in _NOT_PARAMS)
    return SymbolDoc(
        name=sym.id,
        summary=summary or _fallback_summary(sym),
        description=details,
        params=params,
        returns=_returns(sym.signature),
    )


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
