"""The Message Batches endpoints of the loopback Messages API (``/v1/messages/batches``).

What the real API does, as far as docbot depends on it: ``create`` takes up to 100,000 requests and
answers a ``MessageBatch`` (``in_progress``); ``retrieve`` reports ``processing_status``,
``request_counts``, ``ended_at``, ``expires_at`` and, once ended, an ABSOLUTE ``results_url`` (the SDK
GETs it as given); ``results`` is JSONL in an order different from submission; ``cancel`` moves a batch to
``canceling`` and the items not yet processed end ``canceled``; ``list`` pages the batches; an unknown
id is a 404. Items are answered like interactive requests (same reply generator, prompt cache) and
their usage says ``service_tier: batch``: the client bills them at the batch discount.

A batch ends after ``polls_to_end`` retrieves, or once ``seconds_to_end`` have passed on the server's
clock, whichever comes first. ``script_item(custom_id, "errored" | "expired" | "canceled")`` decides one
item's fate in advance; ``script_next(fate, None, ...)`` the fates of the next batch's items in
submission order (None: answered).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tests.fakes.anthropic_server import FakeAnthropic

MAX_REQUESTS = 100_000
PREFIX = "/v1/messages/batches"
Answer = tuple[int, dict[str, str], bytes]


@dataclass
class _Batch:
    id: str
    requests: list[dict[str, Any]]
    created: dt.datetime
    started: float  # the server clock when it was created
    polls: int = 0
    ordinal: int = 0  # 1 for the first batch created
    canceling: bool = False
    ended: dt.datetime | None = None
    results: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class BatchItemSeen:
    """One batch item the server answered, with the usage it billed (at the batch tier)."""

    batch_id: str
    custom_id: str
    result: str  # succeeded | errored | expired | canceled
    usage: dict[str, int] | None


class FakeBatches:
    """The batch endpoints of one ``FakeAnthropic``; it routes ``/v1/messages/batches*`` here."""

    def __init__(self, fake: FakeAnthropic) -> None:
        self.fake = fake
        self.polls_to_end: int | None = 1
        self.seconds_to_end: float | None = None
        self.never_end: set[int] = set()  # batches (1 = the first created) that stay in progress
        self._lock = threading.Lock()
        self._batches: dict[str, _Batch] = {}
        self._fates: dict[str, str] = {}
        self._next: list[str | None] = []
        self.creates = 0
        self.items: list[BatchItemSeen] = []

    def script_item(self, custom_id: str, fate: str) -> None:
        """Make the item ``custom_id`` end ``errored``, ``expired`` or ``canceled`` instead of succeeding."""
        assert fate in {"errored", "expired", "canceled"}, fate
        with self._lock:
            self._fates[custom_id] = fate

    def script_next(self, *fates: str | None) -> None:
        """Fates of the next created batch's items, in submission order; later items succeed."""
        assert all(f in {None, "errored", "expired", "canceled"} for f in fates), fates
        with self._lock:
            self._next = list(fates)

    def submitted(self, batch_id: str) -> list[str]:
        """The custom_ids of a batch in submission order."""
        with self._lock:
            return [r["custom_id"] for r in self._batches[batch_id].requests]

    def requests(self, batch_id: str) -> list[dict[str, Any]]:
        """A batch's requests (``custom_id`` and ``params``) as submitted."""
        with self._lock:
            return list(self._batches[batch_id].requests)

    def result_order(self, batch_id: str) -> list[str]:
        """The custom_ids of an ended batch in the order its results file lists them."""
        with self._lock:
            return [r["custom_id"] for r in self._batches[batch_id].results]

    @property
    def ids(self) -> list[str]:
        with self._lock:
            return list(self._batches)

    def totals(self) -> dict[str, int]:
        """Items answered by result, and the tokens billed for them."""
        with self._lock:
            items = list(self.items)
        out = {"batches": self.creates, "items": len(items), "input_tokens": 0, "output_tokens": 0}
        out |= {"cache_read_tokens": 0, "cache_write_tokens": 0}
        for kind in ("succeeded", "errored", "expired", "canceled"):
            out[kind] = sum(1 for i in items if i.result == kind)
        for i in items:
            if i.usage:
                out["input_tokens"] += i.usage["input_tokens"]
                out["output_tokens"] += i.usage["output_tokens"]
                out["cache_read_tokens"] += i.usage["cache_read_input_tokens"]
                out["cache_write_tokens"] += i.usage["cache_creation_input_tokens"]
        return out

    # --- routing ---

    def handle(self, method: str, path: str, raw: bytes) -> Answer:
        """The answer to one request under ``/v1/messages/batches`` (auth already checked)."""
        parts = path.split("?")[0][len(PREFIX) :].strip("/").split("/")
        if method == "POST" and parts == [""]:
            return self._create(raw)
        if method == "GET" and parts == [""]:
            return self._list()
        batch = self._get(parts[0])
        if batch is None:
            return _error(404, f"message batch {parts[0]!r} not found")
        if method == "GET" and len(parts) == 1:
            return self._ok(self._describe(batch, poll=True))
        if method == "GET" and parts[1:] == ["results"]:
            return self._results(batch)
        if method == "POST" and parts[1:] == ["cancel"]:
            with self._lock:
                batch.canceling = batch.ended is None
            return self._ok(self._describe(batch, poll=False))
        return _error(404, f"no route {method} {path}")

    # --- endpoints ---

    def _create(self, raw: bytes) -> Answer:
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            return _error(400, "request body is not JSON")
        requests = body.get("requests") if isinstance(body, dict) else None
        if not isinstance(requests, list) or not requests:
            return _error(400, "requests: at least one request is required")
        if len(requests) > MAX_REQUESTS:
            return _error(400, f"requests: at most {MAX_REQUESTS} requests per batch")
        ids = [r.get("custom_id") for r in requests if isinstance(r, dict)]
        if len(ids) != len(requests) or len(set(ids)) != len(ids):
            return _error(400, "requests: every custom_id must be present and unique")
        with self._lock:
            self.creates += 1
            batch_id = f"msgbatch_fake{self.creates:04d}{hashlib.sha256(raw).hexdigest()[:12]}"
            batch = _Batch(
                batch_id, requests, dt.datetime.now(dt.UTC), self.fake.clock(), ordinal=self.creates
            )
            self._batches[batch_id] = batch
            for custom_id, fate in zip(ids, self._next, strict=False):
                if fate is not None and isinstance(custom_id, str):
                    self._fates[custom_id] = fate
            self._next = []
        return self._ok(self._describe(batch, poll=False))

    def _list(self) -> Answer:
        with self._lock:
            batches = list(self._batches.values())
        data = [self._describe(b, poll=False) for b in reversed(batches)]
        page = {"data": data, "has_more": False, "first_id": None, "last_id": None}
        if data:
            page |= {"first_id": data[0]["id"], "last_id": data[-1]["id"]}
        return self._ok(page)

    def _results(self, batch: _Batch) -> Answer:
        with self._lock:
            if batch.ended is None:
                return _error(400, f"message batch {batch.id} is still in progress")
            lines = [json.dumps(r) for r in batch.results]
        return 200, {}, ("\n".join(lines) + "\n").encode()

    # --- the model ---

    def _get(self, batch_id: str) -> _Batch | None:
        with self._lock:
            return self._batches.get(batch_id)

    def _describe(self, batch: _Batch, *, poll: bool) -> dict[str, Any]:
        """The ``MessageBatch`` object; a retrieve counts as a poll and may end the batch."""
        with self._lock:
            if poll:
                batch.polls += 1
            due = (self.polls_to_end is not None and batch.polls >= self.polls_to_end) or (
                self.seconds_to_end is not None and self.fake.clock() - batch.started >= self.seconds_to_end
            )
            held = batch.ordinal in self.never_end
            end = batch.ended is None and not held and (due or (batch.canceling and poll))
        if end:
            self._finish(batch)
        with self._lock:
            counts = dict.fromkeys(("processing", "succeeded", "errored", "canceled", "expired"), 0)
            if batch.ended is None:
                counts["processing"] = len(batch.requests)
            else:
                for r in batch.results:
                    counts[r["result"]["type"]] += 1
            status = "ended" if batch.ended else "canceling" if batch.canceling else "in_progress"
            return {
                "id": batch.id,
                "type": "message_batch",
                "processing_status": status,
                "request_counts": counts,
                "created_at": _iso(batch.created),
                "expires_at": _iso(batch.created + dt.timedelta(hours=24)),
                "ended_at": _iso(batch.ended) if batch.ended else None,
                "archived_at": None,
                "cancel_initiated_at": _iso(batch.created) if batch.canceling else None,
                # Absolute, as the real API's: the SDK GETs it exactly as given.
                "results_url": f"{self.fake.url}{PREFIX}/{batch.id}/results" if batch.ended else None,
            }

    def _finish(self, batch: _Batch) -> None:
        """Answer every item (each once, like the API) and end the batch; results in a shuffled order."""
        results = []
        for request in batch.requests:
            custom_id = request["custom_id"]
            with self._lock:
                fate = self._fates.pop(custom_id, None)
            if fate is None and batch.canceling:
                fate = "canceled"
            result, usage = self._item(request.get("params"), fate)
            results.append({"custom_id": custom_id, "result": result})
            with self._lock:
                self.items.append(BatchItemSeen(batch.id, custom_id, result["type"], usage))
        # Not the submission order: sorted by a hash of the custom_id.
        results.sort(key=lambda r: hashlib.sha256(r["custom_id"].encode()).hexdigest())
        with self._lock:
            if batch.ended is None:
                batch.results = results
                batch.ended = dt.datetime.now(dt.UTC)

    def _item(self, params: Any, fate: str | None) -> tuple[dict[str, Any], dict[str, int] | None]:
        if fate in {"expired", "canceled"}:
            return {"type": fate}, None
        from tests.fakes.anthropic_server import ERROR_TYPES, _validate

        problem = "scripted error" if fate == "errored" else _validate(params)
        if problem:
            err = {"type": "error", "error": {"type": ERROR_TYPES[400], "message": problem}}
            return {"type": "errored", "error": err}, None
        assert isinstance(params, dict)
        text, stop_reason, usage, _thinking, _write_1h = self.fake._answer(params, None)
        if usage["cache_creation_input_tokens"]:
            self.fake._remember(params)
        message = {
            "id": f"msg_fakebatch{hashlib.sha256(json.dumps(params).encode()).hexdigest()[:16]}",
            "type": "message",
            "role": "assistant",
            "model": params["model"],
            "content": [{"type": "text", "text": text}],
            "stop_reason": stop_reason,
            "stop_sequence": None,
            "usage": {
                **usage,
                "cache_creation": {
                    "ephemeral_5m_input_tokens": usage["cache_creation_input_tokens"],
                    "ephemeral_1h_input_tokens": 0,
                },
                "service_tier": "batch",
            },
        }
        return {"type": "succeeded", "message": message}, usage

    def _ok(self, payload: dict[str, Any]) -> Answer:
        return 200, {}, json.dumps(payload).encode()


def _iso(when: dt.datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _error(code: int, message: str) -> Answer:
    kind = {400: "invalid_request_error", 404: "not_found_error"}.get(code, "api_error")
    body = {"type": "error", "error": {"type": kind, "message": message}}
    return code, {}, json.dumps(body).encode()
