"""The order chunks are asked in: the longest and the shortest of what is left, by turns."""

from __future__ import annotations

import re

from docbot.cache import NullCache
from docbot.config import ZERO_SHA
from docbot.llm.client import AnthropicProvider
from tests.conftest import GitRepo
from tests.fakes.anthropic_server import running
from tests.fakes.clock import FakeClock
from tests.fakes.llm import settings_for
from tests.local_run import run_local


def _functions(n: int, tag: str) -> str:
    return "".join(f"def {tag}_{i}(x):\n    return x + {i}\n\n\n" for i in range(n))


def test_the_longest_and_the_shortest_chunks_go_by_turns_the_longest_first(git_repo: GitRepo) -> None:
    counts = {"pkg/one.py": 1, "pkg/three.py": 3, "pkg/two.py": 2, "pkg/five.py": 5, "pkg/four.py": 4}
    for path, n in counts.items():
        git_repo.write(path, _functions(n, path.split("/")[1][:-3]))
    git_repo.commit("five modules")
    clock = FakeClock()
    with running(clock=clock.now, sleep=clock.sleep) as fake:
        settings = settings_for(fake, repo=git_repo.path, cache="none", max_concurrency=1)
        provider = AnthropicProvider(settings.llm, clock=clock.now, sleep=clock.sleep)
        report = run_local(
            git_repo.path, store=NullCache(), provider=provider, settings=settings, base=ZERO_SHA
        )
        found = [re.search(r"Source file: (\S+)", str(s.body)) for s in fake.seen]
    assert len(report.documented) == 5
    sent = [m.group(1) for m in found if m is not None]
    # One request per file's chunk (one chunk each), then one per file's overview.
    assert sent[:5] == ["pkg/five.py", "pkg/one.py", "pkg/four.py", "pkg/two.py", "pkg/three.py"]
    assert sorted(sent[5:]) == sorted(counts)
