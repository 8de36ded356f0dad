"""``./dev bench``: phase 1 and docbot side by side on five workloads, against the physical floor.

Every workload runs twice against the loopback Messages API (``tests.fakes.anthropic_server``) with a
latency model and Anthropic-style rate limits: once with phase 1 (``bench.phase1``), once with
the real pipeline (``pipeline.run`` with ``AnthropicProvider`` and its defaults, SQLite cache in a
temporary folder unless ``cache`` names another backend). Each run gets a fresh server, so the server's
own totals (requests, 429s, billed tokens) are that run's.

Time runs on a ``WaitScaledClock`` shared by the server, docbot's limiter and retries, and phase 1's
SDK retry waits: waiting (reply latency, rate-limit pauses, backoff) passes ``scale`` times faster than
real time, local work (git, parsing, HTTP on loopback) at its real speed. ``wall_s`` is in these API
seconds (what the run would take against the API from this machine), ``real_s`` is what it took here.
"""

from __future__ import annotations

import json
import math
import secrets
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench import phase1
from bench.sources import edit_one_function, python_module
from docbot import languages
from docbot.cache import open_cache
from docbot.cli import document
from docbot.config import ZERO_SHA, Settings, load_settings
from docbot.errors import ConfigError
from docbot.estimate import estimate_run
from docbot.events import RunSpec
from docbot.git import Git
from docbot.llm.batch import open_batches
from docbot.llm.client import AnthropicProvider
from docbot.llm.offline import OfflineProvider
from docbot.llm.pricing import ModelPrice, TokenUsage, cost_usd, price_for
from docbot.report import RunReport
from tests.fakes.anthropic_server import STORM_MESSAGE, FakeAnthropic, Latency, Limits, running
from tests.fakes.clock import WaitScaledClock

API_KEY = "bench-key"  # the loopback server's; never a real key
# Anthropic's Start tier, as published for Fable 5.x (no per-tier figures were found for the 5.5
# models); docbot's client defaults are the same figures.
START_TIER = Limits(rpm=1000, itpm=500_000, otpm=100_000)
TIERS: dict[str, Limits] = {
    "tier1-2025": Limits(rpm=50, itpm=30_000, otpm=8_000),  # Sonnet 4 Tier 1, 2025 rate-limit page
    "start": START_TIER,
    "scale": Limits(rpm=4000, itpm=4_000_000, otpm=800_000),
}
# Time to first token 1 s, then 15 ms per output token (about 67 tokens/s, a Sonnet-class model).
LATENCY = Latency(base_s=1.0, per_output_token_s=0.015)
CONTEXT_WINDOW = 1_000_000  # Sonnet 5.5's context window
# Phase 1's Markdown replies: output tokens per prompt token. Chosen so that for the generated modules
# phase 1 writes at most as many tokens as docbot's structured answers for the same file (measured on
# workload 2: docs/performance.md); the comparison is then about requests, not about verbosity.
PROSE_RATIO = 1.0
# Shorter prompt prefixes are not cached. Published figures disagree on Sonnet 5.5's minimum (512 or
# 1,024); the larger one is assumed, which never helps docbot.
MIN_CACHEABLE_TOKENS = 1024
PHASE1_MAX_TOKENS = 4096  # the same output budget as docbot's first attempt (Settings.max_tokens)
PHASE1_SCALE_FACTOR = 10.0  # phase 1's clock runs this many times faster than docbot's (time_scale)
# Environment variables the benchmark passes to the settings loader: where the cache is, never the
# API's key or URL. (boto3 reads AWS credentials from the environment itself.)
CACHE_ENV = frozenset(
    {
        "DOCBOT_CACHE_TABLE",
        "AWS_DEFAULT_REGION",
        "AWS_REGION",
        "AWS_ENDPOINT_URL",
        "AWS_ENDPOINT_URL_DYNAMODB",
    }
)

METRICS = (
    "wall_s",
    "requests",
    "rate_limited",
    "retries",
    "input_tokens",
    "output_tokens",
    "cost_usd",
    "files_ok",
    "files_failed",
)


@dataclass(frozen=True)
class Sizes:
    """How big each workload is."""

    big_file_lines: int
    repeat_files: int
    repeat_lines: tuple[int, int]
    repeat_runs: int
    storm_files: int
    storm_lines: tuple[int, int]
    push_files: int
    push_lines: tuple[int, int]


