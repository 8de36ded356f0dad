"""How long runs keep the system block in the prompt cache: for an hour when runs come more often than
hourly, on the bytes the loopback Messages API receives and the usage it bills; and the record that
decides it, which the cache may hold in any state."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from docbot.cache import CacheEntry
from docbot.cache.sqlite import SqliteCache
from docbot.cli import document
from docbot.estimate import estimate_run
from docbot.git import Git
from docbot.llm import system_lifetime
from docbot.llm.client import AnthropicProvider
from docbot.llm.system_lifetime import HOUR_S, READ_MARGIN_S, Sent
from docbot.report import RunReport
from tests.conftest import GitRepo
from tests.fakes.anthropic_server import FakeAnthropic, Seen, running
from tests.fakes.clock import FakeClock
from tests.local_run import split

MINUTE = 60.0


def _functions(n: int, edited: int = -1, times: int = 1) -> str:
    return "".join(
        f'def f{i}(a, b):\n    """f{i} adds."""\n    return a + b + {i}'
        + ("  # edited" * times if i == edited else "")
        + "\n\n\n"
        for i in range(n)
    )


class Runs:
    """docbot runs against one loopback server, on one fake clock that dates both the server's prompt
    cache and docbot's record of the system block."""

    def __init__(self, repo: GitRepo, cache_path: Path, fake: FakeAnthropic, clock: FakeClock) -> None:
        self.repo, self.fake, self.clock = repo, fake, clock
        self.cache = SqliteCache(cache_path)
        self.base = "0" * 40

    def _settings(self) -> Any:
        values = {
            "repo": self.repo.path,
            "provider": "anthropic",
            "anthropic_api_key": "k",
            "anthropic_base_url": self.fake.url,
            "base": self.base,
        }
        return split(values)

    def provider(self) -> AnthropicProvider:
        settings, _ = self._settings()
        return AnthropicProvider(settings.llm, clock=self.clock.now, sleep=self.clock.sleep)

    def estimate(self) -> float:
        settings, spec = self._settings()
        quote = estimate_run(
            spec, settings, git=Git(self.repo.path), cache=self.cache, provider=self.provider(),
            wall=self.clock.now,
        )  # fmt: skip
        return quote.expected_usd

    def run(self) -> tuple[RunReport, list[Seen]]:
        settings, spec = self._settings()
        before = len(self.fake.seen)
        report = document(
            spec, settings, git=Git(self.repo.path), cache=self.cache, provider=self.provider(),
            clock=self.clock.now, sleep=self.clock.sleep, wall=self.clock.now,
        )  # fmt: skip
        self.base = self.repo.git("rev-parse", "HEAD").strip()
        return report, [s for s in list(self.fake.seen)[before:] if s.body]


def _system_mark(seen: Seen) -> dict[str, str] | None:
    assert seen.body is not None
    mark: dict[str, str] | None = seen.body["system"][0].get("cache_control")
    return mark


def _edit(repo: GitRepo, function: int, times: int = 1) -> None:
    repo.write("src/fns.py", _functions(6, edited=function, times=times))
    repo.commit(f"edit f{function}")


def test_a_push_within_the_hour_keeps_the_system_block_an_hour_and_the_next_push_reads_it(
    git_repo: GitRepo, tmp_path: Path
) -> None:
    git_repo.write("src/fns.py", _functions(6))
    git_repo.commit("initial")
    clock = FakeClock()
    with running(api_key="k", clock=clock.now, sleep=clock.sleep) as fake:
        runs = Runs(git_repo, tmp_path / "cache.sqlite3", fake, clock)
        runs.run()  # cold: the chunk and the overview share the 5-minute system block
        # Twenty minutes on, the 5-minute entry is gone. One request, but a run came within the hour:
        # its system block is written for an hour (2x input), not sent unmarked.
        clock.advance(20 * MINUTE)
        _edit(git_repo, 2)
        written, (first,) = runs.run()
        assert _system_mark(first) == {"type": "ephemeral", "ttl": "1h"}
        assert first.usage is not None and first.usage["cache_read_input_tokens"] == 0
        assert first.cache_write_1h == first.usage["cache_creation_input_tokens"] > 1024
        # Twenty minutes later again: the next push reads it back at the cache-read price, and the
        # estimate quoted before the push knew it would.
        clock.advance(20 * MINUTE)
        _edit(git_repo, 4)
        quoted = runs.estimate()
        report, (second,) = runs.run()
        assert _system_mark(second) == {"type": "ephemeral", "ttl": "1h"}
        assert second.usage is not None
        assert second.usage["cache_read_input_tokens"] == first.cache_write_1h
        assert second.usage["cache_creation_input_tokens"] == 0
        assert quoted == pytest.approx(report.usage.cost_usd, rel=0.25)
        assert report.usage.cost_usd < 0.5 * written.usage.cost_usd


