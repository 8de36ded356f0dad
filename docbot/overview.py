"""The file overview: one per page, written from the whole file rather than from its first chunk.

A provider is asked once per file (``OverviewRequest``) with the file's outline (every symbol's
signature, nested by depth) and its existing module documentation. The answer is cached under its own
key, the outline's hash with the provider, model and prompt version, so an edit inside a function
body leaves the overview alone, and a new, removed or re-signed symbol asks for it again.

When the run batches, the overviews that miss (``missing``) go in the chunks' Message Batch; the
batch stores each answer as its batch ends, and ``document_overviews`` takes them from there and asks
interactively only what the batch could not answer. An interactive answer is stored through the
write-behind buffer as soon as it is parsed, so a run killed halfway keeps the overviews it paid for.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field

from docbot import doccomments
from docbot.cache import Cache, CacheEntry, content_key
from docbot.cache.shapes import overview_answer
from docbot.cache.writebehind import WriteBehind
from docbot.docs import ChunkDoc, Usage
from docbot.errors import DocbotError
from docbot.llm.base import OverviewProvider, OverviewRequest
from docbot.symbols import Symbol

_PY_MODULE_DOC = re.compile(r'^\s*(?:#[^\n]*\n\s*)*[rRuU]?("""|\'\'\')(.*?)\1', re.DOTALL)
_COMMENT_START = {"ruby": ("#",)}  # every other language with symbols comments with // and /* */
_C_COMMENTS = ("//", "/*")
# A leading comment that is a licence header says nothing about what the file is for.
_LICENCE = re.compile(r"copyright|licen[cs]e|spdx-license-identifier", re.IGNORECASE)
_MARKERS = re.compile(r"^(//!|///?|/\*[*!]?|\*/|\*(?!/)|#+|--)\s?")
_HEADER_BLOCKS = 4  # comment blocks read at the top of a file: licence headers, then its own


def outline(symbols: Sequence[Symbol]) -> str:
    """Every symbol's kind and whole signature, indented by its depth, in source order."""
    lines: list[str] = []
    for sym in symbols:
        pad = "  " * sym.depth
        signature = "\n".join(pad + "  " + line for line in sym.signature.splitlines()).lstrip()
        lines.append(f"{pad}- {sym.kind} {sym.name}: {signature}")
    return "\n".join(lines)


def _leading_comment(text: str, language: str, start: int = 0) -> tuple[list[str], int]:
    """The lines of the comment block at the top of ``text`` (from its 0-based line ``start`` on) and
    the 1-based line after it."""
    block: list[str] = []
    lines = text.splitlines()
    i = start
    while i < len(lines) and not lines[i].strip():
        i += 1
    starts = _COMMENT_START.get(language, _C_COMMENTS)
    in_block = False
    while i < len(lines):
        stripped = lines[i].strip()
        if in_block or (stripped.startswith(starts) and not stripped.startswith("#!")):
            block.append(stripped)
            in_block = (in_block or stripped.startswith("/*")) and "*/" not in stripped
            i += 1
        elif stripped.startswith("#!"):  # a shebang line comes before the file's comment
            i += 1
        else:
            break
    return block, i + 1


def module_doc(text: str, language: str, first_symbol_start: int | None) -> str | None:
    """The file's own documentation: the whole module docstring (Python) or the leading comment.

    A leading comment directly above the first symbol is that symbol's doc comment, and is not
    returned; a licence header is not documentation either, and the comment block after it is read.
    """
    if language == "python":
        match = _PY_MODULE_DOC.match(text)
        return match.group(2).strip() or None if match else None
    after = 1
    for _ in range(_HEADER_BLOCKS):
        block, after = _leading_comment(text, language, after - 1)
        if not block or (first_symbol_start is not None and first_symbol_start < after):
            return None
        body = "\n".join(_MARKERS.sub("", line.removesuffix("*/").rstrip()) for line in block).strip()
        if body and not _LICENCE.search(body):
            return body
        # A licence header (or a vendoring note) comes first: the file's own comment may follow it,
        # as a Rust crate's `//!` docs or a Go file's package comment follow their copyright lines.
    return None


