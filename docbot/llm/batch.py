"""Message Batches: a run's cache misses sent in bulk at half price, collected out of order, resumable.

``wants_batch`` decides (pure): ``never``, ``always``, or ``auto``, which batches a run that no one
waits on (a push, a workflow dispatch, ``--all``; never a pull request or a ``/docbot`` comment) once it
has ``batch_min_requests`` misses. ``BatchRunner.collect`` then:

1. looks up each request's pending marker in the cache: a batch id a previous run created and did not
   collect (it was cancelled, or timed out). Those batches are collected, not paid again;
2. sends the rest as new batches within the API's limits (100,000 requests, 256 MB), built by the same
   ``prompt.build_params`` as an interactive request (``prompt.build_overview_params`` for a file
   overview, which goes in the same batch as the chunks), with the request's cache key as
   ``custom_id``, and records each request's batch id in the cache before waiting;
3. polls with capped exponential backoff (tenacity) until every batch has ended or the time limit;
4. matches results by ``custom_id`` (they arrive in any order) and hands each ended batch's answers to
   ``store`` at once, so a job cancelled later keeps them.

Errored, expired and canceled items, and replies that do not parse, come back as ``fallback``: the
pipeline asks them interactively. Batches still running at the time limit are reported, not asked again:
the next run collects them.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import anthropic
import tenacity
from anthropic.types.messages import MessageBatch

from docbot.cache import Cache, CacheEntry, content_key
from docbot.config import BatchMode, LlmSettings
from docbot.docs import ChunkDoc, SymbolDoc, Usage
from docbot.llm.base import DocRequest, OverviewRequest, Provider
from docbot.llm.client import AnthropicProvider, token_usage
from docbot.llm.pricing import BudgetExceededError, cost_usd, worst_case_cost_usd
from docbot.llm.prompt import (
    ContentError,
    build_overview_params,
    build_params,
    estimate_prompt_tokens,
    parse_overview,
    parse_reply,
)

log = logging.getLogger("docbot.llm")

# The API's limits per batch (Message Batches docs); bytes keep a margin for the envelope.
MAX_BATCH_REQUESTS = 100_000
MAX_BATCH_BYTES = 250 * 1024 * 1024
# A batch takes minutes to hours: the first look after 5 s, then doubling up to one every 2 minutes.
POLL_INITIAL_S = 5.0
POLL_MAX_S = 120.0
# Events someone watches as they run: their answers are wanted now, not at half price in an hour.
INTERACTIVE_EVENTS = frozenset({"pull_request", "pull_request_target", "issue_comment"})
UNATTENDED_EVENTS = frozenset({"push", "workflow_dispatch", "schedule"})
_BATCH_ID = re.compile(r"[A-Za-z0-9_-]{1,128}")


def wants_batch(mode: BatchMode, misses: int, threshold: int, *, event: str, everything: bool) -> bool:
    """Whether a run with ``misses`` requests to send goes through the Message Batches API."""
    if mode == "never" or misses == 0:
        return False
    if mode == "always":
        return True
    if event in INTERACTIVE_EVENTS:
        return False
    return (everything or event in UNATTENDED_EVENTS) and misses >= threshold


def partition(
    items: Iterable[tuple[str, int]],
    *,
    max_requests: int = MAX_BATCH_REQUESTS,
    max_bytes: int = MAX_BATCH_BYTES,
) -> list[list[str]]:
    """Split ``(custom_id, size in bytes)`` into consecutive groups within the per-batch limits."""
    groups: list[list[str]] = []
    size = 0
    for custom_id, nbytes in items:
        if not groups or len(groups[-1]) >= max_requests or size + nbytes > max_bytes:
            groups.append([])
            size = 0
        groups[-1].append(custom_id)
        size += nbytes
    return groups


def pending_key(request_key: str, model: str) -> str:
    """Where the batch id of the request whose cache key is ``request_key`` is recorded."""
    return content_key("batch-pending", request_key, model=model, prompt_version="", options={})


def _is_batch_id(value: str) -> bool:
    return _BATCH_ID.fullmatch(value) is not None


@dataclass(frozen=True)
class BatchOutcome:
    """What the batches gave: answers, items to ask interactively, items still running, by request key."""

    docs: Mapping[str, ChunkDoc] = field(default_factory=dict)
    fallback: Mapping[str, str] = field(default_factory=dict)  # key -> why it is asked interactively
    unfinished: Mapping[str, str] = field(default_factory=dict)  # key -> which batch still runs
    created: tuple[str, ...] = ()
    resumed: tuple[str, ...] = ()
    not_stored: Mapping[str, str] = field(default_factory=dict)
    failed_usage: Usage = field(default_factory=Usage)  # billed items whose reply was unusable


Store = Callable[[Mapping[str, ChunkDoc]], Mapping[str, str]]
# A chunk's request, or a file overview's (its answer: a ``ChunkDoc`` with ``overview`` and no symbols).
BatchRequest = DocRequest | OverviewRequest


class BatchRunner:
    """Sends a run's requests as Message Batches through the provider's SDK client, under its budget.

    Args:
        provider: the Claude provider (its client, model, price, budget and first-attempt output room).
        settings: ``batch``, ``batch_min_requests``, ``batch_timeout_s`` and ``max_tokens``.
        event, everything: the run's trigger, for ``batch: auto``.
        clock, sleep: monotonic seconds and how to wait between polls (tests pass a fake clock).
    """

    def __init__(
        self,
        provider: AnthropicProvider,
        settings: LlmSettings,
        *,
        event: str,
        everything: bool,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._provider = provider
        self._client = provider.client
        self._settings = settings
        self._event = event
        self._everything = everything
        self._clock = clock
        self._sleep = sleep
        self._reserved: dict[str, float] = {}  # batch id -> worst case held against the budget

    def wanted(self, misses: int) -> bool:
        s = self._settings
        return wants_batch(
            s.batch, misses, s.batch_min_requests, event=self._event, everything=self._everything
        )

    def may_batch(self) -> bool:
        """Whether any number of misses would be batched (not with ``never``, nor for a pull request)."""
        return self.wanted(sys.maxsize)

    def params(self, request: BatchRequest) -> dict[str, Any]:
        """The Messages params of one request: byte for byte the interactive path's first attempt."""
        if isinstance(request, OverviewRequest):
            room = self._provider.first_overview_room()
            return build_overview_params(request, self._settings, max_tokens=room)
        return build_params(request, self._settings, max_tokens=self._provider.first_room(request))

    def collect(
        self, requests: Mapping[str, BatchRequest], *, cache: Cache, store: Store, resume: bool = True
    ) -> BatchOutcome:
        """Answers for ``requests`` (request key -> chunk or overview request) from pending and new batches.

        Args:
            cache: where pending batch ids are recorded and found.
            store: caches the answers of one ended batch; returns key -> why not stored.
            resume: look for batches a previous run left pending (``--force`` does not).
        """
        model = self._provider.model
        pending: dict[str, list[str]] = {}
        if resume and requests:
            markers = {pending_key(k, model): k for k in requests}
            found = cache.get_many(list(markers), validate=lambda _key, value: _is_batch_id(value))
            for marker, entry in found.items():
                pending.setdefault(entry.value, []).append(markers[marker])
        resumed: list[str] = []
        for batch_id in list(pending):
            if self._exists(batch_id):
                resumed.append(batch_id)
                log.info("collecting batch %s left pending by an earlier run", batch_id)
            else:
                del pending[batch_id]
        waiting = {k for keys in pending.values() for k in keys}
        fresh = {k: self.params(r) for k, r in requests.items() if k not in waiting}
        fallback: dict[str, str] = {}
        created: list[str] = []
        for batch_id, keys in self._create(fresh, fallback):
            created.append(batch_id)
            pending[batch_id] = keys
            markers_out = {pending_key(k, model): _marker(batch_id) for k in keys}
            cache.put_many(markers_out)  # before waiting: a cancelled job's rerun finds the batch
        docs: dict[str, ChunkDoc] = {}
        not_stored: dict[str, str] = {}
        failed = Usage()

        def finish(batch_id: str) -> None:
            nonlocal failed
            keys = pending[batch_id]
            got, unusable = self._results(batch_id, {k: requests[k] for k in keys}, fallback)
            spent = sum(d.usage.cost_usd for d in got.values()) + unusable.cost_usd
            self._provider.budget.settle(self._reserved.pop(batch_id, 0.0), spent)
            failed += unusable
            docs.update(got)
            not_stored.update(store(got))  # as it ends: a job cancelled later keeps these answers

        ended = self._wait(set(pending), finish)
        unfinished: dict[str, str] = {}
        for batch_id in set(pending) - ended:
            self._provider.budget.settle(self._reserved.pop(batch_id, 0.0), 0.0)
            where = "the next run collects it" if cache.available else "no cache records it"
            waited = f"{self._settings.batch_timeout_s:g} s"
            reason = f"batch {batch_id} still processing after {waited}; {where}"
            unfinished |= dict.fromkeys(pending[batch_id], reason)
        return BatchOutcome(docs, fallback, unfinished, tuple(created), tuple(resumed), not_stored, failed)

    # --- steps ---

    def _exists(self, batch_id: str) -> bool:
        try:
            self._client.messages.batches.retrieve(batch_id)
        except anthropic.NotFoundError:
            log.info("pending batch %s is gone; its requests are sent again", batch_id)
            return False
        except anthropic.AnthropicError as exc:
            log.warning("pending batch %s cannot be read (%s); its requests are sent again", batch_id, exc)
            return False
        return True

    def _create(
        self, params: Mapping[str, dict[str, Any]], fallback: dict[str, str]
    ) -> list[tuple[str, list[str]]]:
        """Create the batches for ``params``; a refused one leaves its keys in ``fallback``."""
        price = self._provider.price
        sized = [(k, len(json.dumps({"custom_id": k, "params": p}))) for k, p in params.items()]
        out: list[tuple[str, list[str]]] = []
        for keys in partition(sized, max_requests=MAX_BATCH_REQUESTS, max_bytes=MAX_BATCH_BYTES):
            # Reserved at the undiscounted worst case: it can only overstate what the batch spends.
            worst = sum(
                worst_case_cost_usd(estimate_prompt_tokens(params[k]), int(params[k]["max_tokens"]), price)
                for k in keys
            )
            try:
                self._provider.budget.reserve(worst)
            except BudgetExceededError as exc:
                fallback |= dict.fromkeys(keys, str(exc))
                continue
            try:
                batch = self._client.messages.batches.create(
                    requests=[{"custom_id": k, "params": params[k]} for k in keys]  # type: ignore[typeddict-item]
                )
            except anthropic.AnthropicError as exc:
                log.warning("batch of %d requests refused (%s); asking them one by one", len(keys), exc)
                fallback |= dict.fromkeys(keys, f"batch refused: {exc}")
                self._provider.budget.settle(worst, 0.0)
                continue
            self._reserved[batch.id] = worst  # held until the results say what it cost
            out.append((batch.id, keys))
        return out

    def _wait(self, batch_ids: set[str], on_end: Callable[[str], None]) -> set[str]:
        """Poll until every batch has ended or ``batch_timeout_s``; ``on_end`` each as it ends.

        Returns:
            The batches that ended.
        """
        if not batch_ids:
            return set()
        ended: set[str] = set()
        deadline = self._clock() + self._settings.batch_timeout_s

        def poll() -> set[str]:
            for batch_id in batch_ids - ended:
                if self._ended(batch_id):
                    ended.add(batch_id)
                    on_end(batch_id)
            return batch_ids - ended

        retrying = tenacity.Retrying(
            retry=tenacity.retry_if_result(bool),
            wait=tenacity.wait_exponential(multiplier=POLL_INITIAL_S, min=POLL_INITIAL_S, max=POLL_MAX_S),
            stop=lambda state: self._clock() >= deadline,
            sleep=self._sleep,
            retry_error_callback=lambda state: state.outcome.result() if state.outcome else batch_ids,
        )
        retrying(poll)
        return ended

    def _ended(self, batch_id: str) -> bool:
        try:
            batch: MessageBatch = self._client.messages.batches.retrieve(batch_id)
        except anthropic.AnthropicError as exc:  # a poll that failed is just a poll: look again later
            log.warning("polling batch %s failed (%s)", batch_id, exc)
            return False
        return batch.processing_status == "ended"

    def _results(
        self, batch_id: str, requests: Mapping[str, BatchRequest], fallback: dict[str, str]
    ) -> tuple[dict[str, ChunkDoc], Usage]:
        """The answers of an ended batch, matched by ``custom_id``; the rest go to ``fallback``.

        Returns:
            The answers, and what the items whose reply did not parse cost (billed all the same).
        """
        docs: dict[str, ChunkDoc] = {}
        unusable = Usage()
        try:
            results = list(self._client.messages.batches.results(batch_id))
        except (anthropic.AnthropicError, ValueError) as exc:
            log.warning("results of batch %s cannot be read (%s)", batch_id, exc)
            fallback |= dict.fromkeys(requests, f"batch {batch_id}: results unreadable ({exc})")
            return docs, unusable
        for item in results:
            request = requests.get(item.custom_id)
            if request is None:
                continue  # an item of a request this run no longer makes (its code changed since)
            result = item.result
            if result.type != "succeeded":
                fallback[item.custom_id] = f"batch item {result.type}"
                continue
            usage = token_usage(result.message)
            spent = cost_usd(usage, self._provider.price, batch=True)
            text = "".join(b.text for b in result.message.content if b.type == "text")
            cost = Usage(
                input_tokens=usage.input_tokens,
                output_tokens=usage.output_tokens,
                cache_read_tokens=usage.cache_read_tokens,
                cache_write_tokens=usage.cache_write_tokens,
                requests=1,
                cost_usd=spent,
            )
            stop = result.message.stop_reason
            try:
                overview, symbols = _parsed(request, text, stop)
            except ContentError as exc:  # retried interactively, with the client's larger room and split
                fallback[item.custom_id] = f"batch reply unusable ({exc})"
                unusable += cost
                continue
            docs[item.custom_id] = ChunkDoc(overview, symbols, self._provider.model, cost)
        missing = set(requests) - set(docs) - set(fallback)
        fallback |= dict.fromkeys(missing, "batch item without a result")
        return docs, unusable


def _parsed(request: BatchRequest, text: str, stop: str | None) -> tuple[str | None, tuple[SymbolDoc, ...]]:
    """The overview and symbol docs of one item's reply, read as its request's kind of answer.

    Raises:
        ContentError: cut off, not JSON or off-schema (the item is then asked interactively).
    """
    if isinstance(request, OverviewRequest):
        return parse_overview(text, stop), ()
    return parse_reply(text, stop, want_overview=request.want_overview)


def _marker(batch_id: str) -> CacheEntry:
    return CacheEntry(batch_id, "batch", time.time(), input_tokens=0, output_tokens=0, cost_usd=0.0)


def open_batches(
    provider: Provider,
    settings: LlmSettings,
    *,
    event: str,
    everything: bool,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> BatchRunner | None:
    """The batch runner of ``provider``, or None for a provider without a batch API: offline, and Claude
    on Bedrock or Vertex (their SDK clients refuse the Message Batches endpoints)."""
    if not isinstance(provider, AnthropicProvider) or settings.batch == "never":
        return None
    if provider.name != "anthropic":
        return None
    return BatchRunner(provider, settings, event=event, everything=everything, clock=clock, sleep=sleep)
