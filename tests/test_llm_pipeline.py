"""End to end: ``docbot run`` and the pipeline against the loopback Messages API.

The RunReport's request, retry, 429, token and cost figures must agree with what the server saw.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from docbot import cli
from docbot.cache import NullCache
from docbot.cache.sqlite import SqliteCache
from docbot.config import ZERO_SHA
from docbot.llm.client import AnthropicProvider
from docbot.llm.pricing import PRICES
from docbot.report import RunReport
from tests.conftest import GitRepo
from tests.fakes.anthropic_server import FakeAnthropic, Fault, Limits, ok, running, status
from tests.fakes.clock import FakeClock, ScaledClock
from tests.fakes.llm import settings_for
from tests.local_run import run_local


def _expected_cost(totals: dict[str, int], model: str = "claude-sonnet-5-5") -> float:
    p = PRICES[model]
    return (
        totals["input_tokens"] * p.input
        + totals["output_tokens"] * p.output
        + (totals["cache_write_tokens"] - totals["cache_write_1h_tokens"]) * p.cache_write_5m
        + totals["cache_write_1h_tokens"] * p.cache_write_1h
        + totals["cache_read_tokens"] * p.cache_read
    ) / 1_000_000


def _expected_saving(totals: dict[str, int], model: str = "claude-sonnet-5-5") -> float:
    # Reads billed at the cache price instead of the input price, less the premium of the writes.
    p = PRICES[model]
    w1h = totals["cache_write_1h_tokens"]
    return (
        totals["cache_read_tokens"] * (p.input - p.cache_read)
        - (totals["cache_write_tokens"] - w1h) * (p.cache_write_5m - p.input)
        - w1h * (p.cache_write_1h - p.input)
    ) / 1_000_000


def _module(i: int) -> str:
    return (
        f'"""Module {i}."""\n\n\ndef work_{i}(x):\n    return x + {i}\n\n\n'
        f"class Thing{i}:\n    def run(self):\n        return {i}\n"
    )


def _run(
    repo: GitRepo, fake: FakeAnthropic, clock_now: object, clock_sleep: object, **overrides: object
) -> RunReport:
    settings = settings_for(fake, repo=repo.path, cache="none", **overrides)
    provider = AnthropicProvider(settings.llm, clock=clock_now, sleep=clock_sleep)  # type: ignore[arg-type]
    return run_local(repo.path, store=NullCache(), provider=provider, settings=settings, base=ZERO_SHA)


def test_docbot_run_reports_what_the_server_saw(
    git_repo: GitRepo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """``docbot run`` as the CLI runs it (in process: a subprocess spends seconds importing the SDK)."""
    for i in range(3):
        git_repo.write(f"src/m{i}.py", _module(i))
    # Short waits so the real process does not sleep long; rupees as the display currency.
    git_repo.write(
        ".github/docbot.yml",
        "backoff_initial_s: 0.01\nbackoff_max_s: 0.02\ncurrency: INR\ncurrency_rate: 84.5\n",
    )
    git_repo.commit("three modules")
    report_path = tmp_path / "report.json"
    args = ["run", "--repo", str(git_repo.path), "--all"]
    args += ["--cache-path", str(tmp_path / "cache.sqlite3"), "--report", str(report_path)]

    with running() as fake:
        monkeypatch.setenv("ANTHROPIC_API_KEY", fake.api_key)
        monkeypatch.setenv("ANTHROPIC_BASE_URL", fake.url)
        fake.script(status(429, retry_after_ms=10), ok(), status(529), ok(), ok())
        assert cli.main(args) == 0
        first = capsys.readouterr()
        totals = fake.totals()
        assert fake.unused_script == []
        report = json.loads(report_path.read_text())

        assert report["provider"] == "anthropic" and report["model"] == "claude-sonnet-5-5"
        assert report["files"]["documented"] == ["src/m0.py", "src/m1.py", "src/m2.py"]
        assert report["files"]["failed"] == []
        # One request per file's chunk (two of them retried once) and one per file's overview.
        assert totals["requests"] == 5 + 3
        assert report["api"] == {
            "requests": totals["requests"],
            "retries": 2,
            "rate_limited": totals["rate_limited"],
            "input_tokens": totals["input_tokens"],
            "output_tokens": totals["output_tokens"],
            "cache_read_tokens": totals["cache_read_tokens"],
            "cache_write_tokens": totals["cache_write_tokens"],
            "thinking_tokens": 0,  # thinking is off (between_tools on Sonnet 5.5)
            "saved_by_prompt_cache_usd": round(_expected_saving(totals), 6),
        }
        assert report["api"]["rate_limited"] == 1
        assert report["cost_usd"] == round(_expected_cost(totals), 6) > 0
        assert report["cost"] == {
            "currency": "INR",
            "rate": 84.5,
            "amount": round(_expected_cost(totals) * 84.5, 6),
        }
        assert "INR" in first.out
        page = (git_repo.path / "docs/api/src/m1.py.md").read_text()
        assert "Summary of work\\_1." in page and "Summary of Thing1.run." in page
        assert fake.api_key not in first.out + first.err

        # The same run again: every chunk from the cache, no request, the first run's cost saved.
        assert cli.main(args) == 0
        again = json.loads(report_path.read_text())
        assert fake.totals()["requests"] == 8
        assert again["api"]["requests"] == 0 and again["cost_usd"] == 0
        assert again["cache"]["hits"] == 3
        assert again["saved_usd"] == report["cost_usd"]


def test_prompt_version_is_part_of_every_cache_key(git_repo: GitRepo, tmp_path: Path) -> None:
    git_repo.write("a.py", _module(1))
    git_repo.commit("one")
    with running() as fake:
        clock = FakeClock()
        settings = settings_for(fake, repo=git_repo.path, cache_path=tmp_path / "c.sqlite3")
        requests = []
        for version in ("claude-docs-1", "claude-docs-1", "claude-docs-2"):
            provider = AnthropicProvider(settings.llm, clock=clock.now, sleep=clock.sleep)
            provider.prompt_version = version
            cache = SqliteCache(settings.cache.sqlite_path())
            try:
                report = run_local(
                    git_repo.path, store=cache, provider=provider, settings=settings, base=ZERO_SHA
                )
            finally:
                cache.close()
            requests.append(report.usage.requests)
    assert requests == [2, 0, 2]  # the chunk and the overview, each keyed by the prompt version


def test_100_files_at_once_through_a_429_storm_all_documented(git_repo: GitRepo) -> None:
    for i in range(100):
        git_repo.write(f"pkg/m{i:03d}.py", _module(i))
    git_repo.commit("a hundred modules")
    with running(rate_429=0.4, seed=1, retry_after_s=1) as fake:
        clock = FakeClock()
        report = _run(git_repo, fake, clock.now, clock.sleep, max_concurrency=16)
        totals = fake.totals()
    assert report.failed == []
    assert len(report.documented) == 100
    assert totals["ok"] == 200  # each file's chunk and its overview
    assert 0.3 < totals["rate_limited"] / totals["requests"] < 0.5  # the storm really happened
    u = report.usage
    assert (u.requests, u.rate_limited) == (totals["requests"], totals["rate_limited"])
    assert u.retries == totals["requests"] - 200
    assert (u.input_tokens, u.output_tokens) == (totals["input_tokens"], totals["output_tokens"])
    assert (u.cache_read_tokens, u.cache_write_tokens) == (
        totals["cache_read_tokens"],
        totals["cache_write_tokens"],
    )
    assert u.cost_usd == pytest.approx(_expected_cost(totals), rel=1e-9)


def test_client_paces_itself_from_ratelimit_headers(git_repo: GitRepo) -> None:
    """The server enforces 30 requests a minute; docbot starts out believing 1000 and learns the real
    limit from the headers. Time runs 300x faster, shared by both sides."""
    for i in range(100):
        git_repo.write(f"pkg/m{i:03d}.py", _module(i))
    git_repo.commit("a hundred modules")
    clock = ScaledClock(300)
    with running(
        limits=Limits(rpm=30, itpm=200_000, otpm=400_000), clock=clock.now, sleep=clock.sleep
    ) as fake:
        report = _run(git_repo, fake, clock.now, clock.sleep, max_concurrency=8)
        totals = fake.totals()
    assert report.failed == []
    assert len(report.documented) == 100
    assert totals["rate_limited"] / totals["requests"] < 0.05, totals
    assert report.usage.requests == totals["requests"]
    assert report.usage.rate_limited == totals["rate_limited"]
    # 100 requests at 30 a minute after a burst of 30: at least 140 virtual seconds.
    assert clock.now() >= 140


def test_budget_guard_stops_at_the_limit_and_publishes_what_succeeded(git_repo: GitRepo) -> None:
    for i in range(20):
        git_repo.write(f"pkg/m{i:02d}.py", _module(i))
    git_repo.commit("twenty modules")
    with running() as fake:
        clock = FakeClock()
        report = _run(
            git_repo, fake, clock.now, clock.sleep, max_concurrency=1, max_cost_usd=0.05, max_tokens=1000
        )
        totals = fake.totals()
        seen = list(fake.seen)
    documented = len(report.documented)
    assert 0 < documented < 20
    # Decided before the first request, from the estimate: the files that do not fit are skipped.
    over = [o for o in report.skipped if o.reason.startswith("skipped: budget")]
    assert report.failed == [] and len(over) == 20 - documented
    files = f"{documented} file{'' if documented == 1 else 's'}"
    assert report.budget is not None and f"documented the {files} that fit" in report.budget
    # Refused work was never sent: every request was for a documented file (its chunk, maybe in two
    # requests when the predicted answer does not fit max_tokens, and its overview).
    sent = {re.search(r"Source file: (\S+)", json.dumps(s.body)).group(1) for s in seen if s.body}  # type: ignore[union-attr]
    assert sent == set(report.documented)
    assert totals["requests"] >= 2 * documented
    assert report.usage.cost_usd == pytest.approx(_expected_cost(totals), rel=1e-9)
    assert report.usage.cost_usd <= 0.05
    for path in report.documented:
        assert (git_repo.path / "docs/api" / f"{path}.md").is_file()
    for outcome in over:
        assert not (git_repo.path / "docs/api" / f"{outcome.path}.md").exists()


def test_open_circuit_is_the_failure_reason_and_failed_requests_are_counted(git_repo: GitRepo) -> None:
    for i in range(5):
        git_repo.write(f"pkg/m{i}.py", _module(i))
    git_repo.commit("five modules")
    with running() as fake:
        fake.script(*[status(500)] * 3)
        clock = FakeClock()
        report = _run(
            git_repo,
            fake,
            clock.now,
            clock.sleep,
            max_concurrency=1,
            max_attempts=2,
            max_attempts_rate_limited=2,
            breaker_threshold=3,
            breaker_cooldown_s=600,
            breaker_max_open_s=1,  # an outage longer than the run will wait
        )
        totals = fake.totals()
    reasons = [f.reason for f in report.failed]
    assert len(reasons) == 5 and report.documented == []
    assert reasons[0].startswith("HTTP 500 api_error")
    assert reasons[1:] == ["circuit open"] * 4
    # Failed chunks' requests still reach the report: 2 for the first file, 1 before the circuit opened.
    assert totals["requests"] == 3
    assert (report.usage.requests, report.usage.retries) == (3, 1)


def test_a_failed_overview_request_is_reported_and_still_counted(git_repo: GitRepo) -> None:
    git_repo.write("a.py", _module(1))
    git_repo.commit("one")
    with running() as fake:
        # The chunk is answered; the file's overview reply is unusable twice, so the overview fails.
        fake.script(ok(), Fault("bad_json"), Fault("bad_json"))
        clock = FakeClock()
        report = _run(git_repo, fake, clock.now, clock.sleep)
        totals = fake.totals()
    assert report.documented == ["a.py"]  # published without its overview
    assert [o.path for o in report.overviews_failed] == ["a.py"]
    assert "unusable overview" in report.overviews_failed[0].reason
    # Both overview attempts were sent and billed: the report counts them like any failed request.
    assert totals["requests"] == 3 and report.usage.requests == 3
    assert report.usage.cost_usd == pytest.approx(_expected_cost(totals), rel=1e-9)
