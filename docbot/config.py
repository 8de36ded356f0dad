"""One frozen ``Settings`` object, built by one loader.

Precedence, lowest first: built-in defaults, the repository's ``.github/docbot.yml``, environment
variables (``DOCBOT_*`` plus the standard ``ANTHROPIC_API_KEY`` / ``ANTHROPIC_BASE_URL``), then explicit
overrides (CLI flags or Action inputs). No other module reads ``os.environ``: callers pass ``env`` in.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import yaml

from docbot.errors import ConfigError

REPO_CONFIG_FILE = ".github/docbot.yml"
ZERO_SHA = "0" * 40


class Secret:
    """A string that never prints itself: ``repr`` and ``str`` show ``***``."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('***')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


def _default_cache_path() -> Path:
    # XDG cache dir: survives between local runs, never inside the repository being documented.
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "docbot" / "cache.sqlite3"


@dataclass(frozen=True)
class Settings:
    """Everything a run needs to know, validated once."""

    repo: Path = Path(".")
    base: str | None = None
    head: str = "HEAD"
    all_files: bool = False
    out_dir: str = "docs/api"
    report_path: Path | None = None
    provider: str = "auto"  # auto | offline | anthropic
    model: str = "claude-sonnet-5-5"
    anthropic_api_key: Secret | None = None
    anthropic_base_url: str | None = None
    cache: str = "sqlite"  # sqlite | dynamodb | none (see docs/cache.md)
    cache_path: Path = field(default_factory=_default_cache_path)
    cache_ttl_hours: float = 24.0
    # 32 in flight can fill a Start-tier output-token budget (docs/performance.md); the rate limiter, not
    # this number, keeps the run under the account's limits.
    max_concurrency: int = 32
    chunk_max_lines: int = 2000
    max_file_bytes: int = 2_000_000

    # -- change detection and filters (issue 3) --
    include: tuple[str, ...] = ()  # gitignore-style globs; empty: every path
    exclude: tuple[str, ...] = ()
    paths: tuple[str, ...] = ()  # this run only (a /docbot command's or workflow_dispatch's paths)
    force: bool = False  # this run only: ask the provider again even where the cache has an answer

    # -- chunking (issue 4) --
    # Estimated tokens per chunk, header and overlap included. Sized to the 4,096-token answer
    # (max_tokens): at 40,000 half of a large file's replies were cut off and paid for twice
    # (docs/performance.md, workload 1).
    chunk_max_tokens: int = 4_000
    chunk_overlap_lines: int = 100  # lines before a chunk shown as context only
    visibility: str = "public"  # public: the API only (see symbols.visible) | all: every symbol

    # -- Claude provider (issue 5) --
    max_tokens: int = 4096  # output budget of one request; a cut-off reply is retried once with twice this
    request_timeout_s: float = 120.0  # explicit, so a hung connection fails instead of waiting 10 minutes
    max_attempts: int = 5  # per request, for errors (5xx, connection, timeout)
    max_attempts_rate_limited: int = 10  # per request when every failure was a 429/529 with a wait hint
    backoff_initial_s: float = 1.0
    backoff_max_s: float = 16.0
    rpm_limit: int = 1000  # client-side pacing, corrected from anthropic-ratelimit-* headers
    itpm_limit: int = 500_000
    otpm_limit: int = 100_000
    breaker_threshold: int = 5  # consecutive failed requests that open the circuit
    breaker_cooldown_s: float = 30.0
    max_cost_usd: float | None = None
    price_input_per_mtok: float | None = None
    price_output_per_mtok: float | None = None
    price_cache_write_per_mtok: float | None = None
    price_cache_read_per_mtok: float | None = None
    currency: str = "USD"  # display currency of the cost figure; USD amounts are always reported too
    currency_rate: float = 1.0  # units of ``currency`` per USD

    # -- DynamoDB cache (issue 6) --
    cache_table: str = "doc-cache-prod"
    cache_region: str | None = None  # None: boto3 resolves it (AWS_DEFAULT_REGION, profile)
    cache_endpoint_url: str | None = None  # None: the real AWS endpoint for the region

    # -- Action and publishing (issue 7) --
    mode: str = "auto"  # auto | pull_request | comment | commit | none (see docs/action.md)
    github_token: Secret | None = None
    github_api_url: str = "https://api.github.com"
    trigger_phrase: str = "/docbot"
    allowed_permissions: tuple[str, ...] = ("admin", "maintain", "write")
    dry_run: bool = False
    fail_on_error: bool = True
    pr_title: str = "docs: update the API documentation"

    @property
    def provider_name(self) -> str:
        """The provider actually used: ``auto`` means Claude when a key is set, offline otherwise."""
        if self.provider != "auto":
            return self.provider
        return "anthropic" if self.anthropic_api_key else "offline"


