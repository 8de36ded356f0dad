"""``bench/symbol_cost.py``: an edit pays for the symbols it changed, and a push shares what it can.

These run the benchmark's own workloads (the real pipeline against the loopback Messages API) and
check the relations its figures in docs/performance.md rest on, so a change that makes a push pay for
unchanged neighbours, or stops sharing the system block, fails here and not only in a benchmark run.
"""

from __future__ import annotations

from pathlib import Path

from bench import symbol_cost


def test_an_edit_asks_its_one_symbol_and_the_cold_run_reads_its_prefixes_back(tmp_path: Path) -> None:
    result = symbol_cost.edit_2000(tmp_path)
    assert result["edit"]["asked"] == [[result["edited"]]]
    assert result["edit_output_vs_share"] <= 1.5
    assert result["cold"]["cache_read_share_after_first"] >= 0.5


def test_a_push_of_three_edits_costs_less_than_the_three_edits_pushed_one_by_one(tmp_path: Path) -> None:
    result = symbol_cost.push_3x3(tmp_path)
    push = result["push"]
    assert sorted(push["asked"]) == sorted([name] for name in result["edited"])
    assert push["overviews_asked"] == 0  # one function body changed in each file: no outline did
    # One system block written and read back twice, against three written for nobody to read.
    assert push["cost_usd"] < sum(result["three_single_edits_usd"])
    assert result["warm_push"]["cache_read_tokens"] > 0
    assert result["warm_push"]["cost_usd"] < push["cost_usd"]
    assert result["push_output_vs_share"] <= 1.5
