"""What a run would cost, before it sends anything: ``docbot estimate`` and the budget guard.

The same selection as ``run`` (``pipeline.select_files``), the same page and chunk lookups, so what
would be sent is exactly the misses. Each miss is priced from the request the run would send
(``prompt.build_params``, and ``prompt.build_overview_params`` for each file overview not cached):
its prompt tokens from the API's free ``count_tokens`` when the provider has
it (else a character count), its output tokens from what past answers of the same model cost per
documented unit (a symbol, or the overview) as recorded in the cache entries this lookup found, and
their share of cache-read and cache-write tokens. Before any such history the defaults below apply, and
the range is wider. Batch pricing is applied to every request, overviews included, when the run would
batch: they go in the same Message Batch.

The budget guard (``fit_budget``) keeps the files whose worst case (the reservation the client's
guard makes per request) fits ``max_cost_usd`` together, in priority order: files with the most changed
public symbols first. A run none of whose files fit is refused before its first request.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from docbot import overview, pipeline
from docbot.cache import Cache, CacheEntry
from docbot.cache.shapes import chunk_answer
from docbot.changes import FileChange
from docbot.chunking import Chunk
from docbot.config import LlmSettings, Settings
from docbot.docs import ChunkDoc
from docbot.events import RunSpec
from docbot.git import Git
from docbot.llm.base import DocRequest, OverviewProvider, OverviewRequest, Provider
from docbot.llm.pricing import ModelPrice, TokenUsage, cost_usd, worst_case_cost_usd
from docbot.llm.prompt import asked_names, build_overview_params, build_params, estimate_prompt_tokens
from docbot.plural import count
from docbot.report import FileOutcome

if TYPE_CHECKING:
    from docbot.llm.batch import BatchRunner

# Output tokens per documented symbol before the cache holds any answer of the model: the middle of
# what the loopback Messages API's schema-shaped answers measure on the benchmark's cold runs (65 per
# symbol on push-1000's small modules to 83 on large-file's long qualified names;
# docs/performance.md). Claude's prose is longer, so without history the range reaches
# HIGH_WITHOUT_HISTORY times this.
DEFAULT_OUTPUT_PER_UNIT = 74.0
# A file overview's request without cached overviews: what that server's overview answers measure
# (its JSON wrapper and one sentence). An overview is not a symbol: its answer is one field.
DEFAULT_OVERVIEW_OUTPUT = 13.0
# How far the output may stray from the prediction: measured answers vary by this much per chunk.
LOW_FACTOR, HIGH_FACTOR = 0.75, 1.5
LOW_WITHOUT_HISTORY, HIGH_WITHOUT_HISTORY = 0.5, 4.0


@dataclass(frozen=True)
class History:
    """What past answers of one model used: output per documented unit (the prompt's cache reads and
    writes follow from the request layout, ``_PromptCache``)."""

    answers: int = 0
    output_per_unit: float = DEFAULT_OUTPUT_PER_UNIT
    # Output tokens of one file overview request, from the cached overviews; None: ``output_per_unit``.
    overview_output: float | None = None

    @classmethod
    def of(cls, docs: Iterable[ChunkDoc], model: str) -> History:
        """The ratios of the answers among ``docs`` that ``model`` wrote and that were paid for."""
        paid = [d for d in docs if d.model == model and d.usage.output_tokens > 0]
        units = sum(_units(d) for d in paid)
        if not paid or not units:
            return cls()
        return cls(answers=len(paid), output_per_unit=sum(d.usage.output_tokens for d in paid) / units)


def _units(doc: ChunkDoc) -> int:
    return len(doc.symbols) + (1 if doc.overview else 0)


@dataclass(frozen=True)
class Planned:
    """One request the run would send: its file, chunk and whether it asks for the overview of the
    chunk's module-level lines; or, with ``overview`` set, the file's overview request instead."""

    path: str
    chunk: Chunk
    want_overview: bool
    names: tuple[str, ...] | None = None  # the symbols asked (None: all the chunk's), as the run asks
    overview: OverviewRequest | None = None
    # The request exactly as the run builds it (outline, prompt-cache marks); None: built from the above.
    request: DocRequest | None = None


@dataclass
class _PromptCache:
    """Which prefixes the run will have written by the time each request goes out, in run order.

    The system block is written by the first request that marks it and read by every later one. A
    file block that is marked (the file sends several requests) is written once by the file's
    warm-up (``max_tokens: 0``, sent interactively before its chunks), then read by each of them;
    without a warm-up (a batch) the file's first request writes the prefix.
    """

    system: bool = False
    files: set[str] = field(default_factory=set)

    def split(self, params: dict[str, Any], prompt: int, path: str, *, warm_up: bool) -> _Split:
        """How the prompt's tokens are billed: read from the cache, written to it, or neither; and
        what a warm-up sent before it costs."""
        system_mark = params["system"][0].get("cache_control")
        content = params["messages"][0]["content"]
        file_mark = content[0].get("cache_control") if len(content) > 1 else None
        everything = _characters(params)
        system = prompt * _characters({"system": params["system"], "messages": [], **_schema(params)})
        system //= everything
        file = prompt * _characters({"system": [], "messages": [{"content": content[:1]}]}) // everything
        split = _Split()
        first_of_file = file_mark is not None and path not in self.files
        if file_mark is not None:
            self.files.add(path)
        # The warm-up (or, without one, this request) pays for what is not yet written.
        payer = _Split() if first_of_file and warm_up else split
        if system_mark is not None:
            if self.system:
                payer.read += system
            else:
                self.system = True
                payer.add_write(system, system_mark)
        if first_of_file:
            payer.add_write(file, file_mark or {})
        if payer is not split:
            split.read += system + file
            split.warm_up = payer
        elif file_mark is not None and not first_of_file:
            split.read += file
        return split


@dataclass
class _Split:
    read: int = 0
    write_5m: int = 0
    write_1h: int = 0
    warm_up: _Split | None = None  # the warm-up request sent before this one, if any

    def add_write(self, tokens: int, mark: dict[str, str]) -> None:
        if mark.get("ttl") == "1h":
            self.write_1h += tokens
        else:
            self.write_5m += tokens

    def usage(self, prompt: int, output: int) -> TokenUsage:
        """This request's billed tokens, the warm-up's (its prompt is the prefix it writes) added."""
        warm = self.warm_up or _Split()
        return TokenUsage(
            input_tokens=prompt - self.read - self.write_5m - self.write_1h,
            output_tokens=output,
            cache_write_5m_tokens=self.write_5m + warm.write_5m,
            cache_write_1h_tokens=self.write_1h + warm.write_1h,
            cache_read_tokens=self.read + warm.read,
        )


def _schema(params: dict[str, Any]) -> dict[str, Any]:
    return {"output_config": params["output_config"]} if "output_config" in params else {}


@dataclass(frozen=True)
class FileCost:
    """The estimated cost of one file's requests, and its priority (changed public symbols)."""

    path: str
    requests: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    expected_usd: float = 0.0
    high_usd: float = 0.0
    worst_usd: float = 0.0  # what the client reserves before sending: every request at max_tokens
    changed_public: int = 0


