"""Matrix shards over the shared cache: N jobs document disjoint parts, one final job publishes.

Every shard computes the same selection (same revisions, same settings), so each can compute the same
partition without talking to the others: files are dealt to shards by chunk count, largest first, to
the least-loaded shard, ties broken by a hash of the path. Shard ``K`` documents only its part into the
shared cache (DynamoDB: every job must write the same cache) and publishes nothing; the final job runs
the whole selection, finds every answer in the cache, and publishes once, with each shard's report
(``read_shard_reports``, summarised by ``shard_summary``) merged into its own; the pages a shard cut at
the size cap stay listed as cut (``with_shard_cuts``).
"""

from __future__ import annotations

import hashlib
import heapq
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, TypeVar

from docbot.errors import PermanentError
from docbot.report import FileOutcome

_SPEC = re.compile(r"\s*(\d+)\s*/\s*(\d+)\s*")
MAX_SHARDS = 256  # a GitHub Actions matrix holds at most 256 jobs


@dataclass(frozen=True)
class Shard:
    """Shard ``index`` (1-based) of ``count``."""

    index: int
    count: int

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"


def parse_shard(spec: str) -> Shard:
    """``"2/4"`` -> ``Shard(2, 4)``.

    Raises:
        ValueError: not ``K/N`` with ``1 <= K <= N <= 256``.
    """
    match = _SPEC.fullmatch(spec)
    if not match:
        raise ValueError(f"{spec!r} is not K/N, such as 2/4")
    index, count = int(match.group(1)), int(match.group(2))
    if not 1 <= index <= count <= MAX_SHARDS:
        raise ValueError(f"{spec!r}: need 1 <= K <= N <= {MAX_SHARDS}")
    return Shard(index, count)


class Sized(Protocol):
    @property
    def path(self) -> str: ...

    @property
    def chunks(self) -> Sequence[object]: ...


def _tiebreak(path: str) -> str:
    return hashlib.sha256(path.encode("utf-8", "surrogateescape")).hexdigest()


T = TypeVar("T", bound=Sized)


def partition(files: Iterable[T], count: int) -> list[list[T]]:
    """Deal ``files`` to ``count`` shards, balanced by chunk count; the same input gives the same deal.

    Largest first to the least-loaded shard (the classic greedy bound: no shard exceeds the ideal by more
    than the largest file), ties between equal files broken by a hash of the path, ties between equally
    loaded shards by shard number.
    """
    order = sorted(files, key=lambda f: (-len(f.chunks), _tiebreak(f.path)))
    shards: list[list[T]] = [[] for _ in range(count)]
    load = [(0, i) for i in range(count)]
    for f in order:
        chunks, i = heapq.heappop(load)
        shards[i].append(f)
        heapq.heappush(load, (chunks + max(1, len(f.chunks)), i))
    return [sorted(s, key=lambda f: f.path) for s in shards]


def plan_json(files: Sequence[Sized], count: int) -> dict[str, Any]:
    """What ``docbot plan --shards N --json`` prints: the files and chunk counts of each shard."""
    shards = partition(files, count)
    return {
        "shards": [
            {"shard": i + 1, "files": [f.path for f in part], "chunks": sum(len(f.chunks) for f in part)}
            for i, part in enumerate(shards)
        ],
        "files": len(files),
        "chunks": sum(len(f.chunks) for f in files),
    }


def read_shard_reports(paths: Iterable[Path]) -> tuple[list[dict[str, Any]], list[str]]:
    """The shard reports found at ``paths`` (RunReport JSON with a ``shard`` key), and what was unreadable."""
    reports: list[dict[str, Any]] = []
    problems: list[str] = []
    for path in sorted(paths):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            problems.append(f"{path}: not a readable report ({type(exc).__name__})")
            continue
        if not isinstance(data, dict) or not isinstance(data.get("shard"), str):
            problems.append(f"{path}: not a shard's report (no shard key)")
            continue
        reports.append(data)
    return reports, problems


def _outcomes(entries: object) -> list[dict[str, str]]:
    # A report file is read back, not trusted: entries that are not {path, reason} objects are dropped.
    if not isinstance(entries, list):
        return []
    return [
        {"path": str(e.get("path")), "reason": str(e.get("reason"))} for e in entries if isinstance(e, dict)
    ]


def shard_summary(report: dict[str, Any]) -> dict[str, Any]:
    """One shard's line in the final report: its cost, tokens, requests, retries, failures and the pages
    it cut at the size cap."""
    api = report.get("api", {}) if isinstance(report.get("api"), dict) else {}
    files = report.get("files", {}) if isinstance(report.get("files"), dict) else {}
    pages = report.get("pages", {}) if isinstance(report.get("pages"), dict) else {}

    def number(value: object) -> float:
        return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0.0

    return {
        "shard": str(report.get("shard")),
        "cost_usd": number(report.get("cost_usd")),
        "requests": int(number(api.get("requests"))),
        "retries": int(number(api.get("retries"))),
        "rate_limited": int(number(api.get("rate_limited"))),
        "input_tokens": int(number(api.get("input_tokens"))),
        "output_tokens": int(number(api.get("output_tokens"))),
        "documented": len(files.get("documented", []) or []),
        "failed": _outcomes(files.get("failed")),
        "cut": _outcomes(pages.get("cut")),
        "duration_s": number(report.get("duration_s")),
    }


def with_shard_cuts(cut: Iterable[FileOutcome], reports: Iterable[dict[str, Any]]) -> list[FileOutcome]:
    """The final job's cut pages, then each shard's that it does not list already (one entry a path).

    The final job renders every page again and normally cuts the same ones; a page it could not render
    (its answers gone from the cache) or rendered with another cap keeps the shard's word that it was cut.
    """
    out = {o.path: o for o in cut}
    for report in reports:
        for entry in shard_summary(report)["cut"]:
            out.setdefault(entry["path"], FileOutcome(entry["path"], entry["reason"]))
    return list(out.values())


class CacheOnly:
    """A provider for ``publish_only``: the same cache keys as ``inner``, but it never sends a request.

    A chunk the shards did not leave in the cache fails with a reason that says how to fill the gap.
    """

    def __init__(self, inner: Any) -> None:
        self._inner = inner

    def document(self, request: Any) -> Any:
        raise PermanentError(
            "not in the cache: no shard documented it (rerun its shard job, or run the final job "
            "without publish_only to document it here)"
        )

    def overview(self, request: Any) -> Any:
        # Never delegated to ``inner``: a publish-only job sends no request, an overview's included.
        raise PermanentError(
            "overview not in the cache: no shard wrote it (rerun its shard job, or run the final job "
            "without publish_only to write it here)"
        )

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)
