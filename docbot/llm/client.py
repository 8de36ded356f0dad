"""The Claude provider: one chunk -> one structured Messages API request, paced, retried and priced.

Per request: the budget guard reserves the worst-case cost, the rate limiter waits for room, the
circuit breaker may refuse, then the real ``anthropic`` client sends it (``max_retries=0``: docbot's
tenacity policy owns retries, the SDK's own two would triple the attempts). The response's ``usage``
gives the exact tokens and cost; its ``anthropic-ratelimit-*`` headers correct the limiter.

Per chunk: ``max_tokens`` is the predicted output (``llm/output.py``), capped by the answer limit
(``max_tokens`` setting, and the tier's whole OTPM budget); a chunk whose prediction does not fit is
asked for in halves. A reply cut off at ``max_tokens`` keeps the whole entries written before the cut
and asks for the rest; with none whole it is split in halves (a single symbol is retried once with
twice the room, never more than the OTPM budget); a reply not matching the schema is retried once,
then split.
"""

from __future__ import annotations

import hashlib
import logging
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

import anthropic
from anthropic.types import Message

from docbot.config import LlmSettings
from docbot.docs import ChunkDoc, SymbolDoc, Usage, UsageMeter
from docbot.errors import ConfigError, DocbotError, PermanentError, TransientError
from docbot.llm import system_lifetime
from docbot.llm.base import DocRequest, OverviewRequest
from docbot.llm.breaker import CircuitBreaker
from docbot.llm.deadline import Deadline, TimeBudgetError
from docbot.llm.output import MIN_MAX_TOKENS, OutputModel
from docbot.llm.pricing import Budget, ModelPrice, TokenUsage, cost_usd, price_for, worst_case_cost_usd
from docbot.llm.prompt import (
    COMPATIBLE_PROMPT_VERSIONS,
    PROMPT_VERSION,
    ContentError,
    asked_names,
    build_overview_params,
    build_params,
    estimate_prompt_tokens,
    house_style_block,
    parse_overview,
    parse_reply,
    resolve_names,
    salvage_cut_off,
    system_prefix,
    warm_params,
)
from docbot.llm.ratelimit import Permit, RateLimiter
from docbot.llm.retry import ApiTransientError, FailureStreak, RetryPolicy, build_retrying, translate
from docbot.llm.thinking import key_options

log = logging.getLogger("docbot.llm")

DEFAULT_BASE_URL = "https://api.anthropic.com"
# Without streaming, a reply must arrive within the request timeout; 32K output tokens is minutes.
MAX_TOKENS_CEILING = 32_000


class _Tally:
    """What one chunk's requests used so far. Touched by one thread only (the one documenting it)."""

    def __init__(self) -> None:
        self._total = Usage()

    def add(self, **counts: float) -> None:
        self._total = self._total + Usage(**counts)  # type: ignore[arg-type]

    def usage(self) -> Usage:
        return self._total


def thinking_tokens(message: Message) -> int:
    """The thinking share of a response's output tokens, where the API reports it (else 0)."""
    details = getattr(getattr(message, "usage", None), "output_tokens_details", None)
    return int(getattr(details, "thinking_tokens", 0) or 0)


def prompt_cache_saving_usd(usage: TokenUsage, price: ModelPrice) -> float:
    """What the prompt cache saved on one response: reads at the cache price instead of the input price,
    less the premium paid for writing (negative when a written prefix was never read back)."""
    saved = usage.cache_read_tokens * (price.input - price.cache_read)
    saved -= usage.cache_write_5m_tokens * (price.cache_write_5m - price.input)
    saved -= usage.cache_write_1h_tokens * (price.cache_write_1h - price.input)
    return saved / 1_000_000


def token_usage(message: Message) -> TokenUsage:
    """The token counts of a response, with cache writes split by lifetime when the API says so."""
    u = getattr(message, "usage", None)  # the SDK does not validate responses: it may be absent
    if u is None:  # a wire-compatible server that omits usage: nothing to bill, not a crash
        return TokenUsage()
    write = u.cache_creation_input_tokens or 0
    w1h = 0
    if u.cache_creation is not None:
        w1h = u.cache_creation.ephemeral_1h_input_tokens or 0
    return TokenUsage(
        input_tokens=u.input_tokens,
        output_tokens=u.output_tokens,
        cache_write_5m_tokens=write - w1h,
        cache_write_1h_tokens=w1h,
        cache_read_tokens=u.cache_read_input_tokens or 0,
    )


