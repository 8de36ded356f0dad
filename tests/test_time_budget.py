"""The run's time budget (``max_run_minutes``) through the real pipeline, the real SDK and the loopback API.

Server and client share one ``FakeClock``: a reply's latency advances it, nothing sleeps for real.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from docbot.cache.sqlite import SqliteCache
from docbot.config import ZERO_SHA, load_settings
from docbot.errors import ConfigError
from docbot.llm.client import AnthropicProvider
from docbot.llm.deadline import Deadline
from docbot.report import RunReport
from tests.conftest import GitRepo
from tests.fakes.anthropic_server import FakeAnthropic, Latency, running, status
from tests.fakes.clock import FakeClock
from tests.fakes.llm import settings_for
from tests.local_run import run_local

# Each reply takes 40 s of the shared clock; one request at a time, so a one-minute budget lets the
# first two chunks start (at 0 s and 40 s) and refuses the third (at 80 s).
REPLY_S = 40.0


def _module(i: int) -> str:
    return f'"""Module {i}."""\n\n\ndef work_{i}(x):\n    return x + {i}\n'


def _run(
    repo: GitRepo, fake: FakeAnthropic, clock: FakeClock, cache: SqliteCache, **overrides: object
) -> RunReport:
    settings = settings_for(fake, repo=repo.path, cache="none", max_concurrency=1, **overrides)
    provider = AnthropicProvider(settings.llm, clock=clock.now, sleep=clock.sleep)
    return run_local(repo.path, store=cache, provider=provider, settings=settings, base=ZERO_SHA)


def _sources(fake: FakeAnthropic) -> list[str]:
    """The source file each answered request was about, in the order they were sent."""
    found = [re.search(r"Source file: (\S+)", str(s.body)) for s in fake.seen if s.status == 200]
    return [m.group(1) for m in found if m is not None]


def test_a_spent_time_budget_starts_no_request_keeps_what_was_paid_and_publishes_it(
    git_repo: GitRepo, tmp_path: Path
) -> None:
    for i in range(3):
        git_repo.write(f"pkg/m{i}.py", _module(i))
    git_repo.commit("three modules")
    cache = SqliteCache(tmp_path / "cache.sqlite3")
    clock = FakeClock()
    with running(latency=Latency(base_s=REPLY_S), clock=clock.now, sleep=clock.sleep) as fake:
        report = _run(git_repo, fake, clock, cache, max_run_minutes=1)
        first = _sources(fake)
        assert len(fake.seen) == 2  # nothing was sent after the budget: no refused request either
    # Two chunks answered before the budget ran out; the third file's request never started.
    assert len(first) == 2 and len(set(first)) == 2
    (late,) = {f"pkg/m{i}.py" for i in range(3)} - set(first)
    assert sorted(report.documented) == sorted(first)
    assert [o.path for o in report.failed] == [late]
    assert "time budget" in report.failed[0].reason
    # The overviews would have started after the budget too: the pages are published without them.
    assert sorted(o.path for o in report.overviews_failed) == sorted(first)
    for path in first:
        assert (git_repo.path / "docs/api" / f"{path}.md").is_file()
    assert not (git_repo.path / "docs/api" / f"{late}.md").exists()
    assert report.usage.requests == 2

    # The answers paid for were cached: a run without the budget asks only for the late file's chunk
    # (and the three overviews, which were never answered).
    with running(clock=clock.now, sleep=clock.sleep) as fake:
        again = _run(git_repo, fake, clock, cache)
        second = _sources(fake)
    assert again.failed == [] and len(again.documented) == 3
    assert sorted(second) == sorted([late, *[f"pkg/m{i}.py" for i in range(3)]])
    cache.close()


def test_without_a_budget_the_deadline_never_expires() -> None:
    clock = FakeClock()
    deadline = Deadline(None, clock.now)
    clock.advance(10**9)
    assert not deadline.expired()
    deadline.check()  # does not raise


def test_the_budget_is_counted_from_the_start_of_the_run() -> None:
    clock = FakeClock()
    deadline = Deadline(2, clock.now)
    clock.advance(119.9)
    assert not deadline.expired()
    clock.advance(0.1)
    assert deadline.expired()


def test_the_setting_is_read_from_the_environment_and_validated() -> None:
    env = {"DOCBOT_MAX_RUN_MINUTES": "45"}
    assert load_settings({}, env).llm.max_run_minutes == 45.0
    assert load_settings({}, {}).llm.max_run_minutes is None
    with pytest.raises(ConfigError, match="max_run_minutes"):
        load_settings({}, {"DOCBOT_MAX_RUN_MINUTES": "soon"})


def test_a_run_waiting_out_an_outage_stops_at_its_time_budget(git_repo: GitRepo, tmp_path: Path) -> None:
    """The circuit opens and would keep the work waiting for 15 minutes; the budget ends the waits at
    one minute and the run reports every file failed "time budget" (the first one's own error)."""
    for i in range(3):
        git_repo.write(f"pkg/m{i}.py", _module(i))
    git_repo.commit("three modules")
    cache = SqliteCache(tmp_path / "cache.sqlite3")
    clock = FakeClock()
    with running(clock=clock.now, sleep=clock.sleep) as fake:
        fake.script(*[status(500)] * 2)
        started = clock.now()
        report = _run(
            git_repo, fake, clock, cache, max_run_minutes=1, max_attempts=2, max_attempts_rate_limited=2,
            breaker_threshold=2, breaker_cooldown_s=600, breaker_max_open_s=900,
        )  # fmt: skip
        sent = len(fake.seen)
    cache.close()
    assert report.documented == [] and sent == 2
    reasons = sorted(o.reason for o in report.failed)
    assert len(reasons) == 3 and reasons[0].startswith("HTTP 500")
    assert all("time budget" in r for r in reasons[1:])
    # Nothing waited past the budget (the circuit's cool-down alone is ten minutes).
    assert clock.now() - started <= 60.0
