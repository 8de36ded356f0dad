"""Message Batches mode, through the real SDK against the loopback server's batch endpoints."""

from __future__ import annotations

import json
from contextlib import closing
from pathlib import Path

import anthropic
import pytest

from docbot.cache import Cache, NullCache
from docbot.cache.sqlite import SqliteCache
from docbot.cli import document
from docbot.config import ZERO_SHA
from docbot.events import RunSpec
from docbot.git import Git
from docbot.llm.base import OverviewRequest
from docbot.llm.batch import BatchRunner, open_batches, partition, wants_batch
from docbot.llm.client import AnthropicProvider
from docbot.llm.pricing import PRICES, TokenUsage, cost_usd
from docbot.report import RunReport
from tests.conftest import GitRepo
from tests.fakes.anthropic_server import FakeAnthropic, running
from tests.fakes.clock import FakeClock
from tests.fakes.llm import settings_for

MODULES = 4


def _module(i: int) -> str:
    return (
        f'"""Module {i}."""\n\n\ndef work_{i}(x):\n    return x + {i}\n\n\n'
        f"class Thing{i}:\n    def run(self):\n        return {i}\n"
    )


def _repo(git_repo: GitRepo) -> GitRepo:
    for i in range(MODULES):
        git_repo.write(f"src/m{i}.py", _module(i))
    git_repo.commit("modules")
    return git_repo


def _run(
    repo: GitRepo,
    fake: FakeAnthropic,
    cache: Cache,
    clock: FakeClock,
    *,
    event: str = "local",
    everything: bool = True,
    **overrides: object,
) -> RunReport:
    settings = settings_for(fake, repo=repo.path, **overrides)
    provider = AnthropicProvider(settings.llm, clock=clock.now, sleep=clock.sleep)
    spec = RunSpec(head="HEAD", base=ZERO_SHA, everything=everything, event=event)
    return document(spec, settings, git=Git(repo.path), cache=cache, provider=provider, clock=clock.now,
                    sleep=clock.sleep)  # fmt: skip


def _page(repo: GitRepo, i: int) -> str:
    return (repo.path / "docs" / "api" / "src" / f"m{i}.py.md").read_text(encoding="utf-8")


def _overview_items(fake: FakeAnthropic, batch_id: str) -> int:
    """How many of a batch's items ask for a file's overview."""
    requests = fake.batches.requests(batch_id)
    return sum("Write the overview of the whole file" in json.dumps(r["params"]) for r in requests)


def _batch_cost(fake: FakeAnthropic) -> float:
    t = fake.batches.totals()
    usage = TokenUsage(
        input_tokens=t["input_tokens"],
        output_tokens=t["output_tokens"],
        cache_write_5m_tokens=t["cache_write_tokens"],
        cache_read_tokens=t["cache_read_tokens"],
    )
    return cost_usd(usage, PRICES["claude-sonnet-5-5"], batch=True)


def _interactive_cost(fake: FakeAnthropic) -> float:
    t = fake.totals()
    usage = TokenUsage(
        input_tokens=t["input_tokens"],
        output_tokens=t["output_tokens"],
        cache_write_5m_tokens=t["cache_write_tokens"],
        cache_read_tokens=t["cache_read_tokens"],
    )
    return cost_usd(usage, PRICES["claude-sonnet-5-5"])


@pytest.mark.parametrize(
    ("mode", "misses", "event", "everything", "expected"),
    [
        ("auto", 25, "push", False, True),
        ("auto", 25, "workflow_dispatch", False, True),
        ("auto", 25, "local", True, True),  # docbot run --all
        ("auto", 25, "local", False, False),  # someone waits at the terminal
        ("auto", 25, "pull_request", False, False),
        ("auto", 500, "issue_comment", True, False),  # a /docbot comment waits for its answer
        ("auto", 19, "push", False, False),  # under the threshold
        ("always", 1, "pull_request", False, True),
        ("never", 500, "push", True, False),
        ("always", 0, "push", False, False),  # nothing to send
    ],
)
def test_auto_batches_only_unattended_runs_over_the_threshold(
    mode: str, misses: int, event: str, everything: bool, expected: bool
) -> None:
    assert wants_batch(mode, misses, 20, event=event, everything=everything) is expected  # type: ignore[arg-type]


