"""``docbot run``'s job from a test: flat overrides in, the run's report out (pages written to the repo).

Tests describe a run the way a user does, in one flat dict of flags (``base``, ``all_files``, ``force``
beside settings such as ``cache_path``); this splits them into the ``RunSpec`` and the ``Settings``
and calls the same ``cli.document`` that ``docbot run`` calls.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from docbot.cache import Cache
from docbot.cli import document
from docbot.config import Settings, load_settings
from docbot.events import RunSpec
from docbot.git import Git
from docbot.llm.base import Provider
from docbot.progress import NO_PROGRESS, Progress
from docbot.report import RunReport

_RUN_KEYS = {"base": "base", "head": "head", "all_files": "everything", "paths": "paths", "force": "force"}


def split(overrides: Mapping[str, object], env: Mapping[str, str] | None = None) -> tuple[Settings, RunSpec]:
    """The settings and the run described by ``overrides`` (settings keys plus base/head/all_files/...)."""
    run = {_RUN_KEYS[k]: v for k, v in overrides.items() if k in _RUN_KEYS and v is not None}
    if "paths" in run and isinstance(run["paths"], list | tuple):
        run["paths"] = tuple(run["paths"])  # type: ignore[arg-type]
    settings = load_settings({k: v for k, v in overrides.items() if k not in _RUN_KEYS}, env or {})
    return settings, RunSpec(**{"head": "HEAD", **run})  # type: ignore[arg-type]


def run_local(
    repo: Path,
    *,
    store: Cache,
    provider: Provider,
    settings: Settings | None = None,
    progress: Progress = NO_PROGRESS,
    **overrides: object,
) -> RunReport:
    """Document ``repo`` as ``docbot run`` would, with ``overrides`` as its flags, caching in ``store``."""
    given, spec = split({"repo": repo, **overrides})
    return document(spec, settings or given, git=Git(repo), cache=store, provider=provider, progress=progress)
