"""``./dev bench rate``: how docbot fills a rate-limit tier, survives fault storms and resumes after a kill.

Workloads, each against the loopback Messages API (``tests.fakes``) with the tier's buckets, its
concurrency limit and ``max_tokens`` reservations enforced the way the API does:

1. ``tier-low``: a 50,000-line real Python file (installed packages' sources concatenated) at the
   lowest paid tier, 50 RPM / 30,000 ITPM / 8,000 OTPM, 5 requests at once.
2. ``tier-high``: the same file at 1,000 RPM / 450,000 ITPM / 90,000 OTPM, 20 requests at once.
3. ``storm-529`` and ``storm-mixed``: 60 real files at the higher tier with 40% of requests answered
   529, then 60% answered 529 / 500 / 503 / a dropped connection, against the same files fault-free.
4. ``kill``: the large file at the higher tier, interrupted (SIGINT in the main thread, as a cancelled
   workflow's signal arrives) when half its chunks were answered, then run again.

Time runs on a ``WaitScaledClock``: waits pass ``--scale`` times faster. Figures are in API seconds.
"""

from __future__ import annotations

import _thread
import argparse
import json
import logging
import sys
import sysconfig
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.workloads import API_KEY, LATENCY, BenchOptions, _docbot, _Repo, _Run, floor_s
from docbot.chunking import split_source
from docbot.config import ZERO_SHA, load_settings
from docbot.llm.pricing import price_for
from docbot.report import RunReport
from tests.fakes.anthropic_server import Fault, Limits, running
from tests.fakes.clock import WaitScaledClock
from tests.fakes.storms import mixed, overloaded

LOW = Limits(rpm=50, itpm=30_000, otpm=8_000, concurrency=5)
HIGH = Limits(rpm=1000, itpm=450_000, otpm=90_000, concurrency=20)
# Where the real sources come from: packages installed in the dev environment, in a fixed order.
PACKAGES = ("anthropic", "botocore", "pygments", "rich", "tenacity", "github", "boto3", "moto")


def real_sources() -> Iterator[tuple[str, str]]:
    """(name, text) of the installed packages' Python files, in a fixed order."""
    root = Path(sysconfig.get_paths()["purelib"])
    for package in PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            try:
                text = path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                continue
            # A file's __all__ would make every later file's names private once they are concatenated.
            if 50 <= text.count("\n") <= 3000 and "__all__" not in text:
                yield str(path.relative_to(root)), text


def big_real_file(lines: int) -> str:
    """About ``lines`` lines of real Python: whole installed source files, one after another."""
    parts, total = [], 0
    for _, text in real_sources():
        parts.append(text if text.endswith("\n") else text + "\n")
        total += parts[-1].count("\n")
        if total >= lines:
            break
    return "".join(parts)


def real_files(count: int) -> list[tuple[str, str]]:
    return [
        (f"src/f{i:03d}_{Path(name).name}", text)
        for i, (name, text) in zip(range(count), real_sources(), strict=False)
    ]


def symbol_count(path: str, text: str) -> int:
    chunking = load_settings({"provider": "offline"}, {}).chunking
    _, chunks = split_source(
        path, "python", text, max_lines=chunking.chunk_max_lines, max_tokens=chunking.chunk_max_tokens,
        overlap=chunking.chunk_overlap_lines, visibility=chunking.visibility,
    )  # fmt: skip
    return sum(len(c.symbols) for c in chunks)  # the symbols docbot asks the model to document


@dataclass(frozen=True)
class Options:
    scale: float
    lines: int
    files: int


@contextmanager
def server(
    opts: Options, limits: Limits, storm: Callable[[bytes], Fault | None] | None = None
) -> Iterator[_Run]:
    clock = WaitScaledClock(opts.scale)
    with running(
        api_key=API_KEY, limits=limits, latency=LATENCY, clock=clock.now, sleep=clock.sleep, storm=storm,
        min_cacheable_tokens=1024,
    ) as fake:  # fmt: skip
        yield _Run(
            fake=fake, clock=clock, price=price_for(load_settings({"model": "claude-sonnet-5-5"}, {}).llm)
        )


