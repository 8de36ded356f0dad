"""The Action's packaging: action.yml agrees with the code, the Dockerfile installs exactly the lock file and
passes hadolint, entrypoint.py only calls docbot.action.main, and the repository's own workflow uses the
Action for all four triggers with least-privilege permissions; CI tests the clone with nothing beside it."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from docbot.action.outputs import OUTPUT_NAMES
from docbot.config import ACTION_INPUTS, OPTIONS
from tests.conftest import ROOT

HADOLINT = Path(sys.executable).parent / "hadolint"


def load_yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def test_action_inputs_are_snake_case_and_match_the_code() -> None:
    meta = load_yaml(ROOT / "action.yml")
    inputs = meta["inputs"]

    assert set(inputs) == set(ACTION_INPUTS)
    for name, spec in inputs.items():
        assert re.fullmatch(r"[a-z][a-z0-9_]*", name), f"{name}: hyphens do not reach Docker actions"
        assert spec["required"] is False, (
            f"{name}: required is not enforced by the runner; validate in Python"
        )
        assert spec["description"]
    # Only the token has a default: every other empty input falls back to the config file and defaults.
    assert {n: s["default"] for n, s in inputs.items() if s["default"] != ""} == {
        "github_token": "${{ github.token }}"
    }
    assert meta["runs"] == {"using": "docker", "image": "Dockerfile"}


def test_every_input_fills_a_real_setting() -> None:
    assert set(ACTION_INPUTS.values()) <= set(OPTIONS)


def test_action_outputs_match_what_the_code_writes() -> None:
    meta = load_yaml(ROOT / "action.yml")
    assert list(meta["outputs"]) == list(OUTPUT_NAMES)


def test_dockerfile_installs_the_hash_pinned_lock_and_passes_hadolint() -> None:
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert "COPY requirements.lock /docbot/requirements.lock" in text
    assert "pip install --no-cache-dir --require-hashes --no-deps -r /docbot/requirements.lock" in text
    assert "pip install --no-cache-dir --no-deps --no-build-isolation /docbot" in text
    assert 'ENTRYPOINT ["python", "/docbot/entrypoint.py"]' in text
    # The runner starts Docker actions as root; the entrypoint, not a USER line, gives root up.
    assert not re.search(r"^\s*(USER|WORKDIR)\b", text, re.MULTILINE)

    proc = subprocess.run(
        [str(HADOLINT), "--no-color", "-"], input=text, capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_hadolint_does_fail_on_a_bad_dockerfile() -> None:
    bad = "FROM python\nRUN apt-get update && apt-get install -y git\n"
    proc = subprocess.run(
        [str(HADOLINT), "--no-color", "-"], input=bad, capture_output=True, text=True, timeout=60
    )
    assert proc.returncode != 0
    assert "DL3006" in proc.stdout  # untagged base image


def test_entrypoint_only_switches_user_and_calls_docbot_action_main() -> None:
    tree = ast.parse((ROOT / "entrypoint.py").read_text(encoding="utf-8"))
    imports = [
        (node.module, [a.name for a in node.names])
        if isinstance(node, ast.ImportFrom)
        else [a.name for a in node.names]
        for node in tree.body
        if isinstance(node, ast.Import | ast.ImportFrom)
    ]
    assert imports == [
        ["os"],
        ["sys"],
        ("docbot.action", ["main", "point_credentials_into_the_container", "run_as_workspace_owner"]),
    ]
    calls = {n.func.id for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)}
    assert calls == {"run_as_workspace_owner", "point_credentials_into_the_container", "main"}


@pytest.fixture
def workflow() -> dict[Any, Any]:
    data: dict[Any, Any] = load_yaml(ROOT / ".github" / "workflows" / "docbot.yml")
    return data


def test_workflow_runs_the_action_on_all_four_triggers(workflow: dict[Any, Any]) -> None:
    # YAML 1.1 reads the key `on` as True.
    assert set(workflow[True]) == {"push", "pull_request", "issue_comment", "workflow_dispatch"}
    assert workflow["concurrency"]["group"].startswith("docbot-")
    steps = [s for job in workflow["jobs"].values() for s in job["steps"]]
    assert sum(1 for s in steps if s.get("uses") == "./") == 3
    checkouts = [s for s in steps if str(s.get("uses", "")).startswith("actions/checkout@")]
    assert all(s["with"]["fetch-depth"] == 0 for s in checkouts)


def test_workflow_permissions_are_least_privilege(workflow: dict[Any, Any]) -> None:
    assert workflow["permissions"] == {}
    jobs = workflow["jobs"]
    assert jobs["docs-pull-request"]["permissions"] == {"contents": "write", "pull-requests": "write"}
    assert jobs["pull-request-comment"]["permissions"] == {"contents": "read", "pull-requests": "write"}
    assert jobs["comment-command"]["permissions"] == {
        "contents": "read",
        "pull-requests": "write",
        "issues": "write",
    }
    # A comment run has secrets: it must never check out (and so run) the pull request's code.
    for step in jobs["comment-command"]["steps"]:
        assert "ref" not in step.get("with", {})
    # Secrets go through inputs, never through the command line.
    for job in jobs.values():
        for step in job["steps"]:
            assert "secrets." not in step.get("run", "")


def test_ci_runs_the_readme_command_on_the_clone_alone() -> None:
    steps = load_yaml(ROOT / ".github" / "workflows" / "ci.yml")["jobs"]["test"]["steps"]
    checkouts = [s for s in steps if str(s.get("uses", "")).startswith("actions/checkout@")]
    # One checkout of this repository into the workspace root: no second repository beside it, no
    # subfolder, so GitHub runs exactly what a fresh clone runs here.
    assert [set(s.get("with", {})) - {"fetch-depth"} for s in checkouts] == [set()]
    assert [s["run"] for s in steps if "run" in s] == ["bash .ci/run"]
    assert not [s for s in steps if "working-directory" in s]
