"""The GitHub Action's face: runner environment in, pipeline run, outputs and job summary out.

``entrypoint.py`` only calls ``main()``. Inputs arrive as ``INPUT_<NAME>`` variables (snake_case names:
hyphenated ones do not reach Docker actions); the event payload is read from ``GITHUB_EVENT_PATH``.
"""

from __future__ import annotations

import json
import os
import sys
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import TextIO

from docbot import pipeline
from docbot.cache import open_cache
from docbot.changes import Git
from docbot.config import load_settings
from docbot.errors import DocbotError
from docbot.events import diff_range, from_event
from docbot.llm.providers import open_provider
from docbot.publish.files import FilesPublisher
from docbot.report import RunReport

# Action input -> setting. Inputs left empty fall back to the repository's config file and defaults.
INPUTS: dict[str, str] = {
    "anthropic_api_key": "anthropic_api_key",
    "model": "model",
    "docs_dir": "out_dir",
    "cache": "cache",
    "cache_ttl_hours": "cache_ttl_hours",
    "max_concurrency": "max_concurrency",
    "chunk_max_lines": "chunk_max_lines",
    "provider": "provider",
    "include": "include",
    "exclude": "exclude",
}


def _input(env: Mapping[str, str], name: str) -> str:
    return env.get(f"INPUT_{name.upper()}", "").strip()


def write_outputs(path: str | None, outputs: Mapping[str, object]) -> None:
    """Append ``name=value`` lines (heredoc form for multi-line values) to ``$GITHUB_OUTPUT``."""
    if not path:
        return
    with open(path, "a", encoding="utf-8") as fh:
        for name, value in outputs.items():
            text = str(value)
            if "\n" in text:
                delim = f"ghadelim_{uuid.uuid4().hex}"
                fh.write(f"{name}<<{delim}\n{text}\n{delim}\n")
            else:
                fh.write(f"{name}={text}\n")


def summary_markdown(report: RunReport) -> str:
    rows = "\n".join(f"| {label} | {value} |" for label, value in report.summary_rows())
    failed = "".join(f"\n- ❌ `{o.path}`: {o.reason}" for o in report.failed)
    return f"### docbot\n\n| | |\n|---|---|\n{rows}\n{failed}\n"


def outputs_of(report: RunReport, report_path: Path) -> dict[str, object]:
    data = report.to_json()
    return {
        "operation": "none",
        "files_documented": len(report.documented),
        "files_skipped": len(report.skipped),
        "files_failed": len(report.failed),
        "cache_hits": report.cache_hits,
        "cache_misses": report.cache_misses,
        "cache_hit_rate": report.hit_rate,
        "cost_usd": data["cost_usd"],
        "report_path": str(report_path),
    }


def main(env: Mapping[str, str] | None = None, out: TextIO = sys.stdout) -> int:
    """Run the Action. Returns the process exit code."""
    env = os.environ if env is None else env
    key = _input(env, "anthropic_api_key")
    if key:
        out.write(f"::add-mask::{key}\n")
    workspace = Path(env.get("GITHUB_WORKSPACE") or ".")
    try:
        event_path = env.get("GITHUB_EVENT_PATH")
        payload = json.loads(Path(event_path).read_text(encoding="utf-8")) if event_path else {}
        request = from_event(env.get("GITHUB_EVENT_NAME", ""), payload, sha=env.get("GITHUB_SHA"))
        if request.is_noop:
            out.write(f"::notice title=docbot::nothing to document: {request.skip_reason}\n")
            write_outputs(env.get("GITHUB_OUTPUT"), {"operation": "none"})
            return 0
        git = Git(workspace)
        git.mark_safe()
        # Which two commits: merge-base fallbacks, forced pushes, shallow clones (events.diff_range).
        span = diff_range(request, git)
        for notice in span.notices:
            out.write(f"::notice title=docbot::{notice}\n")
        overrides: dict[str, object] = {s: _input(env, i) or None for i, s in INPUTS.items()}
        overrides.update(repo=workspace, base=span.base, head=span.head, all_files=span.everything)
        overrides["paths"] = request.paths
        settings = load_settings(overrides, env)
        provider = open_provider(settings)
        cache = open_cache(settings)
        try:
            report = pipeline.run(
                settings, git=git, cache=cache, provider=provider, publisher=FilesPublisher(workspace)
            )
        finally:
            cache.close()
    except (DocbotError, OSError, ValueError) as exc:
        out.write(f"::error title=docbot::{exc}\n")
        return 1
    report_path = Path(env.get("RUNNER_TEMP") or workspace) / "docbot-report.json"
    report.write(report_path)
    for outcome in report.failed:
        out.write(f"::warning title=docbot::{outcome.path}: {outcome.reason}\n")
    write_outputs(env.get("GITHUB_OUTPUT"), outputs_of(report, report_path))
    summary = env.get("GITHUB_STEP_SUMMARY")
    if summary:
        with open(summary, "a", encoding="utf-8") as fh:
            fh.write(summary_markdown(report))
    return 1 if report.failed else 0
