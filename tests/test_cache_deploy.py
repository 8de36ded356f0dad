"""deploy/cloudformation.yaml: valid by cfn-lint, and the same table, metrics and permissions docbot uses."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from cfnlint.api import ManualArgs, lint_file
from cfnlint.decode import decode

from docbot.cache import CacheEntry
from docbot.cache.dynamodb import HASH_KEY, TTL_ATTRIBUTE, DynamoCache
from docbot.config import Settings
from docbot.metrics import DEFAULT_NAMESPACE, metric_data
from tests.conftest import ROOT
from tests.fakes.dynamodb import REGION, FakeDynamo, dynamo_fixture, moto_server_fixture  # noqa: F401

TEMPLATE = ROOT / "deploy" / "cloudformation.yaml"


def template() -> dict[str, Any]:
    data, problems = decode(str(TEMPLATE))
    assert problems == []
    return dict(data)


def lint(path: Path) -> list[str]:
    config = ManualArgs(regions=["us-east-1", "eu-central-1"], include_checks=["I"])
    return [str(match) for match in lint_file(path, config=config)]


def test_cfn_lint_passes_and_would_catch_a_broken_table(tmp_path: Path) -> None:
    assert lint(TEMPLATE) == []
    broken = tmp_path / "broken.yaml"
    broken.write_text(TEMPLATE.read_text().replace("BillingMode: PAY_PER_REQUEST", "BillingMode: FREE"))
    assert any("FREE" in problem for problem in lint(broken))


def test_table_matches_what_docbot_writes() -> None:
    t = template()
    props = t["Resources"]["CacheTable"]["Properties"]
    assert props["BillingMode"] == "PAY_PER_REQUEST"
    assert props["KeySchema"] == [{"AttributeName": HASH_KEY, "KeyType": "HASH"}]
    assert props["AttributeDefinitions"] == [{"AttributeName": HASH_KEY, "AttributeType": "S"}]
    assert props["TimeToLiveSpecification"] == {"AttributeName": TTL_ATTRIBUTE, "Enabled": True}
    # docbot's default table is the template's default environment.
    assert props["TableName"] == {"Fn::Sub": "doc-cache-${Environment}"}
    assert Settings().cache.cache_table == f"doc-cache-{t['Parameters']['Environment']['Default']}"


def test_role_allows_exactly_what_a_run_sends(dynamo: FakeDynamo) -> None:
    t = template()
    role = t["Resources"]["DocbotRole"]["Properties"]
    (statement,) = role["Policies"][0]["PolicyDocument"]["Statement"]
    assert statement["Resource"] == {"Fn::GetAtt": ["CacheTable", "Arn"]}  # that table only
    trust = role["AssumeRolePolicyDocument"]["Statement"][0]
    assert trust["Action"] == "sts:AssumeRoleWithWebIdentity"
    assert trust["Condition"]["StringEquals"] == {
        "token.actions.githubusercontent.com:aud": "sts.amazonaws.com"
    }

    # What a run really sends, as seen on the wire: open, read, write.
    dynamo.create_table("doc-cache-prod")
    cache = DynamoCache("doc-cache-prod", region=REGION, endpoint_url=dynamo.endpoint)
    cache.get_many(["k"])
    cache.put_many({"k": CacheEntry("v", "m", 0.0)})
    cache.close()
    sent = {f"dynamodb:{s.operation}" for s in dynamo.proxy.sent}
    assert sorted(statement["Action"]) == sorted(sent)


def test_metrics_policy_dashboard_and_alarm_match_what_a_run_publishes() -> None:
    t = template()
    policies = {
        p["PolicyName"]: p["PolicyDocument"]["Statement"]
        for p in t["Resources"]["DocbotRole"]["Properties"]["Policies"]
    }
    (statement,) = policies["docbot-metrics"]
    assert statement["Action"] == "cloudwatch:PutMetricData"
    assert statement["Condition"] == {"StringEquals": {"cloudwatch:namespace": {"Ref": "MetricsNamespace"}}}
    assert Settings().metrics is None  # off unless asked for
    assert t["Parameters"]["MetricsNamespace"]["Default"] == DEFAULT_NAMESPACE

    body = t["Resources"]["Dashboard"]["Properties"]["DashboardBody"]["Fn::Sub"]
    dashboard = json.loads(
        body.replace("${AWS::Region}", "us-east-1").replace("${MetricsNamespace}", "docbot")
    )
    sent = {
        d["MetricName"]
        for d in metric_data({}, repository="r", trigger="t", timestamp=dt.datetime.now(dt.UTC))
    }
    shown = {
        row[1]
        for widget in dashboard["widgets"]
        for row in widget["properties"]["metrics"]
        if isinstance(row[0], str) and row[0] in {"docbot", "."}
    }
    assert shown == {"CostUSD", "SavedUSD", "CacheHits", "CacheMisses", "RateLimited", "Requests", "Duration"}
    assert shown <= sent
    alarm = t["Resources"]["DailyCostAlarm"]
    assert alarm["Condition"] == "CreateCostAlarm"
    assert (alarm["Properties"]["MetricName"], alarm["Properties"]["Period"]) == ("CostUSD", 86400)