def _bench_opts() -> BenchOptions:
    return BenchOptions(model="claude-sonnet-5-5", cache="sqlite")


def burst_floor_s(work: dict[str, Any], limits: Limits) -> float:
    """The floor when every bucket starts full, as the API's do: a minute's worth goes at once, the rest
    at the refill rate; no faster than the concurrency limit lets replies of the mean latency through;
    plus one request's latency."""
    needs = [
        (work["requests"], limits.rpm),
        (work["input_tokens"] + work["cache_write_tokens"], limits.itpm),
        (work["output_tokens"], limits.otpm),
    ]
    bound = max(
        (max(0.0, (need - per_min) / per_min * 60) for need, per_min in needs if per_min), default=0.0
    )
    one = LATENCY.base_s + LATENCY.per_output_token_s * work["output_tokens"] / max(1, work["requests"])
    if limits.concurrency:  # the server answers this many at once, each taking its latency
        bound = max(bound, work["requests"] * one / limits.concurrency - one)
    return float(bound + one)


def _figures(run: _Run, limits: Limits, symbols: int) -> dict[str, Any]:
    m = run.metrics()
    floor = burst_floor_s(m["complete"], limits)
    tokens = m["input_tokens"] + m["cache_write_tokens"] + m["output_tokens"]
    return {
        "wall_s": m["wall_s"],
        "floor_s": round(floor, 1),
        "floor_without_burst_s": round(floor_s(m["complete"], limits, LATENCY), 1),
        "vs_floor": round(m["wall_s"] / floor, 3) if floor else None,
        "requests": m["requests"],
        "rate_limited": m["rate_limited"],
        "share_429": round(m["rate_limited"] / m["requests"], 4) if m["requests"] else 0.0,
        "cut_off_replies": m["cut_off_replies"],
        "files_ok": m["files_ok"],
        "files_failed": m["files_failed"],
        "cost_usd": m["cost_usd"],
        "tokens_per_symbol": round(tokens / symbols, 1) if symbols else None,
        "output_tokens_per_symbol": round(m["output_tokens"] / symbols, 1) if symbols else None,
        "peak_in_flight": run.fake.admission.peak_in_flight,
        "real_s": m["real_s"],
        **({"failures": m["failures"]} if "failures" in m else {}),
    }


def large_file(opts: Options, tmp: Path, limits: Limits, name: str) -> dict[str, Any]:
    repo = _Repo(tmp / name)
    text = big_real_file(opts.lines)
    repo.write("src/large_module.py", text)
    head = repo.commit("a large real file")
    with server(opts, limits) as run:
        _docbot(run, repo, _bench_opts(), tmp / f"{name}.sqlite3", base=ZERO_SHA, head=head)
        out = _figures(run, limits, symbol_count("src/large_module.py", text))
    return {"name": name, "lines": text.count("\n"), **out}


def storms(opts: Options, tmp: Path) -> list[dict[str, Any]]:
    repo = _Repo(tmp / "storm")
    files = real_files(opts.files)
    for path, text in files:
        repo.write(path, text)
    head = repo.commit("real files")
    symbols = sum(symbol_count(p, t) for p, t in files)
    results = []
    for name, storm in (("fault-free", None), ("storm-529", overloaded(0.4)), ("storm-mixed", mixed(0.6))):
        with server(opts, HIGH, storm.draw if storm else None) as run:
            _docbot(run, repo, _bench_opts(), tmp / f"{name}.sqlite3", base=ZERO_SHA, head=head)
            results.append({"name": name, "files": len(files), **_figures(run, HIGH, symbols)})
    base = results[0]["wall_s"]
    for r in results[1:]:
        r["vs_fault_free"] = round(r["wall_s"] / base, 3) if base else None
    return results


