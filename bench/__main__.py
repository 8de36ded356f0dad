"""``./dev bench``: measure the naive first version and docbot side by side (loopback API, no key).

``./dev bench ARGS`` runs ``python -P -m bench ARGS`` in the dev virtualenv with the checkout on
``PYTHONPATH``: the benchmark starts the loopback servers in ``tests/fakes``, which are not part of the
installed package, so it runs from a checkout only. See docs/performance.md.

``./dev bench rate ARGS`` runs ``bench/rate.py`` instead: filling the rate-limit tiers, fault storms
and a mid-run kill.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from bench.workloads import BenchOptions, markdown, run_bench, write_json
from docbot.errors import ConfigError, DocbotError

EXIT_OK, EXIT_ERROR = 0, 2  # the same codes as the docbot command


def _key_values(items: list[str]) -> dict[str, str]:
    pairs = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"--set {item!r}: expected KEY=VALUE, such as chunk_max_lines=300")
        pairs[key.strip().replace("-", "_")] = value
    return pairs


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="./dev bench",
        description="Measure the naive first version and docbot side by side (loopback API, no key).",
    )
    parser.add_argument("--quick", action="store_true", help="small versions of every workload (< 1 min)")
    parser.add_argument("--json", metavar="PATH", help="also write the results as JSON here")
    parser.add_argument("--file", help="a real source file for workloads 1 and 3 instead of a generated one")
    parser.add_argument(
        "--cache", help="docbot's cache: sqlite in a temporary folder (default), dynamodb[:TABLE], none"
    )
    parser.add_argument(
        "--scale",
        type=float,
        help="how much faster waits pass for docbot (default: 10; 100 with --quick); phase 1: 10x that",
    )
    parser.add_argument(
        "--set", action="append", metavar="KEY=VALUE", help="run docbot with this setting (repeatable)"
    )
    parser.add_argument("--only", action="append", help="run only this workload (repeatable)")
    parser.add_argument(
        "--check",
        type=int,
        metavar="FILES",
        help="instead: time `docbot check` on a repository of FILES files",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark, print its Markdown table and optionally write its JSON.

    Args:
        argv: the arguments after ``./dev bench`` (default: ``sys.argv[1:]``).

    Returns:
        0, or 2 when an option is invalid (the message is printed on stderr).
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["rate"]:  # ./dev bench rate ...: the tier, storm and kill workloads (bench/rate.py)
        from bench import rate

        return rate.main(argv[1:])
    if argv[:1] == ["page-quality"]:  # a benchmark of its own: page coverage of real packages
        from bench import page_quality

        return page_quality.main(argv[1:])
    args = build_parser().parse_args(argv)
    if args.check is not None:
        from bench import check_bench

        print(check_bench.report(check_bench.measure(args.check)))
        return EXIT_OK
    try:
        opts = BenchOptions(
            quick=args.quick,
            file=Path(args.file) if args.file else None,
            cache=args.cache or "sqlite",
            scale=args.scale,
            only=tuple(args.only or ()),
            docbot_settings=_key_values(args.set or []),
            env=os.environ,  # only the cache backend's variables are read (never the API key)
            progress=lambda line: print(line, file=sys.stderr, flush=True),
        )
        # Retries are what the benchmark counts; their warnings would bury the table.
        llm_log = logging.getLogger("docbot.llm")
        level = llm_log.level
        llm_log.setLevel(logging.ERROR)
        try:
            doc = run_bench(opts)
        finally:
            llm_log.setLevel(level)
    except DocbotError as exc:
        print(f"bench: error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    if args.json:
        write_json(doc, Path(args.json))
    print(markdown(doc))
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
