"""Prices, exact cost from usage, and the budget guard's arithmetic."""

from __future__ import annotations

import threading

import pytest

from docbot.config import load_settings
from docbot.errors import ConfigError
from docbot.llm.pricing import (
    PRICES,
    SKIPPED_BUDGET,
    Budget,
    BudgetExceededError,
    TokenUsage,
    cost_usd,
    price_for,
    worst_case_cost_usd,
)


def test_current_models_are_priced_with_cache_and_batch_rates() -> None:
    sonnet = PRICES["claude-sonnet-5-5"]
    assert (sonnet.input, sonnet.output, sonnet.cache_write_5m, sonnet.cache_write_1h, sonnet.cache_read) == (
        2,
        10,
        2.5,
        4,
        0.10,
    )
    assert (sonnet.batch_input, sonnet.batch_output) == (1, 5)
    assert PRICES["claude-opus-5-5"].output == 20
    assert PRICES["claude-haiku-5-5"].input == 0.10


def test_cost_is_usage_times_price() -> None:
    usage = TokenUsage(
        input_tokens=1_000,
        output_tokens=2_000,
        cache_write_5m_tokens=3_000,
        cache_write_1h_tokens=500,
        cache_read_tokens=10_000,
    )
    expected = (1_000 * 2 + 2_000 * 10 + 3_000 * 2.5 + 500 * 4 + 10_000 * 0.10) / 1e6
    assert cost_usd(usage, PRICES["claude-sonnet-5-5"]) == pytest.approx(expected, rel=1e-12)
    # The batch discount applies to cache writes and reads too: the multipliers stack.
    assert cost_usd(usage, PRICES["claude-sonnet-5-5"], batch=True) == pytest.approx(expected / 2, rel=1e-12)


def test_haiku_bills_the_whole_request_at_the_long_prompt_rate_past_100k() -> None:
    haiku = PRICES["claude-haiku-5-5"]
    short = TokenUsage(input_tokens=100_000, output_tokens=1_000)
    long = TokenUsage(input_tokens=100_001, output_tokens=1_000)
    assert cost_usd(short, haiku) == pytest.approx((100_000 * 0.10 + 1_000 * 0.50) / 1e6)
    assert cost_usd(long, haiku) == pytest.approx((100_001 * 0.50 + 1_000 * 2.50) / 1e6)


def test_explicit_prices_override_and_default_the_cache_rates() -> None:
    settings = load_settings(
        {"model": "my-model", "price_input_per_mtok": "4", "price_output_per_mtok": "8"}, env={}
    )
    price = price_for(settings.llm)
    assert (price.input, price.output, price.cache_write_5m, price.cache_read) == (
        4,
        8,
        5,
        pytest.approx(0.4),
    )


def test_half_given_prices_are_an_error() -> None:
    settings = load_settings({"price_input_per_mtok": "4"}, env={})
    with pytest.raises(ConfigError, match="set both"):
        price_for(settings.llm)


def test_unknown_model_is_a_config_error_naming_the_fix() -> None:
    with pytest.raises(ConfigError, match=r"'gpt-x' has no known price.*DOCBOT_PRICE_INPUT_PER_MTOK"):
        price_for(load_settings({"model": "gpt-x"}, env={}).llm)


def test_worst_case_uses_the_dearest_input_rate_and_max_tokens() -> None:
    assert worst_case_cost_usd(1_000, 2_000, PRICES["claude-sonnet-5-5"]) == pytest.approx(
        (1_000 * 4 + 2_000 * 10) / 1e6
    )


def test_budget_refuses_what_would_cross_the_cap_counting_work_in_flight() -> None:
    budget = Budget(1.0)
    budget.reserve(0.6)
    with pytest.raises(BudgetExceededError, match=f"^{SKIPPED_BUDGET}$"):
        budget.reserve(0.5)  # 0.6 in flight + 0.5 > 1.0
    budget.settle(0.6, 0.2)  # it really cost 0.2
    budget.reserve(0.5)
    budget.settle(0.5, 0.5)
    assert budget.spent_usd == pytest.approx(0.7)
    with pytest.raises(BudgetExceededError):
        budget.reserve(0.31)
    budget.reserve(0.3)


def test_budget_is_thread_safe() -> None:
    budget = Budget(100.0)
    refused = []

    def spend() -> None:
        for _ in range(100):
            try:
                budget.reserve(0.1)
            except BudgetExceededError:
                refused.append(1)
                continue
            budget.settle(0.1, 0.1)

    threads = [threading.Thread(target=spend) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert budget.spent_usd == pytest.approx(80.0)
    assert refused == []
    assert Budget(None).limit_usd is None


def test_provider_settings_parse_from_the_environment() -> None:
    env = {
        "DOCBOT_MAX_COST_USD": "2.5",
        "DOCBOT_PRICE_INPUT_PER_MTOK": "",
        "DOCBOT_CURRENCY": "inr",
        "DOCBOT_CURRENCY_RATE": "84.5",
        "DOCBOT_RPM_LIMIT": "50",
        "DOCBOT_MAX_TOKENS": "8000",
    }
    settings = load_settings({}, env=env)
    assert settings.llm.max_cost_usd == 2.5
    assert settings.llm.price_input_per_mtok is None
    assert (settings.llm.currency, settings.llm.currency_rate) == ("INR", 84.5)
    assert (settings.llm.rpm_limit, settings.llm.max_tokens) == (50, 8000)
    assert load_settings({}, env={}).llm.max_cost_usd is None


def test_bad_provider_settings_quote_the_value() -> None:
    with pytest.raises(ConfigError, match=r"max_cost_usd \(from DOCBOT_MAX_COST_USD\): expected a number"):
        load_settings({}, env={"DOCBOT_MAX_COST_USD": "lots"})
    with pytest.raises(ConfigError, match="max_tokens: 10 is out of range"):
        load_settings({"max_tokens": 10}, env={})
