"""The ``/docbot`` gate against the loopback GitHub API: who may run it, and what a failed 👀 does."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from docbot.action import gate
from docbot.config import PublishSettings
from docbot.events import ChangeRequest, Skip, from_event
from docbot.git import Git
from docbot.publish.github_api import GitHubApi
from tests.conftest import GitRepo, load_event
from tests.fakes.github_server import GitHubWorld


@pytest.fixture
def world(tmp_path: Path, git_repo: GitRepo) -> Iterator[GitHubWorld]:
    git_repo.write("src/a.py", "def a():\n    return 1\n")
    git_repo.commit("first")
    git_repo.git("checkout", "-q", "-b", "feature")
    git_repo.write("src/a.py", "def a():\n    return 2\n")
    git_repo.commit("second")
    git_repo.git("checkout", "-q", "main")
    w = GitHubWorld(git_repo.path, tmp_path / "origin.git")
    w.sync("main", "feature")
    w.fake.start()
    try:
        yield w
    finally:
        w.fake.stop()


def command(world: GitHubWorld, user: str, *, comment_id: int | None = None) -> ChangeRequest:
    number = world.fake.open_pull("feature", "main")
    cid = comment_id if comment_id is not None else world.fake.add_comment(number, "/docbot", user=user)
    payload = load_event("issue_comment__created_on_pull_request")
    payload["issue"]["number"] = number
    payload["comment"].update(id=cid, body="/docbot", author_association="NONE")
    payload["comment"]["user"]["login"] = user
    payload["sender"]["login"] = user
    return from_event("issue_comment", payload)


def admit(world: GitHubWorld, request: ChangeRequest, warnings: list[str]) -> ChangeRequest | Skip:
    api = GitHubApi("ghs_actions_token", world.fake.full_name, base_url=world.fake.url, sleep=lambda s: None)
    try:
        return gate.admit(request, PublishSettings(), Git(world.workspace), lambda: api, warn=warnings.append)
    finally:
        api.close()


@pytest.mark.parametrize(
    ("role", "admitted"),
    [
        ("admin", True),
        ("maintain", True),
        ("write", True),
        ("triage", False),
        ("read", False),
        ("none", False),
    ],
)
def test_every_role_is_admitted_or_refused_by_the_default_permissions(
    world: GitHubWorld, role: str, admitted: bool
) -> None:
    world.fake.permissions["someone"] = role
    request = command(world, "someone")
    warnings: list[str] = []

    result = admit(world, request, warnings)

    assert isinstance(result, ChangeRequest) is admitted
    reactions = world.fake.comments[request.comment_id or 0].reactions
    if admitted:
        assert isinstance(result, ChangeRequest)
        assert result.head == world.bare_git("rev-parse", "feature").strip()
        assert reactions == [("github-actions[bot]", "eyes")]
    else:
        assert isinstance(result, Skip)
        assert result.notice == f"refused /docbot from someone (permission {role})"
        assert reactions == []
    assert warnings == []


def test_a_login_that_is_not_a_user_is_refused_not_a_failure(world: GitHubWorld) -> None:
    # The comment's author was renamed or deleted since: GitHub answers the permission lookup with 404.
    request = command(world, "octocat")
    world.fake.users.discard("octocat")

    result = admit(world, request, [])

    assert isinstance(result, Skip)
    assert result.notice == "refused /docbot from octocat (permission none)"


def test_a_failed_eyes_reaction_is_a_warning_and_the_run_goes_on(world: GitHubWorld) -> None:
    world.fake.permissions["maintainer"] = "maintain"
    request = command(world, "maintainer", comment_id=987654)  # the comment was deleted: 404 on react
    warnings: list[str] = []

    result = admit(world, request, warnings)

    assert isinstance(result, ChangeRequest)
    assert result.head == world.bare_git("rev-parse", "feature").strip()
    assert len(warnings) == 1
    assert warnings[0].startswith("could not add the 👀 reaction to comment 987654: GitHub API:")
    assert "(404)" in warnings[0]


def test_a_repeated_reaction_is_kept_once_like_github(world: GitHubWorld) -> None:
    world.fake.permissions["maintainer"] = "maintain"
    request = command(world, "maintainer")

    admit(world, request, [])
    admit(world, request, [])

    assert world.fake.comments[request.comment_id or 0].reactions == [("github-actions[bot]", "eyes")]