def test_partition_keeps_each_batch_within_the_count_and_byte_limits() -> None:
    items = [(f"id{i}", 40) for i in range(10)]
    assert partition(items, max_requests=4, max_bytes=10_000) == [
        ["id0", "id1", "id2", "id3"], ["id4", "id5", "id6", "id7"], ["id8", "id9"],
    ]  # fmt: skip
    assert [len(g) for g in partition(items, max_requests=100, max_bytes=100)] == [2, 2, 2, 2, 2]


def test_batch_round_trip_documents_everything_at_half_price(git_repo: GitRepo, tmp_path: Path) -> None:
    repo = _repo(git_repo)
    with running() as fake, closing(SqliteCache(tmp_path / "c.sqlite3")) as cache:
        report = _run(repo, fake, cache, FakeClock(), batch="always")

        # The chunks and the file overviews (one per module) all go in one batch: nothing interactive.
        assert fake.totals()["requests"] == 0
        assert fake.batches.creates == 1
        (batch_id,) = fake.batches.ids
        submitted, results = fake.batches.submitted(batch_id), fake.batches.result_order(batch_id)
        assert sorted(submitted) == sorted(results) and submitted != results  # matched by custom_id
        assert _overview_items(fake, batch_id) == MODULES
        assert len(report.documented) == MODULES and report.failed == []
        assert report.symbols_static == 0  # every symbol documented by the model
        assert report.overviews_failed == []
        assert all("Overview of the file." in _page(repo, i) for i in range(MODULES))
        assert report.batch is not None and report.batch.answered == 2 * MODULES
        assert report.batch.created == (batch_id,)
        assert report.usage.cost_usd == pytest.approx(_batch_cost(fake))
        assert report.batch.cost_usd == pytest.approx(report.usage.cost_usd)
        assert report.usage.requests == 2 * MODULES
        half = fake.batches.totals()
        full = cost_usd(
            TokenUsage(half["input_tokens"], half["output_tokens"], half["cache_write_tokens"], 0,
                       half["cache_read_tokens"]),
            PRICES["claude-sonnet-5-5"],
        )  # fmt: skip
        assert report.usage.cost_usd == pytest.approx(full / 2)

        again = _run(repo, fake, cache, FakeClock(), batch="always")  # answers were cached
        assert again.usage.cost_usd == 0 and fake.batches.creates == 1 and again.batch is None


def test_errored_expired_and_canceled_items_fall_back_to_interactive_requests(
    git_repo: GitRepo, tmp_path: Path
) -> None:
    repo = _repo(git_repo)
    with running() as fake, closing(SqliteCache(tmp_path / "c.sqlite3")) as cache:
        # Submission order: the chunks, then the overviews; the first overview errs as well.
        fake.batches.script_next("errored", "expired", "canceled", None, "errored")
        report = _run(repo, fake, cache, FakeClock(), batch="always")

        assert fake.batches.totals()["succeeded"] == 2 * MODULES - 4
        # exactly the four, asked one by one: three chunks and one file overview
        assert fake.totals()["requests"] == 4
        assert sum("Write the overview of the whole file" in json.dumps(s.body) for s in fake.seen) == 1
        assert report.batch is not None and report.batch.fallback == 4
        assert report.batch.answered == 2 * MODULES - 4
        assert len(report.documented) == MODULES and report.failed == []
        assert report.symbols_static == 0 and report.overviews_failed == []
        assert all("Overview of the file." in _page(repo, i) for i in range(MODULES))


