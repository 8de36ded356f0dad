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
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from docbot import __version__, languages, overview, shard, symbols, truth
from docbot.cache import Cache, CacheEntry, content_key
from docbot.cache.shapes import chunk_answer, symbol_answer
from docbot.cache.writebehind import WriteBehind
from docbot.changes import FileChange, changed_files
from docbot.chunking import Chunk, split_source
from docbot.config import ChunkSettings, Settings
from docbot.docs import ChunkDoc, FileDoc, SymbolDoc, Usage, UsageMeter
from docbot.errors import DocbotError
from docbot.events import RunSpec, Skip
from docbot.filters import ATTRIBUTES, FileFilter, content_skip_reason, path_skip_reason
from docbot.git import Git
from docbot.llm import system_lifetime
from docbot.llm.base import DocRequest, OverviewProvider, OverviewRequest, Provider
from docbot.llm.prompt import LONG_RUN_REQUESTS
from docbot.markers import source_of
from docbot.merge import combine, merge_file, missing_symbols
from docbot.progress import NO_PROGRESS, Progress
from docbot.publish.plan import DocsPlan
from docbot.ranges import DiffRange, resolve_range
from docbot.render.links import NameIndex, SourceLinks, is_test_source, linked_anchors, web_url
from docbot.render.page import LAYOUT, MAX_PAGE_BYTES, PageLinks, page_path, render_bounded
from docbot.report import BatchSummary, FileOutcome, RunReport

if TYPE_CHECKING:  # only the Claude provider batches, and only llm/ imports the SDK
    from docbot.llm.batch import BatchOutcome, BatchRunner


@dataclass(frozen=True)
class SourceFile:
    """A file to document, read at the head revision and split into chunks."""

    path: str
    language: str
    source_sha256: str
    total_lines: int
    symbols: tuple[symbols.Symbol, ...]
    chunks: tuple[Chunk, ...]
    own_code: Mapping[str, str] = field(default_factory=dict)  # symbol id -> its own code (symbol keys)
    outline: str = ""  # every symbol with its signature: the file block of each request
    module_doc: str | None = None  # the module docstring or leading comment, for the overview

    def overview_request(self) -> OverviewRequest:
        return OverviewRequest(self.path, self.language, overview.outline(self.symbols), self.module_doc)


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
    batch: BatchOutcome | None = None  # what went through the Message Batches API, if anything
    symbol_hits: int = 0  # symbol entries found for the chunks that missed
    symbol_misses: int = 0  # symbols asked for
    quality: truth.Quality = field(default_factory=truth.Quality)  # what the guard found in fresh answers
    requests: Mapping[str, DocRequest] = field(default_factory=dict)  # chunk key -> its request, as built


@dataclass(frozen=True)
class Pages:
    """The rendered pages, the files that failed, and the merge's counts."""

    pages: tuple[tuple[str, str], ...] = ()  # (page path, Markdown)
    sources: Mapping[str, str] = field(default_factory=dict)  # page path -> source path
    failed: tuple[FileOutcome, ...] = ()
    symbols_static: int = 0
    symbols_invented: int = 0
    not_stored: tuple[FileOutcome, ...] = ()
    overview_failed: tuple[FileOutcome, ...] = ()  # published without an overview, and why
    cut: tuple[FileOutcome, ...] = ()  # pages cut at the size cap, and what was left out


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
        reason = file_filter.shape_reason(path, source)
        if reason:
            skipped.append(FileOutcome(path, reason))
            continue
        language = languages.language_of(path, source) or language
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
                own_code=own_code(tuple(syms), source),
                outline=outline(tuple(syms)),
                module_doc=overview.module_doc(source, language, syms[0].start if syms else None),
            )
        )
    return Selection(tuple(to_document), tuple(deletions), tuple(skipped))


def _wants_overview(chunk: Chunk) -> bool:
    # A chunk without symbols describes its module-level code (a note on the page). The file's own
    # overview is never a chunk's: it is asked once per file (``overview.document_overviews``).
    return not chunk.symbols


def _chunk_key(chunk: Chunk, provider: Provider) -> str:
    return _chunk_key_for(chunk, provider, provider.prompt_version, _provider_options(provider))


def chunk_key(chunk: Chunk, provider: Provider) -> str:
    """The cache key of a chunk's answer (pages and written-back docstrings share it)."""
    return _chunk_key(chunk, provider)


def _file_key(f: SourceFile, provider: Provider, links: PageLinks) -> str:
    # The whole rendered page: its chunk keys carry content, model, prompt and chunking; the path,
    # source hash (line numbers on the page) and docbot's version (the page layout) complete it, with
    # what its links depend on: the repository, the docs folder and the names of the other pages. The
    # commit is left out: the lines of an unchanged file are the same at any commit that has it.
    options: dict[str, object] = {
        "path": f.path,
        "source_sha256": f.source_sha256,
        "docbot": __version__,
        "links": {
            "layout": LAYOUT,
            "repo": links.source.repo_url or "",
            "out_dir": links.out_dir,
            "names": hashlib.sha256(links.names.fingerprint().encode()).hexdigest(),
            "max_bytes": links.max_bytes,
        },
    }
    return content_key(
        "file",
        "\n".join(_chunk_key(c, provider) for c in f.chunks),
        model=f"{provider.name}:{provider.model}",
        prompt_version=provider.prompt_version,
        options=options,
    )


