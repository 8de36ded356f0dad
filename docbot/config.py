"""The settings table, declared once, and the one loader that fills it.

Every setting is one field of a frozen dataclass below, declared with ``setting(...)``: its type, default,
parser, environment variables, Action input, whether ``.github/docbot.yml`` may set it, and its help
text. The loader, the environment map, the Action's inputs (``action.yml``, checked by a test) and the
table in docs/configuration.md (``python -m docbot.config``) are all derived from these declarations.

Settings are grouped into the slices the adapters take: ``files`` (which files a run considers),
``chunking``, ``llm`` (the provider), ``cache`` and ``publish`` (the Action). Values that belong to one
run (revisions, paths, force) are not settings: they live in ``events.RunSpec``.

Precedence, lowest first: built-in defaults, the repository's ``.github/docbot.yml``, environment
variables, then explicit overrides (CLI flags or Action inputs). No other module reads ``os.environ``:
callers pass ``env`` in.
"""

from __future__ import annotations

import difflib
import os
import re
import reprlib
import sys
from collections.abc import Callable, Iterator, Mapping
from dataclasses import MISSING, Field, dataclass, field, fields, is_dataclass, replace
from pathlib import Path
from typing import Any, Literal, get_args

import yaml

from docbot.errors import ConfigError
from docbot.metrics import MetricsTarget, parse_target
from docbot.shard import Shard, parse_shard

REPO_CONFIG_FILE = ".github/docbot.yml"
# A settings file is a few dozen lines; anything far larger is a mistake or an attack on the loader.
MAX_CONFIG_BYTES = 64 * 1024
ZERO_SHA = "0" * 40

# check and docstrings publish no pages (docbot/action/source_modes.py).
Mode = Literal["auto", "pull_request", "comment", "commit", "none", "check", "docstrings"]
ProviderName = Literal["auto", "offline", "anthropic", "bedrock", "vertex"]
CacheBackend = Literal["sqlite", "dynamodb", "none"]
Permission = Literal["admin", "maintain", "write", "triage", "read"]
Visibility = Literal["public", "all"]
Site = Literal["none", "mkdocs", "docusaurus"]
BatchMode = Literal["auto", "always", "never"]
Effort = Literal["low", "medium", "high", "xhigh", "max"]
Thinking = Literal["off", "adaptive"]


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


# --- parsers: each takes the raw value and the setting's name, returns the typed value ---

Parser = Callable[[object, str], Any]


_BRIEF = reprlib.Repr()
_BRIEF.maxlevel, _BRIEF.maxlist, _BRIEF.maxdict, _BRIEF.maxstring, _BRIEF.maxother = 2, 4, 4, 60, 60


def _brief(value: object, limit: int = 80) -> str:
    """A short ``repr`` of ``value``, so an error never formats an unbounded value.

    ``reprlib`` stops at a few items and two levels, so even a deeply nested or enormous value costs
    a bounded amount of work before the cut to ``limit`` characters.
    """
    return _cut(_BRIEF.repr(value), limit)


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 5] + "…" + text[-4:]


def _str(value: object, name: str) -> str:
    if isinstance(value, os.PathLike):
        value = os.fspath(value)
    if not isinstance(value, str | int | float) or isinstance(value, bool):
        raise ConfigError(f"{name}: expected a string, got {_brief(value)}")
    return str(value).strip()


def _opt_str(value: object, name: str) -> str | None:
    return _str(value, name) or None


def parse_bool(value: object, name: str) -> bool:
    """``true``/``false`` in the spellings YAML, environment variables and Action inputs use."""
    if isinstance(value, bool):
        return value
    text = _str(value, name).lower()
    if text in {"true", "1", "yes", "on"}:
        return True
    if text in {"false", "0", "no", "off", ""}:
        return False
    raise ConfigError(f"{name}: expected true or false, got {_brief(value)}")


def _number(kind: type[int] | type[float], low: float, high: float, *, optional: bool = False) -> Parser:
    wanted = "a whole number" if kind is int else "a number"

    def parse(value: object, name: str) -> int | float | None:
        if isinstance(value, bool):  # YAML's `true`: a string parser would call it "not a string"
            raise ConfigError(f"{name}: expected {wanted}, got {str(value).lower()}")
        text = _str(value, name)
        if optional and not text:
            return None  # the Action passes an unset input as ""
        try:
            number = kind(text)
        except ValueError:
            raise ConfigError(f"{name}: expected {wanted}, got {_brief(value)}") from None
        if not low <= number <= high:
            raise ConfigError(f"{name}: {number} is out of range; use a value from {low:g} to {high:g}")
        return number

    return parse


def _choice(literal: Any) -> Parser:
    choices: tuple[str, ...] = get_args(literal)

    def parse(value: object, name: str) -> str:
        text = _str(value, name).lower()
        if text not in choices:
            raise ConfigError(f"{name}: {_brief(value)} is not one of {', '.join(choices)}")
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
    return tuple(g for g in (_str(item, name) for item in items) if g)


