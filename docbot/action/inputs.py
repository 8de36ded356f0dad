"""What the runner hands a Docker action: its variables (``Runner``) and the ``INPUT_*`` inputs.

Inputs arrive as ``INPUT_<NAME>`` variables (snake_case names: hyphenated ones do not reach Docker
actions) and are validated by ``config.load_settings``, since the runner does not enforce
``required``. An empty input falls back to the environment, ``.github/docbot.yml`` and the defaults.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from docbot.action.runner import ActionLog
from docbot.config import ACTION_INPUTS, SECRET_SETTINGS, Settings, load_settings, parse_bool
from docbot.errors import ConfigError

SECRET_INPUTS = tuple(name for name, key in ACTION_INPUTS.items() if key in SECRET_SETTINGS)
# The Action's default SQLite cache: inside the checkout's .git folder, so it sits in the workspace (the one
# folder mounted into the container at the path later steps and actions/cache see, relative to the
# workspace) yet is never committed, documented or shown by git status.
ACTION_CACHE_PATH = Path(".git") / "docbot" / "cache.sqlite3"
SECRET_ENV = ("ANTHROPIC_API_KEY", "GITHUB_TOKEN", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN")


def read_input(env: Mapping[str, str], name: str) -> str:
    return env.get(f"INPUT_{name.upper()}", "").strip()


@dataclass(frozen=True)
class Runner:
    """The variables the Actions runner sets for every step."""

    event_name: str
    event_path: str
    workspace: Path
    repository: str
    sha: str
    server_url: str
    run_id: str
    output: str | None
    summary: str | None
    temp: Path

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Runner:
        workspace = Path(env.get("GITHUB_WORKSPACE") or ".")
        return cls(
            event_name=env.get("GITHUB_EVENT_NAME", ""),
            event_path=env.get("GITHUB_EVENT_PATH", ""),
            workspace=workspace,
            repository=env.get("GITHUB_REPOSITORY", ""),
            sha=env.get("GITHUB_SHA", ""),
            server_url=env.get("GITHUB_SERVER_URL", "https://github.com").rstrip("/"),
            run_id=env.get("GITHUB_RUN_ID", ""),
            output=env.get("GITHUB_OUTPUT") or None,
            summary=env.get("GITHUB_STEP_SUMMARY") or None,
            temp=Path(env.get("RUNNER_TEMP") or workspace),
        )

    @property
    def run_url(self) -> str | None:
        if not (self.repository and self.run_id):
            return None
        return f"{self.server_url}/{self.repository}/actions/runs/{self.run_id}"

    def payload(self) -> dict[str, Any]:
        if not self.event_path:
            raise ConfigError(
                "GITHUB_EVENT_PATH is not set: docbot's Action runs inside GitHub Actions; "
                "use the `docbot run` command for local runs"
            )
        try:
            data = json.loads(Path(self.event_path).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ConfigError(f"cannot read the event payload {self.event_path!r}: {exc}") from exc
        if not isinstance(data, dict):
            raise ConfigError(f"the event payload {self.event_path!r} is not a JSON object")
        return data


def mask_secrets(log: ActionLog, env: Mapping[str, str]) -> None:
    """Ask the runner to hide every secret docbot may see, before anything else is logged."""
    for name in SECRET_INPUTS:
        if read_input(env, name):
            log.mask(read_input(env, name))
    for var in SECRET_ENV:
        if env.get(var):
            log.mask(env[var])


def input_typos(env: Mapping[str, str]) -> list[str]:
    """Warnings for ``with:`` keys that are not docbot's inputs: the runner passes them on as
    ``INPUT_*`` and docbot would otherwise run with the default in silence."""
    known = list(ACTION_INPUTS)
    warnings = []
    for var in sorted(v for v in env if v.startswith("INPUT_")):
        name = var.removeprefix("INPUT_").lower()
        if name in known:
            continue
        close = difflib.get_close_matches(name, known, n=1, cutoff=0.8)
        hint = f"did you mean {close[0]}?" if close else "docs/action.md lists the inputs"
        warnings.append(f"input {name} is not one of docbot's inputs and is ignored; {hint}")
    return warnings


def fail_on_error(env: Mapping[str, str]) -> bool:
    """The ``fail_on_error`` input read on its own, for a failure before the settings could be loaded."""
    try:
        return parse_bool(read_input(env, "fail_on_error") or "true", "fail_on_error")
    except ConfigError:
        return True


def load(runner: Runner, env: Mapping[str, str]) -> Settings:
    """The run's settings: inputs over the environment over ``.github/docbot.yml`` over the defaults."""
    overrides: dict[str, object] = {key: read_input(env, name) or None for name, key in ACTION_INPUTS.items()}
    overrides["repo"] = runner.workspace
    cache_path = overrides["cache_path"]
    if cache_path is None and not env.get("DOCBOT_CACHE_PATH"):
        overrides["cache_path"] = runner.workspace / ACTION_CACHE_PATH
    elif isinstance(cache_path, str) and not Path(cache_path).is_absolute():
        # Relative to the workspace, as actions/cache reads a relative `path` on the host.
        overrides["cache_path"] = runner.workspace / cache_path
    return load_settings(overrides, env)


def notice_offline(log: ActionLog, settings: Settings) -> None:
    """Say so when a run falls back to the offline provider for want of a key, naming the input to set."""
    if settings.llm.provider == "auto" and settings.llm.anthropic_api_key is None:
        log.notice(
            "no anthropic_api_key: using the offline provider (docs from the code's structure only); "
            "pass `anthropic_api_key: ${{ secrets.ANTHROPIC_API_KEY }}` for Claude"
        )
