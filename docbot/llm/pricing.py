"""Prices per million tokens, and the exact cost of one response from its ``usage``.

Cost is computed from what each response reports it used (input, output, cache writes, cache reads),
never estimated afterwards. Prices are USD per million tokens (MTok), from Anthropic's published price list
(late 2026). A model missing from the table needs explicit prices in the settings, or the run stops
before its first request: a silent zero-cost report would be worse than no run.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, replace

from docbot.config import LlmSettings
from docbot.errors import ConfigError, PermanentError

MTOK = 1_000_000


@dataclass(frozen=True)
class ModelPrice:
    """USD per million tokens for one model (standard API; the batch API costs ``batch_discount``)."""

    input: float
    output: float
    cache_write_5m: float
    cache_write_1h: float
    cache_read: float
    batch_discount: float = 0.5
    # Haiku 5.5 bills the *whole* request at a higher band once the prompt passes 100K tokens.
    long_prompt_threshold: int | None = None
    long_prompt: ModelPrice | None = None

    @property
    def batch_input(self) -> float:
        return self.input * self.batch_discount

    @property
    def batch_output(self) -> float:
        return self.output * self.batch_discount


@dataclass(frozen=True)
class TokenUsage:
    """The token counts of one response's ``usage`` block."""

    input_tokens: int = 0
    output_tokens: int = 0
    cache_write_5m_tokens: int = 0
    cache_write_1h_tokens: int = 0
    cache_read_tokens: int = 0

    @property
    def cache_write_tokens(self) -> int:
        return self.cache_write_5m_tokens + self.cache_write_1h_tokens

    @property
    def prompt_tokens(self) -> int:
        """All input the request was billed for: uncached + cache writes + cache reads."""
        return self.input_tokens + self.cache_write_tokens + self.cache_read_tokens


def _price(inp: float, out: float, w5: float, w1: float, read: float) -> ModelPrice:
    return ModelPrice(input=inp, output=out, cache_write_5m=w5, cache_write_1h=w1, cache_read=read)


_OPUS_4 = _price(5, 25, 6.25, 10, 0.50)
_SONNET_4 = _price(3, 15, 3.75, 6, 0.30)

PRICES: dict[str, ModelPrice] = {
    "claude-opus-5-5": _price(4, 20, 5, 8, 0.20),
    # Sonnet 5.5's cache read dropped from $0.20 to $0.10 on 2026-10-07 (migration guide).
    "claude-sonnet-5-5": _price(2, 10, 2.50, 4, 0.10),
    "claude-haiku-5-5": replace(
        _price(0.10, 0.50, 0.125, 0.20, 0.01),
        long_prompt_threshold=100_000,
        long_prompt=_price(0.50, 2.50, 0.625, 1.00, 0.05),
    ),
    "claude-opus-5": _price(5, 25, 6.25, 10, 0.50),
    "claude-sonnet-5": _price(2, 10, 2.50, 4, 0.20),
    "claude-haiku-4-5": _price(1, 5, 1.25, 2, 0.10),
    "claude-haiku-4-5-20251001": _price(1, 5, 1.25, 2, 0.10),
    "claude-opus-4-8": _OPUS_4,
    "claude-opus-4-7": _OPUS_4,
    "claude-opus-4-6": _OPUS_4,
    "claude-opus-4-5": _OPUS_4,
    "claude-opus-4-5-20251101": _OPUS_4,
    "claude-sonnet-4-6": _SONNET_4,
    "claude-sonnet-4-5": _SONNET_4,
    "claude-sonnet-4-5-20250929": _SONNET_4,
    "claude-fable-5-1": _price(10, 50, 12.50, 20, 0.25),
}