def _rel_dir(value: object, name: str) -> str:
    raw = _str(value, name).replace("\\", "/")
    # Checked before trailing slashes are trimmed: "/srv/site/api" is an absolute path, not "srv/site/api".
    if raw.startswith("/") or re.match(r"[A-Za-z]:/", raw):
        raise ConfigError(
            f"{name}: {_brief(value)} is an absolute path; "
            "give a folder inside the repository, such as docs/api"
        )
    text = raw.strip("/")
    parts = text.split("/")
    if not text or any(part in ("", ".", "..") for part in parts) or parts[0] == ".git":
        raise ConfigError(f"{name}: {_brief(value)} must be a folder inside the repository, such as docs/api")
    return text


def _shard(value: object, name: str) -> Shard | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        return parse_shard(_str(value, name))
    except ValueError as exc:
        raise ConfigError(f"{name}: {exc}") from None


def _metrics(value: object, name: str) -> MetricsTarget | None:
    if value is None:
        return None
    try:
        return parse_target(_str(value, name))
    except ValueError as exc:
        raise ConfigError(f"{name}: {exc}") from None


# DynamoDB's own rule for table names (CreateTable rejects anything else).
_TABLE_NAME = re.compile(r"[A-Za-z0-9_.-]{3,255}")


def _table_name(value: object, name: str) -> str:
    text = _str(value, name)
    if not _TABLE_NAME.fullmatch(text):
        raise ConfigError(
            f"{name}: {_brief(value)} is not a DynamoDB table name; "
            "use 3-255 letters, digits, '_', '-' or '.'"
        )
    return text


def _opt_url(value: object, name: str) -> str | None:
    text = _str(value, name)
    if text and not text.startswith(("http://", "https://")):
        raise ConfigError(f"{name}: {_brief(value)} is not a URL; use e.g. http://127.0.0.1:8000")
    return text or None


def _web_url(value: object, name: str) -> str | None:
    if value is None:
        return None
    text = _str(value, name).strip().rstrip("/")
    if not re.fullmatch(r"https?://[^\s/@]+(/[\w.-]+){2}", text):
        raise ConfigError(
            f"{name}: {_brief(value)} is not a repository's web address; use https://github.com/OWNER/REPO"
        )
    return text


def _api_url(value: object, name: str) -> str:
    text = _str(value, name).rstrip("/")
    if not text.startswith(("http://", "https://")):
        raise ConfigError(
            f"{name}: {_brief(value)} is not a URL; use https://api.github.com or https://HOST/api/v3"
        )
    return text


def _trigger_phrase(value: object, name: str) -> str:
    text = _str(value, name)
    if not text or any(c.isspace() for c in text):
        raise ConfigError(f"{name}: {_brief(value)} must be one word without spaces, such as /docbot")
    return text


def _permissions(value: object, name: str) -> tuple[str, ...]:
    known: tuple[str, ...] = get_args(Permission)
    items = value if isinstance(value, list | tuple) else _str(value, name).replace(",", " ").split()
    chosen = tuple(_str(item, name).lower() for item in items)
    if not chosen or any(p not in known for p in chosen):
        raise ConfigError(
            f"{name}: {_brief(value)} must list one or more of {', '.join(known)} (comma separated)"
        )
    return chosen


def _title(value: object, name: str) -> str:
    text = _str(value, name)
    if not text or len(text) > 256 or "\n" in text:
        raise ConfigError(f"{name}: {_brief(value)} must be one line of 1 to 256 characters")
    return text


def _currency(value: object, name: str) -> str:
    return _str(value, name).upper() or "USD"


MAX_INSTRUCTIONS_CHARS = 4_000
# A language name, not a sentence: it goes into the system prompt, so it cannot carry instructions.
_LANGUAGE_NAME = re.compile(r"[^\W\d_][\w ()'-]{0,39}")


def _instructions(value: object, name: str) -> str:
    text = value if isinstance(value, str) else _str(value, name)
    text = text.strip()
    if len(text) > MAX_INSTRUCTIONS_CHARS:
        raise ConfigError(
            f"{name}: {len(text):,} characters; keep the house style to {MAX_INSTRUCTIONS_CHARS:,}"
        )
    return text


def _doc_language(value: object, name: str) -> str:
    text = _str(value, name) or "English"
    if not _LANGUAGE_NAME.fullmatch(text):
        raise ConfigError(
            f"{name}: {_brief(value)} is not a language name; use e.g. English, Deutsch, 日本語"
        )
    return text


# --- the table ---


