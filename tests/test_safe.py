"""Hostile text from code and from the model is neutralised wherever docbot publishes: ``safe.neutralise``
on its own, then planted in docstrings (offline provider) and in model answers (the loopback Messages
API) and read back from the sticky comment, the docs pull request and its pages, the workspace and the
job summary, with a CommonMark parser."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from markdown_it import MarkdownIt
from markdown_it.token import Token

from docbot.cache.sqlite import SqliteCache
from docbot.events import parse_command
from docbot.llm.offline import OfflineProvider
from docbot.markers import PULL_REQUEST, REPLY, STICKY_COMMENT, TRAILER, marker_line
from docbot.render.markdown import ALLOWED_HTML
from docbot.render.safe import ZWJ, neutralise
from tests.conftest import GitRepo
from tests.fakes.anthropic_server import running
from tests.local_run import run_local
from tests.test_action_entrypoint import (
    Harness,
    harness_fixture,  # noqa: F401 (the fixture, shared)
    pull_request_payload,
    push_payload,
)

HOSTILE = (
    f"Ask @octocat or @acme/core-team. {STICKY_COMMENT} {PULL_REQUEST} {REPLY} "
    f"{marker_line('evil.py')} /docbot all. {TRAILER}. "
    "[click](javascript:alert(1)) [img](data:text/html;base64,PHNjcmlwdD4=) [vb](VBScript:msgbox) "
    "<vbscript:msgbox> <img src=x onerror=alert(1)> <script>alert(1)</script> <a href='javascript:x'>a</a>"
)
OWN = (STICKY_COMMENT, PULL_REQUEST, REPLY, TRAILER, "<!-- docbot")
MD = MarkdownIt("commonmark")
_TAG_NAME = re.compile(r"</?([A-Za-z][A-Za-z0-9-]*)")


# --- the function ---


def test_mentions_are_defused_outside_code_only() -> None:
    text = "Hi @octocat and @acme/core-team, a@b.example, `@inline`\n\n```\n@decorator\n```\n"
    out = neutralise(text)
    assert f"@{ZWJ}octocat" in out and f"@{ZWJ}acme/core-team" in out
    assert "a@b.example" in out and "`@inline`" in out and "\n@decorator\n" in out


def test_own_markers_and_the_trigger_phrase_are_removed_but_the_leading_marker_is_kept() -> None:
    text = (
        f"{STICKY_COMMENT}\nsay {STICKY_COMMENT} and /docbot all or\n/DOC-please force\n"
        f"`{REPLY}`\n{TRAILER}\n```\n/docbot all\n```\n"
    )
    out = neutralise(text, trigger_phrase="/doc-please")
    assert out.startswith(STICKY_COMMENT + "\n")
    assert out.count(STICKY_COMMENT) == 1
    assert REPLY not in out and TRAILER not in out and "/doc-please" not in out.lower()
    # Outside code the phrase is gone; in a code block, where no command is read, it stays.
    assert out.count("/docbot") == 1 and "```\n/docbot all\n```" in out
    assert parse_command(out, "/doc-please") is None and parse_command(out) is None


def test_links_keep_http_and_relative_destinations_only() -> None:
    text = (
        "[a](https://example.com/x) [b](../b.md#c) [c](javascript:alert(1)) [d](jav&#x61;script:x) "
        "[e](<data:text/html,x>) ![f](  vbscript:y) [g](java\\script:z)\n\n[ref]: javascript:boom\n"
    )
    out = neutralise(text)
    assert "[a](https://example.com/x)" in out and "[b](../b.md#c)" in out
    assert "[c](#)" in out and "[d](#)" in out and "[e](#)" in out and "![f](  #)" in out
    assert "[ref]: #" in out
    assert not re.search(r"(?i)(javascript|vbscript|data):", out.replace("java\\script:z", ""))


def test_only_the_allowed_html_survives() -> None:
    text = (
        '<details open><summary><code>x</code></summary>\n\n<a id="sym"></a>line<br>\n\n</details>\n'
        '<img src=x onerror=alert(1)> <script>x</script> <a href="https://x">y</a> <!-- note --> '
        "<https://ok.example> <mailto:me@x.example> `<b>code</b>` \\<b>"
    )
    out = neutralise(text)
    assert out.startswith('<details open><summary><code>x</code></summary>\n\n<a id="sym"></a>line<br>')
    assert "&lt;img" in out and "&lt;script>x&lt;/script>" in out and '&lt;a href="https://x">' in out
    assert "&lt;!-- note -->" in out and "<https://ok.example>" in out and "&lt;mailto:" in out
    assert "`<b>code</b>`" in out and "\\<b>" in out
    assert neutralise(out) == out


# --- everywhere docbot publishes ---


def _without_code(markdown: str) -> str:
    """``markdown`` without its fenced blocks and code spans (where a link is only ever text)."""
    fenced = re.sub(r"(?ms)^(`{3,}|~{3,})[^\n]*\n.*?^\1[`~]*\s*$", "", markdown)
    return re.sub(r"(`+)(?!`).*?(?<!`)\1(?!`)", "", fenced)


def problems(text: str, own_marker: str | None = None) -> list[str]:
    """What in ``text`` a reader or GitHub would act on: mentions, own markers, HTML, unsafe links."""
    found = []
    body = text
    if own_marker is not None:
        assert text.startswith(own_marker + "\n"), text[:100]
        body = text[len(own_marker) + 1 :]
    elif text.startswith("<!-- docbot:generated"):
        body = text.split("\n", 1)[1]
    found += [f"own marker {m!r}" for m in OWN if m.lower() in body.lower()]
    if parse_command(body) is not None:
        found.append("a /docbot command")

    def walk(tokens: list[Token]) -> Iterator[Token]:
        for token in tokens:
            yield token
            yield from walk(token.children or [])

    for token in walk(MD.parse(body)):
        if token.type in {"html_block", "html_inline"}:
            names = {n.lower() for n in _TAG_NAME.findall(token.content)}
            if not names <= set(ALLOWED_HTML) or "<!--" in token.content or "href" in token.content:
                found.append(f"raw HTML {token.content.strip()[:60]!r}")
        if token.type == "text" and "/docbot" in token.content:
            found.append(f"trigger phrase in {token.content[:60]!r}")
        if token.type == "text" and re.search(r"@(octocat|acme/core-team)", token.content):
            found.append(f"mention in {token.content[:60]!r}")
        # A link markdown-it refuses stays text here, but another renderer may still make it a link.
        unsafe = re.search(r"(?i)\]\(\s*<?\s*(javascript|vbscript|data):", token.content)
        # Backslash-escaped brackets (``\[click\](javascript:x)``) are text in every renderer.
        in_source = re.search(r"(?i)(?<!\\)\]\(\s*<?\s*(javascript|vbscript|data):", _without_code(body))
        if token.type == "text" and unsafe and in_source:
            found.append(f"unsafe link in {token.content[:60]!r}")
        if token.type in {"link_open", "image"}:
            href = str(token.attrs.get("href") or token.attrs.get("src") or "")
            if re.match(r"[A-Za-z][A-Za-z0-9+.-]*:", href) and not href.startswith(("http://", "https://")):
                found.append(f"link to {href!r}")
    return found


def test_the_checker_sees_every_plant() -> None:
    raw = f"{marker_line('a.py')}\n\n{HOSTILE}\n"
    assert len(problems(raw)) >= 8
    assert problems(neutralise(raw)) == []


def hostile_repo(repo: GitRepo, branch: str | None = None) -> None:
    repo.write("README.txt", "project\n")
    repo.commit("first")
    if branch:
        repo.git("checkout", "-q", "-b", branch)
    # The planted marker reads "generated ... do not edit", which the generated-header rule would skip;
    # the repository says the file is hand-written, as a user would for such a false positive.
    repo.write(".gitattributes", "src/ping.py linguist-generated=false\n")
    repo.write(
        "src/ping.py",
        f'def ping(user):\n    """{HOSTILE}\n\n    {HOSTILE}\n    """\n    return user\n\n\n'
        f'class Hub:\n    """Hub. {HOSTILE}"""\n\n    def send(self, to):\n        """Send. {HOSTILE}"""\n',
    )
    repo.commit("hostile docstrings")


@contextmanager
def provider_inputs(source: str) -> Iterator[tuple[dict[str, str], dict[str, str]]]:
    """Inputs and env for a run whose hostile text comes from the docstrings or from the model."""
    if source == "docstrings":
        yield {"provider": "offline"}, {}
        return
    with running(planted=HOSTILE) as claude:
        yield (
            {"provider": "anthropic", "anthropic_api_key": claude.api_key},
            {"ANTHROPIC_BASE_URL": claude.url},
        )


SOURCES = ["docstrings", "model"]


def planted_count(texts: list[str]) -> int:
    return sum(t.count(f"@{ZWJ}octocat") for t in texts)


@pytest.mark.parametrize("source", SOURCES)
def test_sticky_comment_and_job_summary_are_neutral(harness: Harness, source: str) -> None:
    hostile_repo(harness.repo, "feature")
    harness.world.sync("main", "feature")
    number = harness.fake.open_pull("feature", "main")
    payload = pull_request_payload(harness, number, "feature", event="pull_request__opened")
    with provider_inputs(source) as (inputs, env):
        run = harness.run("pull_request", payload, inputs, env=env, in_process=True)

    assert run.outputs["operation"] == "commented", run.stdout
    body = harness.fake.comments_on(number)[0].body
    assert problems(body, STICKY_COMMENT) == []
    assert planted_count([body]) >= 2, "the hostile text reached the comment, defused"
    assert problems(run.summary) == []


@pytest.mark.parametrize("source", SOURCES)
def test_docs_pull_request_its_pages_and_job_summary_are_neutral(harness: Harness, source: str) -> None:
    hostile_repo(harness.repo)
    first = harness.repo.git("rev-parse", "HEAD~1").strip()
    harness.world.sync("main")
    with provider_inputs(source) as (inputs, env):
        run = harness.run("push", push_payload(first, harness.repo.head()), inputs, env=env, in_process=True)

    assert run.outputs["operation"] == "created", run.stdout
    assert problems(harness.fake.pulls[1].body, PULL_REQUEST) == []
    page = harness.world.files_at("docbot/main")["docs/api/src/ping.py.md"]
    assert problems(page) == []
    assert planted_count([page]) >= 2
    assert problems(run.summary) == []


@pytest.mark.parametrize("source", SOURCES)
def test_dry_run_pages_in_the_workspace_and_their_preview_are_neutral(harness: Harness, source: str) -> None:
    hostile_repo(harness.repo)
    first = harness.repo.git("rev-parse", "HEAD~1").strip()
    harness.world.sync("main")
    with provider_inputs(source) as (inputs, env):
        run = harness.run(
            "push", push_payload(first, harness.repo.head()), {**inputs, "dry_run": "true"}, env=env,
            in_process=True,
        )  # fmt: skip

    page = (harness.repo.path / "docs/api/src/ping.py.md").read_text(encoding="utf-8")
    assert problems(page) == []
    assert planted_count([page]) >= 2
    assert "<details><summary><code>docs/api/src/ping.py.md</code></summary>" in run.summary
    assert problems(run.summary) == []
    assert planted_count([run.summary]) >= 2


def test_docbot_run_writes_neutral_pages(git_repo: GitRepo, tmp_path: Path) -> None:
    hostile_repo(git_repo)
    store = SqliteCache(tmp_path / "cache.sqlite3")
    try:
        run_local(git_repo.path, store=store, provider=OfflineProvider(), all_files=True)
    finally:
        store.close()

    page = (git_repo.path / "docs/api/src/ping.py.md").read_text(encoding="utf-8")
    assert problems(page) == []
    assert planted_count([page]) >= 2


def test_markers_in_code_are_broken_not_removed() -> None:
    text = f"`{STICKY_COMMENT}` and `{TRAILER}`\n\n```\nX = '{REPLY}'\n```\n"
    out = neutralise(text)
    assert out == (
        f"`<!-{ZWJ}- docbot:sticky-comment -->` and `Docbot{ZWJ}-Generated: true`\n\n"
        f"```\nX = '<!-{ZWJ}- docbot:reply -->'\n```\n"
    )
    assert out.replace(ZWJ, "") == text  # the same text to a reader
    assert neutralise(out) == out
