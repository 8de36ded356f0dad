"""What a narrowed request and a re-ask carry, on the bytes the loopback Messages API receives; and
which prefixes are marked for the prompt cache."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from docbot.cache.sqlite import SqliteCache
from docbot.chunking import split_source
from docbot.config import load_settings
from docbot.llm.client import AnthropicProvider
from docbot.llm.narrowing import narrow
from docbot.llm.prompt import SYSTEM_PROMPT
from tests.conftest import GitRepo
from tests.fakes.anthropic_server import FakeAnthropic, Fault, Seen, running
from tests.fakes.model_behaviour import asked_names
from tests.local_run import run_local


def _method(name: str, marker: str) -> str:
    return (
        f"    def {name}(self, key, default=None):\n"
        f'        """{name} looks a key up."""\n'
        f"        value = self._items.get(key, default)  # body of {name}: {marker}\n"
        f"        return value\n\n"
    )


def _store(edited: str = "", *, methods: int = 8) -> str:
    body = "".join(_method(f"m{i}", "v2" if f"m{i}" == edited else "v1") for i in range(methods))
    head = 'class Store:\n    """Keeps items."""\n\n'
    return f"{head}    def __init__(self):\n        self._items = {{}}\n\n{body}"


def _functions(n: int) -> str:
    return "".join(
        f'def f{i}(a, b):\n    """f{i} adds."""\n    return a + b + {i}  # body of f{i}\n\n\n'
        for i in range(n)
    )


def _llm(fake: FakeAnthropic) -> AnthropicProvider:
    values = {"provider": "anthropic", "anthropic_api_key": "k", "anthropic_base_url": fake.url}
    return AnthropicProvider(load_settings(values, env={}).llm)


def _run(repo: GitRepo, tmp_path: Path, fake: FakeAnthropic) -> Any:
    return run_local(
        repo.path,
        store=SqliteCache(tmp_path / "cache.sqlite3"),
        provider=_llm(fake),
        all_files=True,
        anthropic_api_key="k",
        anthropic_base_url=fake.url,
    )


def _ask_text(seen: Seen) -> str:
    """The part of the prompt after the file block: what this request asks about."""
    assert seen.body is not None
    return str(seen.body["messages"][0]["content"][-1]["text"])


def _chunk_requests(fake: FakeAnthropic) -> list[Seen]:
    return [s for s in fake.seen if s.body and s.body["max_tokens"] > 0 and asked_names(s.body)]


def _marks(body: dict[str, Any]) -> list[str]:
    blocks = [*body["system"], *body["messages"][0]["content"]]
    return ["system" if b in body["system"] else "message" for b in blocks if "cache_control" in b]


def _page_without_hash(path: Path) -> str:
    # The source's hash is on the page (front matter and footer); it changes with any edit.
    return re.sub(r"source_sha256: \S+|`[0-9a-f]{12}`", "", path.read_text())


def test_an_edit_sends_the_symbols_own_code_and_only_the_signatures_around_it(
    git_repo: GitRepo, tmp_path: Path
) -> None:
    git_repo.write("src/store.py", _store())
    git_repo.commit("initial")
    with running(api_key="k") as fake:
        _run(git_repo, tmp_path, fake)
        (cold,) = _chunk_requests(fake)
        page = git_repo.path / "docs/api/src/store.py.md"
        before = _page_without_hash(page)
        fake.seen.clear()
        git_repo.write("src/store.py", _store("m4"))
        git_repo.commit("edit m4")
        report = _run(git_repo, tmp_path, fake)
        (edit,) = _chunk_requests(fake)
    assert report.to_json()["cache"]["symbols"]["misses"] == 1
    assert edit.body is not None and asked_names(edit.body) == ["Store.m4"]
    text = _ask_text(edit)
    assert "body of m4: v2" in text  # the asked symbol's own code
    # Its enclosing class and its neighbours, as signatures; none of their bodies.
    for signature in ("class Store", "def m2(self, key, default=None)", "def m6(self, key, default=None)"):
        assert signature in text
    assert not re.search(r"body of m(?!4)", text) and "Keeps items" not in text
    assert "def m0(" not in text and "Already documented" not in text  # not every symbol of the chunk
    assert len(text) < len(_ask_text(cold)) / 3
    # The same page as before (the loopback model answers the same for the same name): nothing lost.
    assert _page_without_hash(page) == before


def _drop(name: str) -> Fault:
    return Fault(
        "rewrite",
        edit=lambda answer: {**answer, "symbols": [s for s in answer["symbols"] if s["name"] != name]},
    )


def _plant(name: str) -> Fault:
    def edit(answer: dict[str, Any]) -> dict[str, Any]:
        for item in answer["symbols"]:
            if item["name"] == name:
                item["summary"] = "Returns the sum through `frobnicate_total`."
        return answer

    return Fault("rewrite", edit=edit)


@pytest.mark.parametrize(
    ("fault", "why"), [(_drop("f3"), "left out"), (_plant("f3"), "named what is not there")]
)
def test_a_reask_sends_only_the_symbol_asked_again(
    git_repo: GitRepo, tmp_path: Path, fault: Fault, why: str
) -> None:
    git_repo.write("src/fns.py", _functions(6))
    git_repo.commit("initial")
    with running(api_key="k") as fake:
        fake.script(fault)
        report = _run(git_repo, tmp_path, fake)
        first, again = _chunk_requests(fake)
    assert report.documented == ["src/fns.py"], why
    assert first.body is not None and again.body is not None
    assert asked_names(first.body) == [f"f{i}" for i in range(6)]
    assert asked_names(again.body) == ["f3"]
    text = _ask_text(again)
    assert "body of f3" in text and "def f2(a, b)" in text and "def f4(a, b)" in text
    assert not re.search(r"body of f[^3]", text)
    # Behind the same system block and file block as the first request.
    assert again.body["system"] == first.body["system"]
    assert again.body["messages"][0]["content"][0]["text"] == first.body["messages"][0]["content"][0]["text"]


def test_a_single_request_marks_nothing_and_a_prefix_read_back_is_marked(
    git_repo: GitRepo, tmp_path: Path
) -> None:
    git_repo.write("src/fns.py", _functions(6))
    git_repo.commit("initial")
    with running(api_key="k") as fake:
        _run(git_repo, tmp_path, fake)
        cold = [s for s in fake.seen if s.body]
    # The edit goes to another server: no run sent it this system block within the hour, which would
    # have it kept for an hour (tests/test_system_lifetime.py).
    with running(api_key="k") as fake:
        git_repo.write("src/fns.py", _functions(6).replace("+ 2  # body", "- 2  # body"))
        git_repo.commit("edit f2")
        _run(git_repo, tmp_path, fake)
        edit = [s for s in fake.seen if s.body]
    # Cold: the chunk and the file's overview share the system block (the overview reads it back);
    # the file block is the file's only request, so it is not marked.
    chunk, overview = cold
    assert chunk.body is not None and overview.body is not None
    assert _marks(chunk.body) == ["system"] and _marks(overview.body) == ["system"]
    assert overview.usage is not None and overview.usage["cache_read_input_tokens"] > 0
    # The edit run sends one request (the outline, and so the overview, did not change): no mark, no write.
    (only,) = edit
    assert only.body is not None and only.usage is not None
    assert _marks(only.body) == [] and only.usage["cache_creation_input_tokens"] == 0
    # The same bytes marked or not, so a run that marks them reads what another cached.
    assert only.body["system"][0]["text"] == chunk.body["system"][0]["text"] == SYSTEM_PROMPT
    assert only.body["messages"][0]["content"][0]["text"] == chunk.body["messages"][0]["content"][0]["text"]


NESTED = '''\
class Outer:
    """Outer."""

    def a(self):
        return "body of a"

    def b(self):
        return "body of b"

    def c(self):
        return "body of c"


class Box:
    class Lid:
        def open(self, row):
            return "body of open"

    def close(self):
        return "body of close"


def lone():
    return "body of lone"
'''


def test_a_narrowed_chunk_cuts_what_is_not_asked_to_its_signature() -> None:
    _, (chunk,) = split_source("pkg/n.py", "python", NESTED)
    assert [s.id for s in chunk.symbols] == [
        "Outer", "Outer.a", "Outer.b", "Outer.c", "Box", "Box.Lid", "Box.Lid.open", "Box.close", "lone"
    ]  # fmt: skip
    # A class asked with one of its methods: the others are cut to their signatures, in place.
    both = narrow(chunk, ["Outer", "Outer.b"])
    assert "body of b" in both.code and "def a(self)" in both.code and "body of a" not in both.code
    assert "body of c" not in both.code and "body of lone" not in both.code
    # A method of a nested class asked alone: its own code; the classes around it as context.
    inner = narrow(chunk, ["Box.Lid.open"])
    assert inner.code.strip().startswith("def open(self, row):") and "body of open" in inner.code
    assert inner.context == "class Box\n    class Lid"  # it has no siblings; Box.close is not one
    # A method inside a class that is not asked, beside a function outside it.
    split = narrow(chunk, ["Outer.c", "lone"])
    assert "body of c" in split.code and "body of lone" in split.code and "body of a" not in split.code
    assert split.context.count("class Outer") == 1 and "    def b(self)" in split.context
