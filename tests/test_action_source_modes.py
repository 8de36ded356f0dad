"""The Action's ``check`` and ``docstrings`` modes, end to end through ``docbot.action.main``."""

from __future__ import annotations

import shutil

from docbot import cli
from docbot.docstrings import code_shape
from docbot.markers import suggestion_of
from tests.conftest import load_event
from tests.test_action_entrypoint import (
    SOURCE_B,
    Harness,
    harness_fixture,  # noqa: F401 (the fixture, shared)
    pull_request_payload,
    push_payload,
    two_commits,
)


def test_check_mode_annotates_the_stale_sources_and_fails(harness: Harness) -> None:
    first, second = two_commits(harness.repo)
    assert cli.main(["run", "--repo", str(harness.repo.path), "--all", "--cache", "none"]) == 0
    harness.repo.commit("pages")
    current = harness.run("push", push_payload(first, second), {"mode": "check"}, in_process=True)
    assert current.code == 0, current.stdout
    assert "are current" in current.summary and current.outputs["operation"] == "check"

    harness.repo.write("src/area.py", "def area(w):\n    return w\n")
    third = harness.repo.commit("area changed")
    stale = harness.run("push", push_payload(second, third), {"mode": "check"}, in_process=True)
    assert stale.code == 1
    assert "::error title=docbot,file=src/area.py::stale page: the source changed" in stale.stdout
    assert "| stale | <code>src/area.py</code> | <code>docs/api/src/area.py.md</code> |" in stale.summary
    assert harness.fake.writes() == []  # no writes, no API calls that change anything


def test_docstrings_mode_posts_one_review_and_a_rerun_posts_none(harness: Harness) -> None:
    two_commits(harness.repo)
    harness.repo.git("checkout", "-q", "-b", "feature")
    harness.repo.write("src/volume.py", "def volume(w, h, d):\n    return w * h * d\n")
    harness.repo.commit("volume")
    harness.world.sync("main", "feature")
    number = harness.fake.open_pull("feature", "main")
    payload = pull_request_payload(harness, number, "feature", event="pull_request__opened")

    run = harness.run("pull_request", payload, {"mode": "docstrings"}, in_process=True)
    assert run.code == 0, run.stdout
    assert run.outputs["operation"] == "review" and run.outputs["pr_number"] == str(number)
    assert [suggestion_of(c.body) for c in harness.fake.review_comments] == [("src/volume.py", "volume")]
    assert "1 docstrings suggested" in run.summary

    again = harness.run("pull_request", payload, {"mode": "docstrings"}, in_process=True)
    assert again.code == 0 and again.outputs["operation"] == "none"
    assert len(harness.fake.reviews) == 1


def _docstring_commit_only_adds_comments(harness: Harness, branch: str, base: str) -> list[str]:
    """The files the docstrings branch changes against ``base``, each proved to differ in comments only."""
    changed = harness.world.bare_git("diff", "--name-only", base, branch).splitlines()
    for path in changed:
        old = harness.world.bare_git("show", f"{base}:{path}") + "\n"
        new = harness.world.bare_git("show", f"{branch}:{path}") + "\n"
        assert new != old and code_shape("python", new) == code_shape("python", old), path
    return changed


def test_docstrings_mode_on_a_push_opens_a_pull_request_and_reruns_change_nothing(harness: Harness) -> None:
    first, second = two_commits(harness.repo)  # src/greeter.py has no docstrings, src/area.py has one
    harness.world.sync("main")
    branch = "docbot/docstrings/main"

    run = harness.run("push", push_payload(first, second), {"mode": "docstrings"})

    assert run.code == 0, run.stdout + run.stderr
    assert (run.outputs["operation"], run.outputs["pr_number"]) == ("created", "1")
    pr = harness.fake.pulls[1]
    assert (pr.head, pr.base, pr.user) == (branch, "main", "github-actions[bot]")
    assert "<code>src/greeter.py</code>: <code>Greeter</code>, <code>Greeter.hello</code>" in pr.body
    assert harness.world.bare_git("rev-parse", f"{branch}^") == second
    assert _docstring_commit_only_adds_comments(harness, branch, "main") == ["src/greeter.py"]
    assert '"""' in harness.world.files_at(branch)["src/greeter.py"]
    assert "pull request #1" in run.summary and "2 docstrings in 1 files" in run.summary

    # The same push again: nothing new to write, so nothing is written at all.
    writes, tip = len(harness.fake.writes()), harness.world.bare_git("rev-parse", branch)
    again = harness.run("push", push_payload(first, second), {"mode": "docstrings"}, in_process=True)
    assert again.code == 0, again.stdout
    assert (again.outputs["operation"], again.outputs["pr_number"]) == ("none", "1")
    assert len(harness.fake.writes()) == writes and harness.world.bare_git("rev-parse", branch) == tip

    # The pull request merged (fast-forward, as GitHub's rebase merge does): a rerun opens nothing new.
    harness.world.bare_git("update-ref", "refs/heads/main", tip)
    pr.state = "closed"
    merged = harness.run("push", push_payload(first, second), {"mode": "docstrings"}, in_process=True)
    assert merged.code == 0, merged.stdout
    assert merged.outputs["operation"] == "none" and "already on main" in merged.summary
    assert len(harness.fake.pulls) == 1 and len(harness.fake.writes()) == writes