def test_a_rerun_collects_the_pending_batch_instead_of_paying_again(
    git_repo: GitRepo, tmp_path: Path
) -> None:
    """The first job "is cancelled": its time limit passes while the batch still runs."""
    repo = _repo(git_repo)
    with running() as fake, closing(SqliteCache(tmp_path / "c.sqlite3")) as cache:
        fake.batches.polls_to_end = 1_000
        clock = FakeClock()
        first = _run(repo, fake, cache, clock, batch="always", batch_timeout_s=60)
        assert fake.batches.creates == 1
        assert first.batch is not None and first.batch.unfinished == 2 * MODULES  # chunks, overviews
        assert first.documented == [] and len(first.failed) == MODULES
        assert "still processing" in first.failed[0].reason and "next run collects" in first.failed[0].reason
        assert clock.sleeps and max(clock.sleeps) <= 120  # polled with capped backoff
        assert first.usage.cost_usd == 0

        fake.batches.polls_to_end = 1
        second = _run(repo, fake, cache, FakeClock(), batch="always")

        assert fake.batches.creates == 1  # no second create
        # and no interactive request at all: the overviews were in the pending batch too
        assert fake.totals()["requests"] == 0
        assert second.batch is not None and second.batch.resumed == tuple(fake.batches.ids)
        assert len(second.documented) == MODULES and second.failed == []
        assert second.overviews_failed == []
        assert second.usage.cost_usd == pytest.approx(_batch_cost(fake))


def test_a_pending_batch_that_is_gone_is_sent_again(git_repo: GitRepo, tmp_path: Path) -> None:
    repo = _repo(git_repo)
    with closing(SqliteCache(tmp_path / "c.sqlite3")) as cache:
        with running() as fake:
            fake.batches.polls_to_end = 1_000
            _run(repo, fake, cache, FakeClock(), batch="always", batch_timeout_s=10)
        with running() as other:  # a server that never saw that batch: 404
            report = _run(repo, other, cache, FakeClock(), batch="always")
            assert other.batches.creates == 1 and len(report.documented) == MODULES


def test_auto_keeps_pull_requests_interactive_and_batches_a_push(git_repo: GitRepo, tmp_path: Path) -> None:
    repo = _repo(git_repo)
    with running() as fake:
        pr = _run(repo, fake, NullCache(), FakeClock(), event="pull_request", everything=False,
                  batch_min_requests=2)  # fmt: skip
        # a chunk and an overview request per module
        assert pr.batch is None and fake.totals()["requests"] == 2 * MODULES and fake.batches.creates == 0
        push = _run(repo, fake, NullCache(), FakeClock(), event="push", everything=False,
                    batch_min_requests=2)  # fmt: skip
        assert push.batch is not None and fake.batches.creates == 1
        assert fake.totals()["requests"] == 2 * MODULES  # the push asked nothing interactively
        assert _overview_items(fake, fake.batches.ids[0]) == MODULES


def test_fake_batches_speak_the_sdk_wire_format() -> None:
    with running() as fake:
        client = anthropic.Anthropic(api_key=fake.api_key, base_url=fake.url, max_retries=0)
        with pytest.raises(anthropic.NotFoundError):
            client.messages.batches.retrieve("msgbatch_missing")
        params = {
            "model": "claude-sonnet-5-5",
            "max_tokens": 100,
            "messages": [{"role": "user", "content": "x"}],
        }
        created = client.messages.batches.create(requests=[{"custom_id": "a", "params": params}])  # type: ignore[list-item]
        assert created.processing_status == "in_progress" and created.results_url is None
        cancel = client.messages.batches.cancel(created.id)
        assert cancel.processing_status == "canceling"
        ended = client.messages.batches.retrieve(created.id)
        assert ended.processing_status == "ended" and ended.request_counts.canceled == 1
        assert ended.results_url is not None and ended.results_url.startswith(fake.url)  # absolute
        assert [r.result.type for r in client.messages.batches.results(created.id)] == ["canceled"]
        assert [b.id for b in client.messages.batches.list()] == [created.id]


def test_batch_params_are_the_interactive_first_attempt() -> None:
    """Same builder, same bytes: an item of a batch and the interactive request are identical."""
    from tests.fakes.llm import request

    with running() as fake:
        settings = settings_for(fake).llm
        provider = AnthropicProvider(settings)
        runner = BatchRunner(provider, settings, event="push", everything=False)
        fake_params = runner.params(request())
        provider.document(request())
        assert fake.seen[0].body == fake_params
        # A file overview's item too: the same bytes as its interactive first attempt.
        asked = OverviewRequest("src/a.py", "python", "- function f: def f(x)", "The module.")
        overview_params = runner.params(asked)
        provider.overview(asked)
        assert fake.seen[1].body == overview_params


