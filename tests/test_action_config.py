"""The Action's settings (config.PublishSettings): validated with messages that quote the value."""

from __future__ import annotations

from pathlib import Path

import pytest

from docbot.config import Secret, load_settings
from docbot.errors import ConfigError


def test_defaults() -> None:
    s = load_settings({"provider": "offline"}, {})
    assert (s.publish.mode, s.publish.trigger_phrase, s.publish.allowed_permissions) == (
        "auto",
        "/docbot",
        ("admin", "maintain", "write"),
    )
    assert (s.publish.dry_run, s.publish.fail_on_error, s.publish.github_token) == (False, True, None)
    assert s.publish.github_api_url == "https://api.github.com"


def test_token_and_api_url_come_from_the_runner_environment() -> None:
    s = load_settings({}, {"GITHUB_TOKEN": "ghs_abc", "GITHUB_API_URL": "https://ghe.example/api/v3/"})
    assert s.publish.github_token == Secret("ghs_abc")
    assert "ghs_abc" not in repr(s)
    assert s.publish.github_api_url == "https://ghe.example/api/v3"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"mode": "sideways"}, "mode: 'sideways' is not one of auto, pull_request, comment, commit, none"),
        (
            {"allowed_permissions": "write, owner"},
            "allowed_permissions: 'write, owner' must list one or more of",
        ),
        ({"allowed_permissions": " "}, "allowed_permissions: ' ' must list one or more of"),
        ({"trigger_phrase": "/doc bot"}, "trigger_phrase: '/doc bot' must be one word"),
        ({"dry_run": "maybe"}, "dry_run: expected true or false, got 'maybe'"),
        ({"github_api_url": "api.github.com"}, "github_api_url: 'api.github.com' is not a URL"),
    ],
)
def test_bad_values_are_quoted(overrides: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match="^" + message.replace("(", r"\(").replace(")", r"\)")):
        load_settings(overrides, {})


def test_permission_list_accepts_commas_and_spaces() -> None:
    s = load_settings({"allowed_permissions": "Admin, write triage"}, {})
    assert s.publish.allowed_permissions == ("admin", "write", "triage")


def test_repository_file_may_set_the_mode_but_never_the_token(tmp_path: Path) -> None:
    (tmp_path / ".github").mkdir()
    (tmp_path / ".github" / "docbot.yml").write_text("mode: comment\ntrigger-phrase: /docs\n")
    s = load_settings({"repo": tmp_path}, {})
    assert (s.publish.mode, s.publish.trigger_phrase) == ("comment", "/docs")

    (tmp_path / ".github" / "docbot.yml").write_text("github_token: ghp_leaked\n")
    with pytest.raises(ConfigError, match="unknown setting"):
        load_settings({"repo": tmp_path}, {})