FULL = Sizes(50_000, 20, (150, 400), 10, 100, (150, 400), 1000, (20, 40))
QUICK = Sizes(3_000, 5, (120, 200), 3, 20, (120, 200), 60, (20, 40))
WORKLOADS = ("large-file", "repeat-20", "edit-one-function", "storm-429", "push-1000")


@dataclass(frozen=True)
class BenchOptions:
    """One ``./dev bench`` invocation.

    Args:
        quick: small versions of every workload (CI).
        file: a real file for workloads 1 and 3 instead of the generated 50,000-line module.
        cache: docbot's cache backend spec (``sqlite``, ``dynamodb[:TABLE]``, ``none``).
        scale: how much faster than real time waits pass in docbot's runs (default: 10, or 100 with
            ``quick``); phase 1's runs take ``PHASE1_SCALE_FACTOR`` times that.
        only: run just these workloads (all when empty).
        env: the caller's environment; only the cache backend's variables (``CACHE_ENV``) are read.
        model: the model both versions ask for (it sets the prices).
        docbot_settings: settings docbot runs with instead of its defaults (a "what if" run); the
            ones that say where and what to run are the benchmark's.
        progress: called with a line of progress text.
    """

    quick: bool = False
    file: Path | None = None
    cache: str = "sqlite"
    scale: float | None = None
    only: tuple[str, ...] = ()
    env: Mapping[str, str] = field(default_factory=dict)
    model: str = "claude-sonnet-5-5"
    docbot_settings: Mapping[str, str] = field(default_factory=dict)
    progress: Callable[[str], None] = lambda line: None

    def time_scale(self, system: str) -> float:
        """How much faster waits pass for ``system``'s runs.

        Local work that overlaps a wait passes at the waiting speed (``WaitScaledClock``), so docbot's
        concurrent runs gain a few ms per request times (scale - 1); they run at a low scale. Phase 1
        is sequential (nothing overlaps its waits), so its runs take a high one.
        """
        base = self.scale if self.scale is not None else (100.0 if self.quick else 10.0)
        return base * PHASE1_SCALE_FACTOR if system == "phase1" else base


# --- a scratch repository ---


class _Repo:
    def __init__(self, path: Path) -> None:
        path.mkdir(parents=True)
        self.path = path
        self.git = Git(path)
        self.git.run("init", "-q", "-b", "main")
        self._written: set[str] = set()

    def write(self, rel: str, text: str) -> None:
        target = self.path / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        self._written.add(rel)

    def commit(self, message: str) -> str:
        # Only the sources: the pages docbot writes into the working tree are not part of the push.
        if self._written:
            self.git.run("add", "--", *sorted(self._written))
            self._written.clear()
        ident = ("-c", "user.name=docbot bench", "-c", "user.email=bench@docbot.invalid")
        self.git.run(*ident, "-c", "commit.gpgsign=false", "commit", "-q", "--allow-empty", "-m", message)
        return self.git.run("rev-parse", "HEAD").strip()

    def files_at(self, rev: str, base: str | None = None) -> list[tuple[str, str]]:
        """(path, text) of the files phase 1 documents: all at ``rev``, or those changed since ``base``.

        Read from the working tree, which holds ``rev`` (the last commit), as a naive script would.
        """
        if base is None:
            names = self.git.run("ls-tree", "-r", "--name-only", rev).split("\n")
        else:
            names = self.git.run("diff", "--name-only", "--diff-filter=AM", base, rev).split("\n")
        return [(n, (self.path / n).read_text(encoding="utf-8")) for n in names if n]


# --- measuring one run ---