def cached_pages(
    files: tuple[SourceFile, ...],
    *,
    cache: Cache,
    provider: Provider,
    force: bool,
    links: PageLinks,
) -> PageHits:
    """The file-level lookup, made before any chunk's: source path -> rendered page, for every hit.

    A page hit saves what generating the whole page originally cost. ``force`` looks nothing up: every
    file misses (and its fresh page replaces the cached one). ``links``: what the pages link to, part
    of each page's key.
    """
    keys = {_file_key(f, provider, links): f for f in files}
    pages: dict[str, str] = {}
    chunk_hits, saved = 0, 0.0

    def is_page(key: str, value: str) -> bool:
        # Cache contents are untrusted: a page without this file's marker line would be published and
        # then refused as hand-written by every later run.
        return source_of(value) == keys[key].path

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
    batches: BatchRunner | None = None,
    progress: Progress = NO_PROGRESS,
    symbol_index: frozenset[str] = frozenset(),
    overviews: Mapping[str, OverviewRequest] | None = None,
    later_requests: int = 0,
    keep_system_hour: bool = False,
) -> Answers:
    """Answers for every chunk: from the cache where possible, else from the provider, concurrently.

    Three lookups, each only for what the one before missed: the chunk's own entry (under its current
    key, then under the keys of compatible older prompts), then each symbol's entry. A request asks
    only for the symbols whose entries missed; the rest of the chunk goes along as context. Fresh
    answers are stored at both levels: per chunk (the fast path of the next run) and per symbol (so an
    edit re-asks only what it changed). ``force`` looks nothing up.
    ``batches``: when it wants this many requests, they go through the Message Batches API first; what
    the batches could not answer is asked interactively.
    ``progress`` hears of the work once it is known and of every request as it starts and ends.
    A provider that writes prose has its fresh answers checked by ``truth`` against the file's code and
    ``symbol_index`` (the repository's symbol names) before they are cached; batch answers are checked
    as their batch ends and asked again (interactively) here. The file overviews are not asked here
    but once per file afterwards (``overview.document_overviews``); when the run batches, the missing
    ones (``overviews``, by cache key) go in the same batch, are stored as it ends and counted in
    ``usage``, and their answers are in ``batch.docs``. ``later_requests`` says how many overview
    requests will follow, since they read the same cached system block; ``keep_system_hour`` marks it
    for the 1-hour lifetime (``requests_of``).
    """
    checked = getattr(provider, "writes_prose", True)
    known = {
        f.path: truth.words(t for c in f.chunks for t in (c.header, c.text)) | symbol_index | truth.COMMON
        for f in files
    }
    chunks = {_chunk_key(c, provider): (c, f) for f in files for c in f.chunks}
    docs: dict[str, ChunkDoc] = {}
    saved = 0.0
    fresh: dict[str, CacheEntry] = {}
    hits = {} if force else cache.get_many(list(chunks), validate=chunk_answer)
    missed = [k for k in chunks if k not in hits]
    compatible = (
        {} if force else {old: k for k in missed for old in _compatible_chunk_keys(chunks[k][0], provider)}
    )
    old_hits = cache.get_many(list(compatible), validate=chunk_answer) if compatible else {}
    for key, entry in [*hits.items(), *((compatible[k], e) for k, e in old_hits.items())]:
        if key in docs:
            continue
        try:
            docs[key] = ChunkDoc.from_json(json.loads(entry.value))
        except (ValueError, KeyError, TypeError):
            continue  # an unreadable entry is a miss
        saved += entry.cost_usd
        if key not in hits:
            fresh[key] = entry  # an older prompt's answer, stored under today's key for the next run
    plans = plan_symbols(
        {k: chunks[k] for k in chunks if k not in docs}, cache=cache, provider=provider, force=force
    )
    symbol_hits = sum(len(p.known) for p in plans)
    symbol_misses = sum(len(p.asked) for p in plans)
    to_ask = [p for p in plans if p.needs_request]
    for plan in plans:
        if not plan.needs_request:  # every symbol came from the cache
            whole = docs[plan.key] = _assemble(plan, None, provider.model)
            saved += plan.reused_usd
            fresh[plan.key] = _chunk_entry(whole, plan.reused_usd)  # the next run's fast path
    cached = len(docs)
    requests = requests_of(to_ask, later_requests=later_requests, keep_hour=keep_system_hour)
    # A file's prefix is warmed where its requests mark it: where it sends more than one.
    warm_up = _WarmUp(provider, {r.chunk.path for r in requests.values() if r.cache_file})

    lock = threading.Lock()
    batch_checked: dict[str, ChunkDoc] = {}  # chunk key -> the batch answer as checked and stored

    def _checked(plan: _Plan, doc: ChunkDoc) -> ChunkDoc:
        if not checked:
            return doc
        doc, found = truth.check(doc, plan.chunk, known[plan.chunk.path])
        return truth.settle(doc, None, found.unknown)

    by_key = {p.key: p for p in to_ask}
    sendable = {p.key: requests[p.key] for p in to_ask if not p.chunk.oversized}
    bulk = None
    extra = dict(overviews or {})
    if batches is not None and batches.wanted(len(sendable) + len(extra)):

        def store(got: Mapping[str, ChunkDoc]) -> dict[str, str]:
            # Checked before they are stored (no second request here: that is asked below, and its
            # answer replaces these entries), so a job cancelled after the batch caches no unchecked
            # answer.
            stored = {key: _checked(by_key[key], d) for key, d in got.items() if key in by_key}
            with lock:
                batch_checked.update(stored)
            entries = {k: e for key, d in stored.items() for k, e in _entries(by_key[key], d, provider)}
            entries |= {key: overview.entry(d) for key, d in got.items() if key in extra}
            return cache.put_many(entries)

        bulk = batches.collect({**sendable, **extra}, cache=cache, store=store, resume=not force)

    def guard(plan: _Plan, request: DocRequest, doc: ChunkDoc) -> tuple[ChunkDoc, truth.Quality]:
        chunk = plan.chunk
        doc, found = truth.check(doc, chunk, known[chunk.path])
        again: ChunkDoc | None = None
        unknown = dict(found.unknown)
        quality = truth.Quality(sum(map(len, unknown.values())), found.dropped_params, len(found.reask))
        if found.reask:
            # Asked once more, for just those symbols, with the real names; if that fails too, the
            # first answer stands (noted).
            names = truth.real_names(chunk, found.reask, plan.file.symbols)
            retry = replace(request, want_overview=False, names=tuple(found.reask), real_names=names)
            with contextlib.suppress(DocbotError):
                answer = provider.document(retry)
                again, second = truth.check(answer, chunk, known[chunk.path])
                again = replace(again, symbols=tuple(d for d in again.symbols if d.name in found.reask))
                for sid in {d.name for d in again.symbols}:
                    unknown[sid] = second.unknown.get(sid, ())
                quality += truth.Quality(sum(map(len, second.unknown.values())), second.dropped_params, 0)
        return truth.settle(doc, again, unknown), quality

    def ask(plan: _Plan) -> tuple[_Plan, ChunkDoc | None, str | None, truth.Quality]:
        chunk = plan.chunk
        if chunk.oversized:
            # One line longer than the token budget (minified or generated code): the model would
            # reject it, so it is not sent; merge documents its symbols from the code and flags them.
            return plan, ChunkDoc(overview=None, symbols=(), model="none"), None, truth.Quality()
        if bulk is not None and plan.key in bulk.unfinished:
            return plan, None, bulk.unfinished[plan.key], truth.Quality()
        request = requests[plan.key]
        if bulk is not None and plan.key in bulk.docs:
            doc = bulk.docs[plan.key]
        else:
            warm = warm_up.before(request)
            try:
                doc = provider.document(request)
            except DocbotError as exc:
                warm_up.unclaimed(warm)
                return plan, None, str(exc) or type(exc).__name__, truth.Quality()
            # The warm-up is part of what this chunk's answer cost (so a later hit saves it too).
            doc = replace(doc, usage=doc.usage + warm)
        missing = tuple(s for s in missing_symbols(chunk, doc) if s.id in set(plan.asked))
        if missing:
            # Completeness: ask once more for just what the answer left out (their own code and the
            # signatures around it, after the same cached prefix); what is still missing is filled
            # statically by merge.
            again = replace(request, want_overview=False, names=tuple(s.id for s in missing), real_names=())
            # If asking again fails, the first answer stands; the gaps are flagged on the page.
            with contextlib.suppress(DocbotError):
                doc = combine(doc, provider.document(again))
        quality = truth.Quality()
        if checked:
            doc, quality = guard(plan, request, doc)
        return plan, doc, None, quality

    def tracked(plan: _Plan) -> tuple[_Plan, ChunkDoc | None, str | None, truth.Quality]:
        progress.asking()
        answer = ask(plan)
        progress.answered(answer[1].usage if answer[1] is not None else None)
        return answer

    errors: dict[str, str] = {}
    usage = Usage()
    quality = truth.Quality()
    labels: dict[str, tuple[str, str]] = {}  # entry key -> (path, what it holds), for not_stored
    # Each answer is buffered for the cache the moment it is parsed, by the thread that got it, so an
    # interrupted run keeps what it paid for (see ``cache.writebehind``).
    buffer = WriteBehind(cache)

    def ask_and_store(plan: _Plan) -> tuple[_Plan, ChunkDoc | None, str | None, truth.Quality]:
        plan, doc, error, found = tracked(plan)
        # Cached when its batch ended, and the guard asked nothing again.
        cached_by_batch = bulk is not None and batch_checked.get(plan.key) == doc
        if doc is not None and doc.model != "none" and not cached_by_batch:
            for key, entry in _entries(plan, doc, provider):
                buffer.add(key, entry)
        return plan, doc, error, found

    progress.begin(files=len(files), chunks=len(chunks), cached=cached)
    pool = ThreadPoolExecutor(max_workers=max_concurrency, thread_name_prefix="docbot-llm")
    try:
        pending = {pool.submit(ask_and_store, plan) for plan in dispatch_order(to_ask)}
        while pending:
            done, pending = wait(pending, timeout=buffer.interval_s, return_when=FIRST_COMPLETED)
            buffer.flush_if_due()  # also when no answer came in for a while
            for future in done:
                plan, doc, error, found = future.result()
                quality += found
                if doc is None:
                    errors[plan.key] = error or "unknown error"
                    continue
                usage += doc.usage
                docs[plan.key] = _assemble(plan, doc, provider.model)
                saved += plan.reused_usd
                if doc.model != "none":
                    labels.update(_labels(plan, doc, provider))
    finally:
        # On SIGTERM/SIGINT (raised here in the main thread) or a crash: store what was answered, stop
        # sending, let the requests in flight finish (they are paid for), and store their answers too.
        buffer.flush()
        pool.shutdown(wait=True, cancel_futures=True)
        buffer.flush()
        progress.end()
    labels.update({k: (c.path, f"chunk {c.index}") for k, (c, _) in chunks.items()})
    refused = {**cache.put_many(fresh), **buffer.refused}
    not_stored = tuple(
        FileOutcome(labels[key][0], f"{labels[key][1]}: {reason}") for key, reason in refused.items()
    )
    if bulk is not None:
        labels.update({key: (r.path, "overview") for key, r in extra.items()})
        for key in extra.keys() & bulk.docs.keys():  # billed in the batch, stored when it ended
            usage += bulk.docs[key].usage
        not_stored += tuple(
            FileOutcome(labels[key][0], f"{labels[key][1]}: {reason}")
            for key, reason in bulk.not_stored.items()
            if key in labels
        )
        usage += bulk.failed_usage
    # Requests for chunks that failed were sent (and maybe billed) too: api.requests counts them all.
    usage += provider.failed_usage() + warm_up.usage()
    return Answers(
        docs,
        errors,
        cached,
        len(to_ask),
        saved,
        usage,
        not_stored,
        bulk,
        symbol_hits=symbol_hits,
        symbol_misses=symbol_misses,
        quality=quality,
        requests=requests,
    )