class AnthropicProvider:
    """Documents chunks with Claude. Thread-safe: the pipeline calls ``document`` from a thread pool.

    Args:
        settings: model, limits, retry and budget settings, the API key and base URL.
        client: an ``anthropic.Anthropic`` (or the Bedrock or Vertex client) to use instead of building
            one from the settings.
        clock: monotonic seconds for the limiter and breaker.
        sleep: how to wait (tests record waits instead of sleeping).
        uniform: the backoff jitter draw.
        name: the provider's name in reports and cache keys (the platform of ``client``).
        price: the model's price when ``settings.model`` is a platform id the price table does not list.

    Raises:
        ConfigError: no API key, or the model has no known price and none was given.
    """

    name = "anthropic"
    prompt_version = PROMPT_VERSION
    compatible_prompt_versions: tuple[str, ...] = COMPATIBLE_PROMPT_VERSIONS

    def __init__(
        self,
        settings: LlmSettings,
        *,
        client: anthropic.Anthropic | anthropic.AnthropicBedrock | anthropic.AnthropicVertex | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        uniform: Callable[[float, float], float] = random.uniform,
        name: str = "anthropic",
        price: ModelPrice | None = None,
    ) -> None:
        self.name = name  # the platform (anthropic, bedrock, vertex): part of every cache key
        self.model = settings.model
        self._settings = settings
        # Effort and thinking change the answer: the pipeline puts them into every cache key.
        self.cache_options = key_options(settings)
        house_style = house_style_block(settings.instructions, settings.language)
        if house_style:
            # The house style changes the answers: cached answers under another style are not reused.
            digest = hashlib.sha256(house_style.encode()).hexdigest()[:16]
            self.prompt_version = f"{PROMPT_VERSION}+style-{digest}"
            self.compatible_prompt_versions = ()  # older answers were written without this style
        # Unknown model without prices: stop before any call.
        self.price: ModelPrice = price if price is not None else price_for(settings)
        if client is None:
            if settings.anthropic_api_key is None:
                raise ConfigError(
                    "provider 'anthropic' needs ANTHROPIC_API_KEY; set it, or use --provider offline"
                )
            client = anthropic.Anthropic(
                api_key=settings.anthropic_api_key.reveal(),
                # Explicit, so the SDK never falls back to reading the environment itself.
                base_url=settings.anthropic_base_url or DEFAULT_BASE_URL,
                max_retries=0,
                timeout=settings.request_timeout_s,
            )
        self._client = client
        self._max_tokens = settings.max_tokens
        self.deadline = Deadline(settings.max_run_minutes, clock)
        sleep = self.deadline.bounded(sleep)  # no wait outlasts the run's time budget
        self._sleep = sleep
        self._uniform = uniform
        self.policy = RetryPolicy(
            max_attempts=settings.max_attempts,
            max_attempts_rate_limited=settings.max_attempts_rate_limited,
            initial_s=settings.backoff_initial_s,
            max_s=settings.backoff_max_s,
        )
        self.limiter = RateLimiter(
            rpm=settings.rpm_limit,
            itpm=settings.itpm_limit,
            otpm=settings.otpm_limit,
            max_concurrency=settings.max_concurrency,
            clock=clock,
            sleep=sleep,
            # The platforms' 429s carry no rate-limit headers: each one has to count as a limit.
            limits_in_headers=name == "anthropic",
        )
        self.breaker = CircuitBreaker(
            settings.breaker_threshold,
            settings.breaker_cooldown_s,
            clock,
            sleep=sleep,
            max_open_s=settings.breaker_max_open_s,
        )
        self.budget = Budget(settings.max_cost_usd)
        self.streak = FailureStreak()  # caps every request's backoff while the others are answered
        self.output = OutputModel(settings.model)
        self._failed = UsageMeter()

    def failed_usage(self) -> Usage:
        return self._failed.total()

    @property
    def system_record_key(self) -> str:
        """Where the cache records when this provider's server was last sent its system block."""
        return system_lifetime.record_key(str(self._client.base_url), system_prefix(self._settings))

    @property
    def client(self) -> anthropic.Anthropic | anthropic.AnthropicBedrock | anthropic.AnthropicVertex:
        """The SDK client requests go through (the batch runner and the estimate use it too)."""
        return self._client

    def count_tokens(self, params: dict[str, Any]) -> int | None:
        """The prompt tokens of ``params`` by the API's ``count_tokens`` (free), or None if it failed."""
        fields = {k: v for k, v in params.items() if k in {"model", "system", "messages", "output_config"}}
        try:
            return int(self._client.messages.count_tokens(**fields).input_tokens)
        except (anthropic.AnthropicError, ValueError) as exc:
            log.info("count_tokens failed (%s); estimating from the characters", exc)
            return None

    def document(self, request: DocRequest) -> ChunkDoc:
        """Document one chunk (see ``Provider.document``).

        Raises:
            TransientError: every attempt failed with a retryable error.
            PermanentError: the API refused the request, the reply stayed unusable, the circuit is open
                ("circuit open"), the budget would be crossed ("skipped: budget") or the run's time
                budget is spent ("time budget").
        """
        tally = _Tally()
        names = asked_names(request)
        try:
            overview, docs = self._document(request, names, request.want_overview, tally)
        except Exception:
            self._failed.add(tally.usage())
            raise
        finally:
            self.output.done()
        return ChunkDoc(overview=overview, symbols=docs, model=self.model, usage=tally.usage())

    def warm(self, request: DocRequest) -> Usage:
        """Write the prompt-cache prefix shared by ``request`` and the file's other chunks; what it cost.

        Best effort: a failure is logged and the chunks are sent anyway (they then write it themselves).
        """
        tally = _Tally()
        where = f"{request.chunk.path} (cache warm-up)"
        try:
            self._send(warm_params(request, self._settings), tally, where, content_retry=False)
        except DocbotError as exc:
            log.warning("%s: %s", where, exc)
        return tally.usage()

    def answer_limit(self) -> int:
        """The most one planned request may reserve: ``max_tokens``, and never more than the tier's
        whole per-minute output budget (a request over it could never be admitted)."""
        otpm = int(self.limiter.capacity("output"))
        return max(MIN_MAX_TOKENS, min(self._max_tokens, otpm, MAX_TOKENS_CEILING))

    def first_room(self, request: DocRequest) -> int:
        """The ``max_tokens`` of ``request``'s first attempt (a batch item sends the same bytes)."""
        names = asked_names(request)
        return min(self.output.predict(len(names), request.want_overview), self.answer_limit())

    def first_overview_room(self) -> int:
        """The ``max_tokens`` of a file overview's first attempt (a batch item sends the same bytes)."""
        return min(self.output.predict(0, True), self.answer_limit())

    def overview(self, request: OverviewRequest) -> ChunkDoc:
        """The file's overview, asked once per file (see ``OverviewProvider.overview``).

        Its ``max_tokens`` is the predicted output of an overview alone (``llm/output.py``), within the
        answer limit. A reply off-schema is asked once more; one cut off, once more with twice the room
        (never more than the tier's whole output budget); then the overview fails.
        """
        tally = _Tally()
        problem: ContentError | None = None
        room = self.first_overview_room()
        try:
            for _ in range(2):
                params = build_overview_params(request, self._settings, max_tokens=room)
                message = self._send(
                    params, tally, f"{request.path}#overview", content_retry=problem is not None
                )
                text = "".join(block.text for block in message.content if block.type == "text")
                try:
                    overview = parse_overview(text, message.stop_reason)
                except ContentError as exc:
                    problem = exc
                    if message.stop_reason == "max_tokens":
                        otpm = int(self.limiter.capacity("output"))
                        room = max(room, min(2 * room, otpm, MAX_TOKENS_CEILING))
                    continue
                return ChunkDoc(overview=overview, symbols=(), model=self.model, usage=tally.usage())
        except Exception:
            self._failed.add(tally.usage())
            raise
        self._failed.add(tally.usage())
        raise PermanentError(f"unusable overview from {self.model}: {problem}")

    def _document(
        self,
        request: DocRequest,
        names: list[str],
        want_overview: bool,
        tally: _Tally,
    ) -> tuple[str | None, tuple[SymbolDoc, ...]]:
        if not names and not want_overview:
            return None, ()  # nothing to ask: a later chunk of a file without symbols
        where = f"{request.chunk.path}#{request.chunk.index}"
        predicted = self.output.predict(len(names), want_overview)
        if predicted > self.answer_limit() and len(names) > 1:
            # Split on this run's own figure, not the recorded one alone, where a reply is due soon.
            self.output.await_evidence(self._settings.request_timeout_s)
            predicted = self.output.predict(len(names), want_overview)
        if predicted > self.answer_limit() and len(names) > 1:
            # The reply would not fit: ask for the symbols in two requests rather than be cut off.
            return self._halves(request, names, want_overview, tally, where)
        room = min(predicted, self.answer_limit())
        problem: ContentError | None = None
        for _ in range(2):  # once more after an unusable reply
            asked = replace(request, names=tuple(names), want_overview=want_overview)
            params = build_params(asked, self._settings, max_tokens=room)
            message = self._send(params, tally, where, content_retry=problem is not None)
            # Thinking blocks (empty text and a signature by default) are not part of the answer.
            text = "".join(block.text for block in message.content if block.type == "text")
            try:
                overview, docs = parse_reply(text, message.stop_reason, want_overview=want_overview)
                result = overview, resolve_names(docs, names)
            except ContentError as exc:
                problem = exc
                log.warning("%s: unusable reply with max_tokens=%d (%s)", where, room, exc)
                cut_off = message.stop_reason == "max_tokens"
                if cut_off and len(names) > 1:
                    # Keep the whole entries written before the cut (they were paid for) and ask only
                    # for the rest; with none whole, split: never a bigger reservation.
                    kept = [d for d in resolve_names(salvage_cut_off(text), names) if d.name in names]
                    if kept:
                        done = {d.name for d in kept}
                        log.info("%s: kept %d symbols of a cut-off reply", where, len(kept))
                        rest = [n for n in names if n not in done]
                        overview, later = self._document(request, rest, want_overview, tally)
                        return overview, tuple(kept) + later
                    break
                if cut_off:
                    # One symbol: more room, but never more than the tier's whole output budget.
                    otpm = int(self.limiter.capacity("output"))
                    room = max(room, min(2 * room, otpm, MAX_TOKENS_CEILING))
                continue
            usage = getattr(message, "usage", None)
            if usage is not None:
                self.output.record(len(names), want_overview, usage.output_tokens)
            return result
        if len(names) > 1:
            return self._halves(request, names, want_overview, tally, where)
        raise PermanentError(f"unusable reply from {self.model}: {problem}")

    def _halves(
        self, request: DocRequest, names: list[str], want_overview: bool, tally: _Tally, where: str
    ) -> tuple[str | None, tuple[SymbolDoc, ...]]:
        half = len(names) // 2
        log.info("%s: asking for %d symbols in two requests", where, len(names))
        overview, first = self._document(request, names[:half], want_overview, tally)
        _, second = self._document(request, names[half:], False, tally)
        return overview, first + second

    def _send(self, params: dict[str, Any], tally: _Tally, where: str, *, content_retry: bool) -> Message:
        """Send one request under the budget, the limiter, the breaker and the retry policy."""
        prompt_tokens = estimate_prompt_tokens(params)
        max_tokens = int(params["max_tokens"])
        worst = worst_case_cost_usd(prompt_tokens, max_tokens, self.price)
        attempts = 0

        def attempt() -> Message:
            nonlocal attempts
            # Never reserve more than the tier's whole output budget, as last learned from the headers
            # (a 429 for a request that alone is over it teaches the limit the first one did not know).
            otpm = int(self.limiter.capacity("output"))
            if int(params["max_tokens"]) > otpm:
                params["max_tokens"] = max(MIN_MAX_TOKENS, otpm)
            self.deadline.check()  # raises TimeBudgetError: "time budget" (a retry is a new start too)
            self.budget.reserve(worst)  # raises BudgetExceededError: "skipped: budget"
            spent = 0.0
            try:
                # Waits while the circuit is open, before taking a slot or tokens it would hold idle;
                # raises CircuitOpenError ("circuit open") only after a whole outage.
                self.breaker.before_request()
                try:
                    permit = self.limiter.acquire(prompt_tokens, max_tokens)
                except BaseException:
                    self.breaker.cancel()
                    raise
                if self.deadline.expired():  # the budget ran out while it waited for room
                    self.limiter.settle(permit, 0, 0)
                    self.limiter.release(permit)
                    self.breaker.cancel()
                    raise TimeBudgetError()
                try:
                    attempts += 1
                    tally.add(requests=1)
                    if attempts > 1 or content_retry:
                        tally.add(retries=1)
                    try:
                        message, spent = self._attempt(params, permit, tally)
                    except TransientError:
                        self.streak.failed()
                        raise
                    self.streak.succeeded()
                    return message
                finally:
                    self.limiter.release(permit)
            finally:
                self.budget.settle(worst, spent)

        def on_retry(exc: BaseException, attempt_number: int, wait: float) -> None:
            log.warning("%s: attempt %d failed (%s); retrying in %.2f s", where, attempt_number, exc, wait)

        retrying = build_retrying(
            self.policy, sleep=self._sleep, uniform=self._uniform, on_retry=on_retry, streak=self.streak
        )
        result: Message = retrying(attempt)
        return result

    def _attempt(self, params: dict[str, Any], permit: Permit, tally: _Tally) -> tuple[Message, float]:
        """One HTTP request: translate errors, feed the limiter and breaker, account usage and cost."""
        try:
            raw = self._client.messages.with_raw_response.create(**params)
            message = raw.parse()
        except anthropic.AnthropicError as exc:  # every SDK error, so none escapes untranslated
            error = translate(exc)
            self.limiter.settle(permit, 0, 0)  # refused or lost: the tokens were not used
            headers: Mapping[str, str] = {}
            if isinstance(exc, anthropic.APIStatusError):
                headers = exc.response.headers
                self.limiter.observe(headers, since=permit.taken_at)
                if exc.status_code == 429:
                    tally.add(rate_limited=1)
            if isinstance(error, ApiTransientError):
                if error.status == 429:
                    # Pauses every request and shrinks the window only when the headers tell a limit.
                    if not self.limiter.refused(error.retry_after or 0.0, headers):
                        log.debug("429 without rate-limit headers: only this request waits")
                elif error.rate_limited and error.retry_after:
                    self.limiter.pause(error.retry_after, shrink=False)
                if error.service_failure:
                    self.breaker.record_failure()
                else:
                    self.breaker.record_success()  # a 429: the service is up, only pacing us
            else:
                self.breaker.record_success()  # the service answered; the request was at fault
            raise error from exc
        except ValueError as exc:
            # A 200 whose body is not a Message (the SDK raises json's ValueError): garbled in transit.
            self.limiter.settle(permit, 0, 0)
            self.breaker.record_failure()
            raise ApiTransientError(f"unreadable response ({exc})", status=200) from exc
        self.breaker.record_success()
        self.limiter.answered()
        self.limiter.observe(raw.headers, since=permit.taken_at)
        usage = token_usage(message)
        self.limiter.settle(permit, usage.input_tokens + usage.cache_write_tokens, usage.output_tokens)
        spent = cost_usd(usage, self.price)
        tally.add(
            thinking_tokens=thinking_tokens(message),
            cache_saved_usd=prompt_cache_saving_usd(usage, self.price),
            input_tokens=usage.input_tokens,
            output_tokens=usage.output_tokens,
            cache_read_tokens=usage.cache_read_tokens,
            cache_write_tokens=usage.cache_write_tokens,
            cost_usd=spent,
        )
        return message, spent