@dataclass
class _Run:
    """One system's run of one workload on one server: the clock, the server and the outcome so far."""

    fake: FakeAnthropic
    clock: WaitScaledClock
    price: ModelPrice
    api_s: float = 0.0
    real_s: float = 0.0
    files_ok: int = 0
    files_failed: int = 0
    retries: int = 0
    reported_cost_usd: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @contextmanager
    def timed(self) -> Iterator[None]:
        api, real = self.clock.now(), time.monotonic()
        try:
            yield
        finally:
            self.api_s += self.clock.now() - api
            self.real_s += time.monotonic() - real

    def metrics(self) -> dict[str, Any]:
        seen = list(self.fake.seen)
        answered = [s for s in seen if s.status == 200 and s.usage]
        usage = [s.usage for s in answered if s.usage]
        cost = sum(
            cost_usd(
                TokenUsage(
                    input_tokens=s.usage["input_tokens"],
                    output_tokens=s.usage["output_tokens"],
                    cache_write_5m_tokens=s.usage["cache_creation_input_tokens"] - s.cache_write_1h,
                    cache_write_1h_tokens=s.cache_write_1h,
                    cache_read_tokens=s.usage["cache_read_input_tokens"],
                ),
                self.price,
            )
            for s in answered
            if s.usage
        )
        # Message Batches items are billed at the batch discount (their usage says service_tier: batch).
        batch_items = [i.usage for i in self.fake.batches.items if i.usage]
        cost += sum(
            cost_usd(
                TokenUsage(
                    input_tokens=u["input_tokens"],
                    output_tokens=u["output_tokens"],
                    cache_write_5m_tokens=u["cache_creation_input_tokens"],
                    cache_read_tokens=u["cache_read_input_tokens"],
                ),
                self.price,
                batch=True,
            )
            for u in batch_items
        )
        usage = usage + batch_items
        limited = [s for s in seen if s.status == 429]
        whole = [s.usage for s in answered if s.usage and s.stop_reason == "end_turn"]
        complete = {
            "requests": len(whole),
            "input_tokens": sum(u["input_tokens"] for u in whole),
            "cache_write_tokens": sum(u["cache_creation_input_tokens"] for u in whole),
            "output_tokens": sum(u["output_tokens"] for u in whole),
        }
        m: dict[str, Any] = {
            "wall_s": round(self.api_s, 2),
            "real_s": round(self.real_s, 2),
            "requests": len(seen),
            "rate_limited": len(limited),
            "rate_limited_by_limits": sum(1 for s in limited if s.reason != STORM_MESSAGE),
            "retries": self.retries,
            "input_tokens": sum(u["input_tokens"] for u in usage),
            "output_tokens": sum(u["output_tokens"] for u in usage),
            "cache_read_tokens": sum(u["cache_read_input_tokens"] for u in usage),
            "cache_write_tokens": sum(u["cache_creation_input_tokens"] for u in usage),
            "cost_usd": round(cost, 6),
            "files_ok": self.files_ok,
            "files_failed": self.files_failed,
            # A prompt-cache warm-up asks for max_tokens 0 and stops there by design: not a cut-off.
            "cut_off_replies": sum(
                1 for s in answered if s.stop_reason == "max_tokens" and s.body and s.body.get("max_tokens")
            ),
            "complete": complete,
            "batch_items": len(batch_items),
        }
        if self.reported_cost_usd is not None:
            m["reported_cost_usd"] = round(self.reported_cost_usd, 6)
        return {**m, **self.extra}


@contextmanager
def _server(
    opts: BenchOptions, system: str, *, limits: Limits = START_TIER, rate_429: float = 0.0
) -> Iterator[_Run]:
    clock = WaitScaledClock(opts.time_scale(system))
    with running(
        api_key=API_KEY,
        limits=limits,
        rate_429=rate_429,
        latency=LATENCY,
        prose_ratio=PROSE_RATIO,
        context_window=CONTEXT_WINDOW,
        min_cacheable_tokens=MIN_CACHEABLE_TOKENS,
        clock=clock.now,
        sleep=clock.sleep,
    ) as fake:
        yield _Run(fake=fake, clock=clock, price=price_for(load_settings({"model": opts.model}, env={}).llm))


def _phase1(run: _Run, repo: _Repo, opts: BenchOptions, *, head: str, base: str | None = None) -> None:
    before = len(run.fake.seen)
    with run.timed():  # listing and reading the files is part of phase 1's run, as git is of docbot's
        files = repo.files_at(head, base)
        result = phase1.document_files(
            files,
            base_url=run.fake.url,
            api_key=API_KEY,
            model=opts.model,
            max_tokens=PHASE1_MAX_TOKENS,
            sleep=run.clock.sleep,
        )
    run.files_ok += len(result.ok)
    run.files_failed += len(result.failed)
    run.retries += len(run.fake.seen) - before - len(files)  # every request after a file's first
    if result.failed:
        run.extra.setdefault("failures", []).extend(f"{p}: {why}" for p, why in result.failed[:5])