@dataclass(frozen=True)
class Meta:
    """How one setting is read; attached to its dataclass field."""

    parse: Parser
    help: str
    env: tuple[str, ...] = ()  # variables that set it; a later one wins over an earlier one
    input: str | None = None  # the Action input that sets it
    flag: str | None = None  # the `docbot run` flag that sets it (for the docs)
    # .github/docbot.yml may set it. Never for anything that says where credentials go or which to use:
    # the file comes from the checked-out commit, which a pull request's author controls, and an endpoint
    # set there could send the API key or the cache's AWS credentials to a server of theirs.
    from_file: bool = True
    key: str | None = None  # its name where it differs from the attribute (``cache`` for the backend)
    shown_default: str | None = None  # the default as the docs show it, where repr() would mislead


def setting(
    default: Any,
    parse: Parser,
    help: str,
    *,
    env: tuple[str, ...] = (),
    input: str | None = None,
    flag: str | None = None,
    from_file: bool = True,
    key: str | None = None,
    shown_default: str | None = None,
) -> Any:
    meta = {"docbot": Meta(parse, help, env, input, flag, from_file, key, shown_default)}
    if isinstance(default, list | dict):
        raise TypeError("settings take immutable defaults (use a tuple)")
    return field(default=default, metadata=meta)


@dataclass(frozen=True)
class FileSettings:
    """Which files a run considers (``filters.FileFilter``)."""

    include: tuple[str, ...] = setting(
        (), _globs, "gitignore-style globs of the files to document; empty: every path",
        env=("DOCBOT_INCLUDE",), input="include", shown_default="empty",
    )  # fmt: skip
    exclude: tuple[str, ...] = setting(
        (), _globs, "gitignore-style globs of files never to document (`!pattern` re-includes)",
        env=("DOCBOT_EXCLUDE",), input="exclude", shown_default="empty",
    )  # fmt: skip
    # A backstop against reading huge blobs; what keeps bundles and generated files out is their shape
    # (the line rules below), so a 50,000-line hand-written file (2-4 MB) stays in scope.
    max_file_bytes: int = setting(
        20_000_000, _number(int, 1, 1_000_000_000), "larger files are skipped with a reason"
    )
    max_file_lines: int = setting(
        200_000, _number(int, 1, 100_000_000), "files with more lines are skipped with a reason"
    )
    max_average_line_chars: int = setting(
        250, _number(int, 20, 1_000_000),
        "files whose lines average more characters are skipped as minified or generated",
    )  # fmt: skip


@dataclass(frozen=True)
class ChunkSettings:
    """How a file is cut into chunks (``chunking.split_source``)."""

    chunk_max_lines: int = setting(
        2000, _number(int, 20, 100_000), "line budget of a chunk's own lines",
        env=("DOCBOT_CHUNK_MAX_LINES",), input="chunk_max_lines", flag="--chunk-max-lines",
    )  # fmt: skip
    # Sized to the 4,096-token answer (max_tokens): at 40,000 half of a large file's replies were cut off
    # and paid for twice (docs/performance.md, workload 1).
    chunk_max_tokens: int = setting(
        4_000, _number(int, 1_000, 1_000_000),
        "estimated-token budget of a chunk, header and overlap included",
        env=("DOCBOT_CHUNK_MAX_TOKENS",),
    )  # fmt: skip
    chunk_overlap_lines: int = setting(
        8, _number(int, 0, 10_000), "lines before a chunk shown to the model as context only",
        env=("DOCBOT_CHUNK_OVERLAP_LINES",), input="chunk_overlap_lines",
    )  # fmt: skip
    visibility: Visibility = setting(
        "public", _choice(Visibility),
        "`public`: the API only (no `_private` names, closures, unexported symbols); `all`: every symbol",
        env=("DOCBOT_VISIBILITY",),
    )  # fmt: skip


