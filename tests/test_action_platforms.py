"""The Action on Amazon Bedrock and Google Vertex AI, run as the runner runs it (entrypoint.py in a
subprocess with the runner's environment): the inputs reach the platform clients, credentials come
from the job's environment as the OIDC actions leave them, and the outputs are the usual ones."""

from __future__ import annotations

from pathlib import Path

from tests.fakes.cloud_servers import running_bedrock, running_vertex
from tests.test_action_entrypoint import Harness, harness_fixture, push_payload, two_commits

__all__ = ["harness_fixture"]  # the fixture, imported for pytest


def clean_aws(tmp: Path) -> dict[str, str]:
    """Only what configure-aws-credentials exports; none of the machine's own AWS configuration."""
    return {
        "AWS_CONFIG_FILE": str(tmp / "no-aws-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp / "no-aws-credentials"),
        "AWS_EC2_METADATA_DISABLED": "true",
    }


def test_the_action_documents_with_bedrock_and_oidc_credentials(harness: Harness, tmp_path: Path) -> None:
    first, second = two_commits(harness.repo)
    with running_bedrock(region="eu-central-1") as server:
        creds = server.credentials
        env = {
            **clean_aws(tmp_path),
            "AWS_ACCESS_KEY_ID": creds.access_key,
            "AWS_SECRET_ACCESS_KEY": creds.secret_key,
            "AWS_SESSION_TOKEN": creds.token or "",
            "AWS_REGION": "us-east-1",  # the cache's region; bedrock_region names Bedrock's
            "ANTHROPIC_BEDROCK_BASE_URL": server.url,
        }
        inputs = {
            "provider": "bedrock",
            "model": "eu.anthropic.claude-sonnet-5-5-v1:0",
            "bedrock_region": "eu-central-1",
            "dry_run": "true",
        }
        run = harness.run("push", push_payload(first, second), inputs, env=env)
        totals = server.totals()

    assert run.code == 0, run.stdout + run.stderr
    assert server.refused == []
    assert totals["ok"] == totals["requests"] == 4  # per file: one chunk request and one overview request
    assert run.outputs["files_documented"] == "2"
    assert float(run.outputs["cost_usd"]) > 0
    assert run.report is not None
    assert (run.report["provider"], run.report["model"]) == ("bedrock", "eu.anthropic.claude-sonnet-5-5-v1:0")
    # The session credentials are masked before anything else is logged, and never printed otherwise.
    assert f"::add-mask::{creds.secret_key}" in run.stdout
    assert creds.secret_key not in run.stdout.replace(f"::add-mask::{creds.secret_key}", "")


def test_the_action_finds_google_credentials_exported_by_their_runner_path(
    harness: Harness, tmp_path: Path
) -> None:
    first, second = two_commits(harness.repo)
    with running_vertex() as server:
        # google-github-actions/auth wrote the file at the workspace root and exported the runner's path,
        # which does not exist inside the container.
        written = server.credentials_file(tmp_path)
        in_workspace = harness.repo.path / "gha-creds-5f3e.json"
        in_workspace.write_text(written.read_text(encoding="utf-8"), encoding="utf-8")
        env = {
            "GOOGLE_APPLICATION_CREDENTIALS": "/home/runner/work/repo/repo/gha-creds-5f3e.json",
            "ANTHROPIC_VERTEX_BASE_URL": f"{server.url}/v1",
        }
        inputs = {
            "provider": "vertex",
            "model": "claude-sonnet-5-5",
            "vertex_project": server.project,
            "vertex_region": server.region,
            "dry_run": "true",
        }
        run = harness.run("push", push_payload(first, second), inputs, env=env)
        totals = server.totals()

    assert run.code == 0, run.stdout + run.stderr
    assert server.tokens_issued == 1
    assert totals["ok"] == totals["requests"] == 4  # per file: a chunk request and an overview request
    assert run.outputs["files_documented"] == "2"
    assert run.report is not None and run.report["provider"] == "vertex"
