"""Every way a run can start: the webhook payloads of tests/fixtures/events, SHAs rewritten to commits of
real repositories."""

from __future__ import annotations

import io
import json
import random
import subprocess
from pathlib import Path
from typing import Any

import pytest

from docbot import action
from docbot.changes import changed_files
from docbot.cli import main
from docbot.config import PublishSettings
from docbot.errors import ConfigError, GitError
from docbot.events import (
    SUPPORTED_EVENTS,
    ChangeRequest,
    Command,
    Skip,
    from_event,
    parse_command,
    plan_run,
    with_pull_request,
)
from docbot.git import Git
from docbot.pipeline import list_changes
from docbot.ranges import DiffRange, resolve_range
from tests.conftest import GitRepo, load_event

# SHAs in the payloads (they exist in no repository; tests that diff rewrite them to local commits)
PUSH_BEFORE, PUSH_AFTER = (
    "d66c4fa367cda556d0cb69deff33e2e5e3a5e5e8",
    "922734743d66737ec6d61b22aaacfec18bd97082",
)
NEW_BRANCH_AFTER = "381e210082050e8dade513858e94763bf30488cd"
FORCED_BEFORE, FORCED_AFTER = (
    "70b5c4e6fc2cf65d19fe72a72b5511c61bb20036",
    "7e58a82294683e0426c566543a2503c12d20dbe1",
)
PR_BASE, PR_HEAD = "eb650de4306464e95c128a8529938c809d02c8ec", "440042c2e942fcd2fd4be00c155f648d5f15bcb7"
DELETED_FORK_HEAD = "243767940356b88951288d05ed6834aff653b4e6"


def diff_range(request: ChangeRequest, git: Git) -> DiffRange:
    """The two commits a run of ``request`` compares: ``plan_run``, then the pipeline's range step."""
    spec = plan_run(request, PublishSettings(mode="none"))
    assert not isinstance(spec, Skip), spec
    return list_changes(spec, git)[0]


def rewrite(data: Any, mapping: dict[str, str]) -> Any:
    """The payload with every string equal to a key of ``mapping`` replaced (SHAs to local commits)."""
    if isinstance(data, dict):
        return {k: rewrite(v, mapping) for k, v in data.items()}
    if isinstance(data, list):
        return [rewrite(v, mapping) for v in data]
    if isinstance(data, str):
        return mapping.get(data, data)
    return data


def paths(git: Git, request: ChangeRequest) -> list[str]:
    span = diff_range(request, git)
    return sorted(c.path for c in changed_files(git, span.base, span.head, everything=span.everything))


class Branchy:
    """master: m0 - m1 - m2 - m3; feature forks at m1: f1 - f2. The payloads' default branch is master."""

    def __init__(self, repo: GitRepo) -> None:
        self.repo = repo
        repo.git("branch", "-m", "master")
        repo.write("base.py", "b = 0\n")
        self.m0 = repo.commit("m0")
        repo.write("shared.py", "s = 1\n")
        self.m1 = repo.commit("m1")
        repo.git("checkout", "-q", "-b", "feature")
        repo.write("feature_a.py", "a = 1\n")
        self.f1 = repo.commit("f1")
        repo.write("feature_b.py", "b = 1\n")
        repo.write("shared.py", "s = 2\n")
        self.f2 = repo.commit("f2")
        repo.git("checkout", "-q", "master")
        repo.write("main_only.py", "m = 2\n")
        self.m2 = repo.commit("m2")
        repo.write("main_later.py", "m = 3\n")
        self.m3 = repo.commit("m3")
        self.git = Git(repo.path)


@pytest.fixture
def branchy(git_repo: GitRepo) -> Branchy:
    return Branchy(git_repo)


def clone(origin: GitRepo, dest: Path, *args: str) -> Git:
    subprocess.run(
        ["git", "clone", "-q", *args, f"file://{origin.path}", str(dest)], check=True, capture_output=True
    )
    return Git(dest)


# --- push ---