def _settings(
    repo: _Repo, run: _Run, opts: BenchOptions, cache_path: Path, *, base: str, head: str
) -> tuple[Settings, RunSpec]:
    cache_env = {k: v for k, v in opts.env.items() if k in CACHE_ENV}
    spec = RunSpec(head=head, base=base, everything=base == ZERO_SHA)
    return load_settings(
        {
            # The workloads measure interactive requests unless asked (--set batch=always).
            "batch": "never",
            **opts.docbot_settings,
            "repo": repo.path,
            "provider": "anthropic",
            "model": opts.model,
            "anthropic_api_key": API_KEY,
            "anthropic_base_url": run.fake.url,
            "cache": opts.cache,
            "cache_path": cache_path,
        },
        env=cache_env,
    ), spec


def _docbot(
    run: _Run, repo: _Repo, opts: BenchOptions, cache_path: Path, *, base: str, head: str
) -> RunReport:
    settings, spec = _settings(repo, run, opts, cache_path, base=base, head=head)
    provider = AnthropicProvider(settings.llm, clock=run.clock.now, sleep=run.clock.sleep)
    cache = open_cache(settings.cache)
    try:
        # The price quoted before the run, with the run's own settings and cache (not timed).
        batches = open_batches(provider, settings.llm, event=spec.event, everything=spec.everything)
        quote = estimate_run(
            spec, settings, git=repo.git, cache=cache, provider=provider, batches=batches, wall=run.clock.now
        )
        with run.timed():
            # The server's clock dates the prompt cache's entries, so it dates docbot's record of them.
            report = document(
                spec, settings, git=repo.git, cache=cache, provider=provider, clock=run.clock.now,
                sleep=run.clock.sleep, wall=run.clock.now,
            )  # fmt: skip
    finally:
        cache.close()
    run.extra.setdefault("estimates", []).append(
        {
            "low": round(quote.low_usd, 6),
            "expected": round(quote.expected_usd, 6),
            "high": round(quote.high_usd, 6),
            "measured": round(report.usage.cost_usd, 6),
            "basis": quote.basis,
        }
    )
    if cache.error:
        run.extra["cache_error"] = cache.error
    run.files_ok += len(report.documented)
    run.files_failed += len(report.failed)
    run.retries += report.usage.retries
    # Symbols the model left undocumented (filled from the code): 0 means every symbol was documented.
    run.extra["symbols_static"] = run.extra.get("symbols_static", 0) + report.symbols_static
    run.reported_cost_usd = (run.reported_cost_usd or 0.0) + report.usage.cost_usd
    if report.failed:
        run.extra.setdefault("failures", []).extend(f"{o.path}: {o.reason}" for o in report.failed[:5])
    return report


# --- the floor ---


def limit_bound_s(work: Mapping[str, Any], limits: Limits) -> float:
    """Seconds the rate limits alone need for ``work`` (requests and the tokens billed for them).

    ITPM counts uncached input plus cache writes (cache reads are free of ITPM), OTPM the output.
    """
    bounds = [0.0]
    if limits.itpm:
        bounds.append((work["input_tokens"] + work["cache_write_tokens"]) / limits.itpm * 60)
    if limits.otpm:
        bounds.append(work["output_tokens"] / limits.otpm * 60)
    if limits.rpm:
        bounds.append(work["requests"] / limits.rpm * 60)
    return float(max(bounds))


def floor_s(work: Mapping[str, Any], limits: Limits = START_TIER, latency: Latency = LATENCY) -> float:
    """The physical floor of ``work``: its limit-bound time plus one request's latency (0: no request).

    ``work`` is a run's ``complete`` figures: the replies that came back whole and the tokens billed for
    them. Refused requests and replies cut off at ``max_tokens`` are left out: they are waste a better
    client would avoid, and counting them would lift the floor to meet the client. One request's latency
    is the time to first token plus the mean reply's output time: the last request cannot finish sooner
    than that after the limits let it start.
    """
    requests = int(work["requests"])
    if requests <= 0:
        return 0.0
    one = latency.base_s + latency.per_output_token_s * float(work["output_tokens"]) / requests
    return limit_bound_s(work, limits) + one


# --- the five workloads ---


@dataclass(frozen=True)
class _Cold:
    """Workload 1's cold run, which workload 3 edits and repeats."""

    repo: _Repo
    path: str
    text: str
    head: str
    cache_path: Path
    phase1: dict[str, Any]
    docbot: dict[str, Any]