# --- parsing helpers: each takes the raw value and the setting's name, returns the typed value ---


def _str(value: object, name: str) -> str:
    if isinstance(value, os.PathLike):
        value = os.fspath(value)
    if not isinstance(value, str | int | float) or isinstance(value, bool):
        raise ConfigError(f"{name}: expected a string, got {value!r}")
    return str(value).strip()


def _opt_str(value: object, name: str) -> str | None:
    text = _str(value, name)
    return text or None


def _bool(value: object, name: str) -> bool:
    if isinstance(value, bool):
        return value
    text = _str(value, name).lower()
    if text in {"true", "1", "yes", "on"}:
        return True
    if text in {"false", "0", "no", "off", ""}:
        return False
    raise ConfigError(f"{name}: expected true or false, got {value!r}")


def _number(kind: type[int] | type[float], low: float, high: float) -> Callable[[object, str], Any]:
    def parse(value: object, name: str) -> int | float:
        try:
            number = kind(_str(value, name))
        except ValueError:
            raise ConfigError(f"{name}: expected a {kind.__name__}, got {value!r}") from None
        if not low <= number <= high:
            raise ConfigError(f"{name}: {number} is out of range; use a value from {low:g} to {high:g}")
        return number

    return parse


def _choice(*choices: str) -> Callable[[object, str], str]:
    def parse(value: object, name: str) -> str:
        text = _str(value, name).lower()
        if text not in choices:
            raise ConfigError(f"{name}: {value!r} is not one of {', '.join(choices)}")
        return text

    return parse


def _path(value: object, name: str) -> Path:
    return Path(_str(value, name)).expanduser()


def _opt_path(value: object, name: str) -> Path | None:
    text = _str(value, name)
    return Path(text).expanduser() if text else None


def _secret(value: object, name: str) -> Secret | None:
    text = _str(value, name)
    return Secret(text) if text else None


def _globs(value: object, name: str) -> tuple[str, ...]:
    # A YAML list, or one string with one glob per line or comma (Action inputs, env variables).
    items = value if isinstance(value, list | tuple) else _str(value, name).replace(",", "\n").splitlines()
    globs = tuple(_str(item, name) for item in items)
    return tuple(g for g in globs if g)


def _rel_dir(value: object, name: str) -> str:
    text = _str(value, name).replace("\\", "/").strip("/")
    if not text or text.startswith("../") or "/../" in f"/{text}/" or Path(text).is_absolute():
        raise ConfigError(f"{name}: {value!r} must be a folder inside the repository, such as docs/api")
    return text


# DynamoDB cache (issue 6): the table name rule is DynamoDB's own (CreateTable rejects anything else).
_TABLE_NAME = re.compile(r"[A-Za-z0-9_.-]{3,255}")


def _table_name(value: object, name: str) -> str:
    text = _str(value, name)
    if not _TABLE_NAME.fullmatch(text):
        raise ConfigError(
            f"{name}: {value!r} is not a DynamoDB table name; use 3-255 letters, digits, '_', '-' or '.'"
        )
    return text


def _opt_url(value: object, name: str) -> str | None:
    text = _str(value, name)
    if text and not text.startswith(("http://", "https://")):
        raise ConfigError(f"{name}: {value!r} is not a URL; use e.g. http://127.0.0.1:8000")
    return text or None


def _split_cache_spec(raw: dict[str, object]) -> None:
    """``cache: dynamodb:TABLE`` is shorthand for ``cache: dynamodb`` plus ``cache_table: TABLE``."""
    spec = raw.get("cache")
    if isinstance(spec, str) and ":" in spec:
        backend, _, table = spec.partition(":")
        raw["cache"] = backend
        if backend.strip().lower() == "dynamodb" and table.strip():
            raw["cache_table"] = table


# Action and publishing (issue 7)
_PERMISSIONS = ("admin", "maintain", "write", "triage", "read")


def _api_url(value: object, name: str) -> str:
    text = _str(value, name).rstrip("/")
    if not text.startswith(("http://", "https://")):
        raise ConfigError(
            f"{name}: {value!r} is not a URL; use https://api.github.com or https://HOST/api/v3"
        )
    return text


def _trigger_phrase(value: object, name: str) -> str:
    text = _str(value, name)
    if not text or any(c.isspace() for c in text):
        raise ConfigError(f"{name}: {value!r} must be one word without spaces, such as /docbot")
    return text


def _permissions(value: object, name: str) -> tuple[str, ...]:
    items = value if isinstance(value, list | tuple) else _str(value, name).replace(",", " ").split()
    chosen = tuple(_str(item, name).lower() for item in items)
    bad = [p for p in chosen if p not in _PERMISSIONS]
    if bad or not chosen:
        raise ConfigError(
            f"{name}: {value!r} must list one or more of {', '.join(_PERMISSIONS)} (comma separated)"
        )
    return chosen