def system_sent(cache: Cache, provider: Provider) -> tuple[str | None, system_lifetime.Sent | None]:
    """Where the provider's system block is recorded as sent (None: it has no prompt cache), and the
    record found there (``llm/system_lifetime.py``)."""
    key = getattr(provider, "system_record_key", None)
    if not isinstance(key, str):
        return None, None
    return key, system_lifetime.last_sent(cache, key)


def overview_marks(
    requests: Mapping[str, DocRequest], overviews: int, *, keep_hour: bool
) -> tuple[bool, bool]:
    """The prompt-cache marks of the file overviews, sent after the chunks' ``requests`` (as
    ``requests_of`` built them; an oversized chunk's sends nothing): they read the system block the
    chunks cached when there were any to cache it, and keep it as long as the chunks did, or as runs
    this frequent want (``keep_hour``, see ``requests_of``).

    Returns:
        ``cache_system`` and ``long_run`` for each ``OverviewRequest``.
    """
    sent = [r for r in requests.values() if not r.chunk.oversized]
    chunks_hour = any(r.cache_system and r.long_run for r in sent)
    return len(sent) + overviews > 1 or keep_hour, chunks_hour or keep_hour


def requests_of(
    plans: Sequence[_Plan], *, later_requests: int = 0, keep_hour: bool = False
) -> dict[str, DocRequest]:
    """The request each plan sends (by chunk key), with the prompt-cache marks that pay.

    A prefix is marked for the cache only when another request will read it back: the system block
    when the run sends more than one request (``later_requests`` counts those sent after these, the
    file overviews), the file block and its outline when the file sends more than one. A mark that
    nobody reads is a cache write (1.25x the input price, or 2x with the 1-hour lifetime) for nothing.
    The text is the same marked or not, so a later run still reads what an earlier one cached.
    ``keep_hour``: runs with this system block come more often than hourly, so a later run reads it
    back: it is marked for the 1-hour lifetime even when this run sends one request.
    """
    sent = [p for p in plans if p.needs_request and not p.chunk.oversized]
    per_file = Counter(p.file.path for p in sent)
    shared_system = len(sent) + later_requests > 1 or keep_hour
    long_run = len(sent) >= LONG_RUN_REQUESTS or keep_hour
    return {
        p.key: DocRequest(
            chunk=p.chunk,
            want_overview=p.want_overview,
            names=p.asked,
            # The outline is a shared prefix only where a file sends several requests; alone, it
            # would be paid for and never read back.
            outline=p.file.outline if per_file[p.file.path] > 1 else "",
            long_run=long_run,
            cache_system=shared_system,
            cache_file=per_file[p.file.path] > 1,
        )
        for p in plans
        if p.needs_request
    }


