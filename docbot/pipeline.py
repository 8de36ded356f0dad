"""Orchestration: the only module that knows the order of the steps.

changes -> symbols -> chunks -> cache -> provider -> merge -> render. Each stage returns a frozen value
(``Selection``, ``PageHits``, ``Answers``, ``Pages``); the ``RunReport`` is assembled once from them.
The pipeline never publishes: ``run`` returns the ``DocsPlan`` with the report, and the caller hands
both to a publisher. Adapters (git, cache, provider) are passed in, so tests hand in temporary
repositories and loopback servers.
"""

from __future__ import annotations

import contextlib
import glob
import hashlib
import json
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath

from docbot import __version__, languages, shard, symbols
from docbot.cache import Cache, CacheEntry, content_key
from docbot.cache.shapes import chunk_answer
from docbot.changes import FileChange, changed_files
from docbot.chunking import Chunk, split_source
from docbot.config import ChunkSettings, Settings
from docbot.docs import ChunkDoc, Usage
from docbot.errors import DocbotError
from docbot.events import RunSpec, Skip
from docbot.filters import ATTRIBUTES, FileFilter, content_skip_reason, path_skip_reason
from docbot.git import Git
from docbot.llm.base import DocRequest, Provider
from docbot.markers import marker_line
from docbot.merge import combine, merge_file, missing_symbols
from docbot.progress import NO_PROGRESS, Progress
from docbot.publish.plan import DocsPlan
from docbot.ranges import DiffRange, resolve_range
from docbot.render.page import page_path, render_page
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


@dataclass(frozen=True)
class Selection:
    """The change list sorted: files to document, pages whose source is gone, files skipped with why."""

    files: tuple[SourceFile, ...] = ()
    deletions: tuple[str, ...] = ()
    skipped: tuple[FileOutcome, ...] = ()


@dataclass(frozen=True)
class PageHits:
    """The whole-page lookup: source path -> cached page, and what those pages once cost."""

    pages: Mapping[str, str] = field(default_factory=dict)
    chunk_hits: int = 0  # a page hit counts a hit for each of its chunks (the report's unit)
    misses: int = 0
    saved_usd: float = 0.0


@dataclass(frozen=True)
class Answers:
    """Every chunk's answer, from the cache or the provider, and what asking cost."""

    docs: Mapping[str, ChunkDoc] = field(default_factory=dict)  # chunk key -> answer
    errors: Mapping[str, str] = field(default_factory=dict)  # chunk key -> why it failed
    hits: int = 0
    misses: int = 0
    saved_usd: float = 0.0
    usage: Usage = field(default_factory=Usage)  # fresh answers and failed requests alike
    not_stored: tuple[FileOutcome, ...] = ()


@dataclass(frozen=True)
class Pages:
    """The rendered pages, the files that failed, and the merge's counts."""

    pages: tuple[tuple[str, str], ...] = ()  # (page path, Markdown)
    sources: Mapping[str, str] = field(default_factory=dict)  # page path -> source path
    failed: tuple[FileOutcome, ...] = ()
    symbols_static: int = 0
    symbols_invented: int = 0
    not_stored: tuple[FileOutcome, ...] = ()


@dataclass(frozen=True)
class RunResult:
    """What a run produced: the report, the pages to publish, the commit documented, range notices."""

    report: RunReport
    plan: DocsPlan
    head: str
    notices: tuple[str, ...] = ()


def _in_folder(path: str, folder: str) -> bool:
    return PurePosixPath(path).is_relative_to(folder)


