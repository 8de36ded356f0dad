"""The request layout: a cached prefix that is the same bytes in every request; effort and thinking."""

from __future__ import annotations

import json
from dataclasses import replace

import anthropic
import pytest

from docbot import shard
from docbot.chunking import split_source
from docbot.config import load_settings
from docbot.docs import SymbolDoc
from docbot.errors import PermanentError
from docbot.llm.base import DocRequest, OverviewRequest
from docbot.llm.client import AnthropicProvider
from docbot.llm.pricing import PRICES
from docbot.llm.prompt import (
    OUTPUT_SCHEMA,
    SYSTEM_PROMPT,
    build_overview_params,
    build_params,
    parse_overview,
    resolve_names,
)
from docbot.pipeline import outline
from tests.fakes.anthropic_server import FakeAnthropic, count_tokens, running
from tests.fakes.clock import FakeClock
from tests.fakes.model_behaviour import THINKING_PER_ANSWER_TOKEN


def _module(n: int, prefix: str = "f") -> str:
    return "".join(f"def {prefix}{i}(a):\n    return a + {i}  # {'x' * 60}\n\n\n" for i in range(n))


def _requests(source: str, path: str, **split: int) -> list[DocRequest]:
    syms, chunks = split_source(path, "python", source, **split)
    text = outline(tuple(syms))
    return [DocRequest(c, want_overview=c.index == 0, outline=text) for c in chunks]


def _provider(fake: FakeAnthropic, **overrides: object) -> AnthropicProvider:
    values: dict[str, object] = {
        "provider": "anthropic",
        "anthropic_api_key": fake.api_key,
        "anthropic_base_url": fake.url,
        **overrides,
    }
    clock = FakeClock()
    return AnthropicProvider(load_settings(values, env={}).llm, clock=clock.now, sleep=clock.sleep)


def _prefix(body: dict[str, object]) -> bytes:
    """The bytes up to the first breakpoint: schema and system block, as sent."""
    return json.dumps([body["output_config"], body["system"]]).encode()  # type: ignore[index]


def test_the_system_block_is_long_enough_to_be_cached() -> None:
    # 1,024 tokens is the minimum most sources give for the current models (the fake counts 4
    # characters per token, close to Claude's tokenizer on English).
    assert count_tokens(SYSTEM_PROMPT) >= 1024


def test_every_request_of_a_run_shares_the_schema_and_system_bytes_and_reads_them_back() -> None:
    first_file = _requests(_module(60), "pkg/a.py", max_lines=50)
    other_file = _requests(_module(10, "g"), "pkg/b.py")
    assert len(first_file) >= 3
    with running() as fake:
        provider = _provider(fake)
        for request in [*first_file, *other_file]:
            provider.document(request)
        bodies = [s.body for s in fake.seen if s.body is not None]
        usages = [s.usage for s in fake.seen if s.usage is not None]
    # A chunk whose predicted answer would not fit max_tokens goes out as two requests.
    assert len(bodies) >= len(first_file) + len(other_file)
    assert len({_prefix(b) for b in bodies}) == 1  # byte-identical across files and chunks
    for body in bodies:
        assert body["output_config"]["format"]["schema"] == OUTPUT_SCHEMA
        breakpoints = [b for b in [*body["system"], *body["messages"][0]["content"]] if "cache_control" in b]
        assert len(breakpoints) == 2  # system, file block (at most 4 are allowed)
    # The file block is shared by the chunks of one file, and differs between files.
    blocks = [b["messages"][0]["content"][0]["text"] for b in bodies]
    of_a = {t for t in blocks if "pkg/a.py" in t.split("\n", 1)[0]}
    of_b = {t for t in blocks if "pkg/b.py" in t.split("\n", 1)[0]}
    assert len(of_a) == 1 and len(of_b) == 1 and of_a != of_b
    # Every request after the first reads the system prefix; later chunks of a file read its block too.
    assert usages[0]["cache_read_input_tokens"] == 0 and usages[0]["cache_creation_input_tokens"] > 0
    assert all(u["cache_read_input_tokens"] > 0 for u in usages[1:])
    assert usages[1]["cache_read_input_tokens"] == usages[0]["cache_creation_input_tokens"]
    first_b = next(i for i, t in enumerate(blocks) if "pkg/b.py" in t.split("\n", 1)[0])
    assert usages[first_b]["cache_read_input_tokens"] < usages[1]["cache_read_input_tokens"]
    # After the first request, at least half of all input tokens are cache reads.
    later = usages[1:first_b]
    read = sum(u["cache_read_input_tokens"] for u in later)
    total = sum(
        u["input_tokens"] + u["cache_read_input_tokens"] + u["cache_creation_input_tokens"] for u in later
    )
    assert read >= total / 2