@dataclass
class _Shared:
    cold: _Cold | None = None


def _module_name(nonce: str, i: int) -> str:
    return f"bench_{nonce}/pkg/module_{i:04d}.py"


def _big_file(opts: BenchOptions, sizes: Sizes, nonce: str) -> tuple[str, str, str]:
    """(path in the repository, text, language) of workloads 1 and 3's large file."""
    if opts.file is None:
        text = python_module(sizes.big_file_lines, seed=1, title="A large generated module")
        return f"bench_{nonce}/large_module.py", text, "python"
    language = languages.language_for(opts.file.name)
    if language is None:
        raise ConfigError(f"--file {opts.file}: no parser for this file type; pass a source file")
    try:
        text = opts.file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"--file {opts.file}: cannot read it as UTF-8 text ({exc})") from exc
    return f"bench_{nonce}/{opts.file.name}", text, language


def _lines(seed: int, span: tuple[int, int]) -> int:
    low, high = span
    return low + (seed * 7919) % (high - low + 1)


def _large_file(opts: BenchOptions, sizes: Sizes, tmp: Path, nonce: str, shared: _Shared) -> dict[str, Any]:
    repo = _Repo(tmp / "large")
    path, text, _ = _big_file(opts, sizes, nonce)
    repo.write(path, text)
    head = repo.commit("a large file")
    out: dict[str, Any] = {"name": "large-file", "lines": text.count("\n") + 1}
    with _server(opts, "phase1") as run:
        _phase1(run, repo, opts, head=head)
        out["phase1"] = run.metrics()
    with _server(opts, "docbot") as run:
        report = _docbot(run, repo, opts, tmp / "large.sqlite3", base=ZERO_SHA, head=head)
        out["docbot"] = run.metrics() | {"chunks": report.cache_chunk_misses + report.cache_chunk_hits}
    shared.cold = _Cold(repo, path, text, head, tmp / "large.sqlite3", out["phase1"], out["docbot"])
    return out


def _repeat(opts: BenchOptions, sizes: Sizes, tmp: Path, nonce: str, shared: _Shared) -> dict[str, Any]:
    repo = _Repo(tmp / "repeat")
    for i in range(sizes.repeat_files):
        lines = _lines(i, sizes.repeat_lines)
        repo.write(_module_name(nonce, i), python_module(lines, seed=100 + i, title=f"Module {i}"))
    head = repo.commit("20 files")
    out: dict[str, Any] = {"name": "repeat-20", "runs": sizes.repeat_runs, "files": sizes.repeat_files}
    with _server(opts, "phase1") as run:
        per_run = []
        for _ in range(sizes.repeat_runs):
            before = len(run.fake.seen)
            _phase1(run, repo, opts, head=head)
            per_run.append(len(run.fake.seen) - before)
        out["phase1"] = run.metrics() | {"requests_per_run": per_run}
    with _server(opts, "docbot") as run:
        per_run, wall_per_run = [], []
        for _ in range(sizes.repeat_runs):
            before, wall = len(run.fake.seen), run.api_s
            _docbot(run, repo, opts, tmp / "repeat.sqlite3", base=ZERO_SHA, head=head)
            per_run.append(len(run.fake.seen) - before)
            wall_per_run.append(round(run.api_s - wall, 2))
        out["docbot"] = run.metrics() | {"requests_per_run": per_run, "wall_s_per_run": wall_per_run}
    return out


def _edit(opts: BenchOptions, sizes: Sizes, tmp: Path, nonce: str, shared: _Shared) -> dict[str, Any]:
    out: dict[str, Any] = {"name": "edit-one-function"}
    if shared.cold is None:  # run alone: make workload 1's cold run first
        _large_file(opts, sizes, tmp, nonce, shared)
        out["cold_run"] = "made for this workload"
    else:
        out["cold_run"] = "workload 1's (the same file, repository and cache)"
    cold = shared.cold
    assert cold is not None
    language = languages.language_for(cold.path) or "python"
    cold.repo.write(cold.path, edit_one_function(cold.text, language))
    edited = cold.repo.commit("one function edited")
    with _server(opts, "phase1") as run:
        _phase1(run, cold.repo, opts, head=edited, base=cold.head)
        out["phase1"] = run.metrics()
    with _server(opts, "docbot") as run:
        _docbot(run, cold.repo, opts, cold.cache_path, base=cold.head, head=edited)
        out["docbot"] = run.metrics()
    for system, cold_m in (("phase1", cold.phase1), ("docbot", cold.docbot)):
        share = out[system]["cost_usd"] / cold_m["cost_usd"] if cold_m["cost_usd"] else 0.0
        out[system] |= {"cold": cold_m, "edit_vs_cold_cost": round(share, 4)}
    return out