def select_files(
    changes: list[FileChange],
    *,
    out_dir: str,
    chunking: ChunkSettings,
    read: Callable[[str], bytes],
    file_filter: FileFilter,
) -> Selection:
    """Decide per change: document it, delete its page, or skip it with a reason.

    Args:
        out_dir: the docs folder (its own files are never documented, nor their pages deleted).
        chunking: the chunk budgets.
        read: reads a file at the head revision.
        file_filter: include/exclude/vendored/size rules.
    """
    to_document: list[SourceFile] = []
    deletions: list[str] = []
    skipped: list[FileOutcome] = []
    for change in changes:
        if change.skip_reason:  # symlinks, submodules, mode-only and type changes
            skipped.append(FileOutcome(change.path, change.skip_reason))
            if change.no_longer_file and not _in_folder(change.path, out_dir):
                deletions.append(page_path(out_dir, change.path))  # its page documents a file gone
            continue
        if change.status in {"deleted", "renamed"}:
            gone = change.old_path if change.status == "renamed" else change.path
            if gone and not _in_folder(gone, out_dir):
                deletions.append(page_path(out_dir, gone))
            if change.status == "deleted":
                continue
        path = change.path
        reason = path_skip_reason(path) or file_filter.skip_reason(path)
        if reason:
            skipped.append(FileOutcome(path, reason))
            continue
        if change.binary:
            skipped.append(FileOutcome(path, "binary"))
            continue
        language = languages.language_for(path)
        if not symbols.supported(language):
            skipped.append(FileOutcome(path, "unsupported language"))
            continue
        assert language is not None
        data = read(path)
        reason = file_filter.skip_reason(path, size=len(data)) or content_skip_reason(data)
        if reason:
            skipped.append(FileOutcome(path, reason))
            continue
        try:
            source = data.decode("utf-8")
        except UnicodeDecodeError:
            skipped.append(FileOutcome(path, "not UTF-8 text"))
            continue
        syms, chunks = split_source(
            path,
            language,
            source,
            max_lines=chunking.chunk_max_lines,
            max_tokens=chunking.chunk_max_tokens,
            overlap=chunking.chunk_overlap_lines,
            visibility=chunking.visibility,
        )
        if not chunks:
            skipped.append(FileOutcome(path, "empty file"))
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
    return Selection(tuple(to_document), tuple(deletions), tuple(skipped))


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
        options={"language": chunk.language, "symbols": [s.id for s in chunk.symbols]},
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


def cached_pages(files: tuple[SourceFile, ...], *, cache: Cache, provider: Provider, force: bool) -> PageHits:
    """The file-level lookup, made before any chunk's: source path -> rendered page, for every hit.

    A page hit saves what generating the whole page originally cost. ``force`` looks nothing up: every
    file misses (and its fresh page replaces the cached one).
    """
    keys = {_file_key(f, provider): f for f in files}
    pages: dict[str, str] = {}
    chunk_hits, saved = 0, 0.0

    def is_page(key: str, value: str) -> bool:
        # Cache contents are untrusted: a page without this file's marker line would be published and
        # then refused as hand-written by every later run.
        return value.startswith(marker_line(keys[key].path) + "\n")

    for key, entry in ({} if force else cache.get_many(list(keys), validate=is_page)).items():
        f = keys[key]
        pages[f.path] = entry.value
        saved += entry.cost_usd
        chunk_hits += len(f.chunks)
    return PageHits(pages, chunk_hits, len(files) - len(pages), saved)


def document_chunks(
    files: list[SourceFile],
    *,
    cache: Cache,
    provider: Provider,
    max_concurrency: int,
    force: bool = False,
    progress: Progress = NO_PROGRESS,
) -> Answers:
    """Answers for every chunk: from the cache where possible, else from the provider, concurrently.

    ``force`` skips the lookup: every chunk is asked again and its fresh answer replaces the cached one.
    ``progress`` hears of the work once it is known and of every request as it starts and ends.
    """
    chunks = {_chunk_key(c, provider): c for f in files for c in f.chunks}
    hits = {} if force else cache.get_many(list(chunks), validate=chunk_answer)
    docs: dict[str, ChunkDoc] = {}
    saved = 0.0
    for key, entry in hits.items():
        try:
            docs[key] = ChunkDoc.from_json(json.loads(entry.value))
        except (ValueError, KeyError, TypeError):
            continue  # an unreadable entry is a miss
        saved += entry.cost_usd
    cached = len(docs)
    misses = [key for key in chunks if key not in docs]

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

    def tracked(key: str) -> tuple[str, ChunkDoc | None, str | None]:
        progress.asking()
        answer = ask(key)
        progress.answered(answer[1].usage if answer[1] is not None else None)
        return answer

    errors: dict[str, str] = {}
    usage = Usage()
    fresh: dict[str, CacheEntry] = {}
    progress.begin(files=len(files), chunks=len(chunks), cached=cached)
    with contextlib.ExitStack() as stack:
        stack.callback(progress.end)  # runs last: after the pool's threads are done, also on an error
        pool = stack.enter_context(ThreadPoolExecutor(max_concurrency, thread_name_prefix="docbot-llm"))
        for key, doc, error in pool.map(tracked, misses):
            if doc is None:
                errors[key] = error or "unknown error"
                continue
            docs[key] = doc
            usage += doc.usage
            fresh[key] = CacheEntry(
                value=json.dumps(doc.to_json()),
                model=doc.model,
                created=time.time(),
                input_tokens=doc.usage.input_tokens,
                output_tokens=doc.usage.output_tokens,
                cost_usd=doc.usage.cost_usd,
            )
    not_stored = tuple(
        FileOutcome(chunks[key].path, f"chunk {chunks[key].index}: {reason}")
        for key, reason in cache.put_many(fresh).items()
    )
    # Requests for chunks that failed were sent (and maybe billed) too: api.requests counts them all.
    usage += provider.failed_usage()
    return Answers(docs, errors, cached, len(misses), saved, usage, not_stored)