def _title(value: object, name: str) -> str:
    text = _str(value, name)
    if not text or len(text) > 256 or "\n" in text:
        raise ConfigError(f"{name}: {value!r} must be one line of 1 to 256 characters")
    return text


_PARSERS: dict[str, Callable[[object, str], Any]] = {
    "repo": _path,
    "base": _opt_str,
    "head": _str,
    "all_files": _bool,
    "out_dir": _rel_dir,
    "report_path": _opt_path,
    "provider": _choice("auto", "offline", "anthropic"),
    "model": _str,
    "anthropic_api_key": _secret,
    "anthropic_base_url": _opt_str,
    "cache": _choice("sqlite", "dynamodb", "none"),
    "cache_path": _path,
    "cache_ttl_hours": _number(float, 0.01, 24 * 365),
    "max_concurrency": _number(int, 1, 256),
    "chunk_max_lines": _number(int, 20, 100_000),
    "max_file_bytes": _number(int, 1, 1_000_000_000),
    # -- change detection and filters (issue 3) --
    "include": _globs,
    "exclude": _globs,
    "paths": _globs,
    "force": _bool,
    # -- chunking (issue 4) --
    "chunk_max_tokens": _number(int, 1_000, 1_000_000),
    "chunk_overlap_lines": _number(int, 0, 10_000),
    "visibility": _choice("public", "all"),
    # -- Claude provider (issue 5) --
    "max_tokens": _number(int, 256, 64_000),
    "request_timeout_s": _number(float, 0.05, 3600),
    "max_attempts": _number(int, 1, 10),
    "max_attempts_rate_limited": _number(int, 1, 20),
    "backoff_initial_s": _number(float, 0.01, 60),
    "backoff_max_s": _number(float, 0.01, 600),
    "rpm_limit": _number(int, 1, 1_000_000),
    "itpm_limit": _number(int, 1_000, 1_000_000_000),
    "otpm_limit": _number(int, 1_000, 1_000_000_000),
    "breaker_threshold": _number(int, 1, 1000),
    "breaker_cooldown_s": _number(float, 0.01, 3600),
    # Optional numbers: an empty value means "not set" (the Action passes unset inputs as "").
    "max_cost_usd": lambda v, n: _number(float, 0, 1_000_000)(v, n) if _str(v, n) else None,
    "price_input_per_mtok": lambda v, n: _number(float, 0, 10_000)(v, n) if _str(v, n) else None,
    "price_output_per_mtok": lambda v, n: _number(float, 0, 10_000)(v, n) if _str(v, n) else None,
    "price_cache_write_per_mtok": lambda v, n: _number(float, 0, 10_000)(v, n) if _str(v, n) else None,
    "price_cache_read_per_mtok": lambda v, n: _number(float, 0, 10_000)(v, n) if _str(v, n) else None,
    "currency": lambda v, n: _str(v, n).upper() or "USD",
    "currency_rate": _number(float, 1e-9, 1e9),
    # -- DynamoDB cache (issue 6) --
    "cache_table": _table_name,
    "cache_region": _opt_str,
    "cache_endpoint_url": _opt_url,
    # -- Action and publishing (issue 7) --
    "mode": _choice("auto", "pull_request", "comment", "commit", "none"),
    "github_token": _secret,
    "github_api_url": _api_url,
    "trigger_phrase": _trigger_phrase,
    "allowed_permissions": _permissions,
    "dry_run": _bool,
    "fail_on_error": _bool,
    "pr_title": _title,
}