def _entries(plan: _Plan, doc: ChunkDoc, provider: Provider) -> list[tuple[str, CacheEntry]]:
    """The cache entries of one fresh answer: each asked symbol's share, and the whole chunk's (the
    next run's fast path), with what its cached parts once cost."""
    shares = [(key, entry) for key, (_, entry) in _share_entries(plan, doc, provider).items()]
    whole = _assemble(plan, doc, provider.model)
    return [*shares, (plan.key, _chunk_entry(whole, doc.usage.cost_usd + plan.reused_usd))]


def _labels(plan: _Plan, doc: ChunkDoc, provider: Provider) -> dict[str, tuple[str, str]]:
    return {key: (plan.chunk.path, label) for key, (label, _) in _share_entries(plan, doc, provider).items()}


def _provider_options(provider: Provider) -> dict[str, object]:
    # What else changes a provider's answer (Claude: effort and thinking). The offline provider has
    # none, so its keys are what they always were.
    options = getattr(provider, "cache_options", None)
    return dict(options) if isinstance(options, Mapping) else {}


def _chunk_key_for(chunk: Chunk, provider: Provider, prompt_version: str, extra: Mapping[str, object]) -> str:
    return content_key(
        "chunk",
        # The overlap lines (in chunk.context) are context only and left out, like Chunk.sha256 does.
        f"{_wants_overview(chunk)}\n{chunk.header}\n{chunk.scope}\n{chunk.text}",
        model=f"{provider.name}:{provider.model}",
        prompt_version=prompt_version,
        options={"language": chunk.language, "symbols": [s.id for s in chunk.symbols], **extra},
    )


def _compatible_chunk_keys(chunk: Chunk, provider: Provider) -> list[str]:
    """The keys an earlier docbot stored this chunk's answer under (same answer shape, older prompt)."""
    versions = getattr(provider, "compatible_prompt_versions", ())
    return [_chunk_key_for(chunk, provider, v, {}) for v in versions if isinstance(v, str)]


