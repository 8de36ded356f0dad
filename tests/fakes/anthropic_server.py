"""A loopback Anthropic Messages API (``POST /v1/messages``) for tests and benchmarks.

It speaks the wire format the real ``anthropic`` SDK expects: Bearer or ``x-api-key`` auth,
``anthropic-version``, error bodies by status with ``request-id``, ``retry-after`` (and
``retry-after-ms``), ``anthropic-ratelimit-*`` headers, ``usage`` with cache fields and a
``stop_reason``. Replies to ``output_config.format`` are JSON that satisfies the request's schema
(one entry per ``enum`` value of an array item's ``name``), cut off at ``max_tokens`` like the real API.

Behaviour you can configure:
- enforced RPM / ITPM / OTPM token buckets and a concurrency limit (``Limits``), on the server's own
  (injectable) clock, with ``max_tokens`` reserved until the reply is complete (``admission``);
- a prompt cache: prefixes ending at a ``cache_control`` block are written, then read back by later
  requests with the same prefix (``min_cacheable_tokens``, ``cache_ttl_s``);
- random 429s (``rate_429`` of the requests, reproducible for a ``seed``) and scripted faults for
  the next requests (``script(status(529), drop(), hang(), truncate(), ...)``); unused scripted
  faults fail the test;
- a latency model (``Latency``), prose replies as long as a share of the prompt (``prose_ratio``) and a
  context window (``context_window``) for benchmarks.

Everything the server saw is recorded in ``seen`` (thread-safe), so tests compare the RunReport with
the server's own totals.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.fakes import model_behaviour
from tests.fakes.admission import Admission
from tests.fakes.batches import PREFIX as BATCHES
from tests.fakes.batches import FakeBatches

ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    402: "billing_error",
    403: "permission_error",
    404: "not_found_error",
    409: "conflict_error",
    413: "request_too_large",
    429: "rate_limit_error",
    500: "api_error",
    502: "api_error",
    503: "api_error",
    504: "timeout_error",
    529: "overloaded_error",
}
# The message of the random 429s (``rate_429``), so a benchmark can tell them from limit 429s.
STORM_MESSAGE = "rate limited (random storm)"
# Parameters API version 2026-10-21 removed; the real API answers 400 "Extra inputs are not permitted".
REMOVED_PARAMS = ("temperature", "top_p", "top_k")


def count_tokens(text: str) -> int:
    """The fake's tokenizer: one token per 4 characters, rounded up."""
    return math.ceil(len(text) / 4)


@dataclass(frozen=True)
class Fault:
    """What to do with one request instead of (or on top of) answering it normally."""

    kind: str  # ok | status | drop | hang | truncate | bad_json | garbage | refusal | rewrite
    status: int = 200
    error_code: str | None = None
    retry_after: str | None = None
    retry_after_ms: str | None = None
    # kind "rewrite": what the model "writes" instead, from the answer the schema would get.
    edit: Callable[[Any], Any] | None = field(default=None, compare=False)
    keep: float = 0.5  # kind "truncate": the share of the answer's text written before the cut


def ok() -> Fault:
    return Fault("ok")


def status(
    code: int,
    *,
    retry_after: float | None = None,
    retry_after_ms: float | None = None,
    error_code: str | None = None,
) -> Fault:
    return Fault(
        "status",
        code,
        error_code=error_code,
        retry_after=None if retry_after is None else f"{retry_after:g}",
        retry_after_ms=None if retry_after_ms is None else f"{retry_after_ms:g}",
    )


def drop() -> Fault:
    """Close the connection without answering (the client sees a connection error)."""
    return Fault("drop")


def hang() -> Fault:
    """Never answer (until the server stops); the client's timeout must fire."""
    return Fault("hang")


def truncate(keep: float = 0.5) -> Fault:
    """Answer 200 with the JSON cut after ``keep`` of its text and ``stop_reason: max_tokens``."""
    return Fault("truncate", keep=keep)


def garbage() -> Fault:
    """Answer 200 with a body that is not JSON at all (a proxy's error page, say)."""
    return Fault("garbage")