@dataclass(frozen=True)
class Estimate:
    """What a run would cost: a range in USD, the expected hit rate, requests and tokens."""

    low_usd: float = 0.0
    expected_usd: float = 0.0
    high_usd: float = 0.0
    hit_rate: float = 0.0
    requests: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    batch: bool = False
    model: str = ""
    history: History = field(default_factory=History)
    files: tuple[FileCost, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "cost_usd": {
                "low": round(self.low_usd, 6),
                "expected": round(self.expected_usd, 6),
                "high": round(self.high_usd, 6),
            },
            "hit_rate": round(self.hit_rate, 4),
            "requests": self.requests,
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "cache_read_tokens": self.cache_read_tokens,
            "batch": self.batch,
            "model": self.model,
            "output_basis": self.basis,
            "files": [
                {
                    "path": f.path,
                    "requests": f.requests,
                    "expected_usd": round(f.expected_usd, 6),
                    "high_usd": round(f.high_usd, 6),
                    "worst_usd": round(f.worst_usd, 6),
                    "changed_public_symbols": f.changed_public,
                }
                for f in self.files
            ],
        }

    @property
    def basis(self) -> str:
        n = self.history.answers
        return (
            f"{count(n, 'cached answer')} of {self.model}"
            if n
            else "docbot's default (no cached answers yet)"
        )

    def line(self) -> str:
        """One sentence for a notice or a summary row."""
        batch = " at the batch price" if self.batch else ""
        return (
            f"estimated ${self.expected_usd:.4f} (${self.low_usd:.4f} to ${self.high_usd:.4f}){batch} "
            f"for {count(self.requests, 'request')}, {self.hit_rate:.0%} expected cache hit rate"
        )

    def rows(self) -> list[tuple[str, str]]:
        """(label, value) rows of the human table."""
        return [
            ("Cost (USD)", f"${self.expected_usd:.4f} expected, ${self.low_usd:.4f} to ${self.high_usd:.4f}"),
            ("Expected cache hit rate", f"{self.hit_rate:.0%}"),
            ("Requests", f"{self.requests}" + (" (Message Batches, half price)" if self.batch else "")),
            ("Tokens in / out", f"{self.input_tokens:,} / {self.output_tokens:,}"),
            ("Cache-read tokens", f"{self.cache_read_tokens:,}"),
            ("Output predicted from", self.basis),
        ]


