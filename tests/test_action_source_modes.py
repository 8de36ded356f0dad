"""The Action's ``check`` and ``docstrings`` modes, end to end through ``docbot.action.main``."""

from __future__ import annotations

from docbot import cli
from docbot.markers import suggestion_of
from tests.test_action_entrypoint import (
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


def test_docstrings_mode_on_a_push_is_a_clear_error(harness: Harness) -> None:
    first, second = two_commits(harness.repo)
    run = harness.run("push", push_payload(first, second), {"mode": "docstrings"}, in_process=True)
    assert run.code == 1
    assert "mode docstrings posts review suggestions on pull requests" in run.stdout
