"""Orchestration: the only module that knows the order of the steps.

changes -> symbols -> chunks -> cache -> provider -> merge -> render -> publish. Adapters (git, cache,
provider, publisher) are passed in, so tests hand in temporary repositories and loopback servers.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import PurePosixPath

from docbot import __version__, languages, symbols
from docbot.cache import Cache, CacheEntry, content_key
from docbot.cache.shapes import chunk_answer
from docbot.changes import FileChange, Git, changed_files
from docbot.chunking import Chunk, split_source
from docbot.config import Settings
from docbot.errors import DocbotError
from docbot.filters import ATTRIBUTES, FileFilter
from docbot.llm.base import ChunkDoc, DocRequest, Provider
from docbot.merge import combine, merge_file, missing_symbols
from docbot.publish import DocsPlan, Publisher
from docbot.render import marker_line, page_path, render_page
from docbot.report import FileOutcome, RunReport


@dataclass(frozen=True)
class SourceFile:
    """A file to document, read at the head revision and split into chunks."""

    path: str
    language: str
    source_sha256: str
    total_lines: int
    symbols: tuple[symbols.Symbol, ...]
    chunks: tuple[Chunk, ...]


def _in_folder(path: str, folder: str) -> bool:
    return PurePosixPath(path).is_relative_to(folder)


def select_files(
    changes: list[FileChange],
    settings: Settings,
    read: Callable[[str], bytes],
    report: RunReport,
    *,
    file_filter: FileFilter | None = None,
) -> tuple[list[SourceFile], list[str]]:
    """Decide per change: document it, delete its page, or skip it with a reason.

    Args:
        file_filter: include/exclude/vendored rules (default: built from ``settings`` alone).

    Returns:
        The files to document and the page paths to delete.
    """
    file_filter = file_filter or FileFilter.from_settings(settings)
    to_document: list[SourceFile] = []
    deletions: list[str] = []
    for change in changes:
        if change.skip_reason:  # symlinks, submodules, mode-only and type changes
            report.skipped.append(FileOutcome(change.path, change.skip_reason))
            if change.no_longer_file and not _in_folder(change.path, settings.out_dir):
                deletions.append(page_path(settings.out_dir, change.path))  # its page documents a file gone
            continue
        if change.status in {"deleted", "renamed"}:
            gone = change.old_path if change.status == "renamed" else change.path
            if gone and not _in_folder(gone, settings.out_dir):
                deletions.append(page_path(settings.out_dir, gone))
            if change.status == "deleted":
                continue
        path = change.path
        reason = file_filter.skip_reason(path)
        if reason:
            report.skipped.append(FileOutcome(path, reason))
            continue
        if change.binary:
            report.skipped.append(FileOutcome(path, "binary"))
            continue
        language = languages.language_for(path)
        if not symbols.supported(language):
            report.skipped.append(FileOutcome(path, "unsupported language"))
            continue
        assert language is not None
        data = read(path)
        reason = file_filter.skip_reason(path, size=len(data))
        if reason:
            report.skipped.append(FileOutcome(path, reason))
            continue
        try:
            source = data.decode("utf-8")
        except UnicodeDecodeError:
            report.skipped.append(FileOutcome(path, "not UTF-8 text"))
            continue
        syms, chunks = split_source(
            path,
            language,
            source,
            max_lines=settings.chunk_max_lines,
            max_tokens=settings.chunk_max_tokens,
            overlap=settings.chunk_overlap_lines,
        )
        if not chunks:
            report.skipped.append(FileOutcome(path, "empty file"))
            continue
        to_document.append(
            SourceFile(
                path=path,
                language=language,
                source_sha256=hashlib.sha256(data).hexdigest(),
                total_lines=chunks[-1].end,
                symbols=tuple(syms),
                chunks=tuple(chunks),
            )
        )
    return to_document, deletions


def _wants_overview(chunk: Chunk) -> bool:
    # The first chunk describes the file; a chunk without symbols describes its module-level code.
    return chunk.index == 0 or not chunk.symbols


def _chunk_key(chunk: Chunk, provider: Provider) -> str:
    return content_key(
        "chunk",
        # The overlap lines (in chunk.context) are context only and left out, like Chunk.sha256 does.
        f"{_wants_overview(chunk)}\n{chunk.header}\n{chunk.scope}\n{chunk.text}",
        model=f"{provider.name}:{provider.model}",
        prompt_version=provider.prompt_version,
        options={"language": chunk.language, "symbols": [s.name for s in chunk.symbols]},
    )


def _file_key(f: SourceFile, provider: Provider) -> str:
    # The whole rendered page: its chunk keys carry content, model, prompt and chunking; the path,
    # source hash (line numbers on the page) and docbot's version (the page layout) complete it.
    return content_key(
        "file",
        "\n".join(_chunk_key(c, provider) for c in f.chunks),
        model=f"{provider.name}:{provider.model}",
        prompt_version=provider.prompt_version,
        options={"path": f.path, "source_sha256": f.source_sha256, "docbot": __version__},
    )


def cached_pages(
    files: list[SourceFile], *, cache: Cache, provider: Provider, report: RunReport, force: bool = False
) -> dict[str, str]:
    """The file-level lookup, made before any chunk's: source path -> rendered page, for every hit.

    A page hit counts as a hit for each of the file's chunks in the run's ``hits`` (the unit is the
    chunk), and saves what generating the whole page originally cost. ``force`` looks nothing up:
    every file misses (and its fresh page replaces the cached one).
    """
    keys = {_file_key(f, provider): f for f in files}
    pages: dict[str, str] = {}

    def is_page(key: str, value: str) -> bool:
        # Cache contents are untrusted: a page without this file's marker line would be published and
        # then refused as hand-written by every later run.
        return value.startswith(marker_line(keys[key].path) + "\n")

    for key, entry in ({} if force else cache.get_many(list(keys), validate=is_page)).items():
        f = keys[key]
        pages[f.path] = entry.value
        report.saved_usd += entry.cost_usd
        report.cache_hits += len(f.chunks)
    report.cache_file_hits += len(pages)
    report.cache_file_misses += len(files) - len(pages)
    return pages


def document_chunks(
    files: list[SourceFile],
    *,
    cache: Cache,
    provider: Provider,
    max_concurrency: int,
    report: RunReport,
    force: bool = False,
) -> tuple[dict[str, ChunkDoc], dict[str, str]]:
    """Answers for every chunk: from the cache where possible, else from the provider, concurrently.

    ``force`` skips the lookup: every chunk is asked again and its fresh answer replaces the cached one.

    Returns:
        ``(docs, errors)``: chunk key -> answer, and chunk key -> failure reason.
    """
    chunks = {_chunk_key(c, provider): c for f in files for c in f.chunks}
    hits = {} if force else cache.get_many(list(chunks), validate=chunk_answer)
    docs: dict[str, ChunkDoc] = {}
    for key, entry in hits.items():
        try:
            docs[key] = ChunkDoc.from_json(json.loads(entry.value))
        except (ValueError, KeyError, TypeError):
            continue  # an unreadable entry is a miss
        report.saved_usd += entry.cost_usd
    report.cache_hits += len(docs)
    report.cache_chunk_hits += len(docs)
    misses = [key for key in chunks if key not in docs]
    report.cache_misses += len(misses)
    report.cache_chunk_misses += len(misses)

    errors: dict[str, str] = {}

    def ask(key: str) -> tuple[str, ChunkDoc | None, str | None]:
        chunk = chunks[key]
        if chunk.oversized:
            # One line longer than the token budget (minified or generated code): the model would
            # reject it, so it is not sent; merge documents its symbols from the code and flags them.
            return key, ChunkDoc(overview=None, symbols=(), model="none"), None
        try:
            doc = provider.document(DocRequest(chunk=chunk, want_overview=_wants_overview(chunk)))
        except DocbotError as exc:
            return key, None, str(exc) or type(exc).__name__
        missing = missing_symbols(chunk, doc)
        if missing:
            # Completeness: ask once more for just what the answer left out (same text, so the
            # provider sees the same context); what is still missing is filled statically by merge.
            again = replace(chunk, symbols=missing)
            # If asking again fails, the first answer stands; the gaps are flagged on the page.
            with contextlib.suppress(DocbotError):
                doc = combine(doc, provider.document(DocRequest(chunk=again, want_overview=False)))
        return key, doc, None

    fresh: dict[str, CacheEntry] = {}
    with ThreadPoolExecutor(max_workers=max_concurrency, thread_name_prefix="docbot-llm") as pool:
        for key, doc, error in pool.map(ask, misses):
            if doc is None:
                errors[key] = error or "unknown error"
                continue
            docs[key] = doc
            report.usage += doc.usage
            fresh[key] = CacheEntry(
                value=json.dumps(doc.to_json()),
                model=doc.model,
                created=time.time(),
                input_tokens=doc.usage.input_tokens,
                output_tokens=doc.usage.output_tokens,
                cost_usd=doc.usage.cost_usd,
            )
    for key, reason in cache.put_many(fresh).items():
        report.cache_not_stored.append(FileOutcome(chunks[key].path, f"chunk {chunks[key].index}: {reason}"))
    # Requests for chunks that failed were sent (and maybe billed) too: api.requests counts them all.
    failed_usage = getattr(provider, "failed_usage", None)  # only providers that send requests have it
    if callable(failed_usage):
        report.usage += failed_usage()
    return docs, errors


def run(
    settings: Settings,
    *,
    git: Git,
    cache: Cache,
    provider: Provider,
    publisher: Publisher,
    clock: Callable[[], float] = time.monotonic,
) -> RunReport:
    """Document what changed between ``settings.base`` and ``settings.head`` and publish the pages.

    Raises:
        GitError: a revision is missing or git failed (nothing was published).
    """
    started = clock()
    report = RunReport(provider=provider.name, model=provider.model, cache_backend=cache.backend)
    report.currency, report.currency_rate = settings.currency, settings.currency_rate
    rejected_before = cache.rejected  # a cache may serve several runs; count only this one's
    changes = changed_files(git, settings.base, settings.head, everything=settings.all_files)
    head = git.resolve(settings.head)
    present = [c.path for c in changes if c.status != "deleted" and not c.skip_reason]
    file_filter = FileFilter.from_settings(settings, attributes=git.attributes(head, present, ATTRIBUTES))
    with git.blob_reader(head) as blobs:
        files, deletions = select_files(changes, settings, blobs.read, report, file_filter=file_filter)

    hit_pages = cached_pages(files, cache=cache, provider=provider, report=report, force=settings.force)
    docs, errors = document_chunks(
        [f for f in files if f.path not in hit_pages],
        cache=cache,
        provider=provider,
        max_concurrency=settings.max_concurrency,
        report=report,
        force=settings.force,
    )

    pages: list[tuple[str, str]] = []
    source_of_page: dict[str, str] = {}
    fresh_pages: dict[str, CacheEntry] = {}
    file_keys = {_file_key(f, provider): f.path for f in files}
    for f in files:
        if f.path in hit_pages:
            page = page_path(settings.out_dir, f.path)
            pages.append((page, hit_pages[f.path]))
            source_of_page[page] = f.path
            continue
        keys = [_chunk_key(c, provider) for c in f.chunks]
        failed = [errors[k] for k in keys if k in errors]
        if failed:
            # Publish what succeeded, say what did not: the old page (if any) stays as it was.
            report.failed.append(FileOutcome(f.path, failed[0]))
            continue
        doc = merge_file(
            path=f.path,
            language=f.language,
            source_sha256=f.source_sha256,
            total_lines=f.total_lines,
            symbols=list(f.symbols),
            chunk_docs=[docs[k] for k in keys],
            chunks=f.chunks,
        )
        report.symbols_static += len(doc.missing)
        report.symbols_invented += doc.invented
        page = page_path(settings.out_dir, f.path)
        pages.append((page, render_page(doc)))
        source_of_page[page] = f.path
        # The page entry carries the original cost of all its chunks (cached ones included), so a
        # later page hit reports what it really saved.
        usage = [docs[k].usage for k in keys]
        fresh_pages[_file_key(f, provider)] = CacheEntry(
            value=pages[-1][1],
            model=provider.model,
            created=time.time(),
            input_tokens=sum(u.input_tokens for u in usage),
            output_tokens=sum(u.output_tokens for u in usage),
            cost_usd=sum(u.cost_usd for u in usage),
        )
    for key, reason in cache.put_many(fresh_pages).items():
        report.cache_not_stored.append(FileOutcome(file_keys[key], f"page: {reason}"))

    result = publisher.publish(DocsPlan(settings.out_dir, tuple(pages), tuple(deletions)))
    report.written_pages = result.written
    report.deleted_pages = result.deleted
    refused = dict(result.refused)
    for page, why in result.refused:
        report.skipped.append(FileOutcome(source_of_page.get(page, page), f"page {page} {why}"))
    report.documented = [src for page, src in source_of_page.items() if page not in refused]
    report.cache_available = cache.available
    report.cache_error = cache.error
    report.cache_rejected = cache.rejected - rejected_before
    report.duration_s = clock() - started
    return report
