"""The order chunks are asked in: the longest predicted answers first, so a run's last replies are short."""

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


def test_the_chunks_with_the_most_symbols_to_document_are_sent_first(git_repo: GitRepo) -> None:
    counts = {"pkg/one.py": 1, "pkg/three.py": 3, "pkg/two.py": 2, "pkg/five.py": 5}
    for path, n in counts.items():
        git_repo.write(path, _functions(n, path.split("/")[1][:-3]))
    git_repo.commit("four modules")
    clock = FakeClock()
    with running(clock=clock.now, sleep=clock.sleep) as fake:
        settings = settings_for(fake, repo=git_repo.path, cache="none", max_concurrency=1)
        provider = AnthropicProvider(settings.llm, clock=clock.now, sleep=clock.sleep)
        report = run_local(
            git_repo.path, store=NullCache(), provider=provider, settings=settings, base=ZERO_SHA
        )
        found = [re.search(r"Source file: (\S+)", str(s.body)) for s in fake.seen]
    assert len(report.documented) == 4
    sent = [m.group(1) for m in found if m is not None]
    # One request per file's chunk (one chunk each), then one per file's overview.
    assert sent[:4] == ["pkg/five.py", "pkg/three.py", "pkg/two.py", "pkg/one.py"]
    assert sorted(sent[4:]) == sorted(counts)
