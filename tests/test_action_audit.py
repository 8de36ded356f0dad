"""The Action under a hostile workflow: bad inputs, no checkout, misspelt keys, each one clear annotation."""

from __future__ import annotations

import shutil

import pytest

from tests.test_action_entrypoint import Harness, harness_fixture, push_payload, two_commits

__all__ = ["harness_fixture"]  # the harness fixture, shared with the main Action tests


def errors(stdout: str) -> list[str]:
    return [
        line.removeprefix("::error title=docbot::")
        for line in stdout.splitlines()
        if line.startswith("::error")
    ]


def test_a_workspace_without_a_checkout_says_to_add_the_checkout_step(harness: Harness) -> None:
    first, second = two_commits(harness.repo)
    harness.world.sync("main")
    # The workflow forgot actions/checkout: the workspace holds files (another step's) but no repository.
    workspace = harness.tmp / "workspace"
    shutil.copytree(harness.repo.path, workspace, ignore=shutil.ignore_patterns(".git"))

    run = harness.run("push", push_payload(first, second), env={"GITHUB_WORKSPACE": str(workspace)})

    assert run.code == 1 and "Traceback" not in run.stdout + run.stderr
    assert errors(run.stdout) == [
        f"the workspace {workspace} is not a git repository; "
        "add `- uses: actions/checkout@v4` before docbot's step"
    ]
    assert run.outputs["operation"] == "none" and "### docbot failed" in run.summary
    assert harness.fake.pulls == {} and not (workspace / "docs").exists()


@pytest.mark.parametrize(
    ("inputs", "expected"),
    [
        ({"max_concurrency": "-2"}, "max_concurrency: -2 is out of range; use a value from 1 to 256"),
        ({"chunk_max_lines": "true"}, "chunk_max_lines: expected a whole number, got 'true'"),
        ({"max_cost_usd": "ten dollars"}, "max_cost_usd: expected a number, got 'ten dollars'"),
        ({"dry_run": "maybe"}, "dry_run: expected true or false, got 'maybe'"),
    ],
    ids=["negative", "bool-for-int", "words-for-number", "not-a-bool"],
)
def test_a_bad_input_is_one_annotation_naming_the_input(
    harness: Harness, inputs: dict[str, str], expected: str
) -> None:
    first, second = two_commits(harness.repo)
    harness.world.sync("main")

    run = harness.run("push", push_payload(first, second), inputs, in_process=True)

    assert run.code == 1
    assert errors(run.stdout) == [expected]
    assert harness.fake.pulls == {}


def test_a_misspelt_input_is_a_warning_naming_the_input_it_resembles(harness: Harness) -> None:
    first, second = two_commits(harness.repo)
    harness.world.sync("main")

    run = harness.run("push", push_payload(first, second), {"max_concurency": "2", "mode": "none"})

    assert run.code == 0, run.stdout + run.stderr
    warnings = [line for line in run.stdout.splitlines() if line.startswith("::warning")]
    assert warnings == [
        "::warning title=docbot::input max_concurency is not one of docbot's inputs and is ignored; "
        "did you mean max_concurrency?"
    ]