def own_code(syms: tuple[symbols.Symbol, ...], source: str) -> dict[str, str]:
    """Each symbol's own code: its lines, with every nested symbol's lines replaced by its signature.

    So a class's key does not change when a method body does, and a method's key changes with its own
    lines only (decorators, leading comment and docstring included), never with a neighbour's.
    """
    lines = source.splitlines()
    children: dict[str | None, list[symbols.Symbol]] = {}
    for sym in syms:
        children.setdefault(sym.parent, []).append(sym)
    out: dict[str, str] = {}
    for sym in syms:
        parts: list[str] = []
        at = sym.start
        for child in sorted(children.get(sym.id, []), key=lambda c: c.start):
            if child.start < at:
                continue
            parts += lines[at - 1 : child.start - 1]
            parts.append(child.signature)
            at = child.end + 1
        parts += lines[at - 1 : sym.end]
        out[sym.id] = "\n".join(parts)
    return out


# About 4,000 tokens: the whole API of a 2,000-line module; a huge generated file's outline would
# otherwise be read back (and paid for) by every one of its hundreds of chunks.
OUTLINE_MAX_CHARS = 16_000


def outline(syms: tuple[symbols.Symbol, ...], max_chars: int = OUTLINE_MAX_CHARS) -> str:
    """Every symbol of a file with its kind and first signature line; no line numbers, so a file whose
    definitions only moved keeps its outline (and its cached prompt prefix). The file overview's
    request has an outline of its own, with whole signatures (``overview.outline``).

    Longer than ``max_chars``: the top-level symbols only, cut where the budget ends, with a count of
    what was left out.
    """

    def line(s: symbols.Symbol) -> str:
        return f"- {s.id} ({s.kind}): {s.signature.splitlines()[0] if s.signature else ''}"

    lines = [line(s) for s in syms]
    if sum(len(x) + 1 for x in lines) <= max_chars:
        return "\n".join(lines)
    kept: list[str] = []
    used = 0
    for s in syms:
        text = line(s)
        if s.parent is not None:
            continue
        if used + len(text) + 1 > max_chars:
            break
        kept.append(text)
        used += len(text) + 1
    return "\n".join([*kept, f"- ... and {len(syms) - len(kept)} more symbols"])


def symbol_key(sym: symbols.Symbol, f: SourceFile, provider: Provider) -> str:
    """One symbol's key: its own code, its overload set, the signatures enclosing it, the language, the
    model, the prompt version and the provider's options. Not its lines' numbers, not its neighbours."""
    by_id = {s.id: s for s in f.symbols}
    scope: list[str] = []
    parent = sym.parent
    while parent is not None and parent in by_id and len(scope) < 64:
        scope.append(by_id[parent].signature)
        parent = by_id[parent].parent
    return content_key(
        "symbol",
        "\n\0\n".join([sym.id, sym.kind, f.own_code.get(sym.id, sym.sha256), *sym.overloads, "\0", *scope]),
        model=f"{provider.name}:{provider.model}",
        prompt_version=provider.prompt_version,
        options={"language": f.language, **_provider_options(provider)},
    )


@dataclass(frozen=True)
class _Plan:
    """What one chunk that missed at chunk level still needs, after the symbol-level lookup."""

    key: str
    chunk: Chunk
    file: SourceFile
    known: Mapping[str, SymbolDoc]  # symbol id -> cached answer
    asked: tuple[str, ...]  # ids whose symbol keys missed
    want_overview: bool  # a chunk without symbols: the note on its module-level lines is asked for
    reused_usd: float  # what the cached parts originally cost

    @property
    def needs_request(self) -> bool:
        return bool(self.asked) or self.want_overview


def dispatch_order(plans: Sequence[_Plan]) -> list[_Plan]:
    """The order requests are sent in: the longest and the shortest of what is left, by turns.

    A reply's length and latency grow with the symbols asked for. Longest first alone makes the last
    replies short, so few slots stand idle at the end of a run, but it sends all the output-heavy
    requests together and then all the input-heavy small ones: at a tier bound by its token buckets the
    output bucket binds for the first half and the input bucket for the second, which costs more than
    a mix. By turns, the long ones still go early, each stretch of the run draws on both buckets
    alike, and the run ends on middling ones. Ties keep the plans' order.
    """
    ordered = sorted(plans, key=lambda p: len(p.asked), reverse=True)
    out: list[_Plan] = []
    lo, hi = 0, len(ordered) - 1
    while lo <= hi:
        out.append(ordered[lo])
        if lo != hi:
            out.append(ordered[hi])
        lo, hi = lo + 1, hi - 1
    return out


def _symbol_docs(entries: Mapping[str, CacheEntry]) -> dict[str, SymbolDoc]:
    out: dict[str, SymbolDoc] = {}
    for key, entry in entries.items():
        doc = json.loads(entry.value)["doc"]
        out[key] = SymbolDoc(
            name=doc["name"],
            summary=doc["summary"],
            description=doc["description"],
            params=tuple((p[0], p[1]) for p in doc["params"]),
            returns=doc["returns"],
            raises=tuple(doc["raises"]),
            example=doc["example"],
            notes=tuple(doc["notes"]),
        )
    return out


