"""Benchmark: four shard processes and a final process against one rate-limited Messages API and moto.

Real ``docbot run`` processes (the installed CLI) talk to one loopback Messages API that enforces a
requests-per-minute limit and answers with a fixed latency, and share one DynamoDB table (moto in server
mode). The same work is done once by one process and once by four ``--shard K/4`` processes started
together, then a final process that publishes. Prints the wall times, the 429 share of each, and the
final process's requests and hit rate (which must be 0 and 100%).

    PYTHONPATH=. .venv/bin/python -P -m bench.shards [--files N] [--rpm R] [--latency S]
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import boto3
from moto.server import ThreadedMotoServer

from tests.fakes.anthropic_server import FakeAnthropic, Latency, Limits, running

REGION = "us-east-1"
DOCBOT = [sys.executable, "-m", "docbot"]


def make_repo(root: Path, files: int) -> Path:
    """A git repository of ``files`` modules, three functions each (three chunks at 20 lines a chunk)."""
    repo = root / "repo"
    (repo / "src").mkdir(parents=True)
    body = "".join(f"    y{j} = x + {j}\n" for j in range(16))
    for i in range(files):
        text = "".join(
            f'def f{i}_{k}(x):\n    """Step {k} of module {i}."""\n{body}    return y0\n\n\n'
            for k in range(3)
        )
        (repo / "src" / f"m{i}.py").write_text(text)
    env = {**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}
    for args in (
        ["init", "-q", "-b", "main"],
        ["add", "-A"],
        ["-c", "user.name=b", "-c", "user.email=b@example.com", "commit", "-q", "-m", "modules"],
    ):
        subprocess.run(["git", "-C", str(repo), *args], check=True, env=env, timeout=60)
    return repo


def docbot_env(fake: FakeAnthropic, moto: str, home: Path) -> dict[str, str]:
    return {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(home),
        "PYTHONPATH": os.environ.get("PYTHONPATH", ""),
        "ANTHROPIC_API_KEY": fake.api_key,
        "ANTHROPIC_BASE_URL": fake.url,
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_REGION": REGION,
        "AWS_ENDPOINT_URL_DYNAMODB": moto,
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_CONFIG_NOSYSTEM": "1",
    }


def run_docbot(repo: Path, env: dict[str, str], report: Path, *flags: str) -> subprocess.Popen[bytes]:
    args = [
        *DOCBOT,
        "run",
        "--repo",
        str(repo),
        "--all",
        "--provider",
        "anthropic",
        "--chunk-max-lines",
        "20",
    ]
    return subprocess.Popen(
        [*args, "--report", str(report), *flags],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def finish(procs: list[subprocess.Popen[bytes]]) -> None:
    for proc in procs:
        if proc.wait(timeout=900) not in (0, 1):
            raise SystemExit(f"docbot exited {proc.returncode}")


def measure(files: int, rpm: int, latency_s: float) -> dict[str, Any]:
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no request log lines from moto
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    moto.start()
    host, port = moto.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    result: dict[str, Any] = {"files": files, "rpm": rpm, "latency_s": latency_s}
    try:
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp)
            repo = make_repo(root, files)
            dynamo = boto3.client(
                "dynamodb", region_name=REGION, endpoint_url=endpoint,
                aws_access_key_id="bench", aws_secret_access_key="bench",
            )  # fmt: skip
            for table in ("one", "shards"):
                dynamo.create_table(
                    TableName=f"bench-{table}", BillingMode="PAY_PER_REQUEST",
                    AttributeDefinitions=[{"AttributeName": "file_hash", "AttributeType": "S"}],
                    KeySchema=[{"AttributeName": "file_hash", "KeyType": "HASH"}],
                )  # fmt: skip
            for label in ("one", "shards"):
                with running(limits=Limits(rpm=rpm), latency=Latency(base_s=latency_s)) as fake:
                    env = docbot_env(fake, endpoint, root / "home")
                    cache = ["--cache", f"dynamodb:bench-{label}"]
                    start = time.perf_counter()
                    if label == "one":
                        finish([run_docbot(repo, env, root / "one.json", *cache, "--max-concurrency", "32")])
                    else:
                        shard_flags = [["--shard", f"{k}/4", "--max-concurrency", "8"] for k in range(1, 5)]
                        finish(
                            [
                                run_docbot(repo, env, root / f"s{k}.json", *cache, *flags)
                                for k, flags in enumerate(shard_flags, 1)
                            ]
                        )
                    wall = time.perf_counter() - start
                    totals = fake.totals()
                    row = {
                        "wall_s": round(wall, 2),
                        "requests": totals["requests"],
                        "rate_limited_share": round(totals["rate_limited"] / max(1, totals["requests"]), 4),
                    }
                    if label == "one":
                        row["docbot_s"] = json.loads((root / "one.json").read_text())["duration_s"]
                    else:
                        row["docbot_s"] = max(
                            json.loads((root / f"s{k}.json").read_text())["duration_s"] for k in range(1, 5)
                        )
                    if label == "shards":
                        before = totals["requests"]
                        start = time.perf_counter()
                        shard_reports = str(root / "s*.json")
                        finish(
                            [
                                run_docbot(
                                    repo, env, root / "final.json", *cache, "--shard-reports", shard_reports
                                )
                            ]
                        )
                        final = json.loads((root / "final.json").read_text())
                        row["final_wall_s"] = round(time.perf_counter() - start, 2)
                        row["final_requests"] = fake.totals()["requests"] - before
                        row["final_hit_rate"] = final["cache"]["hit_rate"]
                        row["final_documented"] = len(final["files"]["documented"])
                        row["shards_counted"] = len(final["shards"])
                    result[label] = row
    finally:
        moto.stop()
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench.shards", description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=40, help="modules of three chunks each (default 40)")
    parser.add_argument("--rpm", type=int, default=600, help="the server's requests per minute (default 600)")
    parser.add_argument("--latency", type=float, default=1.0, help="seconds per answer (default 1.0)")
    parser.add_argument("--json", metavar="PATH", help="also write the result as JSON here")
    args = parser.parse_args(argv)
    result = measure(args.files, args.rpm, args.latency)
    one, shards = result["one"], result["shards"]
    print(f"| {args.files} files, {args.rpm} RPM, {args.latency:g} s per answer | one process | 4 shards |")
    print("|---|---|---|")
    print(f"| wall time (s) | {one['wall_s']} | {shards['wall_s']} (+ final {shards['final_wall_s']}) |")
    print(f"| longest run inside docbot (s) | {one['docbot_s']} | {shards['docbot_s']} |")
    print(f"| requests | {one['requests']} | {shards['requests']} |")
    print(f"| share answered 429 | {one['rate_limited_share']:.1%} | {shards['rate_limited_share']:.1%} |")
    print(f"| final job: requests, hit rate | | {shards['final_requests']}, {shards['final_hit_rate']:.0%} |")
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
