"""``./dev bench``: the quick run completes and reports every field; its parts behave as documented.

Timings are not asserted (machines here are noisy); counts that do not depend on timing are.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import subprocess
import sys
from pathlib import Path

import anthropic
import pytest

from bench import phase1
from bench.__main__ import main as bench_main
from bench.sources import edit_one_function, python_module
from bench.workloads import METRICS, WORKLOADS, BenchOptions, floor_s, limit_bound_s, run_bench
from docbot.errors import ConfigError
from tests.conftest import ROOT
from tests.fakes.anthropic_server import STORM_MESSAGE, Latency, Limits, running, status
from tests.fakes.clock import FakeClock, WaitScaledClock


def _dev_venv(tmp_path: Path) -> Path:
    """A virtualenv for ``./dev`` that is this interpreter: ``bin/python`` hands over to it, and the
    dev lock's stamp says the lock is installed, so ``./dev`` runs its command without installing."""
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    python = venv / "bin" / "python"
    python.write_text(f'#!/bin/sh\nexec "{sys.executable}" "$@"\n')
    python.chmod(0o755)
    lock_hash = hashlib.sha256((ROOT / "requirements-dev.lock").read_bytes()).hexdigest()[:16]
    (venv / f".docbot-requirements-dev.lock-{lock_hash}").touch()
    return venv


@pytest.mark.timeout(120)
def test_quick_bench_completes_and_its_json_has_every_field(tmp_path: Path) -> None:
    # Through ./dev itself, from outside the checkout: the checkout is found without cd-ing into it,
    # and the relative --json path is the caller's.
    work = tmp_path / "elsewhere"
    work.mkdir()
    proc = subprocess.run(
        [str(ROOT / "dev"), "bench", "--quick", "--json", "bench.json"],
        capture_output=True,
        text=True,
        timeout=110,
        cwd=work,
        env={  # no API key, no cache settings
            "PATH": "/usr/bin:/bin",
            "HOME": str(tmp_path),
            "PYTHON": sys.executable,
            "DOCBOT_VENV": str(_dev_venv(tmp_path)),
        },
    )
    assert proc.returncode == 0, proc.stderr
    out = work / "bench.json"
    doc = json.loads(out.read_text())
    assert [w["name"] for w in doc["workloads"]] == list(WORKLOADS)
    for w in doc["workloads"]:
        assert isinstance(w["floor_s"], float | int) and w["floor_s"] >= 0, w["name"]
        for system in ("phase1", "docbot"):
            m = w[system]
            missing = [k for k in METRICS if k not in m]
            assert not missing, (w["name"], system, missing)
            assert all(isinstance(m[k], int | float) and m[k] >= 0 for k in METRICS), (w["name"], system)
            assert m["files_ok"] + m["files_failed"] > 0, (w["name"], system)
    # The stdout table has a phase 1 and a docbot row per workload, then the targets.
    for name in WORKLOADS:
        assert f"| {name} | phase 1 |" in proc.stdout
        assert f"| {name} | docbot |" in proc.stdout
    assert len(doc["targets"]) == 8 + len(WORKLOADS)  # and one estimate-accuracy target per workload
    quotes = [q for w in doc["workloads"] for q in w["docbot"].get("estimates", [])]
    assert quotes and all(q["low"] <= q["expected"] <= q["high"] for q in quotes)
    by = {w["name"]: w for w in doc["workloads"]}
    # Facts that do not depend on the machine: phase 1 cannot finish the large file in one reply, the
    # cache answers every repeated run, and every file gets through the 429 storm.
    assert by["large-file"]["phase1"]["files_failed"] == 1
    assert by["large-file"]["docbot"]["files_ok"] == 1
    assert by["repeat-20"]["docbot"]["requests_per_run"][1:] == [0] * (doc["workloads"][1]["runs"] - 1)
    assert by["storm-429"]["docbot"]["files_failed"] == 0
    assert by["push-1000"]["docbot"]["overhead_ms_per_file"] > 0


def test_floor_is_the_binding_limit_plus_one_request() -> None:
    work = {"requests": 10, "input_tokens": 900_000, "cache_write_tokens": 100_000, "output_tokens": 50_000}
    limits = Limits(rpm=1000, itpm=500_000, otpm=100_000)
    # ITPM binds: 1,000,000 counted input tokens at 500,000 a minute is 120 s.
    assert limit_bound_s(work, limits) == pytest.approx(120.0)
    latency = Latency(base_s=1.0, per_output_token_s=0.01)
    assert floor_s(work, limits, latency) == pytest.approx(120.0 + 1.0 + 0.01 * 5_000)
    assert floor_s({**work, "requests": 0}, limits, latency) == 0.0