def plan_symbols(
    missed: Mapping[str, tuple[Chunk, SourceFile]], *, cache: Cache, provider: Provider, force: bool
) -> tuple[_Plan, ...]:
    """The symbol-level lookup for the chunks that missed: per chunk, what is cached and what to ask."""
    sym_keys = {
        key: {s.id: symbol_key(s, f, provider) for s in chunk.symbols} for key, (chunk, f) in missed.items()
    }
    wanted = [k for keys in sym_keys.values() for k in keys.values()]
    sym_hits = {} if force else cache.get_many(wanted, validate=symbol_answer)
    sym_docs = _symbol_docs(sym_hits)
    plans = []
    for key, (chunk, f) in missed.items():
        keys = sym_keys[key]
        # A cached doc answers under the id it has now (a symbol moved to another chunk keeps its key).
        known = {i: replace(sym_docs[k], name=i) for i, k in keys.items() if k in sym_docs}
        reused = sum(sym_hits[keys[i]].cost_usd for i in known)
        plans.append(
            _Plan(
                key=key,
                chunk=chunk,
                file=f,
                known=known,
                asked=tuple(i for i in keys if i not in known),
                want_overview=_wants_overview(chunk),
                reused_usd=reused,
            )
        )
    return tuple(plans)


def _assemble(plan: _Plan, fresh: ChunkDoc | None, model: str) -> ChunkDoc:
    """A chunk's answer from its cached symbols and the fresh answer for the rest, in source order."""
    answered = {s.name: s for s in fresh.symbols} if fresh else {}
    docs = []
    for sym in plan.chunk.symbols:
        doc = plan.known.get(sym.id) or answered.get(sym.id)
        if doc is not None:
            docs.append(doc)
    ids = {s.id for s in plan.chunk.symbols}
    docs += [s for s in (fresh.symbols if fresh else ()) if s.name not in ids]  # invented: merge counts them
    return ChunkDoc(
        overview=fresh.overview if fresh else None,
        symbols=tuple(docs),
        model=fresh.model if fresh else model,
        usage=fresh.usage if fresh else Usage(),
    )


class _WarmUp:
    """Writes each multi-request file's shared prompt prefix once, before its chunks go out together.

    The first request of such a file sends the provider's warm-up (``max_tokens: 0``) and the file's
    other requests wait for it, so they read the prefix instead of each writing it. Providers without
    a prompt cache (no ``warm`` method) skip this. The warm-up's cost goes to the request that sent it;
    if that request then fails, it is kept here (``unclaimed``) for the report.
    """

    def __init__(self, provider: Provider, paths: set[str]) -> None:
        warm = getattr(provider, "warm", None)
        self._warm: Callable[[DocRequest], Usage] | None = warm if callable(warm) else None
        self._locks = {path: threading.Lock() for path in paths}
        self._done: set[str] = set()
        self._meter = UsageMeter()

    def before(self, request: DocRequest) -> Usage:
        """Warm the file's prefix if no request of it has yet; what that cost (else nothing)."""
        lock = self._locks.get(request.chunk.path)
        if self._warm is None or lock is None:
            return Usage()
        with lock:
            if request.chunk.path in self._done:
                return Usage()
            self._done.add(request.chunk.path)
            return self._warm(request)

    def unclaimed(self, usage: Usage) -> None:
        self._meter.add(usage)

    def usage(self) -> Usage:
        """The warm-ups whose request failed: sent and billed all the same."""
        return self._meter.total()


def _chunk_entry(doc: ChunkDoc, cost_usd: float) -> CacheEntry:
    """A chunk's entry; ``cost_usd`` is what all of its answer cost, parts reused from the cache included."""
    return CacheEntry(
        value=json.dumps(doc.to_json()),
        model=doc.model,
        created=time.time(),
        input_tokens=doc.usage.input_tokens,
        output_tokens=doc.usage.output_tokens,
        cost_usd=cost_usd,
    )


def _share_entries(plan: _Plan, fresh: ChunkDoc, provider: Provider) -> dict[str, tuple[str, CacheEntry]]:
    """Symbol entries for what ``fresh`` answered (key -> (what it holds, entry)), each
    with its share of the cost, by the length of its answer: output tokens dominate what a request
    costs."""
    items: list[tuple[str, str, str]] = []
    asked = set(plan.asked)
    by_id = {s.id: s for s in plan.chunk.symbols}
    for doc in fresh.symbols:
        if doc.name in asked:
            value = json.dumps({"doc": asdict(doc), "model": fresh.model})
            items.append((symbol_key(by_id[doc.name], plan.file, provider), f"symbol {doc.name}", value))
    total = sum(len(v) for _, _, v in items) or 1
    u = fresh.usage
    now = time.time()
    return {
        key: (
            label,
            CacheEntry(
                value=value,
                model=fresh.model,
                created=now,
                input_tokens=u.input_tokens * len(value) // total,
                output_tokens=u.output_tokens * len(value) // total,
                cost_usd=u.cost_usd * len(value) / total,
            ),
        )
        for key, label, value in items
    }