def test_after_a_quiet_hour_a_one_request_push_marks_nothing_again(git_repo: GitRepo, tmp_path: Path) -> None:
    git_repo.write("src/fns.py", _functions(6))
    git_repo.commit("initial")
    clock = FakeClock()
    with running(api_key="k", clock=clock.now, sleep=clock.sleep) as fake:
        runs = Runs(git_repo, tmp_path / "cache.sqlite3", fake, clock)
        runs.run()
        clock.advance(HOUR_S + MINUTE)
        _edit(git_repo, 1)
        _, (only,) = runs.run()
    assert _system_mark(only) is None
    assert only.usage is not None and only.usage["cache_creation_input_tokens"] == 0


def test_a_record_of_another_server_does_not_count(git_repo: GitRepo, tmp_path: Path) -> None:
    git_repo.write("src/fns.py", _functions(6))
    git_repo.commit("initial")
    clock = FakeClock()
    cache_path = tmp_path / "cache.sqlite3"
    with running(api_key="k", clock=clock.now, sleep=clock.sleep) as fake:
        Runs(git_repo, cache_path, fake, clock).run()
    with running(api_key="k", clock=clock.now, sleep=clock.sleep) as other:
        runs = Runs(git_repo, cache_path, other, clock)
        runs.base = git_repo.git("rev-parse", "HEAD").strip()
        clock.advance(20 * MINUTE)
        _edit(git_repo, 3)
        _, (only,) = runs.run()
    # The other server never held this block: one request, so nothing is worth marking.
    assert _system_mark(only) is None


def test_sent_is_recent_for_an_hour_and_cached_until_its_margin() -> None:
    sent = Sent(at=10_000.0, hour=True)
    assert sent.recent(10_000.0) and sent.recent(10_000.0 + HOUR_S - 1)
    assert not sent.recent(10_000.0 + HOUR_S)
    assert not sent.recent(9_000.0)  # dated ahead of this runner's clock
    assert sent.cached(10_000.0 + HOUR_S - READ_MARGIN_S - 1)
    assert not sent.cached(10_000.0 + HOUR_S - READ_MARGIN_S)
    assert not Sent(at=10_000.0, hour=False).cached(10_000.0 + 1)  # 5 minutes at most: not counted


@pytest.mark.parametrize(
    "value",
    [
        "not json",
        "[]",
        json.dumps({"at": "soon", "hour": True}),
        json.dumps({"at": 1.0, "hour": "yes"}),
        json.dumps({"at": True, "hour": True}),
        json.dumps({"hour": True}),
    ],
)
def test_an_unreadable_record_is_none(tmp_path: Path, value: str) -> None:
    cache = SqliteCache(tmp_path / "cache.sqlite3")
    key = system_lifetime.record_key("https://api.example", "prefix")
    cache.put_many({key: CacheEntry(value, "system-sent", 1.0)})
    assert system_lifetime.last_sent(cache, key) is None


def test_a_record_round_trips_and_its_key_names_server_and_prefix(tmp_path: Path) -> None:
    cache = SqliteCache(tmp_path / "cache.sqlite3")
    key = system_lifetime.record_key("https://api.example", "prefix")
    system_lifetime.record(cache, key, Sent(at=123.5, hour=True))
    assert system_lifetime.last_sent(cache, key) == Sent(at=123.5, hour=True)
    others = {
        system_lifetime.record_key("https://other.example", "prefix"),
        system_lifetime.record_key("https://api.example", "prefix2"),
    }
    assert key not in others and len(others) == 2