def test_push_normal_branch_compares_before_and_after(branchy: Branchy) -> None:
    payload = rewrite(
        load_event("push__normal_branch_push"), {PUSH_BEFORE: branchy.m1, PUSH_AFTER: branchy.m3}
    )
    request = from_event("push", payload)
    assert (request.base, request.head, request.kind, request.branch) == (
        branchy.m1,
        branchy.m3,
        "two-dot",
        "master",
    )
    assert request.actor == "octocat"
    assert not request.is_noop
    assert paths(branchy.git, request) == ["main_later.py", "main_only.py"]


def test_push_in_a_shallow_clone_fetches_before(branchy: Branchy, tmp_path: Path) -> None:
    git = clone(branchy.repo, tmp_path / "clone", "--depth=1", "--branch", "master")
    assert git.is_shallow()
    assert not git.has_commit(branchy.m1)
    payload = rewrite(
        load_event("push__normal_branch_push"), {PUSH_BEFORE: branchy.m1, PUSH_AFTER: branchy.m3}
    )
    assert paths(git, from_event("push", payload)) == ["main_later.py", "main_only.py"]


def new_branch_push(after: str, branch: str = "feature") -> dict[str, Any]:
    payload = rewrite(load_event("push__new_branch_with_commit"), {NEW_BRANCH_AFTER: after})
    payload["ref"] = f"refs/heads/{branch}"
    return payload


def test_first_push_of_the_default_branch_documents_every_file(branchy: Branchy) -> None:
    request = from_event("push", new_branch_push(branchy.m3, "master"))
    assert (request.kind, request.base, request.branch, request.default_branch) == (
        "new-branch",
        None,
        "master",
        "master",
    )
    span = diff_range(request, branchy.git)
    assert span.everything
    assert span.notices == ("first push of the default branch: documenting every file",)
    assert paths(branchy.git, request) == ["base.py", "main_later.py", "main_only.py", "shared.py"]


def test_new_branch_compares_with_its_merge_base_with_the_default_branch(branchy: Branchy) -> None:
    request = from_event("push", new_branch_push(branchy.f2))
    span = diff_range(request, branchy.git)
    assert span.base == branchy.m1
    assert span.notices == (f"documenting changes since {branchy.m1[:12]} (merge-base with master)",)
    assert paths(branchy.git, request) == ["feature_a.py", "feature_b.py", "shared.py"]


def test_new_branch_in_a_shallow_clone_fetches_the_default_branch(branchy: Branchy, tmp_path: Path) -> None:
    git = clone(branchy.repo, tmp_path / "clone", "--depth=1", "--branch", "feature")
    assert not git.has_commit("refs/remotes/origin/master")
    assert paths(git, from_event("push", new_branch_push(branchy.f2))) == [
        "feature_a.py",
        "feature_b.py",
        "shared.py",
    ]


def test_new_branch_without_new_commits_documents_nothing(branchy: Branchy) -> None:
    span = diff_range(from_event("push", new_branch_push(branchy.m1)), branchy.git)
    assert span.base == span.head == branchy.m1
    assert span.notices == (f"documenting changes since {branchy.m1[:12]} (head is already on master)",)
    assert changed_files(branchy.git, span.base, span.head) == []


def test_new_branch_with_unrelated_history(branchy: Branchy, tmp_path: Path) -> None:
    repo = branchy.repo
    repo.git("checkout", "-q", "--orphan", "pages")
    repo.git("rm", "-q", "-r", "--cached", ".")
    for name in ["base.py", "shared.py", "main_only.py", "main_later.py"]:
        (repo.path / name).unlink()
    repo.write("site.py", "s = 1\n")
    orphan = repo.commit("orphan")
    request = from_event("push", new_branch_push(orphan, "pages"))
    span = diff_range(request, branchy.git)
    assert span.everything
    assert span.notices == (f"{orphan[:12]} has no history in common with master: documenting every file",)
    # A shallow clone deepens until it knows; with too few steps allowed it says how to fix it.
    git = clone(repo, tmp_path / "clone", "--depth=1", "--branch", "pages")
    with pytest.raises(
        GitError, match=r"has no history in common with master within 1 commits .*fetch-depth: 0"
    ):
        resolve_range(git, orphan, kind="new-branch", default_branch="master", branch="pages", steps=(1,))
    assert diff_range(request, git).everything  # the default steps fetch it all: truly unrelated
    assert not git.is_shallow()