def render_pages(
    files: tuple[SourceFile, ...],
    hits: PageHits,
    answers: Answers,
    *,
    out_dir: str,
    cache: Cache,
    provider: Provider,
    overviews: overview.Overviews | None = None,
    links: PageLinks | None = None,
    others: Callable[[], Iterable[tuple[str, str]]] = tuple,
) -> Pages:
    """One page per file: the cached page, or merged from its chunks' answers; a file whose chunks failed
    gets none (its previous page stays as it was). ``links``: where the pages link (default: relative
    source links, no cross-page links). ``others``: the pages already written that this run keeps
    (path, Markdown), read only when a page is cut: their links to it count like this run's."""
    links = links or PageLinks(out_dir=out_dir)
    pages: list[tuple[str, str]] = []
    sources: dict[str, str] = {}
    failed: list[FileOutcome] = []
    overview_failed: list[FileOutcome] = []
    cut: list[FileOutcome] = []
    cut_docs: dict[str, FileDoc] = {}
    static = invented = 0
    fresh: dict[str, CacheEntry] = {}
    file_keys = {_file_key(f, provider, links): f.path for f in files}
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
            file_overview=overviews.texts.get(f.path) if overviews else None,
            overview_asked=overviews is not None,
        )
        static += len(doc.missing)
        invented += doc.invented
        rendered = render_bounded(doc, links)
        text = rendered.text
        pages.append((page, text))
        sources[page] = f.path
        if rendered.left_out:
            # Rendered again below, recorded in the report, and not cached: the next run says so again.
            cut_docs[page] = doc
            continue
        if overviews is not None and f.path in overviews.errors:
            # Published without its overview, and not cached: the next run asks for it again.
            overview_failed.append(FileOutcome(f.path, overviews.errors[f.path]))
            continue
        # The page entry carries the original cost of all its chunks (cached ones included), so a
        # later page hit reports what it really saved.
        usage = [answers.docs[k].usage for k in keys]
        fresh[_file_key(f, provider, links)] = CacheEntry(
            value=text,
            model=provider.model,
            created=time.time(),
            input_tokens=sum(u.input_tokens for u in usage),
            output_tokens=sum(u.output_tokens for u in usage),
            cost_usd=sum(u.cost_usd for u in usage)
            + (overviews.costs.get(f.path, 0.0) if overviews else 0.0),
        )
    # A cut page keeps, on its cap note, the anchors of its cut symbols that any page links to.
    if cut_docs:
        rewritten = {page for page, _ in pages}
        linked = linked_anchors([*pages, *((p, t) for p, t in others() if p not in rewritten)])
    else:
        linked = {}
    for i, (page, _) in enumerate(pages):
        if page in cut_docs:
            doc = cut_docs[page]
            rendered = render_bounded(doc, links, linked.get(page, frozenset()))
            pages[i] = (page, rendered.text)
            cut.append(FileOutcome(sources[page], _cut_reason(rendered.left_out, len(doc.sections), links)))
    not_stored = tuple(
        FileOutcome(file_keys[key], f"page: {reason}") for key, reason in cache.put_many(fresh).items()
    )
    return Pages(
        tuple(pages), sources, tuple(failed), static, invented, not_stored, tuple(overview_failed), tuple(cut)
    )


def written_pages(root: Path, out_dir: str, max_bytes: int) -> list[tuple[str, str]]:
    """The Markdown files in the working tree's docs folder, as (path, text): what the pages a run
    leaves alone link to. Best effort: a file that cannot be read is left out, and each is read no
    further than a page may be long (``max_bytes``)."""
    base = root / out_dir
    if base.is_symlink() or not base.is_dir():
        return []
    out = []
    for path in sorted(base.rglob("*.md")):
        if path.is_symlink() or not path.is_file():
            continue
        try:
            with path.open("rb") as fh:
                text = fh.read(max_bytes + 1).decode("utf-8", errors="replace")
        except OSError:
            continue
        out.append((path.relative_to(root).as_posix(), text))
    return out


def _cut_reason(left_out: int, total: int, links: PageLinks) -> str:
    return f"page cut at {links.max_bytes:,} bytes (max_page_bytes): {left_out} of {total} symbols left out"


def _named(sym: symbols.Symbol, *, in_tests: bool) -> tuple[str, str, bool]:
    # A common word in backticks (`paths`, `name`) must not link to some other file's variable of that
    # name: data is linked from other pages only by its qualified name (`Config.paths`); a test module's
    # symbols (`site`, a fixture) are linked from their own page only.
    shared = not in_tests and (sym.kind not in symbols.DATA_KINDS or "." in sym.name)
    return sym.name, sym.id, shared