# Environment variables read by the loader, and the setting each one fills.
ENV_VARS: dict[str, str] = {
    "ANTHROPIC_API_KEY": "anthropic_api_key",
    "ANTHROPIC_BASE_URL": "anthropic_base_url",
    "DOCBOT_PROVIDER": "provider",
    "DOCBOT_MODEL": "model",
    "DOCBOT_CACHE": "cache",
    "DOCBOT_CACHE_PATH": "cache_path",
    "DOCBOT_CACHE_TTL_HOURS": "cache_ttl_hours",
    "DOCBOT_MAX_CONCURRENCY": "max_concurrency",
    # -- change detection and filters (issue 3) --
    "DOCBOT_INCLUDE": "include",
    "DOCBOT_EXCLUDE": "exclude",
    # -- chunking (issue 4) --
    "DOCBOT_CHUNK_MAX_LINES": "chunk_max_lines",
    "DOCBOT_CHUNK_MAX_TOKENS": "chunk_max_tokens",
    "DOCBOT_CHUNK_OVERLAP_LINES": "chunk_overlap_lines",
    "DOCBOT_VISIBILITY": "visibility",
    # -- Claude provider (issue 5) --
    "DOCBOT_MAX_TOKENS": "max_tokens",
    "DOCBOT_REQUEST_TIMEOUT_S": "request_timeout_s",
    "DOCBOT_MAX_ATTEMPTS": "max_attempts",
    "DOCBOT_RPM_LIMIT": "rpm_limit",
    "DOCBOT_ITPM_LIMIT": "itpm_limit",
    "DOCBOT_OTPM_LIMIT": "otpm_limit",
    "DOCBOT_BREAKER_THRESHOLD": "breaker_threshold",
    "DOCBOT_BREAKER_COOLDOWN_S": "breaker_cooldown_s",
    "DOCBOT_MAX_COST_USD": "max_cost_usd",
    "DOCBOT_PRICE_INPUT_PER_MTOK": "price_input_per_mtok",
    "DOCBOT_PRICE_OUTPUT_PER_MTOK": "price_output_per_mtok",
    "DOCBOT_CURRENCY": "currency",
    "DOCBOT_CURRENCY_RATE": "currency_rate",
    # -- DynamoDB cache (issue 6) --
    # Later entries win: AWS_REGION over AWS_DEFAULT_REGION, the DynamoDB-specific endpoint over the
    # global one (botocore's own precedence).
    "DOCBOT_CACHE_TABLE": "cache_table",
    "AWS_DEFAULT_REGION": "cache_region",
    "AWS_REGION": "cache_region",
    "AWS_ENDPOINT_URL": "cache_endpoint_url",
    "AWS_ENDPOINT_URL_DYNAMODB": "cache_endpoint_url",
    # -- Action and publishing (issue 7) --
    "GITHUB_TOKEN": "github_token",
    "GITHUB_API_URL": "github_api_url",
    "DOCBOT_MODE": "mode",
    "DOCBOT_DRY_RUN": "dry_run",
}

# Keys a repository may set in .github/docbot.yml (not where to run or which revisions).
# Not settable from the file: where and what to run, and anything that says where credentials go. The file
# comes from the checked-out commit, which a pull request's author controls; an endpoint set there could
# send the API key or the cache's AWS credentials to a server of theirs.
_NOT_FROM_FILE = {"repo", "base", "head", "all_files", "report_path", "anthropic_api_key"}
_NOT_FROM_FILE |= {"anthropic_base_url", "cache_endpoint_url", "cache_path"}
_NOT_FROM_FILE |= {"force"}  # per run (a /docbot force command, a dispatch input): never a standing setting
# The GitHub token and API endpoint come from the workflow, never from a file in the repository.
_NOT_FROM_FILE |= {"github_token", "github_api_url"}
_FILE_KEYS = frozenset(_PARSERS) - _NOT_FROM_FILE


def _read_repo_config(repo: Path) -> dict[str, object]:
    path = repo / REPO_CONFIG_FILE
    if not path.is_file():
        return {}
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not valid YAML ({exc}); fix or delete the file") from exc
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping of settings, got {type(data).__name__}")
    unknown = sorted(str(k) for k in data if str(k).replace("-", "_") not in _FILE_KEYS)
    if unknown:
        raise ConfigError(
            f"{path}: unknown setting(s) {', '.join(unknown)}; known: {', '.join(sorted(_FILE_KEYS))}"
        )
    return {str(k).replace("-", "_"): v for k, v in data.items()}


def load_settings(
    overrides: Mapping[str, object] | None = None, env: Mapping[str, str] | None = None
) -> Settings:
    """Build and validate the run's settings.

    Args:
        overrides: explicit values (CLI flags, Action inputs); ``None`` values are ignored.
        env: the environment to read (pass ``os.environ``); nothing is read when omitted.

    Returns:
        The frozen ``Settings``.

    Raises:
        ConfigError: a value is invalid, quoting it and saying what is accepted.
    """
    explicit = {k: v for k, v in (overrides or {}).items() if v is not None}
    unknown = sorted(set(explicit) - set(_PARSERS))
    if unknown:
        raise ConfigError(f"unknown setting(s): {', '.join(unknown)}")

    raw: dict[str, object] = {}
    repo = _path(explicit.get("repo", "."), "repo")
    raw.update(_read_repo_config(repo))
    for var, key in ENV_VARS.items():
        if (env or {}).get(var, "") != "":
            raw[key] = (env or {})[var]
    raw.update(explicit)
    raw["repo"] = repo
    _split_cache_spec(raw)

    values = {name: _PARSERS[name](value, name) for name, value in raw.items()}
    settings = Settings(**values)
    if settings.provider_name == "anthropic" and settings.anthropic_api_key is None:
        raise ConfigError("provider 'anthropic' needs ANTHROPIC_API_KEY; set it, or use --provider offline")
    return settings


def settings_fields() -> list[str]:
    """Names of every setting, for docs and tests."""
    return [f.name for f in fields(Settings)]
