"""Run metrics land in CloudWatch (moto in server mode) with the report's values; failures never fail runs."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import boto3
import pytest

from docbot.cli import main
from docbot.config import load_settings
from docbot.errors import ConfigError
from docbot.metrics import MetricsTarget, metric_data, parse_target, put_metrics
from tests.conftest import GitRepo
from tests.fakes.dynamodb import REGION, fresh_moto, moto_server_fixture  # noqa: F401

NAMESPACE = "docbot-test"


@pytest.fixture
def cloudwatch(moto_server: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Any:
    fresh_moto(moto_server, monkeypatch, tmp_path)
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_ENDPOINT_URL_CLOUDWATCH", moto_server)
    return boto3.client("cloudwatch", region_name=REGION, endpoint_url=moto_server)


def values(client: Any, name: str, repository: str, trigger: str) -> list[float]:
    end = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=5)
    answer = client.get_metric_data(
        MetricDataQueries=[
            {
                "Id": "m",
                "MetricStat": {
                    "Metric": {
                        "Namespace": NAMESPACE,
                        "MetricName": name,
                        "Dimensions": [
                            {"Name": "Repository", "Value": repository},
                            {"Name": "Trigger", "Value": trigger},
                        ],
                    },
                    "Period": 60,
                    "Stat": "Sum",
                },
            }
        ],
        StartTime=end - dt.timedelta(hours=1),
        EndTime=end,
    )
    return [float(v) for v in answer["MetricDataResults"][0]["Values"]]


def test_a_cli_run_puts_its_report_figures_into_cloudwatch(
    cloudwatch: Any, git_repo: GitRepo, tmp_path: Path
) -> None:
    git_repo.write("src/a.py", "def a():\n    return 1\n\n\ndef b():\n    return 2\n")
    git_repo.write("logo.png", "\x89PNG\r\n\x1a\n\0\0")
    git_repo.commit("two files")
    report_path = tmp_path / "report.json"

    code = main(
        ["run", "--repo", str(git_repo.path), "--all", "--provider", "offline", "--cache", "none",
         "--metrics", f"cloudwatch:{NAMESPACE}", "--report", str(report_path)]
    )  # fmt: skip

    assert code == 0
    report = json.loads(report_path.read_text())
    repository = git_repo.path.name
    assert values(cloudwatch, "FilesDocumented", repository, "cli") == [1.0]
    assert values(cloudwatch, "FilesFailed", repository, "cli") == [0.0]
    assert values(cloudwatch, "Requests", repository, "cli") == [float(report["api"]["requests"])]
    assert values(cloudwatch, "CacheMisses", repository, "cli") == [float(report["cache"]["misses"])]
    assert values(cloudwatch, "Duration", repository, "cli") == [
        pytest.approx(report["duration_s"], abs=1e-3)
    ]


def test_every_figure_is_sent_with_its_unit_and_dimensions() -> None:
    report = {
        "files": {"documented": ["a", "b"], "failed": [{"path": "c", "reason": "x"}]},
        "api": {"requests": 7, "retries": 2, "rate_limited": 1, "input_tokens": 900, "output_tokens": 90,
                "cache_read_tokens": 500, "cache_write_tokens": 100},
        "cache": {"hits": 3, "misses": 4},
        "cost_usd": 0.25, "saved_usd": 0.5, "duration_s": 12.5,
    }  # fmt: skip
    now = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)

    data = metric_data(report, repository="octo/project", trigger="push", timestamp=now)

    per_repo = [d for d in data if d["Dimensions"]]
    rolled_up = [d for d in data if not d["Dimensions"]]
    assert [(d["MetricName"], d["Value"]) for d in rolled_up] == [
        (d["MetricName"], d["Value"]) for d in per_repo
    ]
    got = {d["MetricName"]: (d["Value"], d["Unit"]) for d in per_repo}
    assert got == {
        "CostUSD": (0.25, "None"), "SavedUSD": (0.5, "None"), "InputTokens": (900, "Count"),
        "OutputTokens": (90, "Count"), "CacheReadTokens": (500, "Count"), "CacheWriteTokens": (100, "Count"),
        "Requests": (7, "Count"), "RateLimited": (1, "Count"), "Retries": (2, "Count"),
        "CacheHits": (3, "Count"), "CacheMisses": (4, "Count"), "Duration": (12.5, "Seconds"),
        "FilesDocumented": (2, "Count"), "FilesFailed": (1, "Count"),
    }  # fmt: skip
    assert all(
        d["Dimensions"]
        == [{"Name": "Repository", "Value": "octo/project"}, {"Name": "Trigger", "Value": "push"}]
        for d in per_repo
    )


def test_an_unreachable_endpoint_is_a_reason_not_an_exception(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    data = metric_data({}, repository="r", trigger="cli", timestamp=dt.datetime.now(dt.UTC))

    why = put_metrics(MetricsTarget(NAMESPACE), data, region=REGION, endpoint_url="http://127.0.0.1:9")

    assert why is not None
    assert why.startswith("CloudWatch PutMetricData failed (")


def test_a_failing_metrics_call_warns_and_the_run_still_succeeds(
    git_repo: GitRepo, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    git_repo.write("src/a.py", "def a():\n    return 1\n")
    git_repo.commit("one file")
    monkeypatch.setenv("AWS_ENDPOINT_URL_CLOUDWATCH", "http://127.0.0.1:9")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")

    code = main(["run", "--repo", str(git_repo.path), "--all", "--provider", "offline", "--cache", "none",
                 "--metrics", "cloudwatch"])  # fmt: skip

    assert code == 0
    assert "docbot: warning: CloudWatch PutMetricData failed (" in capsys.readouterr().err
    assert (git_repo.path / "docs" / "api" / "src" / "a.py.md").is_file()


@pytest.mark.parametrize(
    ("spec", "namespace"), [("none", None), ("cloudwatch", "docbot"), ("cloudwatch:Team/Docs", "Team/Docs")]
)
def test_the_metrics_setting(spec: str, namespace: str | None) -> None:
    target = parse_target(spec)
    assert (target.namespace if target else None) == namespace
    settings = load_settings({"metrics": spec}, {})
    assert settings.metrics == target


@pytest.mark.parametrize("spec", ["statsd", "cloudwatch:AWS/Lambda"])
def test_a_bad_metrics_setting_is_a_clear_error(spec: str) -> None:
    with pytest.raises(ConfigError, match="metrics: "):
        load_settings({"metrics": spec}, {})