def rewrite(edit: Callable[[Any], Any]) -> Fault:
    """Answer 200, ``end_turn``, with ``edit`` of the schema's answer (a model that makes a name up)."""
    return Fault("rewrite", edit=edit)


def bad_json() -> Fault:
    """Answer 200, ``end_turn``, with text that is not the schema's JSON."""
    return Fault("bad_json")


@dataclass(frozen=True)
class Limits:
    """Per-minute limits the server enforces (None: unlimited)."""

    rpm: int | None = None
    itpm: int | None = None
    otpm: int | None = None
    concurrency: int | None = None  # requests answered at once; one more gets a 429


@dataclass(frozen=True)
class Latency:
    """Seconds a successful reply takes: ``base_s + output_tokens * per_output_token_s``."""

    base_s: float = 0.0
    per_output_token_s: float = 0.0


@dataclass(frozen=True)
class Seen:
    """One request as the server saw it, and what it answered."""

    index: int
    headers: dict[str, str]
    body: dict[str, Any] | None
    status: int | None  # None: dropped or hung, no answer
    usage: dict[str, int] | None = None
    stop_reason: str | None = None
    reason: str | None = None  # the error message of a refused request
    cache_write_1h: int = 0  # the part of cache_creation_input_tokens written with the 1-hour lifetime
    reply: str | None = None  # the answer's text


@dataclass
class _Cache:
    entries: dict[str, float] = field(default_factory=dict)  # prefix hash -> expiry