def forced_push(before: str, after: str, branch: str = "feature") -> dict[str, Any]:
    payload = rewrite(load_event("push__forced"), {FORCED_BEFORE: before, FORCED_AFTER: after})
    payload["ref"] = f"refs/heads/{branch}"
    return payload


def test_forced_push_over_rewritten_history_falls_back_to_the_merge_base(branchy: Branchy) -> None:
    repo = branchy.repo
    repo.git("checkout", "-q", "feature")
    repo.write("feature_b.py", "b = 'rewritten'\n")
    repo.git("commit", "-q", "--amend", "-a", "-m", "f2 amended")
    rewritten = repo.head()
    request = from_event("push", forced_push(branchy.f2, rewritten))
    assert request.kind == "push"
    span = diff_range(request, branchy.git)
    assert span.base == branchy.m1
    assert span.notices == (
        f"forced push: the previous tip {branchy.f2[:12]} is not an ancestor of {rewritten[:12]}",
        f"documenting changes since {branchy.m1[:12]} (merge-base with master)",
    )


def test_forced_push_whose_before_is_gone_falls_back(branchy: Branchy) -> None:
    gone = "d" * 40
    span = diff_range(from_event("push", forced_push(gone, branchy.f2)), branchy.git)
    assert span.base == branchy.m1
    assert span.notices[0] == f"forced push: the previous tip {gone[:12]} is not in the repository any more"


def test_forced_push_to_the_default_branch_falls_back_to_the_parent(branchy: Branchy) -> None:
    span = diff_range(from_event("push", forced_push(branchy.f2, branchy.m3, "master")), branchy.git)
    assert span.base == branchy.m2
    assert span.notices[-1] == "documenting the last commit's changes (against its parent)"


def test_forced_push_that_was_a_fast_forward_compares_directly(branchy: Branchy, tmp_path: Path) -> None:
    span = diff_range(from_event("push", forced_push(branchy.m1, branchy.m3, "master")), branchy.git)
    assert (span.base, span.notices) == (branchy.m1, ())
    # a shallow clone cannot tell ancestry at depth 1: it deepens first
    git = clone(branchy.repo, tmp_path / "clone", "--depth=1", "--branch", "master")
    span = diff_range(from_event("push", forced_push(branchy.m1, branchy.m3, "master")), git)
    assert (span.base, span.notices) == (branchy.m1, ())


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (load_event("push__deleted_branch"), "branch refs/heads/feature was deleted"),
        (load_event("push__tag_deleted"), "tag refs/tags/v1.0.0 was deleted"),
        (load_event("push__tag"), "tag push (refs/tags/v1.0.0): tags are not documented"),
        (
            load_event("push__normal_branch_push") | {"before": PUSH_AFTER},
            "before equals after: nothing was pushed",
        ),
    ],
    ids=["deleted-branch", "deleted-tag", "tag", "before-is-after"],
)
def test_pushes_with_nothing_to_document(payload: dict[str, Any], reason: str) -> None:
    request = from_event("push", payload)
    assert request.skip_reason == reason
    assert request.is_noop
    assert plan_run(request, PublishSettings()) == Skip(reason or "")


# --- pull_request ---


def pull_request(name: str, branchy: Branchy) -> dict[str, Any]:
    # base.sha is master's tip (it moved on after the fork); head.sha the feature tip.
    payload = rewrite(load_event(name), {PR_BASE: branchy.m3, PR_HEAD: branchy.f2})
    payload["pull_request"]["base"]["sha"] = branchy.m3
    payload["pull_request"]["head"]["sha"] = branchy.f2
    return payload


