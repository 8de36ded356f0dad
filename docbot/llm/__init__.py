"""Documentation providers: the ``Provider`` protocol, its value types, and the built-in providers."""

from docbot.llm.base import ChunkDoc, DocRequest, Provider, SymbolDoc, Usage

__all__ = ["ChunkDoc", "DocRequest", "Provider", "SymbolDoc", "Usage"]
