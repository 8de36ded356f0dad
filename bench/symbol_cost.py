"""What an edit costs at symbol level, and how much of a cold run the prompt cache reads back.

Three measurements against the loopback Messages API (``tests.fakes.anthropic_server``: minimum
cacheable prefix 1,024 tokens, adaptive thinking by effort, the bench's latency model), each through
the real pipeline (``AnthropicProvider`` with its defaults, SQLite cache in a temporary folder):

1. ``edit-2000``: a 2,000-line module documented cold, then one function edited. Figures: symbols
   asked by the edit run, its output tokens against that symbol's share of the cold run's output
   (the tokens of its item in the cold answer), and the cold run's cache reads as a share of all
   input tokens after its first request.
2. ``push-3x3``: three 700-line modules documented cold, then one function edited in each, pushed
   together. Figures: symbols asked, overviews asked, output tokens and cost against the three
   symbols' shares of the cold run (output share, and cost share by answer length), and against
   what re-asking their three whole chunks cost (the chunk-level cache's price for the same push),
   and against the same three symbols asked alone with nothing else (their own code in, their
   answers out); with the push's cost by part of the prompt (system block, file block, the rest).
   Against the price of each edit pushed on its own (from the same cold cache, on a fresh server):
   what documenting one changed symbol costs docbot, fixed request costs included. And the same push
   minutes after the cold run, on its server, so the system block is read from the prompt cache.

3. ``pushes-20-min-apart``: four one-function pushes after a cold run, at 20, 40, 60 and 130 minutes,
   on one server (its prompt cache and docbot's record of the system block carry over), against each
   push sent to a fresh server (what every such push cost before runs kept the block for an hour).

Run: ``PYTHONPATH=. .venv/bin/python -P bench/symbol_cost.py [--json PATH]`` (after ``./dev test`` has
built ``.venv``). Each run but the warm and the spaced pushes gets a fresh server, so the server's
totals are that run's and its prompt cache is cold at the start, as it is for a push more than five
minutes after the last run.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

from bench.sources import edit_one_function, python_module
from bench.workloads import BenchOptions, _docbot, _Repo, _server
from docbot.config import ZERO_SHA
from docbot.symbols import extract_symbols
from tests.fakes.anthropic_server import Seen, count_tokens
from tests.fakes.model_behaviour import asked_names

OPTS = BenchOptions(quick=True)  # the time scale of --quick: waits pass 100x faster


def _answered(seen: list[Seen]) -> list[Seen]:
    return [s for s in seen if s.status == 200 and s.usage and s.body and s.body["max_tokens"] > 0]


def _item_tokens(seen: list[Seen]) -> dict[str, int]:
    """Output tokens of each symbol's item in the answers, by name (the symbol's share of the output)."""
    out: dict[str, int] = {}
    for s in _answered(seen):
        for item in json.loads(s.reply or "{}").get("symbols", []):
            out[item["name"]] = count_tokens(json.dumps(item))
    return out


def _cost_shares(seen: list[Seen], price_of: Any) -> dict[str, float]:
    """Each symbol's share of its request's cost, by the length of its item in the answer."""
    out: dict[str, float] = {}
    for s in _answered(seen):
        items = json.loads(s.reply or "{}").get("symbols", [])
        total = sum(len(json.dumps(i)) for i in items) or 1
        cost = price_of(s)
        for item in items:
            out[item["name"]] = cost * len(json.dumps(item)) / total
    return out


def _chunk_costs(seen: list[Seen], names: list[str], price_of: Any) -> float:
    """What the cold requests that documented ``names`` cost: re-asking their whole chunks."""
    total = 0.0
    for s in _answered(seen):
        items = {i["name"] for i in json.loads(s.reply or "{}").get("symbols", [])}
        if items & set(names):
            total += price_of(s)
    return total


def _read_share_after_first(seen: list[Seen]) -> float:
    later = [s.usage for s in seen if s.status == 200 and s.usage][1:]
    read = sum(u["cache_read_input_tokens"] for u in later)
    total = sum(
        u["input_tokens"] + u["cache_read_input_tokens"] + u["cache_creation_input_tokens"] for u in later
    )
    return read / total if total else 0.0


def _edited_name(before: str, after: str, documented: dict[str, int]) -> str:
    """The innermost documented symbol the edit changed (closures are not documented: their function is)."""
    old = {s.id: s.sha256 for s in extract_symbols(before, "python")}
    changed = [s.id for s in extract_symbols(after, "python") if old.get(s.id) != s.sha256]
    return [n for n in changed if n in documented][-1]


def _price(run: Any) -> Any:
    from docbot.llm.pricing import TokenUsage, cost_usd

    def price_of(s: Seen) -> float:
        u = s.usage or {}
        return cost_usd(
            TokenUsage(
                input_tokens=u["input_tokens"],
                output_tokens=u["output_tokens"],
                cache_write_5m_tokens=u["cache_creation_input_tokens"] - s.cache_write_1h,
                cache_write_1h_tokens=s.cache_write_1h,
                cache_read_tokens=u["cache_read_input_tokens"],
            ),
            run.price,
        )

    return price_of


def edit_2000(tmp: Path) -> dict[str, Any]:
    repo = _Repo(tmp / "edit")
    text = python_module(2000, seed=7, title="Two thousand lines")
    repo.write("pkg/big.py", text)
    head = repo.commit("cold")
    cache = tmp / "edit.sqlite3"
    with _server(OPTS, "docbot") as run:
        _docbot(run, repo, OPTS, cache, base=ZERO_SHA, head=head)
        cold = list(run.fake.seen)
        cold_m = run.metrics()
    edited = edit_one_function(text, "python")
    name = _edited_name(text, edited, _item_tokens(cold))
    repo.write("pkg/big.py", edited)
    after = repo.commit("edit one function")
    with _server(OPTS, "docbot") as run:
        report = _docbot(run, repo, OPTS, cache, base=head, head=after)
        edit = list(run.fake.seen)
        edit_m = run.metrics()
    share = _item_tokens(cold)[name]
    return {
        "name": "edit-2000",
        "edited": name,
        "cold": {
            "requests": cold_m["requests"],
            "answer_requests": len(_answered(cold)),
            "output_tokens": cold_m["output_tokens"],
            "cost_usd": cold_m["cost_usd"],
            "cache_read_share_after_first": round(_read_share_after_first(cold), 4),
        },
        "edit": {
            "requests": edit_m["requests"],
            "asked": [asked_names(s.body) for s in _answered(edit) if s.body],
            "output_tokens": edit_m["output_tokens"],
            "cost_usd": edit_m["cost_usd"],
            "symbols": report.to_json()["cache"]["symbols"],
        },
        "symbol_share_of_cold_output": share,
        "edit_output_vs_share": round(edit_m["output_tokens"] / share, 3),
    }


def _cold_files(tmp: Path, name: str, texts: dict[str, str]) -> tuple[_Repo, str]:
    repo = _Repo(tmp / name)
    for path, text in texts.items():
        repo.write(path, text)
    return repo, repo.commit("cold")


def _cost_of(seen: list[Seen], price_of: Any) -> float:
    return sum(price_of(s) for s in seen if s.status == 200 and s.usage)


def _single_edits(tmp: Path, texts: dict[str, str], edits: dict[str, str], cold_cache: Path) -> list[float]:
    """What each edit costs pushed on its own, from the cache the cold run left: the price of documenting
    that one changed symbol (its request, with the system block it cannot share, and its answer)."""
    costs = []
    for i, (path, edited) in enumerate(edits.items()):
        repo, head = _cold_files(tmp, f"single{i}", texts)
        cache = tmp / f"single{i}.sqlite3"
        shutil.copyfile(cold_cache, cache)
        repo.write(path, edited)
        after = repo.commit(f"one function in {path}")
        with _server(OPTS, "docbot") as run:
            _docbot(run, repo, OPTS, cache, base=head, head=after)
            costs.append(_cost_of(list(run.fake.seen), _price(run)))
    return costs


def push_3x3(tmp: Path) -> dict[str, Any]:
    texts = {f"pkg/m{i}.py": python_module(700, seed=20 + i, title=f"Module {i}") for i in range(3)}
    edits = {path: edit_one_function(text, "python") for path, text in texts.items()}
    repo, head = _cold_files(tmp, "push", texts)
    cache, warm_cache = tmp / "push.sqlite3", tmp / "warm.sqlite3"
    with _server(OPTS, "docbot") as run:
        _docbot(run, repo, OPTS, cache, base=ZERO_SHA, head=head)
        cold = list(run.fake.seen)
        cold_m = run.metrics()
        shares, costs, price_of = _item_tokens(cold), _cost_shares(cold, _price(run)), _price(run)
        names = [_edited_name(texts[path], edited, shares) for path, edited in edits.items()]
        for path, edited in edits.items():
            repo.write(path, edited)
        after = repo.commit("three functions in three files")
        # The same push minutes after the cold run, on the same server: its prompt cache still holds the
        # system block (the cache file is a copy, so the push below starts from the same entries).
        shutil.copyfile(cache, warm_cache)
        _docbot(run, repo, OPTS, warm_cache, base=head, head=after)
        warm = list(run.fake.seen)[len(cold) :]
        warm_cost = _cost_of(warm, price_of)
    singles = _single_edits(tmp, texts, edits, cache)
    with _server(OPTS, "docbot") as run:
        report = _docbot(run, repo, OPTS, cache, base=head, head=after)
        push = list(run.fake.seen)
        push_m = run.metrics()
        parts = breakdown(push, run.price)
    answered = _answered(push)
    chunks_cost = _chunk_costs(cold, names, price_of)
    # The same three symbols asked alone with nothing else: their own code in, their answers out.
    alone = parts["asked_code"] + parts["output"]
    out_share = sum(shares[n] for n in names)
    cost_share = sum(costs[n] for n in names)
    return {
        "name": "push-3x3",
        "edited": names,
        "cold": {"requests": cold_m["requests"], "cost_usd": cold_m["cost_usd"]},
        "push": {
            "requests": push_m["requests"],
            "asked": [asked_names(s.body) for s in answered if s.body],
            "overviews_asked": sum(
                1 for s in answered if s.body and "Also write" in json.dumps(s.body["messages"])
            ),
            "output_tokens": push_m["output_tokens"],
            "input_tokens": push_m["input_tokens"],
            "cache_write_tokens": push_m["cache_write_tokens"],
            "cost_usd": push_m["cost_usd"],
            "symbols": report.to_json()["cache"]["symbols"],
        },
        "three_single_edits_usd": [round(c, 6) for c in singles],
        "push_cost_vs_single_edits": round(push_m["cost_usd"] / sum(singles), 3),
        "warm_push": {
            "requests": len(_answered(warm)),
            "cache_read_tokens": sum(s.usage["cache_read_input_tokens"] for s in _answered(warm) if s.usage),
            "cost_usd": round(warm_cost, 6),
        },
        "warm_push_cost_vs_single_edits": round(warm_cost / sum(singles), 3),
        "warm_push_cost_vs_share": round(warm_cost / cost_share, 3),
        "three_symbols_output_share": out_share,
        "push_output_vs_share": round(push_m["output_tokens"] / out_share, 3),
        "three_symbols_cost_share_usd": round(cost_share, 6),
        "push_cost_vs_share": round(push_m["cost_usd"] / cost_share, 3),
        "their_three_chunks_cold_cost_usd": round(chunks_cost, 6),
        "push_cost_vs_three_chunks": round(push_m["cost_usd"] / chunks_cost, 3),
        "push_cost_usd_by_part": parts,
        "three_symbols_alone_usd": round(alone, 6),
        "push_cost_vs_alone": round(push_m["cost_usd"] / alone, 3),
    }


# Minutes after the cold run each push comes, and the file it edits: three within the hour of each
# other, then one after a quiet hour and more.
PUSHES = ((20, 0), (40, 1), (60, 2), (130, 0))


def _usage_of(seen: list[Seen], price_of: Any) -> dict[str, Any]:
    answered = _answered(seen)
    return {
        "requests": len(answered),
        "cache_read_tokens": sum(s.usage["cache_read_input_tokens"] for s in answered if s.usage),
        "cache_write_tokens": sum(s.usage["cache_creation_input_tokens"] for s in answered if s.usage),
        "cost_usd": round(_cost_of(seen, price_of), 6),
    }


def pushes_apart(tmp: Path) -> dict[str, Any]:
    """One-function pushes 20 minutes apart on one server, against each pushed to a fresh server.

    On one server the prompt cache and docbot's record of the system block carry over, as they do
    between the pushes of a busy repository; a fresh server (its own URL, so no record applies, and an
    empty prompt cache) is what every push cost before runs kept the block for an hour.
    """
    texts = {f"pkg/m{i}.py": python_module(700, seed=40 + i, title=f"Module {i}") for i in range(3)}
    repo, head = _cold_files(tmp, "apart", texts)
    cache = tmp / "apart.sqlite3"
    paths = list(texts)
    current = dict(texts)
    together: list[dict[str, Any]] = []
    apart: list[dict[str, Any]] = []
    with _server(OPTS, "docbot") as run:
        _docbot(run, repo, OPTS, cache, base=ZERO_SHA, head=head)
        price_of, started, last = _price(run), run.clock.now(), head
        for i, (minutes, file) in enumerate(PUSHES):
            run.clock.skip(started + minutes * 60 - run.clock.now())
            path = paths[file]
            current[path] = edit_one_function(current[path], "python")
            repo.write(path, current[path])
            after = repo.commit(f"push {i}: one function in {path}")
            alone = tmp / f"apart{i}.sqlite3"
            shutil.copyfile(cache, alone)
            before = len(run.fake.seen)
            _docbot(run, repo, OPTS, cache, base=last, head=after)
            together.append({"minute": minutes, **_usage_of(list(run.fake.seen)[before:], price_of)})
            with _server(OPTS, "docbot") as fresh:
                _docbot(fresh, repo, OPTS, alone, base=last, head=after)
                apart.append({"minute": minutes, **_usage_of(list(fresh.fake.seen), _price(fresh))})
            last = after
    total = sum(p["cost_usd"] for p in together)
    before_total = sum(p["cost_usd"] for p in apart)
    return {
        "name": "pushes-20-min-apart",
        "one_server": together,
        "fresh_servers": apart,
        "cost_usd": round(total, 6),
        "fresh_servers_cost_usd": round(before_total, 6),
        "cost_vs_fresh_servers": round(total / before_total, 3),
    }


_CODE = re.compile(
    r"Code of the symbols to document, from [^\n]*:\n<(untrusted_code[_0-9]*)>\n(.*?)\n</\1>", re.S
)


def _parts(body: dict[str, Any]) -> list[tuple[str, int]]:
    """(part, tokens) of one request in the order they are sent: schema and system block, file
    block, and the rest (the asked code, the context signatures, the list of names)."""
    fmt = json.dumps(body["output_config"]["format"])
    system = sum(count_tokens(b["text"]) for b in body["system"])
    content = body["messages"][0]["content"]
    return [
        ("system", count_tokens(fmt) + system),
        ("file", sum(count_tokens(b["text"]) for b in content[:-1])),
        ("ask", count_tokens(content[-1]["text"])),
    ]


def breakdown(seen: list[Seen], price: Any) -> dict[str, float]:
    """What the requests in ``seen`` paid for, in dollars: the output, and the input of each part of
    the prompt (cache reads and writes are the leading tokens, so they fall on the system block
    first), and of the ask part the asked symbols' own code alone."""
    out = {"output": 0.0, "system": 0.0, "file": 0.0, "ask": 0.0, "asked_code": 0.0}
    for s in _answered(seen):
        assert s.usage is not None and s.body is not None
        read, write = s.usage["cache_read_input_tokens"], s.usage["cache_creation_input_tokens"]
        for part, tokens in _parts(s.body):
            r = min(read, tokens)
            w = min(write, tokens - r)
            read, write = read - r, write - w
            paid = r * price.cache_read + w * price.cache_write_5m + (tokens - r - w) * price.input
            out[part] += paid / 1e6
        out["output"] += s.usage["output_tokens"] * price.output / 1e6
        code = _CODE.search(s.body["messages"][0]["content"][-1]["text"])
        out["asked_code"] += count_tokens(code.group(2)) * price.input / 1e6 if code else 0.0
    return {k: round(v, 6) for k, v in out.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--json", metavar="PATH", help="also write the results as JSON here")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="docbot-symbol-cost-") as tmp:
        results = [edit_2000(Path(tmp)), push_3x3(Path(tmp)), pushes_apart(Path(tmp))]
    text = json.dumps(results, indent=2)
    if args.json:
        Path(args.json).write_text(text + "\n", encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