def test_a_schema_that_changes_between_requests_misses_the_prompt_cache() -> None:
    # The fake models what is reported of the real API; this is why the schema is fixed.
    (request,) = _requests(_module(5), "pkg/a.py")
    settings = load_settings({"provider": "anthropic", "anthropic_api_key": "k"}, env={}).llm
    with running(api_key="k") as fake:
        client = anthropic.Anthropic(api_key="k", base_url=fake.url, max_retries=0)
        params = build_params(request, settings)
        client.messages.create(**params)
        client.messages.create(**params)
        changed = json.loads(json.dumps(params))
        changed["output_config"]["format"]["schema"]["properties"]["symbols"]["items"]["properties"]["name"][
            "enum"
        ] = ["f0"]
        client.messages.create(**changed)
        reads = [s.usage["cache_read_input_tokens"] for s in fake.seen if s.usage]
    assert reads[0] == 0 and reads[1] > 0 and reads[2] == 0


def test_a_long_run_writes_the_system_prefix_for_an_hour_and_prices_it_so() -> None:
    (request,) = _requests(_module(5), "pkg/a.py")
    with running() as fake:
        provider = _provider(fake)
        doc = provider.document(replace(request, long_run=True))
        (seen,) = fake.seen
    assert seen.body is not None and seen.usage is not None
    assert seen.body["system"][0]["cache_control"] == {"type": "ephemeral", "ttl": "1h"}
    assert seen.body["messages"][0]["content"][0]["cache_control"] == {"type": "ephemeral"}
    assert 0 < seen.cache_write_1h < seen.usage["cache_creation_input_tokens"]  # system 1h, file block 5m
    p = PRICES["claude-sonnet-5-5"]
    u = seen.usage
    expected = (
        u["input_tokens"] * p.input
        + u["output_tokens"] * p.output
        + (u["cache_creation_input_tokens"] - seen.cache_write_1h) * p.cache_write_5m
        + seen.cache_write_1h * p.cache_write_1h
    ) / 1_000_000
    assert doc.usage.cost_usd == pytest.approx(expected, rel=1e-12)
    # Nothing was read back yet: the writes' premium is a (negative) saving.
    assert doc.usage.cache_saved_usd < 0


def test_reading_the_prefix_back_is_reported_as_a_saving() -> None:
    requests = _requests(_module(60), "pkg/a.py", max_lines=50)
    with running() as fake:
        provider = _provider(fake)
        docs = [provider.document(r) for r in requests[:2]]
        second = fake.seen[1].usage
    assert second is not None
    p = PRICES["claude-sonnet-5-5"]
    assert docs[1].usage.cache_saved_usd == pytest.approx(
        second["cache_read_input_tokens"] * (p.input - p.cache_read) / 1e6
        - second["cache_creation_input_tokens"] * (p.cache_write_5m - p.input) / 1e6
    )
    assert docs[1].usage.cache_saved_usd > 0


# --- effort and thinking ---


@pytest.mark.parametrize(
    ("model", "effort", "thinking"),
    [
        ("claude-sonnet-5-5", "low", {"type": "between_tools"}),
        ("claude-haiku-5-5", "low", {"type": "disabled"}),
        ("claude-opus-5", "high", {"type": "disabled"}),
        ("claude-haiku-5-5", "max", None),  # disabled is accepted at effort high or lower only
        ("claude-opus-5-5", "low", None),  # cannot turn thinking off
    ],
)
def test_effort_and_thinking_sent_per_model_are_accepted(
    model: str, effort: str, thinking: dict[str, str] | None
) -> None:
    (request,) = _requests(_module(3), "pkg/a.py")
    with running() as fake:
        provider = _provider(fake, model=model, effort=effort)
        room = provider.first_room(request)  # the predicted answer: well under max_tokens here
        doc = provider.document(request)
        (seen,) = fake.seen
    assert room < 4096
    assert seen.status == 200 and seen.body is not None
    assert seen.body["output_config"]["effort"] == effort
    assert seen.body.get("thinking") == thinking
    if thinking is None:  # thinking stays on: reported, and max_tokens has room for it
        assert doc.usage.thinking_tokens > 0
        assert seen.body["max_tokens"] == int(room * (1 + THINKING_PER_ANSWER_TOKEN[effort]))
    else:
        assert doc.usage.thinking_tokens == 0
        assert seen.body["max_tokens"] == room


def test_models_without_adaptive_thinking_get_neither_field() -> None:
    (request,) = _requests(_module(3), "pkg/a.py")
    with running() as fake:
        _provider(fake, model="claude-opus-4-8").document(request)
        (seen,) = fake.seen
    assert seen.status == 200 and seen.body is not None
    assert "thinking" not in seen.body and "effort" not in seen.body["output_config"]