def test_each_batch_is_cached_as_it_ends_even_if_another_never_does(
    git_repo: GitRepo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Four chunks and four overviews: four batches, c0 c1 | c2 c3 | o0 o1 | o2 o3.
    monkeypatch.setattr("docbot.llm.batch.MAX_BATCH_REQUESTS", 2)
    repo = _repo(git_repo)
    with running() as fake, closing(SqliteCache(tmp_path / "c.sqlite3")) as cache:
        fake.batches.never_end = {2}
        first = _run(repo, fake, cache, FakeClock(), batch="always", batch_timeout_s=30)
        assert fake.batches.creates == 4
        assert first.batch is not None and (first.batch.answered, first.batch.unfinished) == (6, 2)
        assert len(first.documented) == 2 and len(first.failed) == 2

        fake.batches.never_end = set()
        second = _run(repo, fake, cache, FakeClock(), batch="always")
        # Nothing asked interactively, nothing sent again: the overviews of the two files that failed
        # were cached when their batch ended, and the chunks come from the pending batch.
        assert fake.batches.creates == 4 and fake.totals()["requests"] == 0
        assert second.batch is not None and second.batch.answered == 2 and len(second.batch.resumed) == 1
        assert second.cache_file_hits == 2 and len(second.documented) == MODULES
        assert second.overviews_failed == []


def test_an_unfinished_overview_batch_leaves_pages_without_an_overview_until_a_rerun_collects_it(
    git_repo: GitRepo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("docbot.llm.batch.MAX_BATCH_REQUESTS", MODULES)  # the chunks | the overviews
    repo = _repo(git_repo)
    with running() as fake, closing(SqliteCache(tmp_path / "c.sqlite3")) as cache:
        fake.batches.never_end = {2}
        first = _run(repo, fake, cache, FakeClock(), batch="always", batch_timeout_s=30)
        assert _overview_items(fake, fake.batches.ids[1]) == MODULES
        # Published without an overview, not asked again interactively (the batch is paid for).
        assert len(first.documented) == MODULES and fake.totals()["requests"] == 0
        assert sorted(f.path for f in first.overviews_failed) == [f"src/m{i}.py" for i in range(MODULES)]
        assert "still processing" in first.overviews_failed[0].reason
        assert "Overview of the file." not in _page(repo, 0)

        fake.batches.never_end = set()
        second = _run(repo, fake, cache, FakeClock(), batch="always")
        assert fake.batches.creates == 2 and fake.totals()["requests"] == 0
        assert second.batch is not None and second.batch.resumed == (fake.batches.ids[1],)
        assert second.overviews_failed == [] and len(second.documented) == MODULES
        assert all("Overview of the file." in _page(repo, i) for i in range(MODULES))


@pytest.mark.parametrize("platform", ["bedrock", "vertex"])
def test_claude_on_a_cloud_platform_never_batches(platform: str) -> None:
    """The Bedrock and Vertex SDK clients refuse the Message Batches endpoints: runs stay interactive."""
    with running() as fake:
        settings = settings_for(fake, batch="always").llm
        provider = AnthropicProvider(settings, name=platform)
        assert open_batches(provider, settings, event="push", everything=True) is None
        direct = AnthropicProvider(settings)
        assert open_batches(direct, settings, event="push", everything=True) is not None


@pytest.mark.parametrize(
    ("event", "everything", "expected"), [("pull_request", True, False), ("push", False, True)]
)
def test_a_pull_request_may_never_batch_and_a_push_may(event: str, everything: bool, expected: bool) -> None:
    with running() as fake:
        settings = settings_for(fake, batch="auto").llm
        runner = open_batches(AnthropicProvider(settings), settings, event=event, everything=everything)
        assert runner is not None and runner.may_batch() is expected
