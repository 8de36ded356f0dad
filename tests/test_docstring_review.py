"""Docstring suggestions on a pull request: one review, real PyGithub, the loopback GitHub API."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from docbot.cache import NullCache
from docbot.config import load_settings
from docbot.docstrings import DocstringsResult, write_back
from docbot.events import RunSpec
from docbot.git import Git
from docbot.llm.offline import OfflineProvider
from docbot.markers import suggestion_of
from docbot.publish import review
from docbot.publish.github_api import GitHubApi, GitHubApiError
from tests.conftest import GitRepo
from tests.fakes.github_server import GitHubWorld

TOKEN = "ghs_actions_token"


@pytest.fixture
def world(tmp_path: Path, git_repo: GitRepo) -> Iterator[GitHubWorld]:
    git_repo.write("src/a.py", 'def kept():\n    """Documented."""\n    return 1\n')
    git_repo.write("src/old.py", "def untouched():\n    return 0\n")
    git_repo.commit("first")
    git_repo.git("checkout", "-q", "-b", "feature")
    git_repo.write(
        "src/a.py",
        'def kept():\n    """Documented."""\n    return 1\n\n\ndef added(x, y):\n    return x + y\n',
    )
    git_repo.write("src/b.py", "class Widget:\n    def render(self, width):\n        return width\n")
    git_repo.commit("feature")
    w = GitHubWorld(git_repo.path, tmp_path / "origin.git")
    w.sync("main", "feature")
    w.fake.start()
    try:
        yield w
    finally:
        w.fake.stop()


def _docstrings(repo: Path) -> DocstringsResult:
    settings = load_settings({"repo": repo, "cache": "none"})
    spec = RunSpec(head="feature", base="main")
    return write_back(spec, settings, git=Git(repo), cache=NullCache(), provider=OfflineProvider())


def _suggest(world: GitHubWorld, number: int) -> tuple[list[review.Suggestion], str | None]:
    api = GitHubApi(TOKEN, world.fake.full_name, base_url=world.fake.url, sleep=lambda s: None)
    try:
        made, _ = review.suggestions(_docstrings(world.workspace))
        head = Git(world.workspace).resolve("feature")
        return review.post(api, number, head, made)
    finally:
        api.close()


def test_one_review_of_suggestions_that_a_rerun_does_not_repeat(world: GitHubWorld) -> None:
    number = world.fake.open_pull("feature", "main")

    posted, url = _suggest(world, number)
    assert url is not None and f"/pull/{number}#pullrequestreview-" in url
    assert sorted(s.symbol for s in posted) == ["Widget", "Widget.render", "added"]
    assert len(world.fake.reviews) == 1 and world.fake.reviews[0].state == "COMMENTED"
    assert len(world.fake.calls("POST", r"/pulls/\d+/reviews$")) == 1
    comments = {suggestion_of(c.body): c for c in world.fake.review_comments}
    added = comments[("src/a.py", "added")]
    # An insertion is suggested on the line it goes above, which the suggestion repeats.
    assert added.line == 7 and added.start_line is None
    assert added.body.endswith(
        '```suggestion\n    """Function `added`, taking `x`, `y`.\n\n    Args:\n        x:\n        y:\n'
        '    """\n    return x + y\n```'
    )
    assert ("src/old.py", "untouched") not in comments  # not part of the pull request

    # A rerun finds its markers and posts nothing.
    again, again_url = _suggest(world, number)
    assert (again, again_url) == ([], None)
    assert len(world.fake.reviews) == 1


def test_an_accepted_suggestion_is_not_suggested_again(world: GitHubWorld, git_repo: GitRepo) -> None:
    number = world.fake.open_pull("feature", "main")
    _suggest(world, number)
    # The author accepts the suggestion for `added` (a commit on the branch), and review comments of
    # the first review are deleted by hand: only the accepted docstring keeps `added` from coming back.
    a = git_repo.path / "src/a.py"
    a.write_text(a.read_text().replace("    return x + y", '    """Add."""\n    return x + y'))
    git_repo.commit("accept")
    world.sync("feature")
    world.fake.review_comments.clear()

    posted, _ = _suggest(world, number)
    assert sorted(s.symbol for s in posted) == ["Widget", "Widget.render"]
    assert len(world.fake.reviews) == 2


def test_a_line_outside_the_diff_is_refused_and_nothing_is_posted(world: GitHubWorld) -> None:
    number = world.fake.open_pull("feature", "main")
    outside = review.Suggestion("src/old.py", "untouched", 1, None, ('    """No."""', "def untouched():"))
    api = GitHubApi(TOKEN, world.fake.full_name, base_url=world.fake.url, sleep=lambda s: None)
    with pytest.raises(GitHubApiError, match=r"422.*Path could not be resolved"):
        review.post(api, number, Git(world.workspace).resolve("feature"), [outside])
    far = review.Suggestion("src/a.py", "kept", 40, None, ("    pass",))
    with pytest.raises(GitHubApiError, match=r"422.*Line could not be resolved"):
        review.post(api, number, Git(world.workspace).resolve("feature"), [far])
    api.close()
    assert world.fake.reviews == [] and world.fake.review_comments == []


def test_edits_off_the_changed_lines_are_left_out_with_a_reason(git_repo: GitRepo) -> None:
    git_repo.write("m.py", "def one():\n    return 1\n")
    git_repo.commit("first")
    git_repo.git("checkout", "-q", "-b", "feature")
    git_repo.write("m.py", "def one():\n    return 1\n\n\ndef two():\n    return 2\n")
    git_repo.commit("second")
    settings = load_settings({"repo": git_repo.path, "cache": "none"})
    result = write_back(
        RunSpec(head="feature", base="main"),
        settings,
        git=Git(git_repo.path),
        cache=NullCache(),
        provider=OfflineProvider(),
    )
    made, left = review.suggestions(result)
    assert [s.symbol for s in made] == ["two"]
    assert left == [("m.py", "one: not on a line this pull request changed")]


def test_a_fence_longer_than_any_backtick_run_in_the_code() -> None:
    s = review.Suggestion("a.py", "f", 3, None, ('    """Use ```x``` here."""', "    return 1"))
    assert "\n````suggestion\n" in s.body() and s.body().endswith("\n````")