def render_doc(text: str, language: str) -> str:
    """A module's documentation as page prose: parsed like a docstring, never pasted raw."""
    comment = doccomments.parse(text, language)
    paragraphs = [p for p in comment.description.split("\n\n") if p.strip()]
    first = " ".join(text.strip().split("\n\n", 1)[0].split())
    if paragraphs and first != comment.summary:
        # The first paragraph goes on after its first sentence: keep it one paragraph (a line break, so
        # a list that follows the sentence stays a list).
        paragraphs[0] = f"{comment.summary}\n{paragraphs[0]}"
    else:
        paragraphs.insert(0, comment.summary)
    parts = paragraphs
    parts += [f"```\n{example}\n```" for example in comment.examples]
    parts += [v.sentence() for v in comment.versions] + list(comment.notes)
    return "\n\n".join(p for p in parts if p.strip())


def overview_key(
    path: str,
    language: str,
    text: str,
    *,
    provider: str,
    model: str,
    prompt_version: str,
    options: Mapping[str, object] | None = None,
) -> str:
    """The overview's cache key: what the provider sees (outline and module documentation), who answers
    and how (``options``: the provider's ``cache_options``, Claude's effort and thinking)."""
    return content_key(
        "overview",
        text,
        model=f"{provider}:{model}",
        prompt_version=prompt_version,
        options={"path": path, "language": language, **(options or {})},
    )


@dataclass(frozen=True)
class Overviews:
    """Every file's overview, from the cache or the provider, and what asking cost."""

    texts: Mapping[str, str | None] = field(default_factory=dict)  # source path -> overview
    errors: Mapping[str, str] = field(default_factory=dict)  # source path -> why it failed
    costs: Mapping[str, float] = field(default_factory=dict)  # source path -> what its overview cost
    usage: Usage = field(default_factory=Usage)
    saved_usd: float = 0.0
    not_stored: tuple[tuple[str, str], ...] = ()  # (source path, why)


def _keyed(requests: Sequence[OverviewRequest], provider: OverviewProvider) -> dict[str, OverviewRequest]:
    return {
        overview_key(
            r.path,
            r.language,
            r.text,
            provider=provider.name,
            model=provider.model,
            prompt_version=provider.prompt_version,
            options=_options(provider),
        ): r
        for r in requests
    }


def _cached(keys: Sequence[str], *, cache: Cache, force: bool) -> dict[str, CacheEntry]:
    """What the cache holds for these overview keys (``force``: nothing is looked up)."""
    return {} if force or not keys else cache.get_many(list(keys), validate=overview_answer)


def found(
    requests: Sequence[OverviewRequest], *, cache: Cache, provider: OverviewProvider, force: bool = False
) -> dict[str, CacheEntry]:
    """The cached entries of ``requests``, by key: looked up once, before the chunks, so the run knows
    how many overview requests will follow (they share the chunks' cached system block)."""
    return _cached(list(_keyed(requests, provider)), cache=cache, force=force)


def missing(
    requests: Sequence[OverviewRequest], *, provider: OverviewProvider, hits: Mapping[str, CacheEntry]
) -> dict[str, OverviewRequest]:
    """The requests whose overview is not among ``hits`` (what ``found`` read for them), by their cache
    key (a batch's custom_id)."""
    return {key: r for key, r in _keyed(requests, provider).items() if key not in hits}


def lookup(
    requests: Sequence[OverviewRequest], *, cache: Cache, provider: OverviewProvider, force: bool = False
) -> tuple[list[CacheEntry], list[OverviewRequest]]:
    """The overview entries ``document_overviews`` would find, and the requests it would send."""
    hits = found(requests, cache=cache, provider=provider, force=force)
    return list(hits.values()), list(missing(requests, provider=provider, hits=hits).values())


def entry(doc: ChunkDoc) -> CacheEntry:
    """The cache entry of one overview answer, with what it cost."""
    return CacheEntry(
        value=json.dumps({"overview": doc.overview, "model": doc.model}),
        model=doc.model,
        created=time.time(),
        input_tokens=doc.usage.input_tokens,
        output_tokens=doc.usage.output_tokens,
        cost_usd=doc.usage.cost_usd,
    )