@pytest.mark.parametrize("name", ["pull_request__opened", "pull_request__synchronize"])
def test_pull_request_documents_its_own_changes_three_dot(branchy: Branchy, name: str) -> None:
    repo = branchy.repo
    # GITHUB_SHA is the synthetic merge commit; it must not be what is documented.
    repo.git("checkout", "-q", "--detach", branchy.m3)
    repo.git("merge", "-q", "--no-ff", "-m", "Merge f2 into m3", branchy.f2)
    merge_sha = repo.head()
    request = from_event("pull_request", pull_request(name, branchy), sha=merge_sha)
    assert (request.base, request.head, request.kind, request.pr_number) == (
        branchy.m3,
        branchy.f2,
        "three-dot",
        7,
    )
    assert request.ref == "greet-by-name"
    assert request.head_repo_fork is False
    span = diff_range(request, branchy.git)
    assert (span.base, span.head) == (branchy.m1, branchy.f2)
    # master's own later files are not part of the PR
    assert paths(branchy.git, request) == ["feature_a.py", "feature_b.py", "shared.py"]


def test_pull_request_in_a_shallow_clone_deepens_until_the_merge_base(
    branchy: Branchy, tmp_path: Path
) -> None:
    git = clone(branchy.repo, tmp_path / "clone", "--depth=1", "--branch", "master")
    request = from_event("pull_request", pull_request("pull_request__opened", branchy))
    assert paths(git, request) == ["feature_a.py", "feature_b.py", "shared.py"]


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (
            load_event("pull_request__closed"),
            "pull request closed: docbot runs on opened, synchronize, reopened, ready_for_review",
        ),
        (
            load_event("pull_request__opened") | {"action": "labeled"},
            "pull_request action 'labeled': docbot runs on opened, synchronize, reopened, ready_for_review",
        ),
        (
            load_event("pull_request__opened") | {"action": "edited"},
            "pull_request action 'edited': docbot runs on opened, synchronize, reopened, ready_for_review",
        ),
    ],
    ids=["closed", "labeled", "edited"],
)
def test_pull_request_actions_that_are_ignored(payload: dict[str, Any], reason: str) -> None:
    request = from_event("pull_request", payload)
    assert request.skip_reason == reason
    assert request.pr_number == 7


@pytest.mark.parametrize(
    "payload",
    [
        load_event("pull_request__reopened"),
        load_event("pull_request__opened") | {"action": "ready_for_review"},
    ],
    ids=["reopened", "ready_for_review"],
)
def test_pull_request_reopened_and_ready_for_review_run(payload: dict[str, Any]) -> None:
    request = from_event("pull_request", payload)
    assert (request.base, request.head, request.skip_reason) == (PR_BASE, PR_HEAD, None)


def test_pull_request_from_a_fork_and_from_a_deleted_fork() -> None:
    assert from_event("pull_request", load_event("pull_request__from_fork")).head_repo_fork is True
    # Into a fork from its parent: head.repo is no fork, but another repository all the same.
    upstream = load_event("pull_request__opened")
    upstream["pull_request"]["head"]["repo"]["full_name"] = "upstream/hello-world"
    assert upstream["pull_request"]["head"]["repo"]["fork"] is False
    assert from_event("pull_request", upstream).head_repo_fork is True
    request = from_event("pull_request", load_event("pull_request__from_deleted_fork"))
    assert request.head_repo_fork is True
    assert request.head == DELETED_FORK_HEAD


# --- issue_comment ---


def comment_event(body: str, **changes: Any) -> dict[str, Any]:
    payload = load_event("issue_comment__created_on_pull_request")
    payload["comment"]["body"] = body
    payload.update(changes)
    return payload