def price_for(settings: LlmSettings) -> ModelPrice:
    """The price of ``settings.model``: explicit settings first, then the built-in table.

    Explicit ``price_input_per_mtok`` / ``price_output_per_mtok`` override the table (a negotiated
    rate, or a model newer than this build); cache rates then default to the usual multipliers of the
    input price (1.25x 5-minute write, 2x 1-hour write, 0.1x read) unless also given.

    Raises:
        ConfigError: the model is not in the table and no explicit prices were given, or only one of
            the two explicit prices was given.
    """
    given_in, given_out = settings.price_input_per_mtok, settings.price_output_per_mtok
    if given_in is None and given_out is None:
        known = PRICES.get(settings.model)
        if known is None:
            raise ConfigError(
                f"model {settings.model!r} has no known price, so docbot cannot report or cap its cost; "
                "set price_input_per_mtok and price_output_per_mtok (DOCBOT_PRICE_INPUT_PER_MTOK, "
                f"DOCBOT_PRICE_OUTPUT_PER_MTOK) or use a known model: {', '.join(sorted(PRICES))}"
            )
        return known
    if given_in is None or given_out is None:
        raise ConfigError(
            f"price_input_per_mtok={given_in!r} and price_output_per_mtok={given_out!r}: "
            "set both, or neither to use the built-in price table"
        )
    read = settings.price_cache_read_per_mtok
    write = settings.price_cache_write_per_mtok
    return _price(
        given_in,
        given_out,
        write if write is not None else given_in * 1.25,
        given_in * 2,
        read if read is not None else given_in * 0.1,
    )


def cost_usd(usage: TokenUsage, price: ModelPrice, *, batch: bool = False) -> float:
    """Dollars one response cost, from its usage.

    Args:
        usage: the response's token counts.
        price: the model's price.
        batch: the request went through the Message Batches API (``batch_discount`` off everything).

    Returns:
        The cost in USD (not rounded).
    """
    if (
        price.long_prompt is not None
        and price.long_prompt_threshold is not None
        and usage.prompt_tokens > price.long_prompt_threshold
    ):
        price = price.long_prompt
    dollars = (
        usage.input_tokens * price.input
        + usage.output_tokens * price.output
        + usage.cache_write_5m_tokens * price.cache_write_5m
        + usage.cache_write_1h_tokens * price.cache_write_1h
        + usage.cache_read_tokens * price.cache_read
    )
    # Anthropic's price list: the batch discount applies to every token type (cache multipliers stack).
    return dollars * (price.batch_discount if batch else 1.0) / MTOK


def worst_case_cost_usd(prompt_tokens: int, max_tokens: int, price: ModelPrice) -> float:
    """The most a request can cost: every prompt token at the dearest input rate, ``max_tokens`` out.

    Used by the budget guard before a request is sent, so a run never crosses ``max_cost_usd``.
    """
    if (
        price.long_prompt is not None
        and price.long_prompt_threshold is not None
        and prompt_tokens > price.long_prompt_threshold
    ):
        price = price.long_prompt
    dearest_in = max(price.input, price.cache_write_5m, price.cache_write_1h)
    return (prompt_tokens * dearest_in + max_tokens * price.output) / MTOK


SKIPPED_BUDGET = "skipped: budget"


class BudgetExceededError(PermanentError):
    """A request was not sent because its worst case would cross ``max_cost_usd``."""

    def __init__(self) -> None:
        super().__init__(SKIPPED_BUDGET)


class Budget:
    """The run's spending cap: money spent so far plus worst cases reserved by requests in flight.

    A request reserves its worst-case cost before it is sent and is refused if the reservation would
    cross the cap; when it returns, the reservation is replaced by what it really cost. So concurrent
    requests can never jointly overshoot, and what already succeeded is kept (and published).
    """

    def __init__(self, limit_usd: float | None) -> None:
        self.limit_usd = limit_usd
        self._lock = threading.Lock()
        self._spent = 0.0
        self._reserved = 0.0

    @property
    def spent_usd(self) -> float:
        with self._lock:
            return self._spent

    def reserve(self, worst_case_usd: float) -> None:
        """Hold ``worst_case_usd`` for a request about to be sent.

        Raises:
            BudgetExceededError: the cap would be crossed; the request must not be sent.
        """
        with self._lock:
            if self.limit_usd is not None and self._spent + self._reserved + worst_case_usd > self.limit_usd:
                raise BudgetExceededError()
            self._reserved += worst_case_usd

    def settle(self, worst_case_usd: float, actual_usd: float) -> None:
        """Replace a reservation by the request's real cost (0 when nothing was billed)."""
        with self._lock:
            self._reserved -= worst_case_usd
            self._spent += actual_usd
