from __future__ import annotations

from pathlib import Path

import pytest

from docbot.config import ACTION_INPUTS, ENV_VARS, OPTIONS, Secret, load_settings, settings_markdown
from docbot.errors import ConfigError


def test_defaults_pick_offline_without_a_key(tmp_path: Path) -> None:
    settings = load_settings({"repo": tmp_path}, env={})
    assert settings.llm.provider_name == "offline"
    assert settings.out_dir == "docs/api"
    assert settings.cache.backend == "sqlite"
    assert settings.cache.cache_ttl_hours == 24.0


def test_key_in_environment_selects_claude_and_never_prints(tmp_path: Path) -> None:
    settings = load_settings({"repo": tmp_path}, env={"ANTHROPIC_API_KEY": "sk-ant-secret-value"})
    assert settings.llm.provider_name == "anthropic"
    assert isinstance(settings.llm.anthropic_api_key, Secret)
    assert settings.llm.anthropic_api_key.reveal() == "sk-ant-secret-value"
    assert "sk-ant-secret-value" not in repr(settings)
    assert "sk-ant-secret-value" not in str(settings.llm.anthropic_api_key)


def test_precedence_file_then_env_then_flags(tmp_path: Path) -> None:
    (tmp_path / ".github").mkdir()
    (tmp_path / ".github" / "docbot.yml").write_text(
        "out_dir: site/api\nmax_concurrency: 3\nmodel: from-file\n"
    )
    settings = load_settings({"repo": tmp_path, "model": "from-flag"}, env={"DOCBOT_MAX_CONCURRENCY": "5"})
    assert settings.out_dir == "site/api"  # file
    assert settings.llm.max_concurrency == 5  # env beats file
    assert settings.llm.model == "from-flag"  # flag beats all


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"max_concurrency": "lots"}, "max_concurrency: expected a whole number, got 'lots'"),
        ({"max_concurrency": "0"}, "max_concurrency: 0 is out of range"),
        ({"cache": "redis"}, "cache: 'redis' is not one of sqlite, dynamodb, none"),
        ({"out_dir": "../elsewhere"}, "out_dir: '../elsewhere' must be a folder inside the repository"),
        ({"fail_on_error": "maybe"}, "fail_on_error: expected true or false, got 'maybe'"),
        ({"provider": "anthropic"}, "provider 'anthropic' needs ANTHROPIC_API_KEY"),
    ],
)
def test_bad_values_quote_the_value(tmp_path: Path, overrides: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError) as err:
        load_settings({"repo": tmp_path, **overrides}, env={})
    assert message in str(err.value)


def test_unknown_key_in_repo_file_is_named(tmp_path: Path) -> None:
    (tmp_path / ".github").mkdir()
    (tmp_path / ".github" / "docbot.yml").write_text("out_dirr: x\n")
    with pytest.raises(ConfigError, match="unknown setting\\(s\\) out_dirr"):
        load_settings({"repo": tmp_path}, env={})


def test_invalid_yaml_is_a_config_error(tmp_path: Path) -> None:
    (tmp_path / ".github").mkdir()
    (tmp_path / ".github" / "docbot.yml").write_text("out_dir: [unclosed\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_settings({"repo": tmp_path}, env={})


@pytest.mark.parametrize(
    "line",
    [
        "anthropic_base_url: https://attacker.example",
        "cache_endpoint_url: http://attacker.example",
        "anthropic_api_key: x",
    ],
)
def test_repo_file_cannot_redirect_credentials(tmp_path: Path, line: str) -> None:
    # The file comes from the checked-out commit, which a pull request's author controls.
    (tmp_path / ".github").mkdir()
    (tmp_path / ".github" / "docbot.yml").write_text(line + "\n")
    with pytest.raises(ConfigError, match="unknown setting"):
        load_settings({"repo": tmp_path}, env={})


def test_configuration_doc_carries_the_table_derived_from_the_settings() -> None:
    # One source of truth: the docs' table is printed from the declarations (python -m docbot.config).
    doc = (Path(__file__).resolve().parents[1] / "docs" / "configuration.md").read_text(encoding="utf-8")
    assert settings_markdown() in doc


def test_every_setting_is_declared_once_with_its_sources() -> None:
    assert len(OPTIONS) == len({o.key for o in OPTIONS.values()})
    assert ENV_VARS["AWS_ENDPOINT_URL_DYNAMODB"] == "cache_endpoint_url"
    assert ACTION_INPUTS["docs_dir"] == "out_dir"
    # what says where credentials go is never read from the repository's file
    assert not any(
        OPTIONS[k].meta.from_file for k in ("anthropic_base_url", "cache_endpoint_url", "github_token")
    )
