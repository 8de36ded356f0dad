"""The truthfulness guard, alone and through the pipeline against the loopback Messages API.

The server is scripted to answer the way a model that makes things up does: a summary naming a helper
the code does not have, a parameter the signature does not have.
"""

from __future__ import annotations

from typing import Any

import pytest

from docbot import truth
from docbot.cache import NullCache
from docbot.chunking import chunk_file
from docbot.docs import ChunkDoc, SymbolDoc
from docbot.llm.client import AnthropicProvider
from docbot.report import RunReport
from docbot.symbols import extract_symbols
from tests.conftest import GitRepo
from tests.fakes.anthropic_server import ok, rewrite, running
from tests.fakes.clock import FakeClock
from tests.fakes.llm import settings_for
from tests.local_run import run_local

SOURCE = '''\
import os


def join_all(parts, sep=","):
    """Join ``parts`` with ``sep``."""
    return sep.join(os.fspath(p) for p in parts)
'''


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("Calls `join_all()` then `os.path.join`.", ["join_all", "os.path.join"]),
        ("Returns `x > 0` or `'a'` or `3`.", []),  # expressions and literals are not names
        ("Uses ``Type::method`` and `obj->field`.", ["Type::method", "obj->field"]),
    ],
)
def test_code_names_are_the_code_like_spans(text: str, names: list[str]) -> None:
    assert truth.code_names(text) == names


def test_a_name_is_known_whole_or_by_its_first_or_last_part() -> None:
    known = frozenset({"os", "join_all", "Config"})
    assert truth.is_known("os.path.join", known)
    assert truth.is_known("self.join_all", known)
    assert truth.is_known("Config", known)
    assert not truth.is_known("ghost_helper", known)
    assert not truth.is_known("ghost.helper", known)


def test_check_drops_params_the_signature_lacks_and_flags_unknown_summary_names() -> None:
    chunk = chunk_file("j.py", "python", SOURCE, extract_symbols(SOURCE, "python"))[0]
    known = truth.words([chunk.header, chunk.text]) | truth.COMMON
    answer = ChunkDoc(
        None,
        (
            SymbolDoc(
                "join_all",
                "Joins with `ghost_helper`.",
                description="Like `str.join`, with `fast_path`.",
                params=(("parts", "What to join."), ("sep", "The separator."), ("strict", "Made up.")),
            ),
        ),
        model="m",
    )
    cleaned, found = truth.check(answer, chunk, known)
    assert cleaned.symbols[0].params == (("parts", "What to join."), ("sep", "The separator."))
    assert found.dropped_params == 1
    assert found.unknown == {"join_all": ("ghost_helper", "fast_path")}
    assert found.reask == ("join_all",)
    settled = truth.settle(cleaned, None, found.unknown)
    assert settled.symbols[0].notes == (
        "Not found in the code (kept as the model wrote it): `ghost_helper`, `fast_path`.",
    )


def _made_up(name: str, summary: str) -> Any:
    def edit(answer: Any) -> Any:
        for item in answer["symbols"]:
            if item["name"] == name:
                item["summary"] = summary
                item["params"] = [
                    {"name": "parts", "description": "The parts."},
                    {"name": "strict", "description": "Whether to fail."},  # not in the signature
                ]
        return answer

    return edit


def _run(git_repo: GitRepo, *faults: Any) -> tuple[RunReport, list[Any], str]:
    git_repo.write("j.py", SOURCE)
    git_repo.commit("join")
    with running() as fake:
        fake.script(*faults)
        clock = FakeClock()
        settings = settings_for(fake, repo=git_repo.path, cache="none", max_concurrency=1)
        provider = AnthropicProvider(settings.llm, clock=clock.now, sleep=clock.sleep)
        report = run_local(
            git_repo.path, store=NullCache(), provider=provider, settings=settings, base="0" * 40
        )
        assert fake.unused_script == []
        bodies = [s.body for s in fake.seen]
    page = (git_repo.path / "docs/api/j.py.md").read_text()
    return report, bodies, page


def test_an_answer_naming_a_made_up_helper_is_asked_again_with_the_real_names(git_repo: GitRepo) -> None:
    report, bodies, page = _run(git_repo, rewrite(_made_up("join_all", "Joins via `ghost_helper`.")), ok())
    # The chunk, the chunk again (with the real names), then the file's overview.
    assert len(bodies) == 3
    again = bodies[1]["messages"][0]["content"][1]["text"]
    assert "Name only these in backticks: join_all, parts, sep" in again
    assert "ghost_helper" not in page  # the second answer replaced the first
    assert "strict" not in page  # dropped: the signature has no such parameter
    quality = report.to_json()["quality"]
    # The second answer came from the server's own generator, whose one parameter is "arg".
    assert (quality["unknown_names"], quality["dropped_params"], quality["reasked"]) == (1, 2, 1)


def test_an_answer_still_naming_it_after_asking_again_is_kept_with_a_note(git_repo: GitRepo) -> None:
    made_up = rewrite(_made_up("join_all", "Joins via `ghost_helper`."))
    report, bodies, page = _run(git_repo, made_up, made_up)
    assert len(bodies) == 3
    assert "Joins via `ghost_helper`." in page
    assert "> Not found in the code (kept as the model wrote it): `ghost_helper`." in page
    quality = report.to_json()["quality"]
    assert (quality["unknown_names"], quality["dropped_params"], quality["reasked"]) == (2, 2, 1)


def test_an_answer_naming_only_real_things_is_not_asked_again(git_repo: GitRepo) -> None:
    report, bodies, page = _run(git_repo, rewrite(_made_up("join_all", "Joins with `os.fspath` and `sep`.")))
    assert len(bodies) == 2  # the chunk and the overview
    assert "Joins with `os.fspath` and `sep`." in page
    assert report.to_json()["quality"] == {
        "unknown_names": 0,
        "dropped_params": 1,
        "reasked": 0,
        "overviews_failed": [],
    }