def test_generated_module_has_the_exact_line_count_and_one_edit_changes_one_line() -> None:
    for lines in (8, 30, 777, 3000):
        text = python_module(lines, seed=lines)
        assert text.count("\n") == lines
        compile(text, "generated.py", "exec")  # valid Python
    text = python_module(400, seed=3)
    edited = edit_one_function(text, "python")
    changed = [(a, b) for a, b in zip(text.split("\n"), edited.split("\n"), strict=True) if a != b]
    assert len(changed) == 1
    assert changed[0][1].endswith("# edited by docbot bench")
    compile(edited, "edited.py", "exec")
    with pytest.raises(ValueError, match="no function or method"):
        edit_one_function('"""Only a docstring."""\n', "python")


def test_phase1_uses_the_sdks_two_retries_and_sleeps_them_on_the_given_clock() -> None:
    clock = FakeClock()
    with running(api_key="k") as fake:
        fake.script(status(429, retry_after=7), status(529, retry_after=3), status(429, retry_after=5))
        fake.script(status(500, retry_after=2))
        result = phase1.document_files(
            [("a.py", "def a():\n    return 1\n"), ("b.py", "def b():\n    return 2\n")],
            base_url=fake.url,
            api_key="k",
            model="claude-sonnet-5-5",
            max_tokens=1024,
            sleep=clock.sleep,
        )
    # a.py: 429, 529, 429 = the first try and the SDK's 2 retries, then it gives up.
    # b.py: 500, then the retry succeeds.
    assert result.ok == ("b.py",)
    assert result.failed == (("a.py", "HTTP 429 after the SDK's retries"),)
    assert clock.sleeps == [7.0, 3.0, 2.0]
    assert len(fake.seen) == 5


def test_phase1_counts_a_cut_off_reply_as_failed() -> None:
    with running(api_key="k", prose_ratio=1.0) as fake:
        result = phase1.document_files(
            [("big.py", "x = 1\n" * 2000)],
            base_url=fake.url,
            api_key="k",
            model="claude-sonnet-5-5",
            max_tokens=300,
            sleep=FakeClock().sleep,
        )
        assert fake.seen[0].usage is not None
        assert fake.seen[0].usage["output_tokens"] == 300
    assert result.ok == ()
    assert result.failed == (("big.py", "reply cut off (max_tokens): documentation incomplete"),)


def test_fake_prose_reply_length_context_window_and_storm_reason() -> None:
    client_kw = {"api_key": "k", "max_retries": 0}
    with running(api_key="k", prose_ratio=0.5, context_window=2_000, rate_429=1.0) as fake:
        client = anthropic.Anthropic(base_url=fake.url, **client_kw)
        with pytest.raises(anthropic.BadRequestError, match="prompt is too long"):
            client.messages.create(
                model="m", max_tokens=100, messages=[{"role": "user", "content": "y" * 8_004}]
            )
        with pytest.raises(anthropic.RateLimitError):
            client.messages.create(model="m", max_tokens=100, messages=[{"role": "user", "content": "z"}])
        assert fake.seen[-1].reason == STORM_MESSAGE
    with running(api_key="k", prose_ratio=0.5) as fake:
        client = anthropic.Anthropic(base_url=fake.url, **client_kw)
        message = client.messages.create(
            model="m", max_tokens=1000, messages=[{"role": "user", "content": "w" * 800}]
        )
    assert message.usage.input_tokens == 200
    assert message.usage.output_tokens == 100  # half the prompt
    assert message.stop_reason == "end_turn"
    assert math.ceil(len(message.content[0].text) / 4) == 100


def test_wait_scaled_clock_runs_fast_only_while_someone_waits() -> None:
    clock = WaitScaledClock(1000.0)
    start = clock.now()
    clock.sleep(5.0)  # 5 ms of real time
    waited = clock.now() - start
    assert 5.0 <= waited < 5.0 + 50.0  # plus the sleep's overshoot (under 50 ms real) at the waiting rate
    assert clock.slept == 5.0
    before = clock.now()
    total = sum(range(200_000))  # local work: counted at real speed, so well under a second
    assert total > 0
    assert clock.now() - before < 1.0


def test_bench_refuses_unknown_workloads_and_reserved_settings() -> None:
    with pytest.raises(ConfigError, match="unknown workload"):
        run_bench(BenchOptions(quick=True, only=("nope",)))
    with pytest.raises(ConfigError, match="anthropic_base_url"):
        run_bench(BenchOptions(quick=True, docbot_settings={"anthropic_base_url": "http://evil"}))
    with pytest.raises(ConfigError, match="--scale"):
        run_bench(BenchOptions(quick=True, scale=-1))


def test_bench_command_reports_a_bad_setting_and_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert bench_main(["--quick", "--set", "chunk_max_lines"]) == 2
    err = capsys.readouterr().err
    assert err == "bench: error: --set 'chunk_max_lines': expected KEY=VALUE, such as chunk_max_lines=300\n"


def test_the_provider_benchmark_documents_every_chunk_through_a_storm(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from bench import llm_provider

    llm_provider.main(["--files", "6", "--rate-429", "0.4", "--scale", "100"])
    out = capsys.readouterr().out
    assert re.search(r"^chunks documented\s+6 / 6$", out, re.MULTILINE), out