def document_overviews(
    requests: Sequence[OverviewRequest],
    *,
    cache: Cache,
    provider: OverviewProvider,
    max_concurrency: int,
    force: bool = False,
    batched: Mapping[str, ChunkDoc] | None = None,
    unfinished: Mapping[str, str] | None = None,
    hits: Mapping[str, CacheEntry] | None = None,
) -> Overviews:
    """One overview per file: the cached one when the outline is unchanged, else the provider's.

    Args:
        batched: answers the run's Message Batch gave, by request key. They were stored as their batch
            ended and their cost is counted with the batch's, so neither is done again here.
        unfinished: request key -> why its batch has not ended; not asked again (the next run collects
            the batch), the page goes without an overview this time.
        hits: the entries ``found`` already read for these requests (then nothing is looked up again).
    """
    keyed = _keyed(requests, provider)
    texts: dict[str, str | None] = {}
    costs: dict[str, float] = {}
    errors: dict[str, str] = {}
    saved = 0.0
    for key, answer in (batched or {}).items():
        if key in keyed:
            texts[keyed[key].path] = answer.overview
            costs[keyed[key].path] = answer.usage.cost_usd
    for key, reason in (unfinished or {}).items():
        if key in keyed:
            errors[keyed[key].path] = f"overview: {reason}"
    to_look_up = [k for k, r in keyed.items() if r.path not in texts and r.path not in errors]
    if hits is None:
        hits = _cached(to_look_up, cache=cache, force=force)
    for key, found in ((k, hits[k]) for k in to_look_up if k in hits):
        texts[keyed[key].path] = json.loads(found.value)["overview"]
        costs[keyed[key].path] = found.cost_usd
        saved += found.cost_usd
    misses = [key for key in to_look_up if keyed[key].path not in texts]

    # The provider's failed requests were sent (and maybe billed) too; what failed before this was
    # counted by the chunk stage, so only what the overview requests add is counted here.
    failed_usage = getattr(provider, "failed_usage", None)
    failed_before = failed_usage() if callable(failed_usage) else Usage()

    # Each answer is buffered for the cache by the thread that got it, the moment it is parsed.
    buffer = WriteBehind(cache)

    def ask(key: str) -> tuple[str, ChunkDoc | None, str | None]:
        try:
            doc = provider.overview(keyed[key])
        except DocbotError as exc:
            return key, None, str(exc) or type(exc).__name__
        buffer.add(key, entry(doc))
        return key, doc, None

    usage = Usage()
    pool = ThreadPoolExecutor(max_workers=max(1, max_concurrency), thread_name_prefix="docbot-overview")
    try:
        pending: set[Future[tuple[str, ChunkDoc | None, str | None]]] = {
            pool.submit(ask, key) for key in misses
        }
        while pending:
            done, pending = wait(pending, timeout=buffer.interval_s, return_when=FIRST_COMPLETED)
            buffer.flush_if_due()  # also when no answer came in for a while
            for future in done:
                key, doc, error = future.result()
                path = keyed[key].path
                if doc is None:
                    errors[path] = f"overview: {error}"
                    continue
                texts[path] = doc.overview
                costs[path] = doc.usage.cost_usd
                usage += doc.usage
    finally:
        # On SIGTERM/SIGINT (raised here in the main thread): store what was answered, send nothing
        # more, let the requests in flight finish (they are paid for) and store their answers too.
        buffer.flush()
        pool.shutdown(wait=True, cancel_futures=True)
        buffer.flush()
    if callable(failed_usage):
        usage += _difference(failed_usage(), failed_before)
    not_stored = tuple((keyed[key].path, f"overview: {reason}") for key, reason in buffer.refused.items())
    return Overviews(texts, errors, costs, usage, saved, not_stored)


def _options(provider: OverviewProvider) -> Mapping[str, object]:
    options = getattr(provider, "cache_options", None)
    return dict(options) if isinstance(options, Mapping) else {}


def _difference(after: Usage, before: Usage) -> Usage:
    return Usage(**{k: getattr(after, k) - getattr(before, k) for k in Usage.__dataclass_fields__})
