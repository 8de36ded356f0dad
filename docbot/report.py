"""What a run did: ``RunReport`` (documented, skipped, failed, cache, cost) and ``PublishRecord`` (what
publishing did), as the JSON contract (``report_json``) and as the rows of the human summary.

The pipeline assembles the report once from its stages' results; a publisher returns its record; the
final report of a run is ``report.published(record)``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from docbot.docs import Usage
from docbot.plural import count


@dataclass(frozen=True)
class FileOutcome:
    path: str
    reason: str


@dataclass(frozen=True)
class BatchSummary:
    """What went through the Message Batches API (billed at its discount): batch ids and item counts."""

    created: tuple[str, ...] = ()
    resumed: tuple[str, ...] = ()  # left pending by an earlier run and collected by this one
    answered: int = 0
    fallback: int = 0  # errored, expired, canceled or unusable items, asked interactively instead
    unfinished: int = 0  # still processing at the time limit: the next run collects them
    cost_usd: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "created": list(self.created),
            "resumed": list(self.resumed),
            "answered": self.answered,
            "fallback": self.fallback,
            "unfinished": self.unfinished,
            "cost_usd": round(self.cost_usd, 6),
        }

    def row(self) -> str:
        ids = len(self.created) + len(self.resumed)
        text = f"{self.answered} answered in {count(ids, 'batch')} for ${self.cost_usd:.4f} (half price)"
        if self.resumed:
            text += f", {len(self.resumed)} collected from an earlier run"
        if self.fallback:
            text += f"; {self.fallback} asked interactively"
        if self.unfinished:
            text += f"; {self.unfinished} still processing (the next run collects them)"
        return text


Operation = Literal["created", "updated", "commented", "committed", "none"]


@dataclass(frozen=True)
class PublishRecord:
    """What publishing did, the way create-pull-request reports it: one operation and where it landed.

    ``written``/``deleted`` are the pages changed (a pull request's: everything its commit changes);
    ``refused`` the pages docbot would not touch, with why; ``notes`` are sentences for the job summary
    and ``warnings`` are also shown as annotations.
    """

    operation: Operation = "none"
    pr_number: int | None = None
    pr_url: str | None = None
    comment_id: int | None = None
    comment_url: str | None = None
    branch: str | None = None
    commit_sha: str | None = None
    written: tuple[str, ...] = ()
    deleted: tuple[str, ...] = ()
    refused: tuple[tuple[str, str], ...] = ()  # (page, why)
    # Pages the file system would not take (a name too long, a full disk), with why: their files failed.
    unwritten: tuple[tuple[str, str], ...] = ()
    notes: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    # Pages of the plan that did not fit in the sticky comment (they go to the job summary instead).
    not_shown: tuple[str, ...] = ()
    # The docs folder in the workspace when the pages were written there (mode none, dry_run).
    workspace_dir: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "operation": self.operation,
            "pr_number": self.pr_number,
            "pr_url": self.pr_url,
            "comment_id": self.comment_id,
            "comment_url": self.comment_url,
            "branch": self.branch,
            "commit": self.commit_sha,
            "notes": list(self.notes),
            "not_shown": list(self.not_shown),
            "workspace_dir": self.workspace_dir,
        }


@dataclass(frozen=True)
class RunReport:
    """Assembled once by the pipeline; serialised with ``to_json`` (see the README for the keys)."""

    provider: str = ""
    model: str = ""
    documented: list[str] = field(default_factory=list)
    skipped: list[FileOutcome] = field(default_factory=list)
    failed: list[FileOutcome] = field(default_factory=list)
    deleted_pages: list[str] = field(default_factory=list)
    written_pages: list[str] = field(default_factory=list)
    cache_backend: str = "none"
    cache_available: bool = False
    cache_error: str | None = None
    cache_hits: int = 0
    cache_misses: int = 0
    # The two levels of lookup (docs/cache.md): whole pages first, then the chunks of the files missed.
    cache_file_hits: int = 0
    cache_file_misses: int = 0
    cache_chunk_hits: int = 0
    cache_chunk_misses: int = 0
    # The third level: the symbols of the chunks that missed (cached one by one, asked one by one).
    cache_symbol_hits: int = 0
    cache_symbol_misses: int = 0
    cache_not_stored: list[FileOutcome] = field(default_factory=list)
    # Values found in the cache but refused as not docbot's (docs/cache.md, "Untrusted contents").
    cache_rejected: int = 0
    usage: Usage = field(default_factory=Usage)
    saved_usd: float = 0.0
    symbols_static: int = 0
    symbols_invented: int = 0
    # Pages published without their file overview (its request failed), with why.
    overviews_failed: list[FileOutcome] = field(default_factory=list)
    # Pages cut at the size cap (``max_page_bytes``), with how many symbols were left out.
    pages_cut: list[FileOutcome] = field(default_factory=list)
    # The truthfulness guard on fresh answers (docbot/truth.py): names found nowhere in the code,
    # parameters the signature does not have (dropped), symbols asked again for naming unknown things.
    quality_unknown_names: int = 0
    quality_dropped_params: int = 0
    quality_reasked: int = 0
    duration_s: float = 0.0
    currency: str = "USD"  # display currency of the cost; USD figures are always reported
    currency_rate: float = 1.0  # units of ``currency`` per USD
    language: str = "English"  # the output language of the docs
    instructions_chars: int = 0  # length of the house-style instructions (0: none)
    # Page path -> the source it documents, for the pages of this run (to name a refused page's source).
    page_sources: dict[str, str] = field(default_factory=dict, compare=False, repr=False)
    batch: BatchSummary | None = None  # None: every request was interactive
    # What the budget guard decided before the first request (max_cost_usd set): all fit, part, or none.
    budget: str | None = None
    shard: str | None = None  # "K/N" when this run was one shard of a matrix
    shards: tuple[dict[str, Any], ...] = ()  # the final job: each shard's summary (shard.shard_summary)

    def published(self, record: PublishRecord) -> RunReport:
        """This report with what publishing did: pages written and deleted, refused pages as skipped,
        pages that could not be written as failed."""

        def outcomes(pages: tuple[tuple[str, str], ...]) -> list[FileOutcome]:
            return [FileOutcome(self.page_sources.get(p, p), f"page {p} {why}") for p, why in pages]

        skipped, failed = outcomes(record.refused), outcomes(record.unwritten)
        left_out = {o.path for o in (*skipped, *failed)}
        return replace(
            self,
            written_pages=list(record.written),
            deleted_pages=list(record.deleted),
            skipped=self.skipped + skipped,
            failed=self.failed + failed,
            documented=[src for src in self.documented if src not in left_out],
        )

    @property
    def hit_rate(self) -> float:
        lookups = self.cache_hits + self.cache_misses
        return round(self.cache_hits / lookups, 4) if lookups else 0.0

    @property
    def saved_fraction(self) -> float:
        """Share of what the run's docs cost to generate that the cache paid: saved / (saved + spent)."""
        total = self.saved_usd + self.usage.cost_usd
        return round(self.saved_usd / total, 4) if total else 0.0

    def to_json(self) -> dict[str, Any]:
        u = self.usage
        return {
            "provider": self.provider,
            "model": self.model,
            "files": {
                "documented": sorted(self.documented),
                "skipped": [{"path": o.path, "reason": o.reason} for o in self.skipped],
                "failed": [{"path": o.path, "reason": o.reason} for o in self.failed],
            },
            "pages": {
                "written": sorted(self.written_pages),
                "deleted": sorted(self.deleted_pages),
                "cut": [{"path": o.path, "reason": o.reason} for o in self.pages_cut],
            },
            "cache": {
                "backend": self.cache_backend,
                "available": self.cache_available,
                "unit": "chunk",
                "hits": self.cache_hits,
                "misses": self.cache_misses,
                "hit_rate": self.hit_rate,
                "error": self.cache_error,
                "files": {"hits": self.cache_file_hits, "misses": self.cache_file_misses},
                "chunks": {"hits": self.cache_chunk_hits, "misses": self.cache_chunk_misses},
                "symbols": {"hits": self.cache_symbol_hits, "misses": self.cache_symbol_misses},
                "not_stored": [{"path": o.path, "reason": o.reason} for o in self.cache_not_stored],
                "rejected": self.cache_rejected,
                "saved_fraction": self.saved_fraction,
            },
            "api": {
                "requests": u.requests,
                "retries": u.retries,
                "rate_limited": u.rate_limited,
                "input_tokens": u.input_tokens,
                "output_tokens": u.output_tokens,
                "cache_read_tokens": u.cache_read_tokens,
                "cache_write_tokens": u.cache_write_tokens,
                "thinking_tokens": u.thinking_tokens,
                "saved_by_prompt_cache_usd": round(u.cache_saved_usd, 6),
            },
            "symbols": {"filled_statically": self.symbols_static, "invented_dropped": self.symbols_invented},
            "quality": self.quality_json(),
            "cost_usd": round(u.cost_usd, 6),
            "cost": {
                "currency": self.currency,
                "rate": self.currency_rate,
                "amount": round(u.cost_usd * self.currency_rate, 6),
            },
            "saved_usd": round(self.saved_usd, 6),
            "duration_s": round(self.duration_s, 3),
            "style": {"language": self.language, "instructions_chars": self.instructions_chars},
            "batch": self.batch.to_json() if self.batch else None,
            "budget": self.budget,
        } | self._shards_json()

    def _shards_json(self) -> dict[str, Any]:
        if self.shard is None and not self.shards:
            return {}
        u = self.usage
        every = [
            {"cost_usd": u.cost_usd, "requests": u.requests, "input_tokens": u.input_tokens,
             "output_tokens": u.output_tokens},
            *self.shards,
        ]  # fmt: skip
        totals = {k: sum(s[k] for s in every) for k in ("requests", "input_tokens", "output_tokens")}
        return {
            "shard": self.shard,
            "shards": list(self.shards),
            "all_shards": {"cost_usd": round(sum(s["cost_usd"] for s in every), 6), **totals},
        }

    def shard_rows(self) -> list[tuple[str, str]]:
        """Summary rows of the shards' work, for a final job that merged their reports."""
        if not self.shards:
            return []
        data = self._shards_json()["all_shards"]
        failed = sum(len(s["failed"]) for s in self.shards)
        return [
            (
                f"Shards ({len(self.shards)}) and this job",
                f"${data['cost_usd']:.4f}, {count(data['requests'], 'request')}, {data['input_tokens']:,} / "
                f"{data['output_tokens']:,} tokens; {count(failed, 'file')} failed in shards",
            )
        ]

    def quality_json(self) -> dict[str, Any]:
        """What the checks of the answers found (see ``docbot.truth``) and the overviews that failed."""
        return {
            "unknown_names": self.quality_unknown_names,
            "dropped_params": self.quality_dropped_params,
            "reasked": self.quality_reasked,
            "overviews_failed": [{"path": o.path, "reason": o.reason} for o in self.overviews_failed],
        }

    def _converted(self) -> str:
        if self.currency == "USD":
            return ""
        cost, saved = self.usage.cost_usd * self.currency_rate, self.saved_usd * self.currency_rate
        return f"; {cost:.2f} {self.currency} (saved {saved:.2f} {self.currency})"

    def write(self, path: Path, record: PublishRecord | None = None, **publish: object) -> None:
        """Write the report JSON (with a ``publish`` key when ``record`` is given) to ``path``."""
        data = self.to_json()
        if record is not None:
            data["publish"] = record.to_json() | publish
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")

    def _levels(self) -> str:
        return (
            f"pages {self.cache_file_hits} hit, {self.cache_file_misses} missed; "
            f"chunks {self.cache_chunk_hits} hit, {self.cache_chunk_misses} missed; "
            f"symbols {self.cache_symbol_hits} hit, {self.cache_symbol_misses} asked"
        )

    def summary_rows(self) -> list[tuple[str, str]]:
        """(label, value) rows of the human summary, shared by the terminal table and Markdown."""
        u = self.usage
        return [
            ("Files documented", str(len(self.documented))),
            ("Files skipped", str(len(self.skipped))),
            ("Files failed", str(len(self.failed))),
            ("Pages written / deleted", f"{len(self.written_pages)} / {len(self.deleted_pages)}"),
            (
                f"Cache ({self.cache_backend}) hits / misses",
                f"{self.cache_hits} / {self.cache_misses} ({self.hit_rate:.0%} hit rate)",
            ),
            ("Cache pages / chunks looked up", self._levels()),
            ("API requests (retries)", f"{u.requests} ({u.retries})"),
            ("Tokens in / out", f"{u.input_tokens:,} / {u.output_tokens:,}"),
            (
                "Prompt cache read / written",
                f"{u.cache_read_tokens:,} / {u.cache_write_tokens:,} tokens (saved ${u.cache_saved_usd:.4f})",
            ),
            ("Cost", f"${u.cost_usd:.4f} (saved ${self.saved_usd:.4f} by the cache)" + self._converted()),
            ("Time", f"{self.duration_s:.2f} s"),
            ("House style", self._style()),
            *self.shard_rows(),
            *self.extra_rows(),
        ]

    def _style(self) -> str:
        n = self.instructions_chars
        return f"{self.language}; " + (f"{n:,} characters of instructions" if n else "no instructions")

    def extra_rows(self) -> list[tuple[str, str]]:
        """Rows only some runs have: Message Batches, the budget guard's decision, pages cut by size."""
        rows = [("Message Batches", self.batch.row())] if self.batch else []
        if self.pages_cut:
            cut = "; ".join(f"{o.path}: {o.reason.split(': ', 1)[-1]}" for o in self.pages_cut[:5])
            more = f"; and {len(self.pages_cut) - 5} more" if len(self.pages_cut) > 5 else ""
            rows.append(("Pages cut at max_page_bytes", f"{cut}{more}"))
        return rows + ([("Budget", self.budget)] if self.budget else [])
