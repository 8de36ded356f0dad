"""One source file's page as the offline provider documents it, the real way: ``extract_symbols`` ->
``chunk_file`` -> the provider's chunk answers and overview -> ``merge_file`` -> ``render_page``."""

from __future__ import annotations

from docbot import overview
from docbot.chunking import chunk_file
from docbot.llm.base import DocRequest
from docbot.llm.offline import OfflineProvider
from docbot.merge import merge_file
from docbot.render.page import render_page
from docbot.symbols import extract_symbols, visible


def offline_page(path: str, language: str, source: str) -> str:
    syms = visible(extract_symbols(source, language), "public")
    chunks = chunk_file(path, language, source, syms)
    provider = OfflineProvider()
    docs = [provider.document(DocRequest(c, want_overview=False)) for c in chunks]
    module = overview.module_doc(source, language, syms[0].start if syms else None)
    file_overview = provider.overview(
        overview.OverviewRequest(path, language, overview.outline(syms), module)
    ).overview
    doc = merge_file(
        path=path,
        language=language,
        source_sha256="0" * 64,
        total_lines=source.count("\n"),
        symbols=syms,
        chunk_docs=docs,
        chunks=chunks,
        file_overview=file_overview,
        overview_asked=True,
    )
    return render_page(doc)