def render_pages(
    files: tuple[SourceFile, ...],
    hits: PageHits,
    answers: Answers,
    *,
    out_dir: str,
    cache: Cache,
    provider: Provider,
) -> Pages:
    """One page per file: the cached page, or merged from its chunks' answers; a file whose chunks failed
    gets none (its previous page stays as it was)."""
    pages: list[tuple[str, str]] = []
    sources: dict[str, str] = {}
    failed: list[FileOutcome] = []
    static = invented = 0
    fresh: dict[str, CacheEntry] = {}
    file_keys = {_file_key(f, provider): f.path for f in files}
    for f in files:
        page = page_path(out_dir, f.path)
        if f.path in hits.pages:
            pages.append((page, hits.pages[f.path]))
            sources[page] = f.path
            continue
        keys = [_chunk_key(c, provider) for c in f.chunks]
        errors = [answers.errors[k] for k in keys if k in answers.errors]
        if errors:
            # Publish what succeeded, say what did not: the old page (if any) stays as it was.
            failed.append(FileOutcome(f.path, errors[0]))
            continue
        doc = merge_file(
            path=f.path,
            language=f.language,
            source_sha256=f.source_sha256,
            total_lines=f.total_lines,
            symbols=list(f.symbols),
            chunk_docs=[answers.docs[k] for k in keys],
            chunks=f.chunks,
        )
        static += len(doc.missing)
        invented += doc.invented
        text = render_page(doc)
        pages.append((page, text))
        sources[page] = f.path
        # The page entry carries the original cost of all its chunks (cached ones included), so a
        # later page hit reports what it really saved.
        usage = [answers.docs[k].usage for k in keys]
        fresh[_file_key(f, provider)] = CacheEntry(
            value=text,
            model=provider.model,
            created=time.time(),
            input_tokens=sum(u.input_tokens for u in usage),
            output_tokens=sum(u.output_tokens for u in usage),
            cost_usd=sum(u.cost_usd for u in usage),
        )
    not_stored = tuple(
        FileOutcome(file_keys[key], f"page: {reason}") for key, reason in cache.put_many(fresh).items()
    )
    return Pages(tuple(pages), sources, tuple(failed), static, invented, not_stored)


def list_changes(spec: RunSpec, git: Git) -> tuple[DiffRange, list[FileChange]]:
    """The two commits ``spec`` compares (fallbacks applied, history fetched) and what changed between them.

    Raises:
        GitError: a commit or history cannot be had (the message names ``fetch-depth: 0``).
    """
    span = resolve_range(
        git,
        spec.head,
        spec.base,
        kind=spec.kind,
        everything=spec.everything,
        default_branch=spec.default_branch,
        branch=spec.branch,
    )
    return span, changed_files(git, span.base, span.head, everything=span.everything)


