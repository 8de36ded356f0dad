"""``docbot estimate`` and the budget guard, against the loopback Messages API through the real SDK."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest

from docbot import cli
from docbot.cache import Cache
from docbot.cache.sqlite import SqliteCache
from docbot.cli import document
from docbot.config import ZERO_SHA
from docbot.estimate import estimate_run
from docbot.events import RunSpec
from docbot.git import Git
from docbot.llm.batch import open_batches
from docbot.llm.client import AnthropicProvider
from docbot.report import RunReport
from tests.conftest import GitRepo
from tests.fakes.anthropic_server import FakeAnthropic, running
from tests.fakes.clock import FakeClock
from tests.fakes.llm import settings_for
from tests.test_action_entrypoint import Harness, push_payload, two_commits


def _module(i: int, body: str = "x + 1") -> str:
    return (
        f'"""Module {i}."""\n\n\ndef work_{i}(x):\n    return {body}\n\n\n'
        f"class Thing{i}:\n    def run(self):\n        return {i}\n\n\ndef _helper_{i}(y):\n    return y\n"
    )


def _commit_modules(repo: GitRepo, n: int) -> str:
    """Commit ``n`` small modules under src/ (``_module``); returns the commit."""
    for i in range(n):
        repo.write(f"src/m{i}.py", _module(i))
    return repo.commit(f"{n} modules")


def _provider(fake: FakeAnthropic, **overrides: object) -> tuple[AnthropicProvider, object]:
    settings = settings_for(fake, **overrides)
    clock = FakeClock()
    return AnthropicProvider(settings.llm, clock=clock.now, sleep=clock.sleep), settings


def _run(
    repo: GitRepo, fake: FakeAnthropic, cache: Cache, base: str = ZERO_SHA, **overrides: object
) -> RunReport:
    settings = settings_for(fake, repo=repo.path, **overrides)
    provider = AnthropicProvider(settings.llm, clock=FakeClock().now, sleep=FakeClock().sleep)
    spec = RunSpec(head="HEAD", base=base)
    return document(spec, settings, git=Git(repo.path), cache=cache, provider=provider)


def _quote(
    repo: GitRepo, fake: FakeAnthropic, cache: Cache, base: str = ZERO_SHA, **overrides: object
) -> dict[str, object]:
    settings = settings_for(fake, repo=repo.path, **overrides)
    provider = AnthropicProvider(settings.llm)
    return estimate_run(
        RunSpec(head="HEAD", base=base), settings, git=Git(repo.path), cache=cache, provider=provider
    ).to_json()


def test_estimate_json_contract_and_it_sends_no_message(
    git_repo: GitRepo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _commit_modules(git_repo, 3)
    with running() as fake:
        monkeypatch.setenv("ANTHROPIC_API_KEY", fake.api_key)
        monkeypatch.setenv("ANTHROPIC_BASE_URL", fake.url)
        args = [
            "estimate",
            "--repo",
            str(git_repo.path),
            "--all",
            "--cache-path",
            str(tmp_path / "c.sqlite3"),
        ]
        assert cli.main([*args, "--json"]) == 0
        data = json.loads(capsys.readouterr().out)
        assert fake.totals()["requests"] == 0  # count_tokens only: not one Messages request

        cost = data["cost_usd"]
        assert 0 < cost["low"] < cost["expected"] < cost["high"]
        # a chunk and an overview request per module
        assert data["requests"] == 6 and data["hit_rate"] == 0.0
        assert data["input_tokens"] > 0 and data["output_tokens"] > 0
        assert data["batch"] is False  # 3 misses: under batch_min_requests

        assert cli.main(args) == 0  # the rich table
        table = capsys.readouterr().out
        assert "docbot estimate" in table and "Expected cache hit rate" in table


def test_estimate_counts_the_prompt_the_run_sends_and_is_zero_once_warm(
    git_repo: GitRepo, tmp_path: Path
) -> None:
    _commit_modules(git_repo, 3)
    with running() as fake, closing(SqliteCache(tmp_path / "c.sqlite3")) as cache:
        before = _quote(git_repo, fake, cache)
        report = _run(git_repo, fake, cache)
        sent = fake.totals()
        # The same request builder and count_tokens: the prompt is exactly what the server billed.
        assert (
            before["input_tokens"]
            == sent["input_tokens"] + sent["cache_read_tokens"] + sent["cache_write_tokens"]
        )
        assert before["requests"] == sent["requests"] == report.usage.requests

        warm = _quote(git_repo, fake, cache)
        assert warm["requests"] == 0 and warm["hit_rate"] == 1.0
        assert warm["cost_usd"] == {"low": 0.0, "expected": 0.0, "high": 0.0}


def test_output_is_predicted_from_the_cached_answers_of_the_model(git_repo: GitRepo, tmp_path: Path) -> None:
    first = _commit_modules(git_repo, 2)
    with running() as fake, closing(SqliteCache(tmp_path / "c.sqlite3")) as cache:
        _run(git_repo, fake, cache)
        git_repo.write("src/m0.py", _module(0, body="x + 2"))
        git_repo.write("src/m2.py", _module(2))
        git_repo.commit("edit one, add one")
        # A whole-repository estimate: m1's cached answer is the history, m0 and m2 are asked.
        quote = _quote(git_repo, fake, cache)
        assert quote["output_basis"] == "1 cached answer of claude-sonnet-5-5"
        before = fake.totals()
        report = _run(git_repo, fake, cache, base=first)
        after = fake.totals()
        assert quote["requests"] == report.usage.requests == after["requests"] - before["requests"]
        billed = after["output_tokens"] - before["output_tokens"]
        assert quote["output_tokens"] == pytest.approx(billed, rel=0.1)


def _two_changes(git_repo: GitRepo) -> str:
    git_repo.write("src/a.py", _module(1))
    git_repo.write("src/b.py", _module(2))
    base = git_repo.commit("two modules")
    git_repo.write("src/a.py", _module(1).replace("return y", "return y * 2"))  # only _helper_1: private
    git_repo.write("src/b.py", _module(2, body="x - 1"))  # work_2: public
    git_repo.commit("edit both")
    return base


def test_over_budget_the_run_is_refused_before_any_request(git_repo: GitRepo, tmp_path: Path) -> None:
    base = _two_changes(git_repo)
    with running() as fake, closing(SqliteCache(tmp_path / "c.sqlite3")) as cache:
        report = _run(git_repo, fake, cache, base=base, max_cost_usd=0.000001)

        assert fake.totals()["requests"] == 0  # the server saw no Messages request at all
        assert report.documented == [] and report.usage.cost_usd == 0
        assert report.budget is not None and "refused before any request" in report.budget
        skipped = {o.path: o.reason for o in report.skipped}
        assert set(skipped) == {"src/a.py", "src/b.py"}
        assert all(r.startswith("skipped: budget") for r in skipped.values())
        assert ("Budget", report.budget) in report.summary_rows()


def test_under_a_tight_budget_files_with_changed_public_symbols_go_first(
    git_repo: GitRepo, tmp_path: Path
) -> None:
    base = _two_changes(git_repo)
    with running() as fake, closing(SqliteCache(tmp_path / "c.sqlite3")) as cache:
        quote = _quote(git_repo, fake, cache, base=base)
        files = {f["path"]: f for f in quote["files"]}  # type: ignore[attr-defined]
        assert (
            files["src/b.py"]["changed_public_symbols"] == 1
            and files["src/a.py"]["changed_public_symbols"] == 0
        )
        worst = [f["worst_usd"] for f in files.values()]
        limit = max(worst) * 1.05  # room for one file's worst case, not for both
        assert limit < sum(worst)

        report = _run(git_repo, fake, cache, base=base, max_cost_usd=limit)

        assert report.documented == ["src/b.py"]  # b.py changed a public function; a.py only a private one
        assert [o.path for o in report.skipped if o.reason.startswith("skipped: budget")] == ["src/a.py"]
        assert report.budget is not None and "documented the 1 file that fit" in report.budget
        assert report.usage.cost_usd <= limit
        assert {s.body["messages"][0]["content"][0]["text"].split("\n")[0] for s in fake.seen} == {
            "Source file: src/b.py (language: python)."
        }


@pytest.fixture
def action(tmp_path: Path, git_repo: GitRepo) -> Iterator[Harness]:
    h = Harness(tmp_path, git_repo)
    h.fake.start()
    try:
        yield h
    finally:
        h.fake.stop()


def test_estimate_only_input_reports_the_price_and_sends_nothing(action: Harness) -> None:
    first, second = two_commits(action.repo)
    action.world.sync("main")
    with running() as fake:
        inputs = {"estimate_only": "true", "provider": "anthropic", "anthropic_api_key": fake.api_key}
        run = action.run(
            "push", push_payload(first, second), inputs, in_process=True, env={"ANTHROPIC_BASE_URL": fake.url}
        )

        assert run.code == 0, run.stdout + run.stderr
        assert fake.totals()["requests"] == 0
        assert run.outputs["operation"] == "none"
        assert action.fake.pulls == {}
        assert "::notice title=docbot::docbot estimated $" in run.stdout
        assert "for 4 requests" in run.summary and "Expected cache hit rate" in run.summary


def test_without_count_tokens_the_prompt_is_counted_from_its_characters(
    git_repo: GitRepo, tmp_path: Path
) -> None:
    _commit_modules(git_repo, 3)
    with running() as fake, closing(SqliteCache(tmp_path / "c.sqlite3")) as cache:
        exact = _quote(git_repo, fake, cache)
        fake.count_tokens = False
        calls = fake.count_tokens_calls
        rough = _quote(git_repo, fake, cache)

        assert fake.count_tokens_calls == calls + 1  # one 404, then no more asking
        assert rough["requests"] == exact["requests"] == 6  # a chunk and an overview per module
        # The character count is deliberately high (it also sizes the budget's reservations).
        assert exact["input_tokens"] < rough["input_tokens"] < 2 * exact["input_tokens"]
        assert fake.totals()["requests"] == 0


def test_the_estimate_prices_the_prompt_cache_as_the_run_uses_it(git_repo: GitRepo, tmp_path: Path) -> None:
    # A file of several chunks: a warm-up writes its prefix, then each chunk and the overview read it.
    body = "".join(f"def f{i}(a):\n    return a + {i}  # {'x' * 60}\n\n\n" for i in range(40))
    git_repo.write("src/big.py", body)
    git_repo.commit("one large module")
    with running() as fake, closing(SqliteCache(tmp_path / "c.sqlite3")) as cache:
        quote = _quote(git_repo, fake, cache, chunk_max_lines=40)
        report = _run(git_repo, fake, cache, chunk_max_lines=40)
        sent = fake.totals()
    warm_ups = [s for s in fake.seen if s.body and s.body["max_tokens"] == 0]
    assert len(warm_ups) == 1 and quote["requests"] == sent["requests"] == report.usage.requests
    # The prefix's share is counted from characters, not tokens: close to what the server read back.
    assert sent["cache_read_tokens"] > 0
    assert abs(quote["cache_read_tokens"] - sent["cache_read_tokens"]) <= 0.1 * sent["cache_read_tokens"]


def test_file_overviews_are_estimated_and_batched_with_the_chunks(git_repo: GitRepo, tmp_path: Path) -> None:
    _commit_modules(git_repo, 3)

    def quote(fake: FakeAnthropic, cache: Cache, batch: str) -> dict[str, object]:
        settings = settings_for(fake, repo=git_repo.path, batch=batch)
        provider = AnthropicProvider(settings.llm)
        spec = RunSpec(head="HEAD", base=ZERO_SHA, everything=True)
        return estimate_run(
            spec, settings, git=Git(git_repo.path), cache=cache, provider=provider,
            batches=open_batches(provider, settings.llm, event="local", everything=True),
        ).to_json()  # fmt: skip

    with running() as fake, closing(SqliteCache(tmp_path / "c.sqlite3")) as cache:
        interactive, batched = quote(fake, cache, "never"), quote(fake, cache, "always")
        # A chunk and an overview request per module, in either mode; in a batch all at half price.
        assert interactive["requests"] == batched["requests"] == 6
        assert (interactive["batch"], batched["batch"]) == (False, True)
        for bound in ("low", "expected", "high"):
            assert batched["cost_usd"][bound] == pytest.approx(interactive["cost_usd"][bound] / 2)  # type: ignore[index]

        report = _run(git_repo, fake, cache, batch="always")
        sent = fake.batches.totals()
        assert fake.totals()["requests"] == 0 and sent["items"] == batched["requests"]
        assert batched["input_tokens"] == (
            sent["input_tokens"] + sent["cache_read_tokens"] + sent["cache_write_tokens"]
        )
        assert report.usage.requests == batched["requests"]