@dataclass(frozen=True)
class LlmSettings:
    """The documentation provider: which one, its endpoint, retries, pacing, circuit breaker and cost."""

    provider: ProviderName = setting(
        "auto", _choice(ProviderName),
        "`auto` (Claude with a key, offline without), `offline`, `anthropic`, `bedrock` (Amazon Bedrock), "
        "`vertex` (Google Vertex AI)",
        env=("DOCBOT_PROVIDER",), input="provider", flag="--provider",
    )  # fmt: skip
    model: str = setting(
        "claude-sonnet-5-5", _str, "model id for Claude", env=("DOCBOT_MODEL",), input="model", flag="--model"
    )
    anthropic_api_key: Secret | None = setting(
        None, _secret, "never printed, logged or sent anywhere but the API",
        env=("ANTHROPIC_API_KEY",), input="anthropic_api_key", from_file=False,
    )  # fmt: skip
    anthropic_base_url: str | None = setting(
        None, _opt_str, "API endpoint override", env=("ANTHROPIC_BASE_URL",), from_file=False
    )
    # Cloud platforms: credentials come from each platform's standard chain (environment, OIDC web
    # identity, instance metadata), never from settings, so no long-lived key needs to exist.
    bedrock_region: str | None = setting(
        None, _opt_str, "AWS region of Amazon Bedrock (`provider: bedrock`)", input="bedrock_region",
        shown_default="the SDK's: `AWS_REGION`, `AWS_DEFAULT_REGION`, then the profile",
    )  # fmt: skip
    bedrock_base_url: str | None = setting(
        None, _opt_url, "Bedrock runtime endpoint override", env=("ANTHROPIC_BEDROCK_BASE_URL",),
        from_file=False, shown_default="AWS",
    )  # fmt: skip
    vertex_project: str | None = setting(
        None, _opt_str, "Google Cloud project of Vertex AI (`provider: vertex`)",
        env=("GOOGLE_CLOUD_PROJECT", "ANTHROPIC_VERTEX_PROJECT_ID"), input="vertex_project",
        shown_default="the credentials' project",
    )  # fmt: skip
    vertex_region: str | None = setting(
        None, _opt_str, "Vertex AI region (`global`, `us-east5`, ...)",
        env=("CLOUD_ML_REGION",), input="vertex_region", shown_default="none (required for vertex)",
    )  # fmt: skip
    vertex_base_url: str | None = setting(
        None, _opt_url, "Vertex AI endpoint override", env=("ANTHROPIC_VERTEX_BASE_URL",),
        from_file=False, shown_default="Google",
    )  # fmt: skip
    # 32 in flight can fill a Start-tier output-token budget (docs/performance.md); the rate limiter, not
    # this number, keeps the run under the account's limits.
    max_concurrency: int = setting(
        32, _number(int, 1, 256), "parallel provider requests",
        env=("DOCBOT_MAX_CONCURRENCY",), input="max_concurrency", flag="--max-concurrency",
    )  # fmt: skip
    max_tokens: int = setting(
        4096, _number(int, 256, 64_000),
        "the most one request reserves; each asks for its predicted output, a larger chunk is asked in parts",
        env=("DOCBOT_MAX_TOKENS",),
    )  # fmt: skip
    # Explicit, so a hung connection fails instead of waiting for the SDK's 10-minute default.
    request_timeout_s: float = setting(
        120.0, _number(float, 0.05, 3600), "timeout of one HTTP request (retried)",
        env=("DOCBOT_REQUEST_TIMEOUT_S",),
    )  # fmt: skip
    max_attempts: int = setting(
        5, _number(int, 1, 10), "attempts per request for errors (5xx, timeouts, dropped connections)",
        env=("DOCBOT_MAX_ATTEMPTS",),
    )  # fmt: skip
    # Against a storm that fails 60% of requests at random, 10 attempts lose 0.6% of them, 20 lose 4e-5.
    max_attempts_rate_limited: int = setting(
        20, _number(int, 1, 50),
        "attempts per request while the server answers 429, 529 or 5xx (it is up, shedding load)",
    )  # fmt: skip
    backoff_initial_s: float = setting(
        1.0, _number(float, 0.01, 60), "first ceiling of the full-jitter backoff"
    )
    backoff_max_s: float = setting(
        16.0, _number(float, 0.01, 600), "largest ceiling of the full-jitter backoff"
    )
    rpm_limit: int = setting(
        1000, _number(int, 1, 1_000_000), "starting requests per minute; corrected from rate-limit headers",
        env=("DOCBOT_RPM_LIMIT",),
    )  # fmt: skip
    itpm_limit: int = setting(
        500_000, _number(int, 1_000, 1_000_000_000), "starting input tokens per minute",
        env=("DOCBOT_ITPM_LIMIT",),
    )  # fmt: skip
    otpm_limit: int = setting(
        100_000, _number(int, 1_000, 1_000_000_000), "starting output tokens per minute",
        env=("DOCBOT_OTPM_LIMIT",),
    )  # fmt: skip
    # A storm that fails 60% of requests at random runs 5 failures in a row every ~30 requests, 20
    # about once in 27,000; an outage still opens the circuit within 20 requests.
    breaker_threshold: int = setting(
        20, _number(int, 1, 1000), "consecutive failed requests that open the circuit",
        env=("DOCBOT_BREAKER_THRESHOLD",),
    )  # fmt: skip
    breaker_cooldown_s: float = setting(
        30.0, _number(float, 0.01, 3600), "seconds before one trial request is let through",
        env=("DOCBOT_BREAKER_COOLDOWN_S",),
    )  # fmt: skip
    breaker_max_open_s: float = setting(
        900.0, _number(float, 1, 86_400),
        "seconds the circuit may stay open without a success before waiting work fails `circuit open`",
        env=("DOCBOT_BREAKER_MAX_OPEN_S",),
    )  # fmt: skip
    max_cost_usd: float | None = setting(
        None, _number(float, 0, 1_000_000, optional=True),
        "spending cap of a run; work that would cross it is reported `skipped: budget`",
        env=("DOCBOT_MAX_COST_USD",), input="max_cost_usd", shown_default="none",
    )  # fmt: skip
    price_input_per_mtok: float | None = setting(
        None, _number(float, 0, 10_000, optional=True),
        "USD per million input tokens; required for a model not in the price table",
        env=("DOCBOT_PRICE_INPUT_PER_MTOK",), shown_default="price table",
    )  # fmt: skip
    price_output_per_mtok: float | None = setting(
        None, _number(float, 0, 10_000, optional=True), "USD per million output tokens",
        env=("DOCBOT_PRICE_OUTPUT_PER_MTOK",), shown_default="price table",
    )  # fmt: skip
    price_cache_write_per_mtok: float | None = setting(
        None, _number(float, 0, 10_000, optional=True), "USD per million cache-write tokens",
        shown_default="1.25x input",
    )  # fmt: skip
    price_cache_read_per_mtok: float | None = setting(
        None, _number(float, 0, 10_000, optional=True), "USD per million cache-read tokens",
        shown_default="0.1x input",
    )  # fmt: skip
    currency: str = setting(
        "USD", _currency, "display currency of the cost; USD amounts are always reported too",
        env=("DOCBOT_CURRENCY",),
    )  # fmt: skip
    currency_rate: float = setting(
        1.0, _number(float, 1e-9, 1e9), "units of `currency` per USD", env=("DOCBOT_CURRENCY_RATE",)
    )
    instructions: str = setting(
        "", _instructions,
        "house style appended to the prompt: text, or the path of a Markdown file in the repository "
        "(read from the base branch on pull requests); at most 4,000 characters",
        env=("DOCBOT_INSTRUCTIONS",), input="instructions", shown_default="empty",
    )  # fmt: skip
    language: str = setting(
        "English", _doc_language, "output language of the documentation",
        env=("DOCBOT_LANGUAGE",), input="language",
    )  # fmt: skip
    batch: BatchMode = setting(
        "auto", _choice(BatchMode),
        "Message Batches API at half price: `auto` (push, dispatch or `--all` with at least "
        "`batch_min_requests` misses), `always`, `never`",
        env=("DOCBOT_BATCH",), input="batch", flag="--batch",
    )  # fmt: skip
    # Below this many requests a batch's wait (minutes to hours) costs more than the half it saves.
    batch_min_requests: int = setting(
        20, _number(int, 1, 100_000), "fewest cache misses that `batch: auto` sends as a batch",
        env=("DOCBOT_BATCH_MIN_REQUESTS",),
    )  # fmt: skip
    batch_timeout_s: float = setting(
        3600.0, _number(float, 1, 86_400),
        "how long a run waits for its batches; unfinished ones are collected by the next run",
        env=("DOCBOT_BATCH_TIMEOUT_S",), input="batch_timeout_s",
    )  # fmt: skip
    # Documentation needs no long deliberation; effort and thinking also size max_tokens (llm/thinking.py).
    effort: Effort = setting(
        "low", _choice(Effort), "`output_config.effort` on models that take it: `low` ... `max`",
        env=("DOCBOT_EFFORT",),
    )  # fmt: skip
    thinking: Thinking = setting(
        "off", _choice(Thinking),
        "`off`: turn upfront thinking off where the model allows it; `adaptive`: leave it to the model",
        env=("DOCBOT_THINKING",),
    )  # fmt: skip
    # A little under the CI job's timeout: the run then stops itself, keeps what it paid for and
    # publishes it, instead of being killed with nothing published.
    max_run_minutes: float | None = setting(
        None, _number(float, 0.1, 10_080, optional=True),
        "time budget of a run: after it no new request starts; the files not yet answered fail "
        "`time budget`, the rest is published",
        env=("DOCBOT_MAX_RUN_MINUTES",), input="max_run_minutes", flag="--max-run-minutes",
        shown_default="none",
    )  # fmt: skip

    @property
    def provider_name(self) -> str:
        """The provider actually used: ``auto`` means Claude when a key is set, offline otherwise."""
        if self.provider != "auto":
            return self.provider
        return "anthropic" if self.anthropic_api_key else "offline"