def run(
    spec: RunSpec,
    settings: Settings,
    *,
    git: Git,
    cache: Cache,
    provider: Provider,
    clock: Callable[[], float] = time.monotonic,
    progress: Progress = NO_PROGRESS,
) -> RunResult | Skip:
    """Document what changed between ``spec.base`` and ``spec.head``; return the report and the pages.

    Returns:
        The ``RunResult``, or a ``Skip`` when ``spec.skip_docs_only`` and only the docs folder changed.

    Raises:
        GitError: a revision is missing or git failed (nothing was documented).
    """
    started = clock()
    rejected_before = cache.rejected  # a cache may serve several runs; count only this one's
    span, changes = list_changes(spec, git)
    out_dir = settings.out_dir
    if spec.skip_docs_only and changes and all(_in_folder(c.path, out_dir) for c in changes):
        return Skip(f"only files under {out_dir} changed (docbot's own output)")
    selection = _select(span, changes, spec, settings, git)
    if settings.shard is not None:
        # This job's part of the same deal every shard computes; pages are the final job's business.
        mine = shard.partition(selection.files, settings.shard.count)[settings.shard.index - 1]
        selection = replace(selection, files=tuple(mine), deletions=())
    if settings.publish_only:
        provider = shard.CacheOnly(provider)
    shard_reports, unreadable = shard.read_shard_reports(_matching(settings.repo, settings.shard_reports))
    hits = cached_pages(selection.files, cache=cache, provider=provider, force=spec.force)
    answers = document_chunks(
        [f for f in selection.files if f.path not in hits.pages],
        cache=cache,
        provider=provider,
        max_concurrency=settings.llm.max_concurrency,
        force=spec.force,
        progress=progress,
    )
    pages = render_pages(selection.files, hits, answers, out_dir=out_dir, cache=cache, provider=provider)
    report = RunReport(
        provider=provider.name,
        model=provider.model,
        documented=[pages.sources[page] for page, _ in pages.pages],
        skipped=list(selection.skipped),
        failed=list(pages.failed),
        cache_backend=cache.backend,
        cache_available=cache.available,
        cache_error=cache.error,
        cache_rejected=cache.rejected - rejected_before,
        cache_hits=hits.chunk_hits + answers.hits,
        cache_misses=answers.misses,
        cache_file_hits=len(hits.pages),
        cache_file_misses=hits.misses,
        cache_chunk_hits=answers.hits,
        cache_chunk_misses=answers.misses,
        cache_not_stored=list(answers.not_stored + pages.not_stored),
        usage=answers.usage,
        saved_usd=hits.saved_usd + answers.saved_usd,
        symbols_static=pages.symbols_static,
        symbols_invented=pages.symbols_invented,
        duration_s=clock() - started,
        currency=settings.llm.currency,
        currency_rate=settings.llm.currency_rate,
        page_sources=dict(pages.sources),
        shard=str(settings.shard) if settings.shard else None,
        shards=tuple(shard.shard_summary(r) for r in shard_reports),
    )
    plan = DocsPlan(out_dir, pages.pages, selection.deletions, site=settings.site)
    return RunResult(report, plan, span.head, (*span.notices, *unreadable))


def _select(
    span: DiffRange, changes: list[FileChange], spec: RunSpec, settings: Settings, git: Git
) -> Selection:
    present = [c.path for c in changes if c.status != "deleted" and not c.skip_reason]
    file_filter = FileFilter.from_settings(
        settings.files,
        out_dir=settings.out_dir,
        attributes=git.attributes(span.head, present, ATTRIBUTES),
        paths=spec.paths,
    )
    with git.blob_reader(span.head) as blobs:
        return select_files(
            changes,
            out_dir=settings.out_dir,
            chunking=settings.chunking,
            read=blobs.read,
            file_filter=file_filter,
        )


def selection_of(spec: RunSpec, settings: Settings, *, git: Git) -> Selection:
    """What ``run`` would document for ``spec``, without asking the cache or the provider."""
    span, changes = list_changes(spec, git)
    return _select(span, changes, spec, settings, git)


def _matching(root: Path, patterns: Sequence[str]) -> list[Path]:
    """Files matching ``patterns`` (absolute, or relative to ``root``), each once."""
    found: set[Path] = set()
    for pattern in patterns:
        base = pattern if Path(pattern).is_absolute() else str(root / pattern)
        found.update(Path(p) for p in glob.glob(base, recursive=True) if Path(p).is_file())
    return sorted(found)