def _storm(opts: BenchOptions, sizes: Sizes, tmp: Path, nonce: str, shared: _Shared) -> dict[str, Any]:
    repo = _Repo(tmp / "storm")
    for i in range(sizes.storm_files):
        lines = _lines(i, sizes.storm_lines)
        repo.write(_module_name(nonce, i), python_module(lines, seed=1000 + i, title=f"Module {i}"))
    head = repo.commit("100 files")
    out: dict[str, Any] = {"name": "storm-429", "files": sizes.storm_files, "rate_429": 0.4}
    with _server(opts, "phase1", rate_429=0.4) as run:
        _phase1(run, repo, opts, head=head)
        out["phase1"] = run.metrics()
    with _server(opts, "docbot", rate_429=0.4) as run:
        _docbot(run, repo, opts, tmp / "storm.sqlite3", base=ZERO_SHA, head=head)
        out["docbot"] = run.metrics()
    return out


def _push(opts: BenchOptions, sizes: Sizes, tmp: Path, nonce: str, shared: _Shared) -> dict[str, Any]:
    repo = _Repo(tmp / "push")
    texts = {}
    for i in range(sizes.push_files):
        texts[i] = python_module(_lines(i, sizes.push_lines), seed=5000 + i, title=f"Small module {i}")
        repo.write(_module_name(nonce, i), texts[i])
    base = repo.commit("small files")
    for i, text in texts.items():
        repo.write(_module_name(nonce, i), text.replace(f"Small module {i}.", f"Small module {i}, edited."))
    head = repo.commit("a push that edits every file")
    out: dict[str, Any] = {"name": "push-1000", "files": sizes.push_files}
    with _server(opts, "phase1") as run:
        _phase1(run, repo, opts, head=head, base=base)
        out["phase1"] = run.metrics()
    with _server(opts, "docbot") as run:
        _docbot(run, repo, opts, tmp / "push.sqlite3", base=base, head=head)
        out["docbot"] = run.metrics()
    # docbot's own overhead: the same push with a provider that answers at once, in real seconds.
    settings, spec = _settings(repo, run, opts, tmp / "push-offline.sqlite3", base=base, head=head)
    cache = open_cache(settings.cache)
    try:
        started = time.monotonic()
        report = document(spec, settings, git=repo.git, cache=cache, provider=OfflineProvider())
        overhead = time.monotonic() - started
    finally:
        cache.close()
    files = max(1, len(report.documented))
    out["docbot"] |= {
        "overhead_real_s": round(overhead, 3),
        "overhead_ms_per_file": round(overhead / files * 1000, 2),
    }
    return out


# Settings that say where and what to run, or which server to call: the benchmark's, not the user's.
_RESERVED = frozenset(
    {"repo", "base", "head", "all_files", "provider", "anthropic_api_key", "anthropic_base_url", "cache"}
) | {"cache_path", "model", "report_path"}

_RUNNERS = {
    "large-file": _large_file,
    "repeat-20": _repeat,
    "edit-one-function": _edit,
    "storm-429": _storm,
    "push-1000": _push,
}


