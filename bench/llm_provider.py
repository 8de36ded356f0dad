"""Benchmark: the Claude provider against the loopback Messages API, with enforced limits and latency.

Runs the real pipeline (real SDK, real HTTP on 127.0.0.1) over a generated repository and prints what
the server saw and how long the run took. Time is scaled (``--scale``): the server's limits, latency
and the client's waits all run on one clock that goes ``scale`` times faster than real time, so a run
that would take minutes against the API finishes in seconds; durations are printed in API seconds.

    .venv/bin/python -m bench.llm_provider --files 100 --rpm 50 --scale 50
    .venv/bin/python -m bench.llm_provider --files 100 --rate-429 0.4 --scale 50
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from docbot import pipeline
from docbot.cache import NullCache
from docbot.changes import changed_files
from docbot.config import ZERO_SHA, load_settings
from docbot.filters import FileFilter
from docbot.git import Git
from docbot.llm.client import AnthropicProvider
from tests.conftest import GitRepo
from tests.fakes.anthropic_server import Latency, Limits, running
from tests.fakes.clock import ScaledClock


def _module(i: int) -> str:
    return (
        f'"""Module {i}."""\n\n\ndef work_{i}(x):\n    return x + {i}\n\n\n'
        f"class Thing{i}:\n    def run(self):\n        return {i}\n"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--files", type=int, default=100)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--rpm", type=int, default=None, help="requests/min the server enforces")
    parser.add_argument("--itpm", type=int, default=None, help="input tokens/min the server enforces")
    parser.add_argument("--otpm", type=int, default=None, help="output tokens/min the server enforces")
    parser.add_argument("--no-headers", action="store_true", help="no anthropic-ratelimit-* headers")
    parser.add_argument("--client-rpm", type=int, default=1000, help="the client's starting RPM belief")
    parser.add_argument("--rate-429", type=float, default=0.0, help="share of requests refused at random")
    parser.add_argument("--latency", type=float, default=1.0, help="API seconds per reply, plus per token")
    parser.add_argument("--per-token", type=float, default=0.005, help="API seconds per output token")
    parser.add_argument("--scale", type=float, default=50.0, help="how much faster than real time")
    args = parser.parse_args(argv)

    clock = ScaledClock(args.scale)
    limits = Limits(rpm=args.rpm, itpm=args.itpm, otpm=args.otpm)
    with (
        tempfile.TemporaryDirectory() as tmp,
        running(
            limits=limits,
            ratelimit_headers=not args.no_headers,
            rate_429=args.rate_429,
            latency=Latency(args.latency, args.per_token),
            clock=clock.now,
            sleep=clock.sleep,
        ) as fake,
    ):
        repo = GitRepo(Path(tmp) / "repo")
        for i in range(args.files):
            repo.write(f"pkg/m{i:04d}.py", _module(i))
        repo.commit("generated")
        settings = load_settings(
            {
                "repo": repo.path,
                "provider": "anthropic",
                "anthropic_api_key": fake.api_key,
                "anthropic_base_url": fake.url,
                "cache": "none",
                "max_concurrency": args.concurrency,
                "rpm_limit": args.client_rpm,
                "request_timeout_s": 60,
            },
            env={},
        )
        provider = AnthropicProvider(settings.llm, clock=clock.now, sleep=clock.sleep)
        # Only the provider stage is timed: reading 100 files through git is not what is measured here.
        git = Git(repo.path)
        head = git.resolve("HEAD")
        changes = changed_files(git, ZERO_SHA, "HEAD", everything=True)
        file_filter = FileFilter.from_settings(settings.files, out_dir=settings.out_dir)
        selection = pipeline.select_files(
            changes,
            out_dir=settings.out_dir,
            chunking=settings.chunking,
            read=lambda p: git.show_file(head, p),
            file_filter=file_filter,
        )
        started, real = clock.now(), time.monotonic()
        answers = pipeline.document_chunks(
            list(selection.files), cache=NullCache(), provider=provider, max_concurrency=args.concurrency
        )
        docs, errors, usage = answers.docs, answers.errors, answers.usage
        api_s, real_s = clock.now() - started, time.monotonic() - real
        t = fake.totals()

    share = t["rate_limited"] / t["requests"] if t["requests"] else 0.0
    print(f"chunks documented     {len(docs)} / {len(docs) + len(errors)}")
    print(f"requests (server)     {t['requests']}  (report: {usage.requests})")
    print(f"429 answers           {t['rate_limited']}  ({share:.1%} of requests)")
    print(f"retries (report)      {usage.retries}")
    print(f"tokens in / out       {t['input_tokens']} / {t['output_tokens']}")
    print(f"cost (report)         ${usage.cost_usd:.4f}")
    print(f"duration              {api_s:.1f} API s ({real_s:.2f} s real at {args.scale:g}x)")
    print(f"throughput            {len(docs) / api_s * 60:.1f} chunks per API minute")
    print(f"limiter waits         {provider.limiter.waited_s:.1f} API s (summed over threads)")


if __name__ == "__main__":
    main()