@pytest.mark.parametrize(
    ("model", "extra"),
    [
        ("claude-sonnet-5-5", {"thinking": {"type": "disabled"}}),
        ("claude-opus-5-5", {"thinking": {"type": "disabled"}}),
        ("claude-haiku-5-5", {"thinking": {"type": "disabled"}, "output_config": {"effort": "max"}}),
        ("claude-sonnet-5-5", {"output_config": {"effort": "extreme"}}),
    ],
)
def test_the_loopback_server_rejects_what_the_model_rejects(model: str, extra: dict[str, object]) -> None:
    with running(api_key="k") as fake:
        client = anthropic.Anthropic(api_key="k", base_url=fake.url, max_retries=0)
        with pytest.raises(anthropic.BadRequestError):
            client.messages.create(
                model=model, max_tokens=100, messages=[{"role": "user", "content": "hi"}], **extra
            )  # type: ignore[call-overload]


def test_adaptive_thinking_costs_output_and_counts_against_max_tokens() -> None:
    (request,) = _requests(_module(3), "pkg/a.py")
    with running() as fake:
        low = _provider(fake, thinking="adaptive", effort="low").document(request)
        high = _provider(fake, thinking="adaptive", effort="high").document(request)
        bodies = [s.body for s in fake.seen if s.body]
    assert "thinking" not in bodies[0] and "thinking" not in bodies[1]
    answer = low.usage.output_tokens - low.usage.thinking_tokens
    assert answer == high.usage.output_tokens - high.usage.thinking_tokens  # the same answer
    assert low.usage.thinking_tokens == round(answer * 0.5)
    assert high.usage.thinking_tokens == round(answer * 3.0)
    assert high.usage.cost_usd > low.usage.cost_usd


# --- names validated on our side ---


def test_an_answer_naming_symbols_unqualified_is_matched_when_unambiguous() -> None:
    source = (
        "class Greeter:\n    def greet(self):\n        return 1\n\n    def wave(self):\n        return 2\n"
    )
    (request,) = _requests(source, "pkg/g.py")
    with running(unqualified_names=True) as fake:
        doc = _provider(fake).document(request)
        asked = fake.seen[0].body
    assert asked is not None
    assert [s.name for s in doc.symbols] == ["Greeter", "Greeter.greet", "Greeter.wave"]


def test_an_ambiguous_or_unknown_name_is_not_matched() -> None:
    docs = (
        SymbolDoc("run", "A."),
        SymbolDoc("stop", "B."),
        SymbolDoc("B.stop", "C."),
        SymbolDoc("nope", "D."),
    )
    resolved = resolve_names(docs, ["A.run", "B.run", "B.stop"])
    # "run" could be A.run or B.run: kept as written (merge drops it); "stop" is B.stop; the exact
    # B.stop that follows is a second answer for it and dropped; "nope" is kept for merge to count.
    assert [d.name for d in resolved] == ["run", "B.stop", "nope"]
    assert resolved[1].summary == "B."


def test_the_file_overview_request_shares_the_system_block_schema_and_thinking_of_a_chunk() -> None:
    """One overview mechanism: its own request per file, built like a chunk's where the prompt cache
    and the model's options are concerned, so it reads the same cached system prefix."""
    llm = load_settings(
        {"provider": "anthropic", "anthropic_api_key": "k", "instructions": "Be terse."}, env={}
    ).llm
    (chunk_request, *_) = _requests(_module(3), "m.py")
    chunk = build_params(chunk_request, llm)
    request = OverviewRequest("m.py", "python", "- function f0: def f0(a):", "Tools.")
    params = build_overview_params(request, llm)
    assert params["system"][0]["text"] == chunk["system"][0]["text"]  # the house style included
    assert params["output_config"] == chunk["output_config"]  # the fixed schema, effort too
    assert params.get("thinking") == chunk.get("thinking")
    assert params["max_tokens"] == chunk["max_tokens"]
    text = params["messages"][0]["content"][0]["text"]
    assert "def f0(a):" in text and "Tools." in text and "Document these symbols" not in text
    # No chunk request asks for the file's overview: the first chunk's neither.
    assert "overview of the whole file" not in chunk["messages"][0]["content"][1]["text"]
    reply = json.dumps({"overview": "What m.py is for.", "symbols": [{"name": "x"}]})
    assert parse_overview(reply, "end_turn") == "What m.py is for."


def test_a_publish_only_job_never_asks_for_an_overview() -> None:
    class Inner:
        def overview(self, request: OverviewRequest) -> None:
            raise AssertionError("sent")

    with pytest.raises(PermanentError, match="overview not in the cache"):
        shard.CacheOnly(Inner()).overview(OverviewRequest("m.py", "python", "", None))