def run_bench(opts: BenchOptions) -> dict[str, Any]:
    """Run the workloads and return the JSON document (``{"workloads": [...], ...}``).

    Raises:
        ConfigError: an unknown workload in ``only``, an unreadable ``file``, or a bad cache spec.
    """
    unknown = [w for w in opts.only if w not in _RUNNERS]
    if unknown:
        raise ConfigError(f"unknown workload(s) {', '.join(unknown)}; known: {', '.join(WORKLOADS)}")
    if opts.time_scale("docbot") <= 0 or not math.isfinite(opts.time_scale("docbot")):
        raise ConfigError(f"--scale {opts.scale}: use a positive number such as 40")
    reserved = sorted(set(opts.docbot_settings) & _RESERVED)
    if reserved:
        raise ConfigError(f"--set {', '.join(reserved)}: the benchmark sets these itself; drop them")
    sizes = QUICK if opts.quick else FULL
    # Fresh paths make a shared cache (DynamoDB) start cold on every invocation. A local cache lives in
    # this run's temporary folder and starts cold anyway: fixed paths there keep the server's seeded
    # 429 draws, and so the whole run, the same from one invocation to the next.
    nonce = secrets.token_hex(4) if opts.cache.startswith("dynamodb") else "run"
    workloads = []
    started = time.monotonic()
    shared = _Shared()
    with tempfile.TemporaryDirectory(prefix="docbot-bench-") as tmp:
        for name in WORKLOADS:
            if opts.only and name not in opts.only:
                continue
            opts.progress(f"bench: {name} ...")
            t0 = time.monotonic()
            result = _RUNNERS[name](opts, sizes, Path(tmp), nonce, shared)
            work = result["docbot"]["complete"]
            result["floor_s"] = round(floor_s(work), 2)
            result["floor_by_tier_s"] = {
                tier: round(floor_s(work, limits), 2) for tier, limits in TIERS.items()
            }
            workloads.append(result)
            opts.progress(f"bench: {name} done in {time.monotonic() - t0:.1f} s")
    doc: dict[str, Any] = {
        "quick": opts.quick,
        "scale": {"docbot": opts.time_scale("docbot"), "phase1": opts.time_scale("phase1")},
        "model": opts.model,
        "cache": opts.cache,
        "docbot_settings": dict(opts.docbot_settings),
        "limits": {"rpm": START_TIER.rpm, "itpm": START_TIER.itpm, "otpm": START_TIER.otpm},
        "latency": {"base_s": LATENCY.base_s, "per_output_token_s": LATENCY.per_output_token_s},
        "prose_ratio": PROSE_RATIO,
        "real_s": round(time.monotonic() - started, 1),
        "workloads": workloads,
    }
    doc["targets"] = targets(workloads)
    return doc


# --- reading the results ---


def _ratio(a: float, b: float) -> float | None:
    return round(a / b, 3) if b else None