TokenCounter = Callable[[dict[str, Any]], "int | None"]


def predict(
    planned: Sequence[Planned],
    *,
    history: History,
    price: ModelPrice | None,
    model: str,
    max_tokens: int,
    batch: bool,
    llm: LlmSettings | None = None,
    count: TokenCounter | None = None,
    hits: int = 0,
    lookups: int = 0,
    changed_public: Mapping[str, int] | None = None,
    warm_ups: bool = True,
    system_cached: bool = False,
) -> Estimate:
    """Price the requests in ``planned``.

    Args:
        history: the ratios of past answers (``History.of``).
        price: the model's price; None for a provider that costs nothing (offline).
        max_tokens: the run's first-attempt output room (a prediction never exceeds it).
        batch: the run would send these through the Message Batches API.
        count: the exact prompt tokens of a request's params, or None (then characters are counted).
        hits, lookups: the chunk lookups that hit and that were made, for the expected hit rate.
        changed_public: path -> changed public symbols, the budget guard's priority.
        warm_ups: the provider warms a file's prefix before its chunks go out (Claude does).
        system_cached: the server holds the system block already (an earlier run kept it for an hour).
    """
    low_f, high_f = (
        (LOW_FACTOR, HIGH_FACTOR) if history.answers else (LOW_WITHOUT_HISTORY, HIGH_WITHOUT_HISTORY)
    )
    per_file: dict[str, FileCost] = {}
    totals = {"low": 0.0, "expected": 0.0, "high": 0.0, "in": 0, "out": 0, "read": 0}
    cached = _PromptCache(system=system_cached)
    requests = 0
    for p in planned:
        settings = replace(llm or LlmSettings(), model=model)
        if p.overview is not None:
            params = build_overview_params(p.overview, settings, max_tokens=max_tokens)
            units = 1
        else:
            request = p.request or DocRequest(p.chunk, p.want_overview, names=p.names)
            names = asked_names(request)
            params = build_params(request, settings, max_tokens=max_tokens)
            units = len(names) + (1 if p.want_overview else 0)
        prompt = (count(params) if count else None) or _characters(params)
        # A file overview goes in the run's batch with the chunks: the same discount.
        batched = batch
        per_request = (history.overview_output or DEFAULT_OVERVIEW_OUTPUT) if p.overview is not None else None
        out = min(max_tokens, per_request or history.output_per_unit * units)
        split = cached.split(params, prompt, p.path, warm_up=warm_ups and not batched)
        requests += 1 + (split.warm_up is not None)

        def dollars(output: float, split: _Split, prompt: int = prompt, batched: bool = batched) -> float:
            if price is None:
                return 0.0
            return cost_usd(split.usage(prompt, round(output)), price, batch=batched)

        expected = dollars(out, split)
        worst = 0.0 if price is None else worst_case_cost_usd(_characters(params), max_tokens, price)
        # As if no prefix were read back (written all the same): requests that overlap all miss.
        high = dollars(min(max_tokens, out * high_f), replace(split, read=0))
        read = split.read
        totals["low"] += dollars(out * low_f, split)
        totals["expected"] += expected
        totals["high"] += high
        totals["in"] += prompt
        totals["out"] += round(out)
        totals["read"] += round(read)
        f = per_file.get(p.path) or FileCost(p.path, changed_public=(changed_public or {}).get(p.path, 0))
        per_file[p.path] = FileCost(
            f.path,
            f.requests + 1,
            f.input_tokens + prompt,
            f.output_tokens + round(out),
            f.expected_usd + expected,
            f.high_usd + high,
            f.worst_usd + worst,
            f.changed_public,
        )
    return Estimate(
        low_usd=totals["low"],
        expected_usd=totals["expected"],
        high_usd=totals["high"],
        hit_rate=hits / lookups if lookups else 0.0,
        requests=requests,
        input_tokens=int(totals["in"]),
        output_tokens=int(totals["out"]),
        cache_read_tokens=int(totals["read"]),
        batch=batch,
        model=model,
        history=history,
        files=tuple(per_file.values()),
    )


