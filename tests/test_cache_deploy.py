"""deploy/cloudformation.yaml: valid by cfn-lint, and the same table and permissions docbot uses."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cfnlint.api import ManualArgs, lint_file
from cfnlint.decode import decode

from docbot.cache import CacheEntry
from docbot.cache.dynamodb import HASH_KEY, TTL_ATTRIBUTE, DynamoCache
from docbot.config import Settings
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