def test_docbot_comment_on_a_pull_request_needs_the_pr_lookup(branchy: Branchy) -> None:
    request = from_event("issue_comment", comment_event("/docbot"))
    assert request.skip_reason is None
    assert request.needs_pr_lookup
    assert (request.pr_number, request.comment_id, request.commenter, request.author_association) == (
        7,
        2580001001,
        "monalisa",
        "MEMBER",
    )
    assert (request.kind, request.everything, request.force, request.paths) == ("three-dot", False, False, ())
    assert request.comment_body == "/docbot"
    with pytest.raises(ConfigError, match="pull request #7: fetch its base and head first"):
        diff_range(request, branchy.git)
    resolved = with_pull_request(
        request, base=branchy.m3, head=branchy.f2, head_ref=None, head_repo_fork=True
    )
    assert not resolved.needs_pr_lookup
    assert resolved.head_repo_fork
    assert paths(branchy.git, resolved) == ["feature_a.py", "feature_b.py", "shared.py"]


def test_docbot_comment_arguments(branchy: Branchy) -> None:
    request = from_event(
        "issue_comment", comment_event("Please refresh.\n/DocBot force all src/** 'docs dir/*.py'")
    )
    assert (request.everything, request.force, request.paths) == (True, True, ("src/**", "docs dir/*.py"))
    everything = with_pull_request(
        request, base=branchy.m3, head=branchy.f2, head_ref=None, head_repo_fork=False
    )
    assert diff_range(everything, branchy.git).everything


def test_a_command_after_prose_runs_and_a_comment_without_one_is_ignored() -> None:
    request = from_event("issue_comment", load_event("issue_comment__created_on_pull_request"))
    assert request.comment_body == "Thanks! Could you refresh the API docs?\n\n/docbot"
    assert (request.skip_reason, request.needs_pr_lookup) == (None, True)
    request = from_event("issue_comment", comment_event("Thanks, looks good to me."))
    assert request.skip_reason == "no /docbot command in the comment"


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (load_event("issue_comment__edited"), "comment edited: only new comments are commands"),
        (comment_event("/docbot", action="deleted"), "comment deleted: only new comments are commands"),
        (comment_event("see `/docbot` below"), "no /docbot command in the comment"),
        (comment_event("<!-- docbot:summary -->\n/docbot"), "docbot's own comment"),
        (comment_event("/docbot all\n\n<!-- docbot:sticky -->"), "docbot's own comment"),
    ],
)
def test_comments_that_are_ignored(payload: dict[str, Any], reason: str) -> None:
    assert from_event("issue_comment", payload).skip_reason == reason


def test_comment_on_a_plain_issue_and_by_a_bot_are_ignored() -> None:
    issue = load_event("issue_comment__created_on_issue")
    assert issue["comment"]["body"] == "/docbot"  # a command, so the issue is what stops it
    assert from_event("issue_comment", issue).skip_reason == "comment on an issue, not a pull request"
    bot = load_event("issue_comment__created_by_bot")
    assert from_event("issue_comment", bot).skip_reason == "comment by a bot (github-actions[bot])"


def test_custom_trigger_phrase() -> None:
    assert from_event("issue_comment", comment_event("/docs all"), trigger="/docs").everything
    assert from_event("issue_comment", comment_event("/docbot"), trigger="/docs").skip_reason == (
        "no /docs command in the comment"
    )


# --- workflow_dispatch and everything else ---


def test_workflow_dispatch_without_inputs_documents_every_file_at_the_ref(branchy: Branchy) -> None:
    request = from_event("workflow_dispatch", load_event("workflow_dispatch__without_inputs"), sha=branchy.m3)
    assert (request.head, request.base, request.everything, request.ref) == (
        branchy.m3,
        None,
        True,
        "refs/heads/master",
    )
    assert diff_range(request, branchy.git).everything
    assert "main_later.py" in paths(branchy.git, request)
    assert len(paths(branchy.git, request)) > 1  # not only the last commit's file