def kill(opts: Options, tmp: Path) -> dict[str, Any]:
    repo = _Repo(tmp / "kill")
    text = big_real_file(opts.lines)
    repo.write("src/large_module.py", text)
    head = repo.commit("a large real file")
    cache = tmp / "kill.sqlite3"
    # What a whole run asks for and costs: the same file, its own cache.
    with server(opts, HIGH) as full:
        _docbot(full, repo, _bench_opts(), tmp / "kill-reference.sqlite3", base=ZERO_SHA, head=head)
        reference = full.metrics()
    with server(opts, HIGH) as run:
        stop = threading.Event()

        def interrupt_at_half() -> None:
            while not stop.is_set():
                if sum(1 for s in list(run.fake.seen) if s.status == 200) >= reference["requests"] // 2:
                    _thread.interrupt_main()  # what SIGINT does; SIGTERM is mapped to the same
                    return
                time.sleep(0.01)

        watcher = threading.Thread(target=interrupt_at_half)
        watcher.start()
        interrupted = False
        try:
            _docbot(run, repo, _bench_opts(), cache, base=ZERO_SHA, head=head)
        except KeyboardInterrupt:
            interrupted = True
        finally:
            stop.set()
            watcher.join()
        first = run.metrics()
        answered = {_asked(s.body) for s in run.fake.seen if s.status == 200 and s.body}
    with server(opts, HIGH) as rerun:
        report: RunReport = _docbot(rerun, repo, _bench_opts(), cache, base=ZERO_SHA, head=head)
        second = rerun.metrics()
        asked = [_asked(s.body) for s in rerun.fake.seen if s.body]
    return {
        "name": "kill",
        "interrupted": interrupted,
        "reference_cost_usd": reference["cost_usd"],
        "reference_requests": reference["requests"],
        "first_cost_usd": first["cost_usd"],
        "first_answered": len(answered),
        "rerun_cost_usd": second["cost_usd"],
        "rerun_requests": second["requests"],
        # A request answered in the first run and sent again: a chunk (work paid twice), or the file's
        # prompt-cache warm-up (max_tokens 0, no answer to keep: every run that asks sends it).
        "rerun_asked_again": sum(1 for a in set(asked) & answered if not a.startswith(_WARM_UP)),
        "rerun_warm_ups_again": sum(1 for a in set(asked) & answered if a.startswith(_WARM_UP)),
        "rerun_cost_vs_unanswered": round(second["cost_usd"] / (reference["cost_usd"] - first["cost_usd"]), 3)
        if reference["cost_usd"] > first["cost_usd"]
        else None,
        "rerun_files_ok": len(report.documented),
    }


_WARM_UP = "warm-up "


def _asked(body: dict[str, Any]) -> str:
    """What a request asked, comparable across runs; warm-ups (``max_tokens`` 0) marked as such."""
    asked = json.dumps(body["messages"])
    return _WARM_UP + asked if body.get("max_tokens") == 0 else asked


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="./dev bench rate", description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--scale", type=float, default=100.0, help="how much faster waits pass (100)")
    parser.add_argument("--lines", type=int, default=50_000, help="lines of the large file (50,000)")
    parser.add_argument("--files", type=int, default=60, help="files of the storm workloads (60)")
    parser.add_argument("--only", action="append", help="tier-low, tier-high, storms, kill")
    parser.add_argument("--json", help="also write the results here")
    args = parser.parse_args(argv)
    logging.getLogger("docbot.llm").setLevel(logging.ERROR)  # retries are counted, not logged
    opts = Options(args.scale, args.lines, args.files)
    only = set(args.only or ("tier-low", "tier-high", "storms", "kill"))
    results: list[dict[str, Any]] = []
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="docbot-rate-") as tmp:
        if "tier-low" in only:
            results.append(large_file(opts, Path(tmp), LOW, "tier-low"))
            print(json.dumps(results[-1]), file=sys.stderr, flush=True)
        if "tier-high" in only:
            results.append(large_file(opts, Path(tmp), HIGH, "tier-high"))
            print(json.dumps(results[-1]), file=sys.stderr, flush=True)
        if "storms" in only:
            for r in storms(opts, Path(tmp)):
                results.append(r)
                print(json.dumps(r), file=sys.stderr, flush=True)
        if "kill" in only:
            results.append(kill(opts, Path(tmp)))
            print(json.dumps(results[-1]), file=sys.stderr, flush=True)
    doc = {"scale": opts.scale, "real_s": round(time.monotonic() - started, 1), "results": results}
    if args.json:
        Path(args.json).write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(doc, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