def test_docstrings_mode_on_a_dispatch_opens_a_pull_request_that_a_later_push_keeps(harness: Harness) -> None:
    two_commits(harness.repo)
    harness.world.sync("main")
    payload = load_event("workflow_dispatch__with_inputs")
    payload.update(ref="refs/heads/main", inputs={"all": "true"})
    branch = "docbot/docstrings/main"

    run = harness.run("workflow_dispatch", payload, {"mode": "docstrings"})

    assert run.code == 0, run.stdout + run.stderr
    assert (run.outputs["operation"], run.outputs["pr_number"]) == ("created", "1")
    assert _docstring_commit_only_adds_comments(harness, branch, "main") == ["src/greeter.py"]

    # A push while the pull request is open: its docstrings join the earlier ones on the rebuilt branch.
    before = harness.repo.head()
    harness.repo.write("src/shapes.py", "def circle(r):\n    return 3.14 * r * r\n")
    third = harness.repo.commit("add shapes")
    harness.world.sync("main")
    pushed = harness.run("push", push_payload(before, third), {"mode": "docstrings"}, in_process=True)

    assert (pushed.outputs["operation"], pushed.outputs["pr_number"]) == ("updated", "1"), pushed.stdout
    assert harness.world.bare_git("rev-parse", f"{branch}^") == third
    changed = _docstring_commit_only_adds_comments(harness, branch, "main")
    assert changed == ["src/greeter.py", "src/shapes.py"]
    body = harness.fake.pulls[1].body
    assert "- <code>src/greeter.py</code>: docstrings of an earlier run" in body
    assert "- <code>src/shapes.py</code>: <code>circle</code>" in body
    assert len(harness.fake.pulls) == 1


def test_docstrings_mode_commits_no_file_that_changed_on_the_branch_since(harness: Harness) -> None:
    first, second = two_commits(harness.repo)
    harness.world.sync("main")
    harness.repo.write("src/greeter.py", SOURCE_B + "\n\ndef wave():\n    return 1\n")
    harness.repo.commit("greeter moved on")
    harness.world.sync("main")
    harness.repo.git("checkout", "-q", second)  # the checkout of the push being documented

    run = harness.run("push", push_payload(first, second), {"mode": "docstrings"}, in_process=True)

    assert run.code == 0, run.stdout
    assert run.outputs["operation"] == "none"
    assert "src/greeter.py: not committed: changed on main since the documented commit" in run.stdout
    assert harness.fake.writes() == [] and harness.fake.pulls == {}


def test_docstrings_mode_never_writes_through_a_symlink_in_the_workspace(harness: Harness) -> None:
    first, second = two_commits(harness.repo)
    harness.world.sync("main")
    # A step before docbot swapped src for a symlink to a copy: the path now leads out of the checkout.
    outside = harness.tmp / "outside"
    shutil.copytree(harness.repo.path / "src", outside)
    shutil.rmtree(harness.repo.path / "src")
    (harness.repo.path / "src").symlink_to(outside)

    run = harness.run("push", push_payload(first, second), {"mode": "docstrings"}, in_process=True)

    assert run.code == 0, run.stdout
    assert "src/greeter.py: src is a symlink; docbot never writes through one" in run.stdout
    assert harness.fake.writes() == []


def test_docstrings_mode_dispatched_on_a_tag_is_a_clear_error(harness: Harness) -> None:
    two_commits(harness.repo)
    payload = load_event("workflow_dispatch__with_inputs")
    payload.update(ref="refs/tags/v1", inputs={"all": "true"})
    run = harness.run("workflow_dispatch", payload, {"mode": "docstrings"}, in_process=True)
    assert run.code == 1
    assert "mode docstrings opens a pull request into a branch" in run.stdout
    assert harness.fake.writes() == []


def test_docstrings_mode_dry_run_on_a_push_says_what_it_would_commit_and_writes_nothing(
    harness: Harness,
) -> None:
    first, second = two_commits(harness.repo)
    harness.world.sync("main")
    inputs = {"mode": "docstrings", "dry_run": "true"}

    run = harness.run("push", push_payload(first, second), inputs, in_process=True)

    assert run.code == 0, run.stdout
    assert "2 docstrings in 1 files would be committed (dry run)" in run.summary
    assert "- <code>src/greeter.py</code>: 2 docstrings" in run.summary
    assert harness.fake.calls() == [] and harness.repo.git("status", "--porcelain") == ""


def test_docstrings_pull_request_refused_by_settings_leaves_the_branch_and_says_how(harness: Harness) -> None:
    first, second = two_commits(harness.repo)
    harness.world.sync("main")
    harness.fake.actions_may_create_prs = False

    run = harness.run("push", push_payload(first, second), {"mode": "docstrings"}, in_process=True)

    assert run.code == 0, run.stdout
    assert run.outputs["operation"] == "committed" and harness.fake.pulls == {}
    assert "Allow GitHub Actions to create and approve pull requests" in run.stdout
    compare = "https://github.test/octo/project/compare/main...docbot/docstrings/main?expand=1"
    assert compare in run.summary
    assert harness.world.bare_git("rev-parse", "docbot/docstrings/main^") == second