def test_workflow_dispatch_string_inputs(branchy: Branchy) -> None:
    payload = load_event("workflow_dispatch__with_inputs")
    # An input left empty in the form arrives as "": the head falls back to GITHUB_SHA.
    request = from_event("workflow_dispatch", payload, sha=branchy.m3)
    assert (request.base, request.head, request.force, request.everything, request.paths) == (
        payload["inputs"]["base"],
        branchy.m3,
        True,
        False,
        ("src/**", "docs/*.md"),
    )
    payload["inputs"] = {
        "base": branchy.m0,
        "head": "feature",
        "paths": "src/**, lib/*.py\ntests/",
        "all": "false",
        "force": "true",
    }
    request = from_event("workflow_dispatch", payload, sha=branchy.m3)
    assert (request.base, request.head, request.force, request.everything) == (
        branchy.m0,
        "feature",
        True,
        False,
    )
    assert request.paths == ("src/**", "lib/*.py", "tests/")
    assert paths(branchy.git, request) == ["feature_a.py", "feature_b.py", "shared.py"]
    payload["inputs"] = {"all": "true"}
    assert diff_range(from_event("workflow_dispatch", payload, sha=branchy.m1), branchy.git).everything
    payload["inputs"] = {"all": "maybe"}
    with pytest.raises(ConfigError, match="input all: expected true or false, got 'maybe'"):
        from_event("workflow_dispatch", payload)


@pytest.mark.parametrize("event", ["release", "schedule", "pull_request_target", ""])
def test_other_events_are_ignored_naming_the_supported_ones(event: str) -> None:
    request = from_event(event, {"sender": {"login": "octocat"}})
    supported = "push, pull_request, issue_comment, workflow_dispatch"
    assert request.skip_reason == f"event {event!r} is not supported; docbot runs on {supported}"
    assert SUPPORTED_EVENTS == ("push", "pull_request", "issue_comment", "workflow_dispatch")


