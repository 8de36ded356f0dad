"""Cache settings: the ``dynamodb:TABLE`` shorthand, the standard AWS variables, clear errors."""

from __future__ import annotations

import pytest

from docbot.config import load_settings
from docbot.errors import ConfigError


def test_defaults() -> None:
    s = load_settings({}, {})
    assert (s.cache.backend, s.cache.cache_table, s.cache.cache_region, s.cache.cache_endpoint_url) == (
        "sqlite",
        "doc-cache-prod",
        None,
        None,
    )
    assert s.cache.cache_ttl_hours == 24.0


def test_dynamodb_table_shorthand() -> None:
    s = load_settings({"cache": "dynamodb:doc-cache-dev"}, {})
    assert (s.cache.backend, s.cache.cache_table) == ("dynamodb", "doc-cache-dev")
    s = load_settings({"cache": "DynamoDB"}, {"DOCBOT_CACHE_TABLE": "from-env"})
    assert (s.cache.backend, s.cache.cache_table) == ("dynamodb", "from-env")


def test_standard_aws_variables_specific_beats_global() -> None:
    env = {
        "AWS_DEFAULT_REGION": "eu-west-1",
        "AWS_REGION": "eu-central-1",
        "AWS_ENDPOINT_URL": "http://127.0.0.1:1111",
        "AWS_ENDPOINT_URL_DYNAMODB": "http://127.0.0.1:2222",
    }
    s = load_settings({}, env)
    assert (s.cache.cache_region, s.cache.cache_endpoint_url) == ("eu-central-1", "http://127.0.0.1:2222")
    s = load_settings({}, {"AWS_DEFAULT_REGION": "eu-west-1", "AWS_ENDPOINT_URL": "http://127.0.0.1:1111"})
    assert (s.cache.cache_region, s.cache.cache_endpoint_url) == ("eu-west-1", "http://127.0.0.1:1111")
    # An explicit input beats the environment.
    s = load_settings({"cache_region": "us-west-2"}, env)
    assert s.cache.cache_region == "us-west-2"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"cache": "dynamodb:no"}, "'no' is not a DynamoDB table name"),
        ({"cache_table": "bad name!"}, "'bad name!' is not a DynamoDB table name"),
        ({"cache_endpoint_url": "localhost:8000"}, "'localhost:8000' is not a URL"),
        ({"cache": "redis"}, "'redis' is not one of sqlite, dynamodb, none"),
    ],
)
def test_bad_values_are_quoted(overrides: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_settings(overrides, {})