def page_links(
    files: tuple[SourceFile, ...],
    *,
    out_dir: str,
    repo_url: str | None,
    commit: str,
    max_page_bytes: int = MAX_PAGE_BYTES,
) -> PageLinks:
    """Where the run's pages link: source lines on ``repo_url`` at ``commit`` (relative without one),
    and the names of every symbol the run documents, for cross-links between its pages; and the
    pages' size cap."""
    names = NameIndex.build(
        {
            page_path(out_dir, f.path): [_named(s, in_tests=is_test_source(f.path)) for s in f.symbols]
            for f in files
        },
        sources={page_path(out_dir, f.path): f.path for f in files},
    )
    return PageLinks(
        out_dir=out_dir, source=SourceLinks(repo_url, commit), names=names, max_bytes=max_page_bytes
    )


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
    repo_url: str | None = None,
    batches: BatchRunner | None = None,
    progress: Progress = NO_PROGRESS,
    wall: Callable[[], float] = time.time,
) -> RunResult | Skip:
    """Document what changed between ``spec.base`` and ``spec.head``; return the report and the pages.

    Each symbol's lines link to the repository's web page at ``settings.repository_url``, else
    ``repo_url`` (the event's repository), else the one the ``origin`` remote names; relative without.

    ``batches`` sends the misses through the Message Batches API when it wants them (``batch`` setting).
    ``clock`` times the run; ``wall`` (epoch seconds, shared by every runner) dates the record of when
    the system block was last sent (``llm/system_lifetime.py``).

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
    # Links are drawn over the whole selection, before sharding: every shard and the final job then
    # render (and cache) the same page for a file.
    remote = git.try_remote_url()
    links = page_links(
        selection.files,
        out_dir=out_dir,
        repo_url=settings.repository_url or repo_url or (web_url(remote) if remote else None),
        commit=span.head,
        max_page_bytes=settings.max_page_bytes,
    )
    if settings.shard is not None:
        # This job's part of the same deal every shard computes; pages are the final job's business.
        mine = shard.partition(selection.files, settings.shard.count)[settings.shard.index - 1]
        selection = replace(selection, files=tuple(mine), deletions=())
    if settings.publish_only:
        provider = shard.CacheOnly(provider)
        batches = None  # the final job sends nothing, in batches or not
    budget: str | None = None
    if settings.llm.max_cost_usd is not None:
        from docbot import estimate as costs  # it builds on this module: imported here, not at the top

        selection, budget = costs.guard(
            selection, changes, settings, cache=cache, provider=provider, force=spec.force, batches=batches,
            wall=wall,
        )  # fmt: skip
    shard_reports, unreadable = shard.read_shard_reports(_matching(settings.repo, settings.shard_reports))
    hits = cached_pages(selection.files, cache=cache, provider=provider, force=spec.force, links=links)
    # The overviews the cache holds, looked up once: how many requests follow the chunks' (they read
    # the same cached system block), and, when the run may batch, the missing ones go in its batch.
    overview_requests: list[OverviewRequest] = []
    overview_hits: dict[str, CacheEntry] = {}
    batch_overviews: dict[str, OverviewRequest] = {}
    if isinstance(provider, OverviewProvider):
        overview_requests = [f.overview_request() for f in selection.files if f.path not in hits.pages]
        overview_hits = overview.found(overview_requests, cache=cache, provider=provider, force=spec.force)
        if batches is not None and batches.may_batch():
            batch_overviews = overview.missing(overview_requests, provider=provider, hits=overview_hits)
    overviews_due = len(overview_requests) - len(overview_hits)
    system_key, sent = system_sent(cache, provider)
    keep_hour = sent is not None and sent.recent(wall())
    answers = document_chunks(
        [f for f in selection.files if f.path not in hits.pages],
        cache=cache,
        provider=provider,
        max_concurrency=settings.llm.max_concurrency,
        force=spec.force,
        batches=batches,
        progress=progress,
        symbol_index=truth.index(s for f in selection.files for s in f.symbols),
        overviews=batch_overviews,
        later_requests=overviews_due,
        keep_system_hour=keep_hour,
    )
    cache_system, long_run = overview_marks(answers.requests, overviews_due, keep_hour=keep_hour)
    # Overviews only for the files whose chunks all have answers: the others get no page anyway.
    to_ask = [
        f
        for f in selection.files
        if f.path not in hits.pages and not any(_chunk_key(c, provider) in answers.errors for c in f.chunks)
    ]
    # The one overview mechanism: a request of its own per file, answered by the run's batch when it
    # had one, else interactively. A provider that cannot write one (no ``overview``) leaves its pages
    # without an overview.
    bulk = answers.batch
    asked = (
        overview.document_overviews(
            [replace(f.overview_request(), cache_system=cache_system, long_run=long_run) for f in to_ask],
            cache=cache,
            provider=provider,
            max_concurrency=settings.llm.max_concurrency,
            force=spec.force,
            batched=bulk.docs if bulk else None,
            unfinished=bulk.unfinished if bulk else None,
            hits=overview_hits,
        )
        if isinstance(provider, OverviewProvider)
        else overview.Overviews()
    )
    if system_key is not None and answers.usage.requests + asked.usage.requests > 0:
        system_lifetime.record(cache, system_key, system_lifetime.Sent(wall(), long_run))
    pages = render_pages(
        selection.files, hits, answers, out_dir=out_dir, cache=cache, provider=provider, overviews=asked,
        links=links, others=lambda: written_pages(settings.repo, out_dir, settings.max_page_bytes),
    )  # fmt: skip
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
        cache_symbol_hits=answers.symbol_hits,
        cache_symbol_misses=answers.symbol_misses,
        cache_not_stored=list(
            answers.not_stored + pages.not_stored + tuple(FileOutcome(*n) for n in asked.not_stored)
        ),
        usage=answers.usage + asked.usage,
        saved_usd=hits.saved_usd + answers.saved_usd + asked.saved_usd,
        symbols_static=pages.symbols_static,
        symbols_invented=pages.symbols_invented,
        overviews_failed=list(pages.overview_failed),
        pages_cut=shard.with_shard_cuts(pages.cut, shard_reports),
        quality_unknown_names=answers.quality.unknown_names,
        quality_dropped_params=answers.quality.dropped_params,
        quality_reasked=answers.quality.reasked,
        duration_s=clock() - started,
        currency=settings.llm.currency,
        currency_rate=settings.llm.currency_rate,
        language=settings.llm.language,
        instructions_chars=len(settings.llm.instructions),
        page_sources=dict(pages.sources),
        batch=_batch_summary(answers.batch),
        budget=budget,
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


def _batch_summary(outcome: BatchOutcome | None) -> BatchSummary | None:
    if outcome is None:
        return None
    return BatchSummary(
        created=outcome.created,
        resumed=outcome.resumed,
        answered=len(outcome.docs),
        fallback=len(outcome.fallback),
        unfinished=len(outcome.unfinished),
        cost_usd=sum(d.usage.cost_usd for d in outcome.docs.values()) + outcome.failed_usage.cost_usd,
    )