def test_cli_changes_for_an_event(
    branchy: Branchy, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    event = tmp_path / "event.json"
    event.write_text(json.dumps(new_branch_push(branchy.f2)), encoding="utf-8")
    args = ["changes", "--repo", str(branchy.repo.path), "--event", "push", "--payload", str(event), "--json"]
    assert main(args) == 0
    out, err = capsys.readouterr()
    assert [c["path"] for c in json.loads(out)] == ["feature_a.py", "feature_b.py", "shared.py"]
    assert "merge-base with master" in err
    event.write_text(json.dumps(load_event("pull_request__closed")), encoding="utf-8")
    assert main([*args[:3], "--event", "pull_request", "--payload", str(event), "--json"]) == 0
    out, err = capsys.readouterr()
    assert json.loads(out) == []
    assert "nothing to document: pull request closed" in err


# --- the /docbot parser: randomised properties ---

GLOBS = ["src/**", "*.py", "lib/", "x", "a[bc].py", "--", "-x", "docs/**/*.md", "ünï/*.rs"]


def random_body_lines(rng: random.Random) -> list[str]:
    filler = [
        "hello",
        "please /docbot later",
        "> quoted",
        "`/docbot` inline",
        "    indented code",
        "",
        "- item",
    ]
    return [rng.choice(filler) for _ in range(rng.randrange(4))]


def test_parse_command_finds_a_line_start_command_with_its_arguments() -> None:
    rng = random.Random(1234)
    for _ in range(500):
        flags = rng.sample(["all", "force", "ALL", "Force"], rng.randrange(3))
        globs = rng.sample(GLOBS, rng.randrange(4))
        words = [*flags, *globs]
        trigger = rng.choice(["/docbot", "/DOCBOT", "/DocBot"])
        line = " " * rng.randrange(4) + trigger + "".join(rng.choice([" ", "\t", "  "]) + w for w in words)
        body = "\n".join(
            [*random_body_lines(rng), line, rng.choice(["", "/docbot force other/"]), *random_body_lines(rng)]
        )
        lowered = {f.lower() for f in flags}
        expected = Command(everything="all" in lowered, force="force" in lowered, paths=tuple(globs))
        assert parse_command(body) == expected, body


def test_parse_command_ignores_quotes_code_fences_and_other_positions() -> None:
    rng = random.Random(99)
    for _ in range(500):
        fence = rng.choice(["```", "~~~", "````", "```python"])
        hidden = rng.choice(
            [
                f"{fence}\n/docbot all\n{fence[:4].rstrip('python') or fence}",
                "> /docbot all",
                ">/docbot",
                "  > /docbot",
                "text /docbot all",
                "/docbotx all",
                "/docbot-all",
                "    /docbot all",
                "`/docbot`",
            ]
        )
        body = "\n".join([*random_body_lines(rng), hidden, *random_body_lines(rng)])
        assert parse_command(body) is None, body


def test_parse_command_after_a_closed_fence_and_in_an_unclosed_one() -> None:
    assert parse_command("```\n/docbot\n```\n/docbot force") == Command(force=True)
    assert parse_command("````\n```\n/docbot\n````\n/docbot all") == Command(everything=True)
    assert parse_command("```\nnever closed\n/docbot all") is None
    assert parse_command('/docbot "unbalanced') == Command(paths=('"unbalanced',))
    assert parse_command("/docbot\r\nmore") == Command()
    assert parse_command("/docbot src/** all") == Command(paths=("src/**", "all"))  # keywords come first
    assert parse_command("/docbot 'docs dir/*.md'") == Command(paths=("docs dir/*.md",))


# --- the Action resolves the range the same way ---


def test_action_documents_a_new_branch_since_its_merge_base(branchy: Branchy, tmp_path: Path) -> None:
    event = tmp_path / "event.json"
    event.write_text(json.dumps(new_branch_push(branchy.f2)), encoding="utf-8")
    branchy.repo.git("checkout", "-q", "feature")
    env = {
        "GITHUB_EVENT_NAME": "push",
        "GITHUB_EVENT_PATH": str(event),
        "GITHUB_WORKSPACE": str(branchy.repo.path),
        "GITHUB_SHA": branchy.f2,
        "RUNNER_TEMP": str(tmp_path),
        "INPUT_PROVIDER": "offline",
        "INPUT_CACHE": "none",
        "INPUT_EXCLUDE": "feature_b.py\n",
        "INPUT_DRY_RUN": "true",  # the range and the report are under test, not publishing (test_action_*)
    }
    out = io.StringIO()
    assert action.main(env, out) == 0
    assert (
        f"::notice title=docbot::documenting changes since {branchy.m1[:12]} (merge-base with master)\n"
        in (out.getvalue())
    )
    report = json.loads((tmp_path / "docbot-report.json").read_text(encoding="utf-8"))
    assert report["files"]["documented"] == ["feature_a.py", "shared.py"]
    assert report["files"]["skipped"] == [
        {"path": "feature_b.py", "reason": "excluded by pattern 'feature_b.py'"}
    ]


def test_action_exits_green_with_a_notice_for_a_closed_pull_request(tmp_path: Path) -> None:
    event = tmp_path / "event.json"
    event.write_text(json.dumps(load_event("pull_request__closed")), encoding="utf-8")
    out = io.StringIO()
    env = {
        "GITHUB_EVENT_NAME": "pull_request",
        "GITHUB_EVENT_PATH": str(event),
        "GITHUB_WORKSPACE": str(tmp_path),
    }
    assert action.main(env, out) == 0
    assert out.getvalue() == (
        "::notice title=docbot::nothing to document: pull request closed: "
        "docbot runs on opened, synchronize, reopened, ready_for_review\n"
    )


def test_new_branch_without_a_known_default_branch_documents_every_file(branchy: Branchy) -> None:
    payload = new_branch_push(branchy.f2)
    del payload["repository"]["default_branch"]
    span = diff_range(from_event("push", payload), branchy.git)
    assert span.everything
    assert span.notices == ("new branch and no default branch to compare with: documenting every file",)


def test_a_payload_that_is_not_an_object_is_a_clear_error() -> None:
    with pytest.raises(ConfigError, match=r"the push event payload is not a JSON object: '\[1, 2\]'"):
        from_event("push", [1, 2])  # type: ignore[arg-type]
    # wrong types inside the payload are treated as missing, never as a crash
    request = from_event("push", {"before": 1, "after": ["x"], "ref": 5})
    assert request.skip_reason == "branch was deleted"
