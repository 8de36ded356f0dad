"""Run metrics to CloudWatch: one ``PutMetricData`` call at the end of a run (or of a shard).

Why ``PutMetricData`` and not the embedded metric format on stdout: EMF is only turned into metrics by
the CloudWatch agent or by services whose logs CloudWatch ingests (Lambda, ECS with awslogs). A GitHub
Actions log is neither, so EMF printed there would never become a metric; an API call works from any
runner that has AWS credentials (the same OIDC role as the DynamoDB cache).

The values come from the RunReport's JSON, the same contract ``--report`` writes, so a metric always
agrees with the report. Publishing metrics never fails a run: an error is returned as a reason for the
caller to print as a warning.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

DEFAULT_NAMESPACE = "docbot"

# (metric name, unit, how to read it from the report JSON)
_METRICS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("CostUSD", "None", ("cost_usd",)),
    ("SavedUSD", "None", ("saved_usd",)),
    ("InputTokens", "Count", ("api", "input_tokens")),
    ("OutputTokens", "Count", ("api", "output_tokens")),
    ("CacheReadTokens", "Count", ("api", "cache_read_tokens")),
    ("CacheWriteTokens", "Count", ("api", "cache_write_tokens")),
    ("Requests", "Count", ("api", "requests")),
    ("RateLimited", "Count", ("api", "rate_limited")),
    ("Retries", "Count", ("api", "retries")),
    ("CacheHits", "Count", ("cache", "hits")),
    ("CacheMisses", "Count", ("cache", "misses")),
    ("Duration", "Seconds", ("duration_s",)),
)


@dataclass(frozen=True)
class MetricsTarget:
    """Where metrics go: ``cloudwatch`` with a namespace (``metrics: cloudwatch[:NAMESPACE]``)."""

    namespace: str = DEFAULT_NAMESPACE


def parse_target(spec: str) -> MetricsTarget | None:
    """``none`` -> ``None``; ``cloudwatch`` or ``cloudwatch:NAMESPACE`` -> a target.

    Raises:
        ValueError: any other value (the settings loader turns it into a ``ConfigError``).
    """
    text = spec.strip()
    if text.lower() in {"", "none"}:
        return None
    kind, _, namespace = text.partition(":")
    if kind.lower() != "cloudwatch":
        raise ValueError(f"{spec!r} is not none or cloudwatch[:NAMESPACE]")
    namespace = namespace.strip() or DEFAULT_NAMESPACE
    # CloudWatch's own rule: 1-255 characters, not starting with "AWS/" (reserved for AWS services).
    if len(namespace) > 255 or namespace.startswith("AWS/") or not namespace.isprintable():
        raise ValueError(f"{namespace!r} is not a CloudWatch namespace of your own")
    return MetricsTarget(namespace)


def _read(data: Mapping[str, Any], path: tuple[str, ...]) -> float:
    value: Any = data
    for key in path:
        value = value.get(key, 0) if isinstance(value, Mapping) else 0
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0.0


def metric_data(
    report: Mapping[str, Any], *, repository: str, trigger: str, timestamp: dt.datetime
) -> list[dict[str, Any]]:
    """The ``MetricData`` of one run: every figure dimensioned by repository and trigger.

    Args:
        report: the RunReport's JSON (``RunReport.to_json()``).
        repository: ``owner/name`` (or the folder name of a local run).
        trigger: what started the run: the event name, or ``cli``.
        timestamp: when the run ended.
    """
    dimensions = [
        {"Name": "Repository", "Value": repository[:255] or "unknown"},
        {"Name": "Trigger", "Value": trigger[:255] or "unknown"},
    ]
    files = report.get("files", {}) if isinstance(report.get("files"), Mapping) else {}
    counts = {
        "FilesDocumented": float(len(files.get("documented", ()))),
        "FilesFailed": float(len(files.get("failed", ()))),
    }
    rows = [(name, unit, _read(report, path)) for name, unit, path in _METRICS]
    rows += [(name, "Count", value) for name, value in counts.items()]
    # Each figure twice: per repository and trigger, and rolled up without dimensions. CloudWatch never
    # aggregates across dimensions by itself, and alarms cannot use SEARCH, so the account-wide
    # dashboard and the daily cost alarm read the rolled-up series.
    return [
        {"MetricName": name, "Dimensions": dims, "Timestamp": timestamp, "Value": value, "Unit": unit}
        for dims in (dimensions, [])
        for name, unit, value in rows
    ]


def put_metrics(
    target: MetricsTarget,
    data: list[dict[str, Any]],
    *,
    region: str | None = None,
    endpoint_url: str | None = None,
) -> str | None:
    """Send ``data`` in one ``PutMetricData`` call; returns why it failed, or ``None``.

    boto3 finds credentials, region and endpoint the standard way (``AWS_ENDPOINT_URL_CLOUDWATCH``
    too); ``region``/``endpoint_url`` override them.
    """
    import boto3  # only runs that publish metrics pay for importing boto3
    from botocore.config import Config
    from botocore.exceptions import BotoCoreError, ClientError

    # A few quick attempts: metrics are worth a retry, never a long stall at the end of a run.
    config = Config(retries={"mode": "standard", "max_attempts": 3}, connect_timeout=5, read_timeout=10)
    try:
        client = boto3.client("cloudwatch", region_name=region, endpoint_url=endpoint_url, config=config)
        client.put_metric_data(Namespace=target.namespace, MetricData=data)
    except ClientError as exc:
        error = exc.response.get("Error", {})
        return f"CloudWatch PutMetricData failed ({error.get('Code', '?')}: {error.get('Message', '')})"
    except BotoCoreError as exc:
        return f"CloudWatch PutMetricData failed ({exc})"
    return None


def send(
    target: MetricsTarget,
    report: Mapping[str, Any],
    *,
    repository: str,
    trigger: str,
    region: str | None = None,
    endpoint_url: str | None = None,
) -> str | None:
    """The run's metrics, built from its report JSON and sent; why it failed, or ``None``."""
    data = metric_data(report, repository=repository, trigger=trigger, timestamp=dt.datetime.now(dt.UTC))
    return put_metrics(target, data, region=region, endpoint_url=endpoint_url)