class FakeAnthropic:
    """The server. Use as a context manager (or ``start``/``stop``); ``url`` is its base URL.

    Args:
        api_key: the key requests must carry.
        limits: enforced per-minute limits.
        ratelimit_headers: send ``anthropic-ratelimit-*`` headers on every response.
        rate_429: share of requests answered with a 429 at random (seeded by ``seed``).
        retry_after_s: the ``retry-after`` of random and limit 429s.
        min_cacheable_tokens: shorter cache prefixes are not cached (no error, like the API). 1,024
            by default: the figure most sources give for the current models.
        unqualified_names: answer with each symbol's unqualified name (``greet`` for
            ``Greeter.greet``), as a model sometimes does.
        cache_ttl_s: lifetime of a cache entry on the server clock.
        latency: how long successful replies take.
        prose_ratio: a request without an output schema is answered with prose of this many output
            tokens per prompt token (0: the one-word reply "Documentation.").
        context_window: prompts longer than this many tokens get the API's 400 (None: no limit).
        planted: text appended to every string of a structured reply but names (hostile answers).
        clock, sleep: the server's time (tests share a scaled clock with the client).
        hang_s: the longest a ``hang`` fault holds a request (it ends earlier when the server stops).
        storm: draws a fault (or None) for each unscripted request (``tests.fakes.storms``).
    """

    def __init__(
        self,
        *,
        api_key: str = "test-key",
        limits: Limits = Limits(),
        ratelimit_headers: bool = True,
        rate_429: float = 0.0,
        seed: int = 0,
        retry_after_s: float = 1.0,
        min_cacheable_tokens: int = 1024,
        cache_ttl_s: float = 300.0,
        latency: Latency = Latency(),
        prose_ratio: float = 0.0,
        context_window: int | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        hang_s: float = 30.0,
        planted: str = "",
        unqualified_names: bool = False,
        storm: Callable[[bytes], Fault | None] | None = None,
    ) -> None:
        self.unqualified_names = unqualified_names
        self.api_key = api_key
        self.limits = limits
        self.ratelimit_headers = ratelimit_headers
        self.rate_429 = rate_429
        self.retry_after_s = retry_after_s
        self.min_cacheable_tokens = min_cacheable_tokens
        self.cache_ttl_s = cache_ttl_s
        self.latency = latency
        self.prose_ratio = prose_ratio
        self.context_window = context_window
        self.clock = clock
        self.sleep = sleep
        self.hang_s = hang_s
        self.planted = planted
        self.storm = storm
        self.seed = seed
        self._times_seen: dict[str, int] = {}
        self._lock = threading.Lock()
        self._script: deque[Fault] = deque()
        self._cache = _Cache()
        limit_of = {"requests": limits.rpm, "input": limits.itpm, "output": limits.otpm}
        self.admission = Admission(
            {name: limit for name, limit in limit_of.items() if limit is not None}, limits.concurrency, clock
        )
        self.seen: list[Seen] = []
        self.batches = FakeBatches(self)  # the Message Batches endpoints (tests/fakes/batches.py)
        self.count_tokens = True  # False: POST /v1/messages/count_tokens is a 404, as on some gateways
        self.count_tokens_calls = 0
        self._stopping = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # --- lifecycle ---

    def start(self) -> FakeAnthropic:
        handler = type("Handler", (_Handler,), {"fake": self})
        self._server = _Server(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05})
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()  # releases hung handlers
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def __enter__(self) -> FakeAnthropic:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        assert self._server is not None, "start the server first"
        port = self._server.server_address[1]
        return f"http://127.0.0.1:{port}"  # the address start() binds

    # --- test controls ---

    def script(self, *faults: Fault) -> None:
        """Queue faults for the next requests, in arrival order."""
        with self._lock:
            self._script.extend(faults)

    @property
    def unused_script(self) -> list[Fault]:
        with self._lock:
            return list(self._script)

    def totals(self) -> dict[str, int]:
        """What the server saw: requests, answers by status, and the tokens it billed."""
        with self._lock:
            seen = list(self.seen)
        out = {
            "requests": len(seen),
            "ok": sum(1 for s in seen if s.status == 200),
            "rate_limited": sum(1 for s in seen if s.status == 429),
            "no_answer": sum(1 for s in seen if s.status is None),
            "input_tokens": 0,
            "output_tokens": 0,
            "cache_read_tokens": 0,
            "cache_write_tokens": 0,
            "cache_write_1h_tokens": 0,
        }
        for s in seen:
            if s.usage:
                out["input_tokens"] += s.usage["input_tokens"]
                out["output_tokens"] += s.usage["output_tokens"]
                out["cache_read_tokens"] += s.usage["cache_read_input_tokens"]
                out["cache_write_tokens"] += s.usage["cache_creation_input_tokens"]
                out["cache_write_1h_tokens"] += s.cache_write_1h
        return out

    # --- request handling (called from handler threads) ---

    def _record(self, seen: Seen) -> None:
        with self._lock:
            self.seen.append(seen)

    def _next_index(self) -> int:
        with self._lock:
            return len(self.seen)

    def handle(self, headers: dict[str, str], raw: bytes) -> tuple[int | None, dict[str, str], bytes]:
        """The answer to one request: (status or None to drop, headers, body)."""
        request_id = f"req_fake{hashlib.sha256(raw + str(time.monotonic_ns()).encode()).hexdigest()[:20]}"
        base_headers = {"request-id": request_id, "anthropic-organization-id": "org_fake"}
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            body = None
        with self._lock:
            fault = self._script.popleft() if self._script else None
            index = len(self.seen)
        if fault is None and self.storm is not None:
            fault = self.storm(raw)

        def error(
            code: int, message: str, *, extra: dict[str, str] | None = None, error_code: str | None = None
        ) -> tuple[int, dict[str, str], bytes]:
            err: dict[str, Any] = {"type": ERROR_TYPES.get(code, "invalid_request_error"), "message": message}
            if error_code:
                err["details"] = {"error_code": error_code}
            payload = {"type": "error", "error": err, "request_id": request_id}
            self._record(Seen(index, headers, body, code, reason=message))
            return code, {**base_headers, **(extra or {})}, json.dumps(payload).encode()

        auth = headers.get("authorization", "")
        if auth != f"Bearer {self.api_key}" and headers.get("x-api-key") != self.api_key:
            return error(401, "invalid x-api-key")
        if not headers.get("anthropic-version"):
            return error(400, "anthropic-version: header is required")
        if fault is not None and fault.kind == "drop":
            self._record(Seen(index, headers, body, None))
            return None, {}, b""
        if fault is not None and fault.kind == "hang":
            self._record(Seen(index, headers, body, None))
            self._stopping.wait(self.hang_s)
            return None, {}, b""
        if fault is not None and fault.kind == "garbage":
            self._record(Seen(index, headers, body, 200))
            return 200, base_headers, b"<html>502 Bad Gateway</html>"
        if fault is not None and fault.kind == "status":
            extra = {}
            if fault.retry_after is not None:
                extra["retry-after"] = fault.retry_after
            if fault.retry_after_ms is not None:
                extra["retry-after-ms"] = fault.retry_after_ms
            return error(fault.status, f"scripted {fault.status}", extra=extra, error_code=fault.error_code)
        problem = _validate(body)
        if problem:
            return error(400, problem)
        assert body is not None
        if self.context_window is not None:
            prompt = _prompt_tokens(body)
            if prompt > self.context_window:
                return error(400, f"prompt is too long: {prompt} tokens > {self.context_window} maximum")
        if self.rate_429 and self._coin(raw):
            return error(429, STORM_MESSAGE, extra={"retry-after": f"{self.retry_after_s:g}"})

        reply, stop_reason, usage, thinking_used, write_1h = self._answer(body, fault)
        max_tokens = int(body["max_tokens"])
        counted_input = usage["input_tokens"] + usage["cache_creation_input_tokens"]  # ITPM's count
        verdict = self.admission.admit(counted_input, max_tokens)
        limit_headers = self._limit_headers() if self.ratelimit_headers else {}
        if not verdict.admitted:
            extra = {**limit_headers, "retry-after": verdict.retry_after}
            return error(429, verdict.message, extra=extra)
        if usage["cache_creation_input_tokens"]:
            self._remember(body)
        delay = self.latency.base_s + usage["output_tokens"] * self.latency.per_output_token_s
        try:
            if delay > 0:
                self.sleep(delay)
        finally:
            # The reservation of max_tokens holds until the reply is complete, as the API's does.
            self.admission.finish(max_tokens, usage["output_tokens"])
        thinking = [{"type": "thinking", "thinking": "", "signature": "sig_fake"}] if thinking_used else []
        message = {
            "id": f"msg_fake{index:06d}",
            "type": "message",
            "role": "assistant",
            "model": body["model"],
            "content": [*thinking, {"type": "text", "text": reply}],
            "stop_reason": stop_reason,
            "stop_sequence": None,
            "usage": {
                **usage,
                "cache_creation": {
                    "ephemeral_5m_input_tokens": usage["cache_creation_input_tokens"] - write_1h,
                    "ephemeral_1h_input_tokens": write_1h,
                },
                "output_tokens_details": {"thinking_tokens": thinking_used},
                "service_tier": "standard",
            },
        }
        self._record(
            Seen(index, headers, body, 200, usage, stop_reason, cache_write_1h=write_1h, reply=reply)
        )
        return 200, {**base_headers, **limit_headers}, json.dumps(message).encode()

    def _coin(self, raw: bytes) -> bool:
        """True for ``rate_429`` of the requests. The draw depends on the seed, the request body and how
        often that body was seen, not on arrival order, so concurrent runs are reproducible."""
        body_key = hashlib.sha256(raw).hexdigest()
        with self._lock:
            n = self._times_seen[body_key] = self._times_seen.get(body_key, 0) + 1
        draw = hashlib.sha256(f"{self.seed}:{body_key}:{n}".encode()).digest()
        return int.from_bytes(draw[:8], "big") / 2**64 < self.rate_429

    # --- prompt cache ---

    def _prefixes(self, body: dict[str, Any]) -> list[tuple[str, int, float]]:
        """(hash, tokens, ttl) of every prefix that ends at a cache_control block, shortest first.

        The output schema is rendered ahead of the system prompt, so it starts every prefix: a
        request with a different schema shares no cached prefix with this one (as reported for the
        real API).
        """
        texts: list[tuple[str, dict[str, Any] | None]] = []
        system = body.get("system")
        if isinstance(system, str):
            texts.append((system, None))
        elif isinstance(system, list):
            texts += [(b.get("text", ""), b.get("cache_control")) for b in system]
        for m in body["messages"]:
            content = m["content"]
            if isinstance(content, str):
                texts.append((content, None))
            else:
                texts += [(b.get("text", ""), b.get("cache_control")) for b in content]
        out = []
        digest = hashlib.sha256(body["model"].encode())
        fmt = (body.get("output_config") or {}).get("format")
        digest.update(json.dumps(fmt, sort_keys=True).encode())
        tokens = count_tokens(json.dumps(fmt)) if fmt else 0
        for text, marked in texts:
            digest.update(b"\0" + text.encode())
            tokens += count_tokens(text)
            if marked is not None:
                ttl = 3600.0 if marked.get("ttl") == "1h" else self.cache_ttl_s
                out.append((digest.hexdigest(), tokens, ttl))
        return out

    def _remember(self, body: dict[str, Any]) -> None:
        now = self.clock()
        with self._lock:
            for key, tokens, ttl in self._prefixes(body):
                if tokens >= self.min_cacheable_tokens:
                    self._cache.entries[key] = max(self._cache.entries.get(key, 0.0), now + ttl)

    def _answer(self, body: dict[str, Any], fault: Fault | None) -> tuple[str, str, dict[str, int], int, int]:
        """(reply text, stop_reason, usage, thinking tokens, 1-hour cache-write tokens)."""
        total = _prompt_tokens(body)
        now = self.clock()
        read = write = write_1h = 0
        with self._lock:
            for key, tokens, ttl in self._prefixes(body):
                if tokens < self.min_cacheable_tokens:
                    continue
                expiry = self._cache.entries.get(key)
                if expiry is not None and expiry > now:
                    read, write, write_1h = tokens, 0, 0
                    self._cache.entries[key] = max(expiry, now + ttl)  # a hit refreshes the entry
                else:
                    if ttl > self.cache_ttl_s:
                        write_1h = tokens - read
                    write = tokens - read
        fmt = (body.get("output_config") or {}).get("format")
        if fmt:
            names = model_behaviour.asked_names(body)
            if self.unqualified_names:
                names = [n.rsplit(".", 1)[-1] for n in names]
            text = json.dumps(
                _plant(
                    _generate(fmt["schema"], "", names=names, overview=model_behaviour.overview_asked(body)),
                    self.planted,
                )
            )
        elif self.prose_ratio > 0:
            text = _prose(math.ceil(total * self.prose_ratio))
        else:
            text = "Documentation."
        stop_reason = "end_turn"
        max_tokens = int(body["max_tokens"])
        if fault is not None and fault.kind == "truncate":
            text, stop_reason = text[: int(len(text) * fault.keep)], "max_tokens"
        elif fault is not None and fault.kind == "bad_json":
            text = "Here is the documentation you asked for: " + text[:20]
        elif fault is not None and fault.kind == "rewrite" and fault.edit is not None and fmt:
            text = json.dumps(fault.edit(json.loads(text)))
        elif fault is not None and fault.kind == "refusal":
            text, stop_reason = "", "refusal"
        # Thinking comes first and counts against max_tokens: what it leaves is the answer's room.
        thinking = min(model_behaviour.thinking_tokens(body, count_tokens(text)), max_tokens)
        room = max_tokens - thinking
        if count_tokens(text) > room:
            text, stop_reason = text[: room * 4], "max_tokens"
        usage = {
            "input_tokens": total - read - write,
            "output_tokens": count_tokens(text) + thinking,
            "cache_creation_input_tokens": write,
            "cache_read_input_tokens": read,
        }
        return text, stop_reason, usage, thinking, write_1h

    # --- rate limits ---

    def _limit_headers(self) -> dict[str, str]:
        headers = {}
        names = {"requests": "requests", "input": "input-tokens", "output": "output-tokens"}
        wall = dt.datetime.now(dt.UTC)
        for name, b in self.admission.buckets.items():
            prefix = f"anthropic-ratelimit-{names[name]}"
            full_in = (b.capacity - b.level) * 60 / b.capacity
            reset = (wall + dt.timedelta(seconds=full_in)).strftime("%Y-%m-%dT%H:%M:%SZ")
            headers[f"{prefix}-limit"] = str(int(b.capacity))
            headers[f"{prefix}-remaining"] = str(max(0, int(b.level)))
            headers[f"{prefix}-reset"] = reset
        return headers


