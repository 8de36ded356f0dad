"""entrypoint.py run as the runner runs it: a subprocess with the runner's environment, a real repository,
the webhook payloads of tests/fixtures/events (SHAs rewritten), and the loopback GitHub API behind real
PyGithub."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from docbot import action
from docbot.markers import STICKY_COMMENT as COMMENT_MARKER
from docbot.markers import TRAILER
from tests.conftest import ROOT, GitRepo, load_event
from tests.fakes.anthropic_server import running
from tests.fakes.anthropic_server import status as claude_status
from tests.fakes.github_server import GitHubWorld

TOKEN = "ghs_actions_token"


@dataclass
class Run:
    code: int
    stdout: str
    stderr: str
    outputs: dict[str, str]
    summary: str
    report: dict[str, Any] | None


def parse_outputs(text: str) -> dict[str, str]:
    """Read a $GITHUB_OUTPUT file the way the runner does (name=value and name<<DELIM blocks)."""
    outputs: dict[str, str] = {}
    lines = iter(text.splitlines())
    for line in lines:
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            name, delim = line.split("<<", 1)
            block = []
            for inner in lines:
                if inner == delim:
                    break
                block.append(inner)
            outputs[name] = "\n".join(block)
        else:
            name, _, value = line.partition("=")
            outputs[name] = value
    return outputs


class Harness:
    def __init__(self, tmp: Path, repo: GitRepo) -> None:
        self.tmp = tmp
        self.repo = repo
        self.world = GitHubWorld(repo.path, tmp / "origin.git")
        self.fake = self.world.fake
        self.cache_path = tmp / "cache.sqlite3"
        self.runs = 0

    def run(
        self,
        event_name: str,
        payload: dict[str, Any],
        inputs: dict[str, str] | None = None,
        *,
        in_process: bool = False,
        env: dict[str, str] | None = None,
        sleep: Any = None,
    ) -> Run:
        """Run the Action once, as a subprocess of entrypoint.py (or, for the edge cases, by calling
        ``docbot.action.main`` with the same environment: the same code path, without the ~1 s start-up)."""
        self.runs += 1
        step = self.tmp / f"step{self.runs}"
        step.mkdir()
        event_path = step / "event.json"
        event_path.write_text(json.dumps(payload), encoding="utf-8")
        output, summary, temp = step / "output", step / "summary.md", step / "temp"
        temp.mkdir()
        full = {
            "PATH": os.environ["PATH"],
            "HOME": str(self.tmp / "home"),
            "GIT_CONFIG_GLOBAL": str(self.tmp / "gitconfig"),
            "GIT_CONFIG_NOSYSTEM": "1",
            "CI": "true",
            "GITHUB_ACTIONS": "true",
            "GITHUB_EVENT_NAME": event_name,
            "GITHUB_EVENT_PATH": str(event_path),
            "GITHUB_WORKSPACE": str(self.repo.path),
            "GITHUB_OUTPUT": str(output),
            "GITHUB_STEP_SUMMARY": str(summary),
            "GITHUB_API_URL": self.fake.url,
            "GITHUB_SERVER_URL": "https://github.test",
            "GITHUB_REPOSITORY": self.fake.full_name,
            "GITHUB_SHA": self.repo.head(),
            "GITHUB_RUN_ID": "4242",
            "RUNNER_TEMP": str(temp),
            "INPUT_GITHUB_TOKEN": TOKEN,
            "INPUT_CACHE": "sqlite",
            "INPUT_CACHE_PATH": str(self.cache_path),
            "INPUT_PROVIDER": "offline",
        }
        for name, value in (inputs or {}).items():
            full[f"INPUT_{name.upper()}"] = value
        full.update(env or {})
        if in_process:
            out = io.StringIO()
            code = action.main(full, out=out, sleep=sleep or time.sleep)
            proc = subprocess.CompletedProcess([], code, out.getvalue(), "")
        else:
            proc = subprocess.run(
                [sys.executable, str(ROOT / "entrypoint.py")],
                env=full,
                capture_output=True,
                text=True,
                timeout=120,
                cwd=self.tmp,
            )
        outputs = parse_outputs(output.read_text(encoding="utf-8")) if output.exists() else {}
        report_path = outputs.get("report_path")
        report = json.loads((self.repo.path / report_path).read_text()) if report_path else None
        return Run(
            proc.returncode,
            proc.stdout,
            proc.stderr,
            outputs,
            summary.read_text(encoding="utf-8") if summary.exists() else "",
            report,
        )


@pytest.fixture(name="harness")
def harness_fixture(tmp_path: Path, git_repo: GitRepo) -> Iterator[Harness]:
    h = Harness(tmp_path, git_repo)
    h.fake.start()
    try:
        yield h
    finally:
        h.fake.stop()
    assert h.fake.unused_faults() == [], "an injected fault was never used"


SOURCE_A = 'def area(width, height):\n    """Area."""\n    return width * height\n'
SOURCE_B = "class Greeter:\n    def hello(self, name):\n        return f'hi {name}'\n"


def push_payload(before: str, after: str, branch: str = "main") -> dict[str, Any]:
    payload = load_event("push__normal_branch_push")
    payload.update(before=before, after=after, ref=f"refs/heads/{branch}")
    payload["head_commit"]["id"] = after
    return payload


def two_commits(repo: GitRepo) -> tuple[str, str]:
    repo.write("README.txt", "project\n")
    first = repo.commit("first")
    repo.write("src/area.py", SOURCE_A)
    repo.write("src/greeter.py", SOURCE_B)
    second = repo.commit("add sources")
    return first, second


def test_push_opens_a_docs_pull_request_and_a_rerun_updates_it(harness: Harness) -> None:
    first, second = two_commits(harness.repo)
    harness.world.sync("main")

    run = harness.run("push", push_payload(first, second))

    assert run.code == 0, run.stdout + run.stderr
    assert run.outputs["operation"] == "created"
    assert run.outputs["pr_number"] == "1"
    assert run.outputs["pr_url"] == "https://github.test/octo/project/pull/1"
    assert run.outputs["files_documented"] == "2"
    assert run.outputs["cache_misses"] == "2"
    assert run.outputs["cache_hits"] == "0"
    pr = harness.fake.pulls[1]
    assert (pr.head, pr.base, pr.user) == ("docbot/main", "main", "github-actions[bot]")
    assert "| Cost |" in pr.body
    assert "docs/api/src/area.py.md" in pr.body
    docs = harness.world.bare_git("rev-parse", "docbot/main")
    assert harness.world.bare_git("rev-parse", f"{docs}^") == second
    files = harness.world.files_at("docbot/main")
    assert sorted(p for p in files if p.startswith("docs/")) == [
        "docs/api/README.md",
        "docs/api/src/area.py.md",
        "docs/api/src/greeter.py.md",
    ]
    assert "area" in files["docs/api/src/area.py.md"]
    # Each symbol's lines link to the event's repository at the documented commit.
    source_link = f"](https://github.test/octo/project/blob/{second}/src/area.py#L"
    assert source_link in files["docs/api/src/area.py.md"]
    assert TRAILER in harness.world.bare_git("log", "-1", "--format=%B", "docbot/main")
    assert "Docs pull request #1 created" in run.summary
    assert "| Cost |" in run.summary
    assert run.report is not None
    assert run.report["files"]["documented"] == ["src/area.py", "src/greeter.py"]
    assert run.report["publish"]["operation"] == "created"
    assert run.report["publish"]["commit"] == harness.world.bare_git("rev-parse", "docbot/main")

    # The same push again: same branch commit, the same pull request updated, everything from the cache.
    writes_before = len(harness.fake.writes())
    again = harness.run("push", push_payload(first, second))

    assert again.code == 0, again.stdout + again.stderr
    assert again.outputs["operation"] == "updated"
    assert again.outputs["pr_number"] == "1"
    assert again.outputs["cache_hits"] == "2"
    assert again.outputs["cache_misses"] == "0"
    assert again.outputs["cost_usd"] == "0.0"
    assert len(harness.fake.pulls) == 1
    assert "- updated `docs/api/src/area.py.md`" in harness.fake.pulls[1].body
    assert "| Cache (sqlite, per chunk) | 2 hits / 0 misses (100% hit rate) |" in harness.fake.pulls[1].body
    assert harness.world.bare_git("rev-parse", "docbot/main") == docs
    new_writes = [(r.method, r.path) for r in harness.fake.writes()[writes_before:]]
    assert new_writes == [
        ("POST", "/repos/octo/project/git/trees"),
        ("PATCH", "/repos/octo/project/pulls/1"),
    ]


def test_a_second_push_keeps_the_pages_of_the_open_pull_request(harness: Harness) -> None:
    first, second = two_commits(harness.repo)
    harness.world.sync("main")
    assert harness.run("push", push_payload(first, second)).outputs["operation"] == "created"
    harness.repo.write("src/shapes.py", "def circle(r):\n    return 3.14 * r * r\n")
    third = harness.repo.commit("add shapes")
    harness.world.sync("main")

    run = harness.run("push", push_payload(second, third))

    assert run.outputs["operation"] == "updated", run.stdout
    files = harness.world.files_at("docbot/main")
    assert {"docs/api/src/area.py.md", "docs/api/src/shapes.py.md"} <= set(files)
    assert harness.world.bare_git("rev-parse", "docbot/main^") == third
    assert "- [`shapes.py`](src/shapes.py.md)" in files["docs/api/README.md"]
    assert "- [`area.py`](src/area.py.md)" in files["docs/api/README.md"]


def pull_request_payload(
    harness: Harness, number: int, branch: str = "feature", event: str = "pull_request__synchronize"
) -> dict[str, Any]:
    """A pull_request payload rewritten to PR ``number`` from ``branch`` (this repository) to main."""
    payload = load_event(event)
    payload["number"] = number
    payload["pull_request"].update(number=number)
    payload["pull_request"]["head"].update(sha=harness.world.bare_git("rev-parse", branch), ref=branch)
    payload["pull_request"]["base"].update(sha=harness.world.bare_git("rev-parse", "main"), ref="main")
    payload["pull_request"]["head"]["repo"]["full_name"] = payload["pull_request"]["base"]["repo"][
        "full_name"
    ]
    return payload


def test_pull_request_gets_one_comment_and_a_rerun_edits_it(harness: Harness) -> None:
    first, _ = two_commits(harness.repo)
    harness.repo.git("checkout", "-q", "-b", "feature")
    harness.repo.write("src/area.py", SOURCE_A + "\ndef volume(w, h, d):\n    return w * h * d\n")
    head = harness.repo.commit("volume")
    harness.world.sync("main", "feature")
    number = harness.fake.open_pull("feature", "main")
    payload = pull_request_payload(harness, number, "feature", event="pull_request__opened")
    assert payload["pull_request"]["head"]["sha"] == head

    run = harness.run("pull_request", payload)

    assert run.code == 0, run.stdout + run.stderr
    assert run.outputs["operation"] == "commented"
    comments = harness.fake.comments_on(number)
    assert len(comments) == 1
    body = comments[0].body
    assert body.startswith(COMMENT_MARKER)
    assert "<details><summary><code>docs/api/src/area.py.md</code></summary>" in body
    assert "volume" in body
    assert "| Cost |" in body
    assert run.outputs["comment_id"] == str(comments[0].id)
    assert harness.fake.calls("POST", r"/git/") == [], "comment mode must not write to the repository"
    del first

    synchronize = load_event("pull_request__synchronize")
    synchronize["number"] = number
    synchronize["pull_request"] = payload["pull_request"]
    again = harness.run("pull_request", synchronize)

    assert again.outputs["operation"] == "commented"
    assert [c.id for c in harness.fake.comments_on(number)] == [comments[0].id]
    assert len(harness.fake.calls("PATCH", rf"/issues/comments/{comments[0].id}$")) == 1


def comment_payload(number: int, body: str, user: str, association: str) -> dict[str, Any]:
    payload = load_event("issue_comment__created_on_pull_request")
    payload["issue"]["number"] = number
    payload["comment"].update(body=body, author_association=association)
    payload["comment"]["user"]["login"] = user
    payload["sender"]["login"] = user
    return payload


def feature_pull(harness: Harness) -> int:
    two_commits(harness.repo)
    harness.repo.git("checkout", "-q", "-b", "feature")
    harness.repo.write("src/area.py", SOURCE_A + "\ndef volume(w, h, d):\n    return w * h * d\n")
    harness.repo.commit("volume")
    harness.repo.git("checkout", "-q", "main")
    harness.world.sync("main", "feature")
    return harness.fake.open_pull("feature", "main")


def test_docbot_command_from_a_reader_is_refused(harness: Harness) -> None:
    number = feature_pull(harness)
    cid = harness.fake.add_comment(number, "/docbot", user="reader")
    payload = comment_payload(number, "/docbot", "reader", "CONTRIBUTOR")
    payload["comment"]["id"] = cid
    harness.fake.permissions["reader"] = "read"

    run = harness.run("issue_comment", payload)

    assert run.code == 0, run.stdout + run.stderr
    assert run.outputs["operation"] == "none"
    replies = [c for c in harness.fake.comments_on(number) if c.id != cid]
    assert len(replies) == 1
    assert replies[0].body.startswith(
        "<!-- docbot:reply -->\n@reader docbot runs on request of users with admin, maintain, write"
    )
    assert harness.fake.comments[cid].reactions == []
    assert "::notice title=docbot::refused /docbot from reader (permission read)" in run.stdout


def test_docbot_command_from_a_writer_reacts_and_comments(harness: Harness) -> None:
    number = feature_pull(harness)
    cid = harness.fake.add_comment(number, "/docbot", user="maintainer")
    payload = comment_payload(number, "/docbot", "maintainer", "MEMBER")
    payload["comment"]["id"] = cid
    harness.fake.permissions["maintainer"] = "maintain"

    run = harness.run("issue_comment", payload)

    assert run.code == 0, run.stdout + run.stderr
    assert harness.fake.comments[cid].reactions == [("github-actions[bot]", "eyes")]
    assert run.outputs["operation"] == "commented"
    sticky = [c for c in harness.fake.comments_on(number) if COMMENT_MARKER in c.body]
    assert len(sticky) == 1
    assert "volume" in sticky[0].body
    assert run.outputs["files_documented"] == "1"

    # Asked again: the same comment is edited, and the new command gets its own 👀.
    cid2 = harness.fake.add_comment(number, "please\n/docbot", user="maintainer")
    payload2 = comment_payload(number, "please\n/docbot", "maintainer", "MEMBER")
    payload2["comment"]["id"] = cid2
    again = harness.run("issue_comment", payload2, in_process=True)

    assert again.outputs["operation"] == "commented"
    assert again.outputs["comment_id"] == str(sticky[0].id)
    assert [c.id for c in harness.fake.comments_on(number) if COMMENT_MARKER in c.body] == [sticky[0].id]
    assert harness.fake.comments[cid2].reactions == [("github-actions[bot]", "eyes")]


def test_pull_request_creation_refused_by_settings_falls_back_with_the_branch_link(harness: Harness) -> None:
    first, second = two_commits(harness.repo)
    harness.world.sync("main")
    harness.fake.actions_may_create_prs = False

    run = harness.run("push", push_payload(first, second))

    assert run.code == 0, run.stdout + run.stderr
    assert run.outputs["operation"] == "committed"
    assert run.outputs["pr_number"] == ""
    assert harness.fake.pulls == {}
    assert harness.world.bare_git("rev-parse", "docbot/main^") == second
    assert "Allow GitHub Actions to create and approve pull requests" in run.stdout
    assert "https://github.test/octo/project/compare/main...docbot/main?expand=1" in run.summary
    assert "::warning title=docbot::" in run.stdout


def module_source(prefix: str, functions: int) -> str:
    return "".join(
        f'def {prefix}_{j}(alpha, beta, gamma):\n    """Combine the {j}th inputs."""\n    return alpha\n\n'
        for j in range(functions)
    )


def test_comment_mode_loses_no_page_of_ten_times_the_limit(harness: Harness) -> None:
    harness.repo.write("README.txt", "x\n")
    harness.repo.commit("first")
    harness.repo.git("checkout", "-q", "-b", "big")
    # One module whose page alone is larger than a whole comment, sorted first: the pages after it must
    # still be shown.
    harness.repo.write("src/a_huge.py", module_source("huge", 500))
    for i in range(50):
        harness.repo.write(f"src/module_{i:02d}.py", module_source(f"function_{i}", 60))
    harness.repo.commit("many modules")
    harness.world.sync("main", "big")
    number = harness.fake.open_pull("big", "main")
    payload = pull_request_payload(harness, number, "big", event="pull_request__opened")

    run = harness.run("pull_request", payload, in_process=True)

    assert run.code == 0, run.stdout + run.stderr
    assert run.outputs["operation"] == "commented"
    body = harness.fake.comments_on(number)[0].body
    assert len(body) <= 65_536
    assert len(body.encode()) <= 262_144
    assert body.count("<details>") == body.count("</details>")
    paths = ["docs/api/src/a_huge.py.md"] + [f"docs/api/src/module_{i:02d}.py.md" for i in range(50)]
    total = 0
    shown, linked = [], []
    run_url = "https://github.test/octo/project/actions/runs/4242"
    for path in paths:
        section = f"<details><summary><code>{path}</code></summary>"
        if section in body:
            shown.append(path)
            continue
        # Named in the comment, with the link to the run whose job summary carries the page in full.
        assert f"> - <code>{path}</code>" in body
        too_big = body.split("Too large for the job summary as well", 1)[-1] if "Too large" in body else ""
        assert section in run.summary or f"> - <code>{path}</code>" in too_big
        linked.append(path)
    assert f"They are in full in the [job summary of this run]({run_url})" in body
    assert "docs/api/src/a_huge.py.md" in linked
    assert "docs/api/src/module_00.py.md" in shown, "the pages after the oversize one are still shown"
    assert shown and len(linked) > 20
    huge = run.summary.split("<details><summary><code>docs/api/src/a_huge.py.md</code></summary>")[1]
    huge = huge.split("</details>")[0]
    assert len(huge) > 65_536 and "huge_499" in huge, "the oversize page is in the job summary, whole"
    for path in linked:
        if f"<details><summary><code>{path}</code></summary>" not in run.summary:
            continue  # listed as too large for the job summary too
        section = run.summary.split(f"<details><summary><code>{path}</code></summary>")[1].split(
            "</details>"
        )[0]
        total += len(section)
    for path in shown:
        total += len(body.split(f"<details><summary><code>{path}</code></summary>")[1].split("</details>")[0])
    assert total > 10 * 65_536, total
    assert len(run.summary.encode()) < 1024 * 1024
    assert run.outputs["pages"] == ""
    assert not (harness.repo.path / "docs").exists(), "comment mode writes nothing into the workspace"


def test_nothing_to_document_is_operation_none_without_writes(harness: Harness) -> None:
    first, second = two_commits(harness.repo)
    harness.world.sync("main")
    harness.run("push", push_payload(first, second))
    harness.repo.write("notes.txt", "not code\n")
    third = harness.repo.commit("notes")
    harness.world.sync("main")
    writes = len(harness.fake.writes())

    run = harness.run("push", push_payload(second, third))

    assert run.code == 0, run.stdout + run.stderr
    assert run.outputs["operation"] == "none"
    assert harness.fake.writes()[writes:] == []
    assert "already up to date" in run.summary


def test_docbot_commits_and_docs_only_pushes_are_skipped(harness: Harness) -> None:
    first, second = two_commits(harness.repo)
    harness.repo.write("src/area.py", SOURCE_A + "\n# more\n")
    own = harness.repo.commit(f"docs: update\n\n{TRAILER}")
    harness.world.sync("main")

    run = harness.run("push", push_payload(second, own), in_process=True)

    assert run.code == 0
    assert run.outputs["operation"] == "none"
    assert f"::notice title=docbot::nothing to document: commit {own[:12]} was made by docbot" in run.stdout
    harness.repo.write("docs/api/src/area.py.md", "edited by hand\n")
    docs_only = harness.repo.commit("docs only")
    run = harness.run("push", push_payload(own, docs_only), in_process=True)
    assert run.outputs["operation"] == "none"
    assert "only files under docs/api changed" in run.stdout
    assert harness.fake.writes() == []
    del first


def test_workflow_dispatch_documents_every_file(harness: Harness) -> None:
    two_commits(harness.repo)
    harness.world.sync("main")
    payload = load_event("workflow_dispatch__with_inputs")
    payload["ref"] = "refs/heads/main"
    payload["inputs"] = {"all": "true"}  # workflow_dispatch inputs arrive as strings

    run = harness.run("workflow_dispatch", payload)

    assert run.code == 0, run.stdout + run.stderr
    assert run.outputs["operation"] == "created"
    assert run.outputs["files_documented"] == "2"
    assert "README.txt" in {s["path"] for s in (run.report or {})["files"]["skipped"]}

    again = harness.run("workflow_dispatch", payload, in_process=True)
    assert (again.outputs["operation"], again.outputs["pr_number"]) == ("updated", "1")
    assert again.outputs["cache_misses"] == "0"
    assert len(harness.fake.pulls) == 1

    # The force input makes the run ask for every chunk again instead of answering from the cache.
    forced = harness.run(
        "workflow_dispatch", {**payload, "inputs": {"all": "true", "force": "true"}}, in_process=True
    )
    assert forced.code == 0, forced.stdout + forced.stderr
    assert forced.outputs["cache_hits"] == "0"
    assert forced.outputs["cache_misses"] == again.outputs["cache_hits"]


def test_commit_mode_commits_to_the_pull_requests_branch(harness: Harness) -> None:
    number = feature_pull(harness)
    payload = pull_request_payload(harness, number)
    head = payload["pull_request"]["head"]["sha"]

    run = harness.run("pull_request", payload, {"mode": "commit"})

    assert run.code == 0, run.stdout + run.stderr
    assert run.outputs["operation"] == "committed"
    assert harness.world.bare_git("rev-parse", "feature^") == head
    assert "docs/api/src/area.py.md" in harness.world.files_at("feature")
    assert harness.fake.pulls[number].head == "feature"
    assert len(harness.fake.pulls) == 1


def test_dry_run_writes_the_pages_into_the_workspace_and_publishes_nothing(harness: Harness) -> None:
    first, second = two_commits(harness.repo)
    harness.world.sync("main")

    run = harness.run(
        "push", push_payload(first, second), {"dry_run": "true", "provider": ""}, in_process=True
    )

    assert run.code == 0, run.stdout + run.stderr
    assert run.outputs["operation"] == "none"
    assert run.outputs["files_documented"] == "2"
    assert harness.fake.requests == []
    assert run.outputs["docs_dir"] == "docs/api"
    assert run.outputs["pages"].splitlines() == [
        "docs/api/src/area.py.md",
        "docs/api/src/greeter.py.md",
        "docs/api/README.md",
    ]
    assert "area" in (harness.repo.path / "docs/api/src/area.py.md").read_text()
    assert (
        "Dry run: nothing was published to GitHub; 3 files written and 0 deleted in `docs/api`" in run.summary
    )
    assert "<details><summary><code>docs/api/src/greeter.py.md</code></summary>" in run.summary
    assert "::notice title=docbot::no anthropic_api_key: using the offline provider" in run.stdout


def test_mode_none_leaves_the_pages_in_the_workspace_for_the_next_step(harness: Harness) -> None:
    first, second = two_commits(harness.repo)
    harness.world.sync("main")
    (harness.repo.path / "docs/api").mkdir(parents=True)
    (harness.repo.path / "docs/api/notes.md").write_text("mine\n")

    run = harness.run("push", push_payload(first, second), {"mode": "none"})

    assert run.code == 0, run.stdout + run.stderr
    assert run.outputs["operation"] == "none"
    assert harness.fake.writes() == []
    docs = harness.repo.path / run.outputs["docs_dir"]
    assert sorted(p.relative_to(harness.repo.path).as_posix() for p in docs.rglob("*.md")) == [
        "docs/api/README.md",
        "docs/api/notes.md",
        "docs/api/src/area.py.md",
        "docs/api/src/greeter.py.md",
    ]
    assert (docs / "notes.md").read_text() == "mine\n"
    for page in run.outputs["pages"].splitlines():
        assert (harness.repo.path / page).is_file()
    assert "Mode none: nothing was published to GitHub" in run.summary
    assert "Greeter" in run.summary.split("<details><summary><code>docs/api/src/greeter.py.md</code>")[1]


def test_secrets_are_masked_and_never_printed(harness: Harness) -> None:
    first, second = two_commits(harness.repo)
    harness.world.sync("main")
    key = "sk-ant-test-secret-value"

    run = harness.run("push", push_payload(first, second), {"dry_run": "true", "anthropic_api_key": key})

    assert f"::add-mask::{key}" in run.stdout
    assert f"::add-mask::{TOKEN}" in run.stdout
    unmasked = run.stdout.replace(f"::add-mask::{key}", "").replace(f"::add-mask::{TOKEN}", "")
    assert key not in unmasked + run.stderr + run.summary
    assert TOKEN not in unmasked + run.stderr
    assert key not in json.dumps(run.report)


def test_invalid_input_fails_with_an_annotation_unless_fail_on_error_is_false(harness: Harness) -> None:
    first, second = two_commits(harness.repo)
    harness.world.sync("main")

    run = harness.run("push", push_payload(first, second), {"mode": "sideways"}, in_process=True)

    assert run.code == 1
    assert "::error title=docbot::mode: 'sideways' is not one of auto, pull_request" in run.stdout
    assert run.outputs["operation"] == "none"
    assert "### docbot failed" in run.summary

    relaxed = harness.run(
        "push", push_payload(first, second), {"mode": "sideways", "fail_on_error": "false"}, in_process=True
    )
    assert relaxed.code == 0
    assert "::error title=docbot::" in relaxed.stdout


def test_a_rejected_token_is_a_clear_error(harness: Harness) -> None:
    first, second = two_commits(harness.repo)
    harness.world.sync("main")

    run = harness.run("push", push_payload(first, second), {"github_token": "ghp_wrong"}, in_process=True)

    assert run.code == 1
    assert re.search(
        r"::error title=docbot::GitHub API: .* the token was rejected \(401 Bad credentials\)", run.stdout
    )
    assert "ghp_wrong" not in run.stdout.replace("::add-mask::ghp_wrong", "")


def test_fork_pull_request_gets_a_clear_notice_not_a_silent_green(harness: Harness) -> None:
    number = feature_pull(harness)
    payload = load_event("pull_request__from_fork")
    payload["number"] = number
    payload["pull_request"]["head"].update(sha=harness.world.bare_git("rev-parse", "feature"), ref="feature")
    payload["pull_request"]["base"].update(sha=harness.world.bare_git("rev-parse", "main"), ref="main")

    run = harness.run("pull_request", payload, in_process=True)

    assert run.code == 0
    assert run.outputs["operation"] == "none"
    assert "::warning title=docbot::this pull request comes from a fork" in run.stdout
    assert "Pull request from a fork: not published." in run.summary
    assert harness.fake.writes() == []


def test_report_path_input_is_relative_to_the_workspace(harness: Harness) -> None:
    first, second = two_commits(harness.repo)
    harness.world.sync("main")

    run = harness.run(
        "push",
        push_payload(first, second),
        {"report_path": "build/docbot.json", "dry_run": "true"},
        in_process=True,
    )

    assert run.outputs["report_path"] == "build/docbot.json"
    assert run.report is not None
    assert run.report["files"]["documented"] == ["src/area.py", "src/greeter.py"]
    assert (harness.repo.path / "build" / "docbot.json").is_file()


def test_refused_pull_request_for_a_pull_request_event_falls_back_to_a_comment_there(
    harness: Harness,
) -> None:
    number = feature_pull(harness)
    harness.fake.actions_may_create_prs = False

    run = harness.run(
        "pull_request", pull_request_payload(harness, number), {"mode": "pull_request"}, in_process=True
    )

    assert run.code == 0, run.stdout
    assert run.outputs["operation"] == "committed"
    assert harness.world.bare_git("rev-parse", "docbot/feature^") == harness.world.bare_git(
        "rev-parse", "feature"
    )
    [comment] = harness.fake.comments_on(number)
    assert comment.body.startswith(COMMENT_MARKER)
    assert "GitHub refused to open the pull request" in comment.body
    assert "compare/feature...docbot/feature?expand=1" in comment.body
    assert run.outputs["comment_id"] == str(comment.id)


def test_commit_mode_on_a_push_commits_to_the_branch_and_a_rerun_changes_nothing(harness: Harness) -> None:
    first, second = two_commits(harness.repo)
    harness.world.sync("main")

    run = harness.run("push", push_payload(first, second), {"mode": "commit"}, in_process=True)

    assert run.outputs["operation"] == "committed"
    assert harness.world.bare_git("rev-parse", "main^") == second
    assert TRAILER in harness.world.bare_git("log", "-1", "--format=%B", "main")
    docs = harness.world.bare_git("rev-parse", "main")

    again = harness.run("push", push_payload(first, second), {"mode": "commit"}, in_process=True)

    assert again.outputs["operation"] == "none"
    assert harness.world.bare_git("rev-parse", "main") == docs


def test_with_claude_the_rerun_costs_nothing_and_sends_no_model_request(harness: Harness) -> None:
    first, second = two_commits(harness.repo)
    harness.world.sync("main")
    inputs = {"provider": "anthropic"}
    with running() as claude:
        inputs["anthropic_api_key"] = claude.api_key
        env = {"ANTHROPIC_BASE_URL": claude.url}
        run = harness.run("push", push_payload(first, second), inputs, env=env, in_process=True)
        asked = claude.totals()["requests"]
        first_body = harness.fake.pulls[1].body
        again = harness.run("push", push_payload(first, second), inputs, env=env, in_process=True)
        asked_again = claude.totals()["requests"]

    assert run.code == 0, run.stdout + run.stderr
    assert run.outputs["operation"] == "created"
    assert float(run.outputs["cost_usd"]) > 0
    assert asked == 4  # two files: a chunk and an overview each
    assert f"| Model API requests | {asked} (0 retries, 0 rate-limited) |" in first_body
    assert again.outputs["operation"] == "updated"
    assert asked_again == asked  # every chunk came from the cache
    assert again.outputs["cost_usd"] == "0.0"
    assert again.outputs["cache_hit_rate"] == "1.0"
    assert "| Model API requests | 0 (0 retries, 0 rate-limited) |" in harness.fake.pulls[1].body
    assert f"saved ${float(run.outputs['cost_usd']):,.4f} by the cache" in harness.fake.pulls[1].body
    assert claude.api_key not in run.stdout.replace(f"::add-mask::{claude.api_key}", "")


def test_failed_files_fail_the_step_unless_fail_on_error_is_false(harness: Harness) -> None:
    first, second = two_commits(harness.repo)
    harness.world.sync("main")
    with running() as claude:
        inputs = {"provider": "anthropic", "anthropic_api_key": claude.api_key}
        env = {"ANTHROPIC_BASE_URL": claude.url}
        claude.script(claude_status(400), claude_status(400))
        strict = harness.run("push", push_payload(first, second), inputs, env=env, in_process=True)
        claude.script(claude_status(400), claude_status(400))
        relaxed = harness.run(
            "push",
            push_payload(first, second),
            {**inputs, "fail_on_error": "false"},
            env=env,
            in_process=True,
        )
        assert claude.unused_script == []

    assert strict.code == 1
    assert strict.outputs["files_failed"] == "2"
    assert strict.outputs["operation"] == "none"
    assert "::warning title=docbot,file=src/area.py::src/area.py: " in strict.stdout
    assert "::error title=docbot::2 files failed; see the job summary" in strict.stdout
    assert "<summary>Failed files (2)</summary>" in strict.summary
    assert relaxed.code == 0
    assert relaxed.outputs["files_failed"] == "2"
    assert harness.fake.pulls == {}


def test_github_faults_during_a_run_are_retried_and_reported(harness: Harness) -> None:
    first, second = two_commits(harness.repo)
    harness.world.sync("main")
    harness.fake.inject("GET", r"/pulls$", 502)
    harness.fake.inject("POST", r"/pulls$", 403, {"message": "You have exceeded a secondary rate limit."})
    waits: list[float] = []

    run = harness.run("push", push_payload(first, second), in_process=True, sleep=waits.append)

    assert run.code == 0, run.stdout
    assert run.outputs["operation"] == "created"
    assert waits == [1.0, 60.0]  # 5xx: 1 s; secondary rate limit without retry-after: 60 s
    assert "GitHub API: 2 requests retried (5xx, rate limits or network)." in run.summary
    assert run.report is not None
    assert run.report["publish"]["github_retries"] == 2


@pytest.mark.parametrize(
    ("event_file", "message"),
    [
        (None, "GITHUB_EVENT_PATH is not set: docbot's Action runs inside GitHub Actions"),
        ("{not json", "cannot read the event payload"),
        ("[1, 2]", "is not a JSON object"),
    ],
)
def test_a_missing_or_broken_payload_is_a_clear_error(
    tmp_path: Path, event_file: str | None, message: str
) -> None:
    env = {
        "GITHUB_EVENT_NAME": "push",
        "GITHUB_WORKSPACE": str(tmp_path),
        "GITHUB_OUTPUT": str(tmp_path / "out"),
    }
    if event_file is not None:
        (tmp_path / "event.json").write_text(event_file)
        env["GITHUB_EVENT_PATH"] = str(tmp_path / "event.json")
    out = io.StringIO()

    assert action.main(env, out=out) == 1

    assert out.getvalue().startswith("::error title=docbot::")
    assert message in out.getvalue()
    assert "Traceback" not in out.getvalue()
    assert parse_outputs((tmp_path / "out").read_text())["operation"] == "none"


def test_log_groups_contain_what_happened_in_them(harness: Harness) -> None:
    first, second = two_commits(harness.repo)
    harness.world.sync("main")

    run = harness.run("push", push_payload(first, second), in_process=True)

    assert run.code == 0, run.stdout
    groups = dict(re.findall(r"::group::(docbot: [^\n]*)\n(.*?)::endgroup::", run.stdout, re.S))
    documenting = groups["docbot: documenting the changes"]
    assert "documented src/area.py" in documenting
    assert "documented src/greeter.py" in documenting
    assert "docbot: 2 documented, 0 skipped, 0 failed; 0 cache hits, 2 misses" in documenting
    assert re.search(r"^docbot: \d+/\d+ chunks, \$0\.00, 0 retries", documenting, re.M)
    publishing = groups["docbot: publishing (pull_request)"]
    assert "wrote docs/api/src/area.py.md" in publishing
    assert f"docbot: created -> {run.outputs['pr_url']}" in publishing


def test_a_report_path_that_is_a_folder_fails_before_the_run(harness: Harness) -> None:
    first, second = two_commits(harness.repo)
    harness.world.sync("main")
    (harness.repo.path / "build").mkdir()

    run = harness.run("push", push_payload(first, second), {"report_path": "build"}, in_process=True)

    assert run.code == 1
    assert "::error title=docbot::report_path: " in run.stdout
    assert "build is a folder; give a file path" in run.stdout
    assert run.outputs["operation"] == "none"
    assert harness.fake.writes() == []  # nothing was published, nothing paid for


def test_a_report_that_cannot_be_written_after_publishing_is_a_warning(harness: Harness) -> None:
    first, second = two_commits(harness.repo)
    harness.world.sync("main")

    # The folder check passes (/proc is a folder), the write fails: /proc takes no new files, even as root.
    run = harness.run(
        "push", push_payload(first, second), {"report_path": "/proc/docbot-report.json"}, in_process=True
    )

    assert run.code == 0, run.stdout
    assert run.outputs["operation"] == "created"
    assert run.outputs["pr_url"]
    assert run.outputs["report_path"] == ""
    assert "::warning title=docbot::report_path /proc/docbot-report.json: cannot write the report (" in (
        run.stdout
    )
    assert "docbot" in run.summary


def test_a_deleted_command_comment_still_gets_its_run(harness: Harness) -> None:
    number = feature_pull(harness)
    payload = comment_payload(number, "/docbot", "maintainer", "MEMBER")
    payload["comment"]["id"] = 55555  # deleted before the run started: the 👀 reaction answers 404
    harness.fake.permissions["maintainer"] = "maintain"

    run = harness.run("issue_comment", payload, in_process=True)

    assert run.code == 0, run.stdout
    assert run.outputs["operation"] == "commented"
    assert "::warning title=docbot::could not add the 👀 reaction to comment 55555" in run.stdout