def _characters(params: dict[str, Any]) -> int:
    return estimate_prompt_tokens(params)


def priority(files: Iterable[FileCost]) -> list[FileCost]:
    """Files in the order the budget guard keeps them: most changed public symbols first, then path."""
    return sorted(files, key=lambda f: (-f.changed_public, f.path))


def fit_budget(estimate: Estimate, limit_usd: float) -> tuple[list[str], list[str]]:
    """The files whose worst case fits ``limit_usd`` together (in priority order), and the rest.

    The worst case is what the client's own guard reserves before each request (``max_tokens`` out),
    so no kept file's request is refused later, even with all of them in flight at once. A file that
    does not fit is left out and the next ones are still tried: a small file with changed public
    symbols is worth documenting even when a large one is not affordable.
    """
    kept: list[str] = []
    left: list[str] = []
    spent = 0.0
    for f in priority(estimate.files):
        if spent + f.worst_usd <= limit_usd:
            kept.append(f.path)
            spent += f.worst_usd
        else:
            left.append(f.path)
    return kept, left


def changed_public_symbols(ranges: Sequence[tuple[int, int]], symbols: Iterable[Any]) -> int:
    """How many public symbols overlap the changed line ranges (an added file: all of them)."""
    return sum(
        1 for s in symbols if s.public and any(s.start <= end and start <= s.end for start, end in ranges)
    )


def dumps(estimate: Estimate) -> str:
    return json.dumps(estimate.to_json(), indent=2)


def estimate_files(
    files: Sequence[pipeline.SourceFile],
    changes: Sequence[FileChange],
    settings: Settings,
    *,
    cache: Cache,
    provider: Provider,
    force: bool,
    batches: BatchRunner | None,
    wall: Callable[[], float] = time.time,
) -> Estimate:
    """What documenting ``files`` would cost: the run's own page and chunk lookups decide the misses.

    A provider with a ``price`` (Claude) is priced, one without (offline) costs nothing; one with
    ``count_tokens`` counts each prompt exactly, for free. The system block is priced as read from
    the prompt cache when a run kept it for an hour not long before ``wall()`` (epoch seconds).
    """
    # The pages' keys carry their links; the repository is the setting's (the event's or the remote's
    # would only change which page entries are found, never which chunks are).
    links = pipeline.page_links(
        tuple(files),
        out_dir=settings.out_dir,
        repo_url=settings.repository_url,
        commit="",
        max_page_bytes=settings.max_page_bytes,
    )
    hits = pipeline.cached_pages(tuple(files), cache=cache, provider=provider, force=force, links=links)
    # Every file's chunk entries are read, those of cached pages too: they are the history.
    chunks = {pipeline._chunk_key(c, provider): (f.path, c) for f in files for c in f.chunks}
    found = {} if force else cache.get_many(list(chunks), validate=chunk_answer)
    docs: dict[str, ChunkDoc] = {}
    for key, entry in found.items():
        try:
            docs[key] = ChunkDoc.from_json(json.loads(entry.value))
        except (ValueError, KeyError, TypeError):
            continue  # unreadable: the run would ask it again
    # The symbol-level lookup the run makes next: a chunk whose symbols are cached asks only the rest.
    file_of = {f.path: f for f in files}
    missed = {
        key: (chunk, file_of[path])
        for key, (path, chunk) in chunks.items()
        if key not in docs and not chunk.oversized and path not in hits.pages
    }
    plans = pipeline.plan_symbols(missed, cache=cache, provider=provider, force=force)
    history = History.of(docs.values(), provider.model)
    cached: list[CacheEntry] = []
    missing: list[OverviewRequest] = []
    if isinstance(provider, OverviewProvider):
        # One overview request per file whose page and overview both missed (``overview.py``); the
        # overviews found are the history of what one costs.
        asked = [f.overview_request() for f in files if f.path not in hits.pages]
        cached, missing = overview.lookup(asked, cache=cache, provider=provider, force=force)
        paid = [e.output_tokens for e in cached if e.model == provider.model and e.output_tokens > 0]
        if paid:
            history = replace(history, overview_output=sum(paid) / len(paid))
    # The requests exactly as the run builds them: narrowed, with the outline and the cache marks.
    now = wall()
    _, sent = pipeline.system_sent(cache, provider)
    keep_hour = sent is not None and sent.recent(now)
    requests = pipeline.requests_of(plans, later_requests=len(missing), keep_hour=keep_hour)
    planned = [
        Planned(p.file.path, p.chunk, p.want_overview, p.asked, request=requests[p.key])
        for p in plans
        if p.needs_request
    ]
    cache_system, long_run = pipeline.overview_marks(requests, len(missing), keep_hour=keep_hour)
    marked = [replace(r, cache_system=cache_system, long_run=long_run) for r in missing]
    planned += [Planned(r.path, file_of[r.path].chunks[0], False, overview=r) for r in marked]
    by_path = {c.path: c.changed_lines for c in changes}
    priority_of = {f.path: changed_public_symbols(by_path.get(f.path, ()), f.symbols) for f in files}
    return predict(
        planned,
        history=history,
        price=getattr(provider, "price", None),
        model=provider.model,
        max_tokens=settings.llm.max_tokens,
        batch=batches is not None and batches.wanted(len(planned)),
        llm=settings.llm,
        count=_first_failure_stops(getattr(provider, "count_tokens", None)),
        hits=hits.chunk_hits + sum(1 for path, _ in (chunks[k] for k in docs) if path not in hits.pages),
        lookups=sum(len(f.chunks) for f in files),
        changed_public=priority_of,
        warm_ups=callable(getattr(provider, "warm", None)),
        system_cached=sent is not None and sent.cached(now),
    )