def _prose(tokens: int) -> str:
    """Markdown-ish text of exactly ``tokens`` tokens in the fake's tokenizer."""
    sentence = "The function reads its input, checks it and returns the result. "
    text = (sentence * (tokens * 4 // len(sentence) + 1))[: tokens * 4]
    return text


def _prompt_tokens(body: dict[str, Any]) -> int:
    total = 0
    system = body.get("system")
    if isinstance(system, str):
        total += count_tokens(system)
    elif isinstance(system, list):
        total += sum(count_tokens(b.get("text", "")) for b in system)
    for m in body["messages"]:
        content = m["content"]
        if isinstance(content, str):
            total += count_tokens(content)
        else:
            total += sum(count_tokens(b.get("text", "")) for b in content)
    fmt = (body.get("output_config") or {}).get("format")
    if fmt:
        total += count_tokens(json.dumps(fmt))  # the schema is part of the prompt
    return total


def _validate(body: dict[str, Any] | None) -> str | None:
    """The API's 400 message for a malformed request, or None."""
    if not isinstance(body, dict):
        return "request body is not a JSON object"
    for name in ("model", "max_tokens", "messages"):
        if name not in body:
            return f"{name}: Field required"
    for name in REMOVED_PARAMS:
        if name in body:
            return f"{name}: Extra inputs are not permitted"
    problem = model_behaviour.thinking_problem(body)
    if problem:
        return problem
    choice = body.get("tool_choice")
    if isinstance(choice, dict) and choice.get("type") in {"any", "tool"}:
        return "tool_choice: forced tool use is not supported on this model"
    messages = body["messages"]
    if not isinstance(messages, list) or not messages or messages[-1].get("role") != "user":
        return "messages: the last message must have role 'user' (assistant prefill is not supported)"
    fmt = (body.get("output_config") or {}).get("format")
    if fmt is not None:
        if fmt.get("type") != "json_schema" or not isinstance(fmt.get("schema"), dict):
            return "output_config.format: expected {type: json_schema, schema: {...}}"
        problem = _check_schema(fmt["schema"], "schema")
        if problem:
            return f"output_config.format.{problem}"
    return None


def _check_schema(schema: dict[str, Any], where: str) -> str | None:
    """Structured outputs' rule: every object says additionalProperties: false and requires its keys."""
    if schema.get("type") == "object":
        if schema.get("additionalProperties") is not False:
            return f"{where}: objects must set additionalProperties to false"
        props = schema.get("properties", {})
        if set(schema.get("required", [])) != set(props):
            return f"{where}: every property must be required"
        for name, sub in props.items():
            problem = _check_schema(sub, f"{where}.{name}")
            if problem:
                return problem
    if schema.get("type") == "array" and isinstance(schema.get("items"), dict):
        return _check_schema(schema["items"], f"{where}.items")
    return None


def _generate(
    schema: dict[str, Any],
    path: str,
    name: str | None = None,
    *,
    names: list[str] | None = None,
    overview: bool = True,
) -> Any:
    """A value satisfying ``schema``; arrays of objects with a ``name`` get one item per name asked
    (the ``enum`` of names where the schema has one, else ``names``, read from the prompt)."""
    if "enum" in schema:
        return name if name in schema["enum"] else schema["enum"][0]
    kind = schema.get("type")
    if kind == "object":
        return {
            k: ""
            if k == "overview" and not overview and not path
            else _generate(v, f"{path}.{k}".strip("."), name, names=names, overview=overview)
            for k, v in schema.get("properties", {}).items()
        }
    if kind == "array":
        items = schema.get("items", {})
        props = items.get("properties", {}) if isinstance(items, dict) else {}
        listed = props.get("name", {}).get("enum") if "name" in props else None
        if listed is None and "name" in props and path == "symbols":
            listed = names or []
        if listed is not None:
            return [_generate(items, path, n) for n in listed]
        if path.endswith("params") and name:
            return [{"name": "arg", "description": f"An argument of {name}."}]
        return []
    if kind == "string":
        subject = name or "the file"
        field_name = path.rsplit(".", 1)[-1]
        return f"{field_name.capitalize()} of {subject}." if field_name != "name" else (name or "x")
    if kind in {"integer", "number"}:
        return 0
    if kind == "boolean":
        return False
    return None


def _plant(value: Any, text: str) -> Any:
    """``value`` with ``text`` appended to every string but the ``name`` fields that match symbols."""
    if not text:
        return value
    if isinstance(value, dict):
        return {k: v if k == "name" else _plant(v, text) for k, v in value.items()}
    if isinstance(value, list):
        return [_plant(v, text) for v in value]
    return f"{value} {text}" if isinstance(value, str) else value


class _Server(ThreadingHTTPServer):
    # socketserver's listen backlog is 5: a burst of new connections beyond it waits for the kernel's
    # 1 s SYN retransmission, which a scaled clock turns into many API seconds the real API never costs.
    request_queue_size = 256


class _Handler(BaseHTTPRequestHandler):
    fake: FakeAnthropic
    protocol_version = "HTTP/1.1"
    # One buffered write per response and no Nagle: otherwise headers and body go out as two segments
    # and delayed ACKs add ~40 ms to every request.
    wbufsize = -1
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
        return

    def _authorized(self) -> bool:
        key = self.fake.api_key
        ok = self.headers.get("authorization") == f"Bearer {key}" or self.headers.get("x-api-key") == key
        if not ok:
            error = {
                "type": "error",
                "error": {"type": "authentication_error", "message": "invalid x-api-key"},
            }
            self._send(401, {}, json.dumps(error).encode())
        return ok

    def _count_tokens(self, raw: bytes) -> None:
        self.fake.count_tokens_calls += 1
        if self.fake.count_tokens:
            self._send(200, {}, json.dumps({"input_tokens": _prompt_tokens(json.loads(raw))}).encode())
        else:
            self._send(404, {}, b'{"type":"error","error":{"type":"not_found_error","message":"no route"}}')

    def do_GET(self) -> None:
        if self.path.startswith(BATCHES) and self._authorized():
            self._send(*self.fake.batches.handle("GET", self.path, b""))
        elif not self.path.startswith(BATCHES):
            self._send(404, {}, b'{"type":"error","error":{"type":"not_found_error","message":"no route"}}')

    def do_POST(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        raw = self.rfile.read(length) if length else b""
        if self.path.startswith(BATCHES):
            if self._authorized():
                self._send(*self.fake.batches.handle("POST", self.path, raw))
            return
        if self.path.split("?")[0] == "/v1/messages/count_tokens":
            if self._authorized():
                self._count_tokens(raw)
            return
        if self.path.split("?")[0] != "/v1/messages":
            self._send(
                404,
                {},
                json.dumps(
                    {
                        "type": "error",
                        "error": {"type": "not_found_error", "message": f"no route {self.path}"},
                    }
                ).encode(),
            )
            return
        headers = {k.lower(): v for k, v in self.headers.items()}
        code, out_headers, body = self.fake.handle(headers, raw)
        if code is None:
            self.close_connection = True  # drop: no status line at all
            return
        self._send(code, out_headers, body)

    def _send(self, code: int, headers: dict[str, str], body: bytes) -> None:
        self.send_response(code)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        for k, v in headers.items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)


@contextmanager
def running(**kwargs: Any) -> Iterator[FakeAnthropic]:
    """``with running(...) as fake:``: a started server that is always stopped."""
    fake = FakeAnthropic(**kwargs).start()
    try:
        yield fake
    finally:
        fake.stop()