@dataclass(frozen=True)
class CacheSettings:
    """The cache backend and where it lives (docs/cache.md)."""

    backend: CacheBackend = setting(
        "sqlite", _choice(CacheBackend), "`sqlite`, `dynamodb` (or `dynamodb:TABLE`) or `none`",
        env=("DOCBOT_CACHE",), input="cache", flag="--cache", key="cache",
    )  # fmt: skip
    # None: the XDG cache folder of the environment the loader was given (never inside the repository).
    cache_path: Path | None = setting(
        None, _path, "SQLite file", env=("DOCBOT_CACHE_PATH",), input="cache_path", flag="--cache-path",
        shown_default="`$XDG_CACHE_HOME/docbot/cache.sqlite3` (`~/.cache/...`)", from_file=False,
    )  # fmt: skip
    cache_ttl_hours: float = setting(
        24.0, _number(float, 0.01, 24 * 365), "lifetime of cache entries",
        env=("DOCBOT_CACHE_TTL_HOURS",), input="cache_ttl_hours",
    )  # fmt: skip
    cache_table: str = setting(
        "doc-cache-prod", _table_name, "DynamoDB table name", env=("DOCBOT_CACHE_TABLE",)
    )
    # botocore's own precedence: AWS_REGION over AWS_DEFAULT_REGION, the DynamoDB endpoint over the global.
    cache_region: str | None = setting(
        None, _opt_str, "AWS region of the table", env=("AWS_DEFAULT_REGION", "AWS_REGION"),
        input="aws_region", shown_default="boto3's (profile)",
    )  # fmt: skip
    cache_endpoint_url: str | None = setting(
        None, _opt_url, "DynamoDB endpoint (DynamoDB Local, moto)",
        env=("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB"), shown_default="AWS", from_file=False,
    )  # fmt: skip

    def sqlite_path(self) -> Path:
        assert self.cache_path is not None, "load_settings always fills cache_path"
        return self.cache_path


