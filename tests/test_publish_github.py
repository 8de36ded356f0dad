"""GitHubApi and GitHubPublisher through real PyGithub against the loopback GitHub API: the retry policy,
idempotent writes, 422 resolution, pagination, body limits and the pages docbot may not touch."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from docbot.errors import ConfigError, TransientError
from docbot.markers import STICKY_COMMENT as COMMENT_MARKER
from docbot.markers import marker_line
from docbot.publish.github import GitHubPublisher, SourceEdit, Target
from docbot.publish.github_api import (
    GitHubApi,
    GitHubApiError,
    GitHubTransientError,
    RetryPolicy,
)
from docbot.publish.plan import NOT_OURS, DocsPlan, git_blob_sha, unsafe_path
from docbot.render.bodies import comment_body
from docbot.report import RunReport
from tests.conftest import GitRepo
from tests.fakes.github_server import BODY_TOO_LONG, GitHubWorld

TOKEN = "ghs_actions_token"
SECONDARY = {
    "message": "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."
}


@pytest.fixture
def world(tmp_path: Path, git_repo: GitRepo) -> Iterator[GitHubWorld]:
    git_repo.write("src/a.py", "def a():\n    return 1\n")
    git_repo.commit("first")
    w = GitHubWorld(git_repo.path, tmp_path / "origin.git")
    w.sync("main")
    w.fake.start()
    try:
        yield w
    finally:
        w.fake.stop()
    assert w.fake.unused_faults() == [], "an injected fault was never used"


class Clock:
    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now
        self.slept: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


def make_api(world: GitHubWorld, clock: Clock, token: str = TOKEN) -> GitHubApi:
    return GitHubApi(token, world.fake.full_name, base_url=world.fake.url, sleep=clock.sleep, clock=clock)


def page(source: str, body: str = "docs\n") -> str:
    return f"{marker_line(source)}\n\n# `{source}`\n\n{body}"


# --- the retry policy ---


def test_5xx_is_retried_with_exponential_waits(world: GitHubWorld, clock: Clock) -> None:
    world.fake.inject("GET", r"/pulls/1$", 502, times=2)
    number = world.fake.open_pull("main", "main")
    api = make_api(world, clock)

    assert api.pull(number).number == 1
    assert clock.slept == [1.0, 2.0]
    assert len(world.fake.calls("GET", r"/pulls/1$")) == 3


def test_patch_is_retried_too(world: GitHubWorld, clock: Clock) -> None:
    number = world.fake.open_pull("main", "main")
    world.fake.inject("PATCH", r"/pulls/1$", 503)
    api = make_api(world, clock)

    api.call("PATCH pr", lambda: api.repo.get_pull(number).edit(body="new"))

    assert world.fake.pulls[number].body == "new"
    assert clock.slept == [1.0]
    assert api.requests_retried == 1


@pytest.mark.parametrize(
    ("status", "body", "headers", "wait"),
    [
        (403, SECONDARY, {}, 60.0),
        (403, SECONDARY, {"Retry-After": "7"}, 7.0),
        (429, {"message": "too many"}, {"Retry-After": "3"}, 3.0),
        (429, {"message": "too many"}, {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "1000030"}, 31.0),
        (
            403,
            {"message": "API rate limit exceeded for installation."},
            {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "1000010"},
            11.0,
        ),
    ],
)
def test_rate_limits_wait_as_github_asks(
    world: GitHubWorld, clock: Clock, status: int, body: dict[str, str], headers: dict[str, str], wait: float
) -> None:
    world.fake.inject("GET", r"/repos/octo/project$", status, body, headers)
    api = make_api(world, clock)

    assert api.repo.full_name == "octo/project"
    assert clock.slept == [wait]


def test_secondary_limit_without_retry_after_backs_off_then_gives_up(
    world: GitHubWorld, clock: Clock
) -> None:
    world.fake.inject("GET", r"/repos/octo/project$", 403, SECONDARY, times=5)
    api = GitHubApi(
        TOKEN,
        "octo/project",
        base_url=world.fake.url,
        sleep=clock.sleep,
        clock=clock,
        policy=RetryPolicy(max_attempts=5, max_wait=600),
    )

    with pytest.raises(GitHubTransientError, match="still failing"):
        _ = api.repo
    # 60, 120, 240, 480; the fifth failure stops (attempts), never sleeping longer than max_wait.
    assert clock.slept == [60.0, 120.0, 240.0, 480.0]


def test_a_wait_longer_than_max_wait_is_not_taken(world: GitHubWorld, clock: Clock) -> None:
    world.fake.inject("GET", r"/repos/octo/project$", 429, {"message": "slow down"}, {"Retry-After": "3600"})
    api = make_api(world, clock)

    with pytest.raises(GitHubTransientError) as info:
        _ = api.repo
    assert info.value.retry_after == 3600.0
    assert clock.slept == []
    assert "still failing after 1 attempt; GitHub asked to wait 3600 s, longer than docbot waits" in str(
        info.value
    )


def test_other_4xx_are_not_retried(world: GitHubWorld, clock: Clock) -> None:
    world.fake.inject(
        "GET", r"/repos/octo/project$", 403, {"message": "Resource not accessible by integration"}
    )
    api = make_api(world, clock)

    with pytest.raises(GitHubApiError, match="permissions: contents: write, pull-requests: write"):
        _ = api.repo
    assert clock.slept == []


def test_bad_token_is_a_config_error(world: GitHubWorld, clock: Clock) -> None:
    with pytest.raises(ConfigError, match="token was rejected"):
        _ = make_api(world, clock, token="nope").repo


def test_empty_token_is_refused_before_any_request(world: GitHubWorld, clock: Clock) -> None:
    with pytest.raises(ConfigError, match="github_token is empty"):
        make_api(world, clock, token="")
    assert world.fake.requests == []


# --- identity, comments, pagination ---


def test_sticky_comment_found_on_a_later_page_among_other_peoples_comments(
    world: GitHubWorld, clock: Clock
) -> None:
    number = world.fake.open_pull("main", "main")
    for i in range(130):
        world.fake.add_comment(number, f"{COMMENT_MARKER} quoted by a human {i}", user="alice")
    mine = world.fake.add_comment(
        number, f"{COMMENT_MARKER}\nold", user="github-actions[bot]", user_type="Bot"
    )
    api = make_api(world, clock)

    cid, _, created = api.upsert_comment(number, f"{COMMENT_MARKER}\nnew")

    assert (cid, created) == (mine, False)
    assert world.fake.comments[mine].body.endswith("new")
    assert len(world.fake.comments_on(number)) == 131
    pages = [r.query.get("page", ["1"])[0] for r in world.fake.calls("GET", r"/issues/1/comments$")]
    assert pages == ["1", "2"]


def test_identity_of_a_personal_token_comes_from_user(world: GitHubWorld, clock: Clock) -> None:
    world.fake.tokens["ghp_personal"] = "docs-robot"
    number = world.fake.open_pull("main", "main")
    theirs = world.fake.add_comment(number, f"{COMMENT_MARKER}\nby actions", user="github-actions[bot]")
    api = make_api(world, clock, token="ghp_personal")

    cid, _, created = api.upsert_comment(number, f"{COMMENT_MARKER}\nby the robot")

    assert created
    assert cid != theirs
    assert world.fake.comments[cid].user == "docs-robot"


def test_app_token_finds_its_own_comment_among_other_bots(world: GitHubWorld, clock: Clock) -> None:
    world.fake.bot_tokens["ghs_app_token"] = "docs-app[bot]"
    number = world.fake.open_pull("main", "main")
    world.fake.add_comment(number, f"{COMMENT_MARKER}\nquoted", user="alice")
    theirs = world.fake.add_comment(
        number, f"{COMMENT_MARKER}\nother", user="github-actions[bot]", user_type="Bot"
    )
    api = make_api(world, clock, token="ghs_app_token")

    first, _, created = api.upsert_comment(number, f"{COMMENT_MARKER}\none")
    second, _, created_again = api.upsert_comment(number, f"{COMMENT_MARKER}\ntwo")

    assert created
    assert not created_again
    assert first == second
    assert world.fake.comments[first].user == "docs-app[bot]"
    assert world.fake.comments[first].body.endswith("two")
    assert world.fake.comments[theirs].body.endswith("other")
    assert len(world.fake.comments_on(number)) == 3


def test_permission_distinguishes_maintain_from_write(world: GitHubWorld, clock: Clock) -> None:
    world.fake.permissions.update(boss="admin", keeper="maintain", dev="write", helper="triage")
    world.fake.users.add("stranger")  # exists, but no role here: a public repository's read
    api = make_api(world, clock)

    users = ("boss", "keeper", "dev", "helper", "stranger", "no-such-user")
    assert [api.permission(u) for u in users] == [
        "admin",
        "maintain",
        "write",
        "triage",
        "read",
        "none",
    ]


def test_oversize_comment_is_rejected_by_the_server(world: GitHubWorld, clock: Clock) -> None:
    number = world.fake.open_pull("main", "main")
    api = make_api(world, clock)

    with pytest.raises(GitHubApiError, match=BODY_TOO_LONG.replace("(", r"\(").replace(")", r"\)")):
        api.reply(number, "é" * 140_000)  # 140,000 characters but 280,000 bytes


def test_comment_body_of_many_pages_fits_both_limits(world: GitHubWorld, clock: Clock) -> None:
    number = world.fake.open_pull("main", "main")
    publisher = GitHubPublisher(make_api(world, clock), Target("comment", pr_number=number))
    pages = tuple((f"docs/api/m{i}.py.md", page(f"m{i}.py", "ü" * 9000)) for i in range(40))
    record = publisher.publish(DocsPlan("docs/api", pages), RunReport())

    body, left_out = comment_body(RunReport(), pages, ())

    assert len(body) <= 65_536
    assert len(body.encode()) <= 262_144
    assert 0 < len(left_out) < 40
    assert body.count("<details><summary>") == 40 - len(left_out)
    assert record.not_shown == left_out
    for path in left_out:
        assert f"> - <code>{path}</code>" in body
    assert record.operation == "commented"
    assert world.fake.comments[record.comment_id or 0].body == body


# --- the commit ---


def docs_publisher(world: GitHubWorld, clock: Clock, mode: str = "pull_request") -> GitHubPublisher:
    return GitHubPublisher(make_api(world, clock), Target(mode, branch="main"), head_sha="f" * 40)  # type: ignore[arg-type]


def test_pages_land_in_one_commit_with_the_index(world: GitHubWorld, clock: Clock) -> None:
    publisher = docs_publisher(world, clock)
    plan = DocsPlan("docs/api", (("docs/api/src/a.py.md", page("src/a.py")),))

    record = publisher.publish(plan, RunReport())

    assert record.written == ("docs/api/src/a.py.md", "docs/api/README.md")
    files = world.files_at("docbot/main")
    assert files["docs/api/src/a.py.md"] == page("src/a.py").rstrip("\n")
    assert "## `src/`\n\n- [`a.py`](src/a.py.md)" in files["docs/api/README.md"]
    # The commit's three writes, then the pull request (one publish call does both).
    assert [r.path for r in world.fake.calls("POST")] == [
        "/repos/octo/project/git/trees",
        "/repos/octo/project/git/commits",
        "/repos/octo/project/git/refs",
        "/repos/octo/project/pulls",
    ]
    assert record.operation == "created"
    assert world.fake.pulls[1].head == "docbot/main"


def test_large_pages_go_up_as_blobs(world: GitHubWorld, clock: Clock) -> None:
    big = page("src/a.py", "x" * 70_000)
    docs_publisher(world, clock).publish(DocsPlan("docs/api", (("docs/api/src/a.py.md", big),)), RunReport())

    blobs = world.fake.calls("POST", r"/git/blobs$")
    assert len(blobs) == 1
    assert world.bare_git("rev-parse", "docbot/main:docs/api/src/a.py.md") == git_blob_sha(big.encode())


def test_hand_written_files_are_never_touched(world: GitHubWorld, clock: Clock, git_repo: GitRepo) -> None:
    git_repo.write("docs/api/src/a.py.md", "my own notes\n")
    git_repo.write("docs/api/old.py.md", "also mine\n")
    git_repo.commit("hand-written docs")
    world.sync("main")
    publisher = docs_publisher(world, clock)
    plan = DocsPlan(
        "docs/api", (("docs/api/src/a.py.md", page("src/a.py")),), deletions=("docs/api/old.py.md",)
    )

    record = publisher.publish(plan, RunReport())

    assert record.refused == (("docs/api/src/a.py.md", NOT_OURS), ("docs/api/old.py.md", NOT_OURS))
    assert record.operation == "none"
    assert world.fake.writes() == []


@pytest.mark.parametrize(
    ("make", "kind"),
    [("symlink", "a symlink"), ("file", "a file"), ("parent-file", "a file")],
)
def test_a_tracked_symlink_or_file_at_the_docs_path_is_never_replaced(
    world: GitHubWorld, clock: Clock, git_repo: GitRepo, make: str, kind: str
) -> None:
    if make == "symlink":
        (git_repo.path / "docs").mkdir()
        (git_repo.path / "docs" / "api").symlink_to("../src")
    elif make == "file":
        git_repo.write("docs/api", "my notes\n")
    else:
        git_repo.write("docs", "not a folder\n")
    git_repo.commit("the docs path is taken")
    world.sync("main")
    before = world.bare_git("rev-parse", "main")
    publisher = docs_publisher(world, clock, mode="commit")

    with pytest.raises(ConfigError, match=f"is {kind} in the repository, not a folder"):
        publisher.publish(DocsPlan("docs/api", (("docs/api/src/a.py.md", page("src/a.py")),)), RunReport())

    assert world.fake.writes() == []
    assert world.bare_git("rev-parse", "main") == before


def test_deleted_sources_lose_their_pages(world: GitHubWorld, clock: Clock, git_repo: GitRepo) -> None:
    git_repo.write("docs/api/src/gone.py.md", page("src/gone.py"))
    git_repo.write("docs/api/src/a.py.md", page("src/a.py"))
    git_repo.commit("generated docs")
    world.sync("main")

    record = docs_publisher(world, clock).publish(
        DocsPlan("docs/api", deletions=("docs/api/src/gone.py.md",)), RunReport()
    )

    assert record.deleted == ("docs/api/src/gone.py.md",)
    files = world.files_at("docbot/main")
    assert "docs/api/src/gone.py.md" not in files
    assert "src/gone.py" not in files["docs/api/README.md"]


def test_never_writes_workflows(world: GitHubWorld, clock: Clock) -> None:
    plan = DocsPlan(".github/workflows", ((".github/workflows/ci.yml.md", page("ci.yml")),))

    record = docs_publisher(world, clock).publish(plan, RunReport())

    assert record.refused == (
        (".github/workflows/ci.yml.md", "is under .github/workflows, where docbot never writes"),
    )
    assert world.fake.calls("POST") == []


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("docs/api/../../x.md", "is not a clean relative path inside docs/api"),
        ("/etc/x.md", "is not a clean relative path inside docs/api"),
        ("src/x.md", "is outside docs/api"),
        ("docs/api/ok.md", None),
    ],
)
def test_unsafe_paths(path: str, reason: str | None) -> None:
    assert unsafe_path(path, "docs/api") == reason


def test_existing_ref_without_a_pull_request_is_resolved_not_duplicated(
    world: GitHubWorld, clock: Clock
) -> None:
    # The 422 "Reference already exists" path: the branch appears between our look-up and our create.
    world.fake.inject("GET", r"/git/ref/heads/docbot/main$", 404)
    world.bare_git("update-ref", "refs/heads/docbot/main", world.bare_git("rev-parse", "main"))
    publisher = docs_publisher(world, clock)

    publisher.publish(DocsPlan("docs/api", (("docs/api/src/a.py.md", page("src/a.py")),)), RunReport())

    statuses = [
        (r.method, r.status) for r in world.fake.calls(path=r"/git/refs?/heads/docbot/main$|/git/refs$")
    ]
    assert statuses == [("GET", 404), ("POST", 422), ("GET", 200), ("PATCH", 200)]
    assert "docs/api/src/a.py.md" in world.files_at("docbot/main")


def test_existing_pull_request_found_after_422(world: GitHubWorld, clock: Clock) -> None:
    publisher = docs_publisher(world, clock)
    number = world.fake.open_pull("docbot/main", "main", user="github-actions[bot]")
    # Another run opened it after our look-up (answered empty here): creation answers 422, then we find
    # it and update it.
    world.fake.inject("GET", r"/pulls$", 200, [])

    record = publisher.publish(
        DocsPlan("docs/api", (("docs/api/src/a.py.md", page("src/a.py")),)), RunReport()
    )

    assert (record.operation, record.pr_number) == ("updated", number)
    pulls = "/repos/octo/project/pulls"
    assert [(r.method, r.path, r.status) for r in world.fake.calls(path=r"/pulls(/\d+)?$")] == [
        ("GET", pulls, 200),  # our look-up: none open yet
        ("POST", pulls, 422),  # "A pull request already exists"
        ("GET", pulls, 200),  # found it
        ("GET", f"{pulls}/{number}", 200),
        ("PATCH", f"{pulls}/{number}", 200),
    ]
    assert len(world.fake.pulls) == 1
    assert "docbot: API documentation" in world.fake.pulls[number].body


def test_commit_mode_refuses_a_moved_branch(world: GitHubWorld, clock: Clock, git_repo: GitRepo) -> None:
    publisher = docs_publisher(world, clock, mode="commit")
    # Someone pushes between our read of the branch and our ref update: not a fast forward.
    git_repo.write("src/b.py", "x = 1\n")
    moved = git_repo.commit("concurrent push")
    world.fake.inject("PATCH", r"/git/refs/heads/main$", 422, {"message": "Update is not a fast forward"})

    before = world.bare_git("rev-parse", "main")

    with pytest.raises(TransientError, match="moved while docbot ran"):
        publisher.publish(DocsPlan("docs/api", (("docs/api/src/a.py.md", page("src/a.py")),)), RunReport())
    # One fast-forward attempt, never retried with force over the other writer's push.
    patches = world.fake.calls("PATCH", r"/git/refs/heads/main$")
    assert [(p.status, bool(p.body.get("force"))) for p in patches] == [(422, False)]
    assert world.bare_git("rev-parse", "main") == before
    assert moved not in world.bare_git("log", "--format=%H", "--all")


def test_comment_names_the_pages_whose_sources_were_deleted(world: GitHubWorld, clock: Clock) -> None:
    number = world.fake.open_pull("main", "main")
    publisher = GitHubPublisher(make_api(world, clock), Target("comment", pr_number=number))
    plan = DocsPlan("docs/api", (("docs/api/a.py.md", page("a.py")),), ("docs/api/gone.py.md",))
    record = publisher.publish(plan, RunReport())

    body, left_out = comment_body(RunReport(), plan.pages, plan.deletions)

    assert world.fake.comments[record.comment_id or 0].body == body
    assert left_out == ()
    assert "Pages to delete (their source files are gone): `docs/api/gone.py.md`." in body
    assert "<details><summary><code>docs/api/a.py.md</code></summary>" in body
    assert marker_line("a.py") not in body  # the page's own marker stays out of the comment


def test_enterprise_server_api_under_a_path_prefix(tmp_path: Path, git_repo: GitRepo, clock: Clock) -> None:
    git_repo.write("src/a.py", "def a():\n    return 1\n")
    git_repo.commit("first")
    ghes = GitHubWorld(git_repo.path, tmp_path / "ghes.git", prefix="/api/v3")
    ghes.sync("main")
    with ghes.fake:
        assert ghes.fake.url.endswith("/api/v3")
        publisher = GitHubPublisher(make_api(ghes, clock), Target("pull_request", branch="main"))
        record = publisher.publish(
            DocsPlan("docs/api", (("docs/api/src/a.py.md", page("src/a.py")),)), RunReport()
        )

    assert record.operation == "created"
    assert "docs/api/src/a.py.md" in ghes.files_at("docbot/main")
    # Every request went under the prefix; the one 404 is the look-up of the not yet existing branch.
    assert all(r.path != "/outside-the-api" for r in ghes.fake.requests)
    assert [(r.path, r.status) for r in ghes.fake.requests if r.status >= 400] == [
        ("/repos/octo/project/git/ref/heads/docbot/main", 404)
    ]


def test_source_commits_refuse_symlinks_workflows_and_paths_outside_the_repository(
    world: GitHubWorld, git_repo: GitRepo, clock: Clock
) -> None:
    (git_repo.path / "lib").symlink_to("src")  # on GitHub, lib/a.py leads through a symlink
    (git_repo.path / "link.py").symlink_to("src/a.py")
    git_repo.commit("links")
    world.sync("main")
    old = b"def a():\n    return 1\n"
    new = b'def a():\n    """One."""\n    return 1\n'
    publisher = GitHubPublisher(make_api(world, clock), Target("pull_request", branch="main"))
    edits = [
        SourceEdit(path, old, new)
        for path in ("lib/a.py", "link.py", "../a.py", ".github/workflows/ci.yml", "src/missing.py")
    ]

    record = publisher.publish_sources(edits, title="t", body=lambda files: "b")

    assert dict(record.refused) == {
        "lib/a.py": "lib is a symlink in the repository; docbot never writes through one",
        "link.py": "link.py is a symlink in the repository; docbot never writes through one",
        "../a.py": "is not a clean relative path inside the repository",
        ".github/workflows/ci.yml": "is under .github/workflows, where docbot never writes",
        "src/missing.py": "is not in the repository on main",
    }
    assert world.fake.writes() == [] and world.fake.pulls == {}

    # The one file that is a regular file with the text the edit was made from is committed.
    done = publisher.publish_sources([SourceEdit("src/a.py", old, new)], title="t", body=lambda f: "b")
    assert (done.operation, done.written) == ("created", ("src/a.py",))
    assert world.files_at("docbot/docstrings/main")["src/a.py"] == new.decode().rstrip("\n")


def test_source_commits_carry_over_only_docbots_own_commit(
    world: GitHubWorld, git_repo: GitRepo, clock: Clock
) -> None:
    git_repo.write("src/b.py", "def b():\n    return 2\n")
    git_repo.commit("b")
    world.sync("main")
    publisher = GitHubPublisher(make_api(world, clock), Target("pull_request", branch="main"))
    a_old, a_new = b"def a():\n    return 1\n", b'def a():\n    """One."""\n    return 1\n'
    b_old, b_new = b"def b():\n    return 2\n", b'def b():\n    """Two."""\n    return 2\n'
    assert publisher.publish_sources([SourceEdit("src/a.py", a_old, a_new)], title="t", body=lambda f: "b")
    # Someone else commits to docbot's branch: the next run rebuilds it from docbot's own edits only.
    git_repo.git("fetch", "-q", str(world.bare), "docbot/docstrings/main")
    git_repo.git("checkout", "-q", "FETCH_HEAD")
    git_repo.write("src/c.py", "c = 3\n")
    human = git_repo.commit("a hand-made change")
    git_repo.git("push", "-q", str(world.bare), f"{human}:refs/heads/docbot/docstrings/main", "--force")

    again = publisher.publish_sources([SourceEdit("src/b.py", b_old, b_new)], title="t", body=lambda f: "b")

    assert (again.operation, again.written) == ("updated", ("src/b.py",))
    assert world.bare_git("diff", "--name-only", "main", "docbot/docstrings/main").split() == ["src/b.py"]