def _first_failure_stops(count: TokenCounter | None) -> TokenCounter | None:
    """``count``, until it fails once: an endpoint without ``count_tokens`` is not asked a thousand times."""
    if count is None:
        return None
    failed = False

    def counted(params: dict[str, Any]) -> int | None:
        nonlocal failed
        tokens = None if failed else count(params)
        failed = failed or tokens is None
        return tokens

    return counted


def estimate_run(
    spec: RunSpec,
    settings: Settings,
    *,
    git: Git,
    cache: Cache,
    provider: Provider,
    batches: BatchRunner | None = None,
    wall: Callable[[], float] = time.time,
) -> Estimate:
    """``docbot estimate``: the same selection as ``pipeline.run``, priced instead of sent."""
    span, changes = pipeline.list_changes(spec, git)
    selection = pipeline._select(span, changes, spec, settings, git)
    return estimate_files(
        selection.files, changes, settings, cache=cache, provider=provider, force=spec.force, batches=batches,
        wall=wall,
    )  # fmt: skip


def guard(
    selection: pipeline.Selection,
    changes: Sequence[FileChange],
    settings: Settings,
    *,
    cache: Cache,
    provider: Provider,
    force: bool,
    batches: BatchRunner | None,
    wall: Callable[[], float] = time.time,
) -> tuple[pipeline.Selection, str]:
    """The budget guard, before the first request: the selection cut to what fits ``max_cost_usd``.

    Returns:
        The selection (files that do not fit moved to ``skipped`` as "skipped: budget"), and a sentence
        saying what was decided: everything fits, only some files (which), or the run is refused.
    """
    limit = settings.llm.max_cost_usd
    assert limit is not None
    estimate = estimate_files(
        selection.files, changes, settings, cache=cache, provider=provider, force=force, batches=batches,
        wall=wall,
    )  # fmt: skip
    kept, left = fit_budget(estimate, limit)
    head = f"max_cost_usd ${limit:.4f}, {estimate.line()}"
    if not left:
        return selection, f"{head}: everything fits"
    worst = {f.path: f.worst_usd for f in estimate.files}
    skipped = tuple(
        FileOutcome(p, f"skipped: budget (worst case ${worst[p]:.4f}; max_cost_usd ${limit:.4f})")
        for p in left
    )
    files = tuple(f for f in selection.files if f.path not in set(left))
    cut = pipeline.Selection(files, selection.deletions, selection.skipped + skipped)
    if not kept:
        return cut, f"{head}: refused before any request; no file fits (run `docbot estimate`)"
    return cut, (
        f"{head}: documented the {count(len(kept), 'file')} that fit, changed public symbols first; "
        f"{len(left)} skipped"
    )
