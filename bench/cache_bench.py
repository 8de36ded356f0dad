"""Cache benchmark: batch throughput, compression, and what 10 identical runs cost, on loopback moto.

    .venv/bin/python bench/cache_bench.py [--runs 10] [--keys 1000]

Documents docbot's own source (this checkout, every file at HEAD) with a fixed-price stand-in for the
model (offline answers billed $0.0081 per chunk), through the real pipeline and each cache backend, and
prints one table. Nothing leaves 127.0.0.1: DynamoDB is moto in server mode.
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import subprocess
import sys
import tempfile
import time
import zlib
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from moto.server import ThreadedMotoServer

from docbot import pipeline
from docbot.cache import Cache, CacheEntry
from docbot.cache.dynamodb import DynamoCache, init_table
from docbot.cache.sqlite import SqliteCache
from docbot.config import load_settings
from docbot.docs import ChunkDoc, Usage
from docbot.git import Git
from docbot.llm.base import DocRequest
from docbot.llm.offline import OfflineProvider
from docbot.publish import DocsPlan, PublishResult
from docbot.report import RunReport

ROOT = Path(__file__).resolve().parents[1]
PRICE = Usage(input_tokens=1200, output_tokens=300, requests=1, cost_usd=0.0081)


class PricedOffline:
    """Offline answers at a fixed price, so savings are measurable without a model API."""

    name = "priced"
    model = "priced-1"
    prompt_version = "priced-1"

    def __init__(self) -> None:
        self.calls = 0
        self._offline = OfflineProvider()

    def document(self, request: DocRequest) -> ChunkDoc:
        self.calls += 1
        return replace(self._offline.document(request), model=self.model, usage=PRICE)


class DiscardPublisher:
    """Publishes nothing (the benchmark must not write pages into this checkout)."""

    def __init__(self) -> None:
        self.pages: list[tuple[str, str]] = []

    def publish(self, plan: DocsPlan) -> PublishResult:
        self.pages = list(plan.pages)
        return PublishResult(written=[p for p, _ in plan.pages])


def batch_figures(endpoint: str, keys: int) -> list[tuple[str, str]]:
    cache = DynamoCache("bench-batch", region="us-east-1", endpoint_url=endpoint)
    value = ("Documentation of one symbol, as JSON. " * 60)[:2400]
    entries = {f"key-{i:05}": CacheEntry(value, "m", time.time(), 1200, 300, 0.0081) for i in range(keys)}
    t0 = time.perf_counter()
    cache.put_many(entries)
    put_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    found = cache.get_many(list(entries))
    get_s = time.perf_counter() - t0
    assert len(found) == keys, cache.error
    cache.close()
    return [
        (
            f"put_many {keys} entries (2.4 KB each)",
            f"{put_s * 1000:.0f} ms, {cache.write_calls} BatchWriteItem",
        ),
        (f"get_many {keys} keys", f"{get_s * 1000:.0f} ms, {cache.read_calls} BatchGetItem"),
    ]


def pipeline_runs(
    label: str, open_cache: Callable[[], Cache], n: int
) -> tuple[list[tuple[str, str]], list[str]]:
    settings = load_settings({"repo": ROOT, "all_files": True}, {})
    git = Git(ROOT)
    spent = saved = 0.0
    calls = 0
    times: list[float] = []
    pages: list[str] = []
    reports: list[RunReport] = []
    for _ in range(n):
        cache = open_cache()
        provider = PricedOffline()
        publisher = DiscardPublisher()
        t0 = time.perf_counter()
        report = pipeline.run(settings, git=git, cache=cache, provider=provider, publisher=publisher)
        times.append(time.perf_counter() - t0)
        cache.close()
        assert report.cache_available, report.cache_error
        spent += report.usage.cost_usd
        saved += report.saved_usd
        calls += provider.calls
        pages = [text for _, text in publisher.pages]
        reports.append(report)
    first = reports[0]
    rows = [
        (f"{label}: files / chunks in one run", f"{len(first.documented)} / {first.cache_misses}"),
        (f"{label}: model calls over {n} runs", f"{calls}"),
        (f"{label}: cost over {n} runs", f"${spent:.4f} (one run: ${first.usage.cost_usd:.4f})"),
        (
            f"{label}: saved over {n} runs",
            f"${saved:.4f} = {saved / (saved + spent):.0%} of ${saved + spent:.4f}",
        ),
        (
            f"{label}: run time cold / warm (median)",
            f"{times[0]:.2f} s / {statistics.median(times[1:]):.3f} s",
        ),
    ]
    return rows, pages


def one_function_edit(endpoint: str, chunk_max_lines: int) -> list[tuple[str, str]]:
    """Document a copy of docbot/pipeline.py, change one function's body, document it again."""
    source = (ROOT / "docbot" / "pipeline.py").read_text(encoding="utf-8")
    edited = source.replace('"""Decide per change:', '"""Decide, for each change:', 1)
    assert edited != source, "the benchmark's edit no longer applies to docbot/pipeline.py"
    with tempfile.TemporaryDirectory() as tmp:
        repo = Path(tmp)

        def git(*args: str) -> None:
            subprocess.run(["git", "-C", tmp, *args], check=True, capture_output=True, timeout=60)

        git("init", "-q")
        (repo / "pipeline.py").write_text(source, encoding="utf-8")
        git("add", "-A")
        git("-c", "user.name=bench", "-c", "user.email=bench@example.com", "commit", "-qm", "one")
        settings = load_settings({"repo": repo, "all_files": True, "chunk_max_lines": chunk_max_lines}, {})
        reports = []
        for text in (source, edited):
            (repo / "pipeline.py").write_text(text, encoding="utf-8")
            git(
                "-c",
                "user.name=bench",
                "-c",
                "user.email=bench@example.com",
                "commit",
                "-qam",
                "edit",
                "--allow-empty",
            )
            cache = DynamoCache("bench-edit", region="us-east-1", endpoint_url=endpoint)
            reports.append(
                pipeline.run(
                    settings,
                    git=Git(repo),
                    cache=cache,
                    provider=PricedOffline(),
                    publisher=DiscardPublisher(),
                )
            )
            cache.close()
    first, second = reports
    return [
        (
            f"edit one function of pipeline.py ({chunk_max_lines}-line chunks)",
            f"{second.cache_misses} of {first.cache_misses} chunks sent again, "
            f"${second.usage.cost_usd:.4f} instead of ${first.usage.cost_usd:.4f}",
        )
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--keys", type=int, default=1000)
    args = parser.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "bench")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "bench")
    os.environ["AWS_EC2_METADATA_DISABLED"] = "true"
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    rows: list[tuple[str, str]] = []
    try:
        for table in ("bench-batch", "bench-runs", "bench-edit"):
            init_table(table, region="us-east-1", endpoint_url=endpoint)
        rows += batch_figures(endpoint, args.keys)
        dynamo_rows, pages = pipeline_runs(
            "dynamodb",
            lambda: DynamoCache("bench-runs", region="us-east-1", endpoint_url=endpoint),
            args.runs,
        )
        rows += dynamo_rows
        rows += one_function_edit(endpoint, chunk_max_lines=40)
        with tempfile.TemporaryDirectory() as tmp:
            sqlite_rows, _ = pipeline_runs(
                "sqlite", lambda: SqliteCache(Path(tmp) / "bench.sqlite3"), args.runs
            )
        rows += sqlite_rows
        raw = sum(len(p.encode()) for p in pages)
        packed = sum(len(zlib.compress(p.encode(), 6)) for p in pages)
        rows.append(("page values: raw / zlib-6", f"{raw:,} B / {packed:,} B ({packed / raw:.0%})"))
    finally:
        server.stop()
    width = max(len(label) for label, _ in rows)
    print(f"docbot cache benchmark (python {sys.version.split()[0]}, moto on {endpoint})")
    for label, value in rows:
        print(f"  {label:<{width}}  {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