@dataclass(frozen=True)
class PublishSettings:
    """Where and how the Action publishes (docs/action.md)."""

    mode: Mode = setting(
        "auto", _choice(Mode),
        "`auto`, `pull_request`, `comment`, `commit`, `none`; `check` (fail on stale pages), "
        "`docstrings` (docstrings as review suggestions on a pull request, else as a pull request)",
        env=("DOCBOT_MODE",), input="mode",
    )  # fmt: skip
    github_token: Secret | None = setting(
        None,
        _secret,
        "token for the GitHub API",
        env=("GITHUB_TOKEN",),
        input="github_token",
        from_file=False,
    )
    github_api_url: str = setting(
        "https://api.github.com", _api_url, "`https://HOST/api/v3` on GitHub Enterprise Server",
        env=("GITHUB_API_URL",), from_file=False,
    )  # fmt: skip
    trigger_phrase: str = setting(
        "/docbot", _trigger_phrase, "the pull request comment command (one word)", input="trigger_phrase"
    )
    allowed_permissions: tuple[str, ...] = setting(
        ("admin", "maintain", "write"), _permissions, "repository permissions that may run the command",
        input="allowed_permissions", shown_default="admin,maintain,write",
    )  # fmt: skip
    dry_run: bool = setting(
        False, parse_bool, "document and report, publish nothing", env=("DOCBOT_DRY_RUN",), input="dry_run"
    )
    fail_on_error: bool = setting(
        True, parse_bool, "a failure fails the step (else an error annotation only)", input="fail_on_error"
    )
    pr_title: str = setting(
        "docs: update the API documentation", _title, "title of the docs pull request", input="pr_title"
    )
    estimate_only: bool = setting(
        False, parse_bool, "print what the run would cost (`docbot estimate`) and stop before any request",
        env=("DOCBOT_ESTIMATE_ONLY",), input="estimate_only",
    )  # fmt: skip


@dataclass(frozen=True)
class Settings:
    """Everything a run is configured with, validated once."""

    repo: Path = setting(Path("."), _path, "the git repository", flag="--repo", from_file=False)
    out_dir: str = setting(
        "docs/api", _rel_dir, "folder of the generated pages, inside the repository",
        input="docs_dir", flag="--out",
    )  # fmt: skip
    report_path: Path | None = setting(
        None, _opt_path, "where the RunReport JSON is written", input="report_path", flag="--report",
        from_file=False, shown_default="none (the Action: `RUNNER_TEMP`)",
    )  # fmt: skip
    metrics: MetricsTarget | None = setting(
        None, _metrics, "run metrics to CloudWatch: `none` or `cloudwatch[:NAMESPACE]` (namespace docbot)",
        env=("DOCBOT_METRICS",), input="metrics", flag="--metrics", from_file=False, shown_default="none",
    )  # fmt: skip
    shard: Shard | None = setting(
        None, _shard, "document only part K of N of the selection into the cache and publish nothing",
        env=("DOCBOT_SHARD",), input="shard", flag="--shard", from_file=False, shown_default="none (all)",
    )  # fmt: skip
    shard_reports: tuple[str, ...] = setting(
        (), _globs, "the final job: glob(s) of the shards' report files, merged into its report",
        input="shard_reports", flag="--shard-reports", from_file=False, shown_default="empty",
    )  # fmt: skip
    publish_only: bool = setting(
        False, parse_bool, "the final job: send no model request; what the cache lacks fails with a reason",
        input="publish_only", flag="--publish-only", from_file=False,
    )  # fmt: skip
    site: Site = setting(
        "none", _choice(Site),
        "`mkdocs` also writes `SUMMARY.md` (mkdocs-literate-nav), `docusaurus` `_category_.json` files "
        "and sidebar front matter; `none`: the pages and the index only",
        env=("DOCBOT_SITE",), input="site", flag="--site",
    )  # fmt: skip
    repository_url: str | None = setting(
        None, _web_url, "the repository's web address, where each symbol's lines link (`https://HOST/OWNER/REPO`)",
        env=("DOCBOT_REPOSITORY_URL",),
        shown_default="the event's repository, else the `origin` remote; none: relative links",
    )  # fmt: skip
    max_page_bytes: int = setting(
        1_000_000, _number(int, 10_000, 1_000_000_000),
        "a larger page ends after the last whole symbol that fits, with a note of how many were left out",
    )  # fmt: skip
    files: FileSettings = FileSettings()
    chunking: ChunkSettings = ChunkSettings()
    llm: LlmSettings = LlmSettings()
    cache: CacheSettings = CacheSettings()
    publish: PublishSettings = PublishSettings()