def targets(workloads: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The performance targets, each with whether this run met it and the figures behind the verdict."""
    out = []
    by = {w["name"]: w for w in workloads}

    def add(workload: str, target: str, met: bool, measured: str) -> None:
        out.append({"workload": workload, "target": target, "met": met, "measured": measured})

    if "large-file" in by:
        w = by["large-file"]
        p, d = w["phase1"], w["docbot"]
        add(
            "large-file",
            "docbot documents the file whole (phase 1 fails on a 50,000-line one)",
            d["files_failed"] == 0 and d["files_ok"] > 0,
            f"phase 1 {p['files_ok']} ok / {p['files_failed']} failed; docbot {d['files_ok']} ok / "
            f"{d['files_failed']} failed",
        )
        ratio = _ratio(d["wall_s"], w["floor_s"])
        add(
            "large-file",
            "docbot wall time <= 1.25x the floor",
            ratio is not None and ratio <= 1.25,
            f"{d['wall_s']:.1f} s vs floor {w['floor_s']:.1f} s = {ratio}x",
        )
    if "repeat-20" in by:
        w = by["repeat-20"]
        p, d = w["phase1"], w["docbot"]
        later = d["requests_per_run"][1:]
        add(
            "repeat-20",
            "runs 2..N make zero requests",
            not any(later),
            f"requests per run {d['requests_per_run']}",
        )
        share = _ratio(d["cost_usd"], p["cost_usd"])
        add(
            "repeat-20",
            "total cost <= 10% of phase 1",
            share is not None and share <= 0.10,
            f"${d['cost_usd']:.4f} vs ${p['cost_usd']:.4f} = {share}",
        )
    if "edit-one-function" in by:
        d = by["edit-one-function"]["docbot"]
        add(
            "edit-one-function",
            "edit run costs <= 3% of the cold run",
            d["cold"]["cost_usd"] > 0 and d["edit_vs_cold_cost"] <= 0.03,
            f"${d['cost_usd']:.4f} vs ${d['cold']['cost_usd']:.4f} = {d['edit_vs_cold_cost']:.2%}",
        )
    if "storm-429" in by:
        d = by["storm-429"]["docbot"]
        total = d["files_ok"] + d["files_failed"]
        add("storm-429", "100% of files documented", d["files_failed"] == 0, f"{d['files_ok']} / {total}")
        share = d["rate_limited_by_limits"] / d["requests"] if d["requests"] else 0.0
        storm = d["rate_limited"] - d["rate_limited_by_limits"]
        add(
            "storm-429",
            "<= 5% of docbot's requests see a 429 from the limits (the storm's random 429s aside)",
            share <= 0.05,
            f"{d['rate_limited_by_limits']} limit 429s ({share:.1%}) and {storm} storm 429s "
            f"in {d['requests']} requests",
        )
    for w in workloads:
        quotes = w["docbot"].get("estimates", [])
        if quotes:
            errors = [_estimate_error(q) for q in quotes]
            shown = ", ".join(f"${q['expected']:.4f} vs ${q['measured']:.4f}" for q in quotes[:4])
            more = f" (+{len(quotes) - 4} more runs)" if len(quotes) > 4 else ""
            add(
                w["name"],
                "docbot estimate within +-25% of the measured cost of every run (cold and warm)",
                max(errors) <= 0.25,
                f"worst {max(errors):.1%}; expected vs measured: {shown}{more}",
            )
    if "push-1000" in by:
        d = by["push-1000"]["docbot"]
        add(
            "push-1000",
            "docbot's own overhead per file, reported",
            True,
            f"{d['overhead_ms_per_file']} ms per file "
            f"({d['overhead_real_s']} s real for the push with the offline provider)",
        )
    return out


def _estimate_error(quote: Mapping[str, Any]) -> float:
    """How far the expected figure was from what the run cost (a free run must be quoted free)."""
    if quote["measured"] == 0:
        return 0.0 if quote["expected"] == 0 else math.inf
    return float(abs(quote["expected"] / quote["measured"] - 1))


def _times(a: float, b: float) -> str:
    return f"{a / b:.2f}x" if b else "n/a"


def _row(name: str, label: str, m: Mapping[str, Any], tail: str) -> str:
    return (
        f"| {name} | {label} | {m['wall_s']:,.1f} | {m['real_s']:.1f} | {m['requests']:,} "
        f"| {m['rate_limited']:,} | {m['retries']:,} | {m['input_tokens']:,} "
        f"| {m['output_tokens']:,} | ${m['cost_usd']:.4f} | {m['files_ok']} / {m['files_failed']} | {tail} |"
    )


def markdown(doc: Mapping[str, Any]) -> str:
    """The results as a Markdown table, then the targets and what the units are."""
    rows = [
        "| workload | version | wall (API s) | real s | requests | 429s | retries | input tok | output tok "
        "| cost | files ok / failed | floor (API s) | time vs phase 1 | cost vs phase 1 | time vs floor |",
        "|" + "---|" * 15,
    ]
    for w in doc["workloads"]:
        p, d = w["phase1"], w["docbot"]
        rows.append(_row(w["name"], "phase 1", p, " | | | "))
        ratios = [_times(d["wall_s"], p["wall_s"]), _times(d["cost_usd"], p["cost_usd"])]
        ratios.append(_times(d["wall_s"], w["floor_s"]))
        rows.append(_row(w["name"], "docbot", d, f"{w['floor_s']:,.1f} | " + " | ".join(ratios)))
    lines = [*rows, ""]
    for t in doc["targets"]:
        lines.append(f"- [{'x' if t['met'] else ' '}] {t['workload']}: {t['target']}: {t['measured']}")
    limits, latency = doc["limits"], doc["latency"]
    lines += [
        "",
        f"wall = API seconds (waits pass {doc['scale']['docbot']:g}x faster than real time in docbot's runs, "
        f"{doc['scale']['phase1']:g}x in phase 1's; local work at real speed); real s = seconds here.",
        f"Server: {limits['rpm']} RPM, {limits['itpm']:,} ITPM, {limits['otpm']:,} OTPM; replies take "
        f"{latency['base_s']:g} s + {latency['per_output_token_s'] * 1000:g} ms per output token.",
    ]
    return "\n".join(lines)


def write_json(doc: dict[str, Any], path: Path) -> None:
    """Write the results to ``path`` (parents created).

    Raises:
        ConfigError: the file cannot be written.
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"--json {path}: cannot write the results ({exc}); pass a writable path") from exc