@dataclass(frozen=True)
class Option:
    """One row of the table: a setting's name, the slice it lives in, and how it is read."""

    key: str
    group: str | None  # the Settings attribute of its slice; None for a top-level setting
    attr: str
    meta: Meta
    default: Any


def _rows(cls: type, group: str | None) -> Iterator[Option]:
    for f in fields(cls):
        if is_dataclass(f.type) or (isinstance(f.type, str) and f.type.endswith("Settings")):
            slice_cls = type(getattr(Settings(), f.name))
            yield from _rows(slice_cls, f.name)
            continue
        meta: Meta = f.metadata["docbot"]
        yield Option(meta.key or f.name, group, f.name, meta, _default(f))


def _default(f: Field[Any]) -> Any:
    return None if f.default is MISSING else f.default


OPTIONS: dict[str, Option] = {o.key: o for o in _rows(Settings, None)}
# Environment variable -> setting, in the table's order (a later variable of the same setting wins).
ENV_VARS: dict[str, str] = {var: o.key for o in OPTIONS.values() for var in o.meta.env}
# Variables docbot reads that are not settings: the Action's user switch (``action/user.py``).
RUN_AS_ROOT_VAR = "DOCBOT_RUN_AS_ROOT"
OTHER_ENV_VARS = (RUN_AS_ROOT_VAR,)
# Action input -> setting.
ACTION_INPUTS: dict[str, str] = {o.meta.input: o.key for o in OPTIONS.values() if o.meta.input}
SECRET_SETTINGS = frozenset(k for k, o in OPTIONS.items() if o.meta.parse is _secret)
_FILE_KEYS = frozenset(k for k, o in OPTIONS.items() if o.meta.from_file)


def _default_cache_path(env: Mapping[str, str]) -> Path:
    # XDG cache dir: survives between local runs, never inside the repository being documented.
    base = env.get("XDG_CACHE_HOME") or str(Path(env.get("HOME") or Path.home()) / ".cache")
    return Path(base) / "docbot" / "cache.sqlite3"


class _NoAliasLoader(yaml.SafeLoader):
    """PyYAML's safe loader without anchors and aliases.

    A settings file never needs them, and an alias tree ("billion laughs") expands to gigabytes from a
    few hundred bytes; refusing the first alias keeps loading linear in the file's size.
    """

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()  # type: ignore[no-untyped-call]
            problem = "anchors and aliases (*name) are not supported in docbot settings"
            raise yaml.composer.ComposerError(None, None, problem, event.start_mark)
        return super().compose_node(parent, index)


def _read_repo_config(repo: Path) -> dict[str, object]:
    path = repo / REPO_CONFIG_FILE
    if not path.exists():
        return {}
    if not path.is_file():  # a folder there is a mistake to name, not a file to pass over in silence
        raise ConfigError(f"{path}: is not a file; put the settings in a YAML file at {REPO_CONFIG_FILE}")
    size = path.stat().st_size
    if size > MAX_CONFIG_BYTES:
        raise ConfigError(f"{path}: {size} bytes is too large for a settings file (limit {MAX_CONFIG_BYTES})")
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"{path}: not UTF-8 text (byte {exc.object[exc.start]:#04x} at offset {exc.start}); "
            "save it as UTF-8"
        ) from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    try:
        data = yaml.load(text, Loader=_NoAliasLoader)  # noqa: S506 (safe loader)
    except yaml.YAMLError as exc:
        reason = _cut(str(exc), 300)
        raise ConfigError(f"{path}: not valid YAML ({reason}); fix or delete the file") from exc
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


def env_typos(env: Mapping[str, str]) -> list[str]:
    """Warnings for ``DOCBOT_*`` variables that look like a misspelt setting (``DOCBOT_MAX_CONCURENCY``).

    Such a variable is ignored, so a typo would silently run with the default. Only near misses are
    named: other ``DOCBOT_*`` names (a workflow's own secrets) are the user's business.
    """
    known = [*ENV_VARS, *OTHER_ENV_VARS]
    warnings = []
    for var in sorted(v for v in env if v.startswith("DOCBOT_") and v not in known):
        close = difflib.get_close_matches(var, known, n=1, cutoff=0.85)
        if close:
            warnings.append(f"{var} is not a docbot setting and is ignored; did you mean {close[0]}?")
    return warnings


def _split_cache_spec(raw: dict[str, object]) -> None:
    """``cache: dynamodb:TABLE`` is shorthand for ``cache: dynamodb`` plus ``cache_table: TABLE``."""
    spec = raw.get("cache")
    if isinstance(spec, str) and ":" in spec:
        backend, _, table = spec.partition(":")
        raw["cache"] = backend
        if backend.strip().lower() == "dynamodb" and table.strip():
            raw["cache_table"] = table


def load_settings(
    overrides: Mapping[str, object] | None = None, env: Mapping[str, str] | None = None
) -> Settings:
    """Build and validate the settings.

    Args:
        overrides: explicit values by setting name (CLI flags, Action inputs); ``None`` values are ignored.
        env: the environment to read (pass ``os.environ``); nothing is read when omitted.

    Returns:
        The frozen ``Settings``.

    Raises:
        ConfigError: a value is invalid, quoting it and saying what is accepted.
    """
    env = env or {}
    explicit = {k: v for k, v in (overrides or {}).items() if v is not None}
    unknown = sorted(set(explicit) - set(OPTIONS))
    if unknown:
        raise ConfigError(f"unknown setting(s): {', '.join(unknown)}")

    repo = _path(explicit.get("repo", "."), "repo")
    raw: dict[str, object] = _read_repo_config(repo)
    # An error names the value where the user typed it: the variable, the file, or the flag's setting.
    labels = {key: f"{key} (in {REPO_CONFIG_FILE})" for key in raw}
    for var, key in ENV_VARS.items():
        if env.get(var, "") != "":
            raw[key] = env[var]
            labels[key] = f"{key} (from {var})"
    raw.update(explicit)
    for key in explicit:
        labels.pop(key, None)
    raw["repo"] = repo
    _split_cache_spec(raw)

    top: dict[str, Any] = {}
    slices: dict[str, dict[str, Any]] = {}
    for key, value in raw.items():
        option = OPTIONS[key]
        parsed = option.meta.parse(value, labels.get(key, key))
        (slices.setdefault(option.group, {}) if option.group else top)[option.attr] = parsed
    base = Settings()
    for group, values in slices.items():
        top[group] = replace(getattr(base, group), **values)
    settings = replace(base, **top)
    if settings.cache.cache_path is None:
        settings = replace(settings, cache=replace(settings.cache, cache_path=_default_cache_path(env)))
    if settings.llm.provider_name == "anthropic" and settings.llm.anthropic_api_key is None:
        raise ConfigError("provider 'anthropic' needs ANTHROPIC_API_KEY; set it, or use --provider offline")
    return settings


def default_text(key: str) -> str | None:
    """A setting's built-in default as the docs quote it (``32``, ``admin,maintain,write``, ``false``),
    or ``None`` when it has no value to quote (unset, empty, or filled in by the loader)."""
    default = OPTIONS[key].default
    if default is None or default == ():
        return None
    if isinstance(default, bool):
        return str(default).lower()
    if isinstance(default, tuple):
        return ",".join(str(item) for item in default)
    if isinstance(default, float):
        return f"{default:g}"
    return str(default)


def settings_markdown() -> str:
    """The settings table of docs/configuration.md, derived from the declarations above."""
    rows = [
        "| setting | Action input | flag | environment | default | meaning |",
        "|---|---|---|---|---|---|",
    ]
    for key, o in OPTIONS.items():
        m = o.meta

        def code(text: str | None) -> str:
            return f"`{text}`" if text else ""

        if m.shown_default is not None:
            default = m.shown_default
        elif o.default is None:
            default = "none"
        elif isinstance(o.default, bool):
            default = f"`{str(o.default).lower()}`"
        else:
            default = f"`{o.default}`"
        meaning = m.help + ("" if m.from_file else "; not read from `.github/docbot.yml`")
        env = ", ".join(code(v) for v in m.env)
        rows.append(f"| `{key}` | {code(m.input)} | {code(m.flag)} | {env} | {default} | {meaning} |")
    return "\n".join(rows) + "\n"


if __name__ == "__main__":
    sys.stdout.write(settings_markdown())
