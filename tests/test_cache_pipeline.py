"""The cache inside real runs: DynamoDB on moto, a provider that costs money, a real git repository."""

from __future__ import annotations

import json
import zlib
from pathlib import Path
from typing import Any

import pytest

from docbot import cli
from docbot.cache.dynamodb import DynamoCache
from docbot.llm import providers
from docbot.llm.base import DocRequest
from docbot.report import RunReport
from tests.conftest import GitRepo
from tests.fakes.dynamodb import REGION, FakeDynamo, dynamo_fixture, moto_server_fixture  # noqa: F401
from tests.fakes.priced import CHUNK_USAGE, PricedProvider
from tests.local_run import run_local
from tests.test_cache_dynamodb import incompressible

TABLE = "doc-cache-ci"


def function(name: str, marker: str = "v1") -> str:
    # 14 lines: with a 20-line chunk budget every top-level function gets a chunk of its own.
    body = "\n".join(f"    x{i} = {i}  # {marker}" for i in range(10))
    return f'def {name}(a, b):\n    """{name} does things ({marker})."""\n{body}\n    return a + b\n\n'


def make_repo(repo: GitRepo) -> None:
    repo.write("src/big.py", "".join(function(f"f{i}") for i in range(8)))
    repo.write("src/small.py", function("alpha") + function("beta"))
    repo.write("src/tiny.py", function("gamma"))
    repo.commit("initial")


def settings_for(repo: GitRepo, **overrides: Any) -> dict[str, Any]:
    return {"all_files": True, "chunk_max_lines": 20, **overrides}


def run_once(
    repo: GitRepo,
    dynamo: FakeDynamo,
    provider: PricedProvider | None = None,
    settings: dict[str, Any] | None = None,
    **cache_options: Any,
) -> tuple[RunReport, PricedProvider]:
    provider = provider or PricedProvider()
    cache = DynamoCache(
        TABLE, region=REGION, endpoint_url=dynamo.endpoint, sleep=lambda s: None, **cache_options
    )
    try:
        report = run_local(
            repo.path, store=cache, provider=provider, **settings_for(repo, **(settings or {}))
        )
    finally:
        cache.close()
    return report, provider


@pytest.fixture
def table(dynamo: FakeDynamo) -> FakeDynamo:
    dynamo.create_table(TABLE)
    return dynamo


CHUNKS = 8 + 2 + 1
FILES = 3
# Besides its page and its chunks, a run stores each symbol's answer (one function per chunk here) and
# each file's overview on their own; their costs are shares of their chunks' costs.
SYMBOLS = CHUNKS
ENTRIES = FILES + CHUNKS + SYMBOLS + FILES


def test_ten_identical_runs_cost_one_run_and_save_ninety_percent(
    git_repo: GitRepo, table: FakeDynamo
) -> None:
    make_repo(git_repo)
    reports = []
    calls = 0
    for _ in range(10):
        report, provider = run_once(git_repo, table)
        reports.append(report.to_json())
        calls += len(provider.requests)
    assert calls == CHUNKS  # only the first run asked the model

    first, *rest = reports
    one_run = round(CHUNKS * CHUNK_USAGE.cost_usd, 6)
    assert first["cost_usd"] == one_run
    assert first["saved_usd"] == 0
    assert first["cache"]["files"] == {"hits": 0, "misses": FILES}
    assert first["cache"]["chunks"] == {"hits": 0, "misses": CHUNKS}
    for later in rest:
        assert later["cost_usd"] == 0
        assert later["saved_usd"] == one_run
        assert later["cache"]["files"] == {"hits": FILES, "misses": 0}
        assert later["cache"]["chunks"] == {"hits": 0, "misses": 0}  # page hits: no chunk lookups at all
        assert (later["cache"]["hits"], later["cache"]["misses"], later["cache"]["hit_rate"]) == (
            CHUNKS,
            0,
            1.0,
        )
        assert later["cache"]["saved_fraction"] == 1.0
        assert later["files"]["documented"] == first["files"]["documented"]
    spent = sum(r["cost_usd"] for r in reports)
    saved = sum(r["saved_usd"] for r in reports)
    assert spent == pytest.approx(one_run)
    assert saved / (spent + saved) == pytest.approx(0.9)

    # The report agrees with the table: one item per page, chunk, symbol and overview, each with its
    # cost; the symbol and overview entries of a chunk share its cost between them.
    items = table.items(TABLE)
    assert len(items) == ENTRIES
    costs = sorted(float(i["cost_usd"]["N"]) for i in items)
    c = CHUNK_USAGE.cost_usd
    assert costs[-(CHUNKS + FILES) :] == pytest.approx(sorted([c] * CHUNKS + [8 * c, 2 * c, 1 * c]))
    assert sum(costs) == pytest.approx(3 * one_run)


def test_editing_one_function_of_a_large_file_misses_only_its_chunk(
    git_repo: GitRepo, table: FakeDynamo
) -> None:
    make_repo(git_repo)
    run_once(git_repo, table)
    source = (git_repo.path / "src/big.py").read_text()
    git_repo.write("src/big.py", source.replace(function("f5"), function("f5", marker="v2")))
    git_repo.commit("edit f5")

    sent_before = len(table.proxy.sent)
    report, provider = run_once(git_repo, table)
    data = report.to_json()
    assert [r.chunk.symbols[0].name for r in provider.requests] == ["f5"]
    # On the wire: one batch of the 3 page keys first, then big.py's overview key (its outline did not
    # change: a hit, nothing asked; read before the chunks, which need to know whether an overview
    # request will follow), then one batch of big.py's 8 chunk keys, then the missed chunk's one symbol
    # key; the new chunk with its symbol written, and the new page written.
    second_run = table.proxy.sent[sent_before:]
    assert [s.operation for s in second_run] == [
        "DescribeTable",
        *["BatchGetItem"] * 4,
        *["BatchWriteItem"] * 2,
    ]
    gets = [s for s in second_run if s.operation == "BatchGetItem"]
    writes = [s for s in second_run if s.operation == "BatchWriteItem"]
    assert [len(s.body["RequestItems"][TABLE]["Keys"]) for s in gets] == [3, 1, 8, 1]
    assert [len(s.body["RequestItems"][TABLE]) for s in writes] == [2, 1]
    assert provider.overviews == []
    assert data["cache"]["symbols"] == {"hits": 0, "misses": 1}
    assert data["cache"]["files"] == {"hits": 2, "misses": 1}
    assert data["cache"]["chunks"] == {"hits": 7, "misses": 1}
    assert (data["cache"]["hits"], data["cache"]["misses"]) == (2 + 1 + 7, 1)
    assert data["cost_usd"] == round(CHUNK_USAGE.cost_usd, 6)
    assert data["saved_usd"] == round(10 * CHUNK_USAGE.cost_usd, 6)
    page = (git_repo.path / "docs/api/src/big.py.md").read_text()
    assert "f5 does things (v2)." in page
    assert "f4 does things (v1)." in page


def test_server_stopped_mid_run_leaves_the_run_green_and_honest(git_repo: GitRepo, table: FakeDynamo) -> None:
    make_repo(git_repo)

    def stop_server(request: DocRequest) -> None:
        table.proxy.stop()

    report, provider = run_once(git_repo, table, provider=PricedProvider(on_call=stop_server))
    data = report.to_json()
    assert data["files"]["failed"] == []
    assert sorted(data["files"]["documented"]) == ["src/big.py", "src/small.py", "src/tiny.py"]
    assert len(provider.requests) == CHUNKS
    assert data["cache"]["available"] is False
    assert "unreachable" in data["cache"]["error"]
    assert data["cache"]["misses"] == CHUNKS
    assert table.items(TABLE) == []


def test_throttling_fails_open(git_repo: GitRepo, table: FakeDynamo) -> None:
    make_repo(git_repo)
    table.proxy.add("BatchGetItem", *["throttle"] * 5)
    report, provider = run_once(git_repo, table)
    data = report.to_json()
    assert data["files"]["failed"] == []
    assert len(data["files"]["documented"]) == FILES
    assert data["cache"]["available"] is False
    assert "ThrottlingException" in data["cache"]["error"]
    assert len(provider.requests) == CHUNKS
    # After failing open nothing else was sent: the page lookup's 5 attempts and no writes.
    assert [s.operation for s in table.proxy.sent] == ["DescribeTable"] + ["BatchGetItem"] * 5


def test_missing_table_fails_open(git_repo: GitRepo, dynamo: FakeDynamo) -> None:
    make_repo(git_repo)
    report, provider = run_once(git_repo, dynamo)
    assert len(provider.requests) == CHUNKS
    data = report.to_json()
    assert data["files"]["failed"] == []
    assert len(data["files"]["documented"]) == FILES
    assert data["cache"]["available"] is False
    assert "does not exist" in data["cache"]["error"]
    assert data["cost_usd"] == round(CHUNKS * CHUNK_USAGE.cost_usd, 6)


def test_oversized_entries_are_skipped_and_reported(git_repo: GitRepo, table: FakeDynamo) -> None:
    words = incompressible(700_000)
    git_repo.write("huge.py", f'def huge():\n    """Huge.\n\n    {words}\n    """\n    return 1\n')
    git_repo.commit("huge")
    # One chunk however many tokens: this is about DynamoDB's item size limit, not the chunk budget.
    # (The docstring's long lines would otherwise make it look minified.)
    one_chunk = {"chunk_max_tokens": 1_000_000, "max_average_line_chars": 1_000_000}
    data = run_once(git_repo, table, settings=one_chunk)[0].to_json()
    assert data["cache"]["available"] is True
    reasons = [(o["path"], o["reason"].split(":")[0]) for o in data["cache"]["not_stored"]]
    assert sorted(reasons) == [("huge.py", "chunk 0"), ("huge.py", "page"), ("huge.py", "symbol huge")]
    assert all("400 KB" in o["reason"] for o in data["cache"]["not_stored"])
    assert len(table.items(TABLE)) == 1  # the file's overview alone was small enough
    again, provider = run_once(git_repo, table, settings=one_chunk)
    assert len(provider.requests) == 1
    assert again.to_json()["cache"]["symbols"] == {"hits": 0, "misses": 1}


def test_cli_run_stats_and_purge_agree_with_the_table(
    git_repo: GitRepo, dynamo: FakeDynamo, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    make_repo(git_repo)
    monkeypatch.setenv("AWS_REGION", REGION)
    monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", dynamo.endpoint)
    # The CLI's default provider (offline) replaced by the priced one, so savings are not zero.
    monkeypatch.setitem(providers._PROVIDERS, "offline", lambda settings: PricedProvider())

    def docbot(*args: str) -> dict[str, Any]:
        capsys.readouterr()
        assert cli.main([*args, "--json"]) == 0
        out: dict[str, Any] = json.loads(capsys.readouterr().out)
        return out

    created = docbot("cache", "init", "--table", TABLE)
    assert created["created"] is True
    assert docbot("cache", "init", "--table", TABLE)["created"] is False

    run_args = [
        "run",
        "--repo",
        str(git_repo.path),
        "--all",
        "--chunk-max-lines",
        "20",
        "--cache",
        f"dynamodb:{TABLE}",
    ]
    first = docbot(*run_args, "--report", str(git_repo.path.parent / "r1.json"))
    second = docbot(*run_args)
    assert first["cache"]["backend"] == "dynamodb"
    assert first["cache"]["available"] is True
    assert (first["cache"]["hits"], first["cache"]["misses"]) == (0, CHUNKS)
    assert (second["cache"]["hits"], second["cache"]["misses"], second["cache"]["hit_rate"]) == (
        CHUNKS,
        0,
        1.0,
    )
    assert second["saved_usd"] == first["cost_usd"] > 0
    assert json.loads((git_repo.path.parent / "r1.json").read_text()) == first

    stats = docbot("cache", "stats", "--table", TABLE)
    assert stats["entries"] == len(dynamo.items(TABLE)) == ENTRIES
    # pages + chunks + the symbols' and overviews' shares of their chunks
    assert stats["stored_cost_usd"] == pytest.approx(3 * first["cost_usd"])
    assert stats["ttl_status"] == "ENABLED"
    assert docbot("cache", "purge", "--table", TABLE)["purged"] == ENTRIES
    assert dynamo.items(TABLE) == []


def test_cli_cache_commands_explain_a_missing_table(
    dynamo: FakeDynamo, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("AWS_REGION", REGION)
    monkeypatch.setenv("AWS_ENDPOINT_URL", dynamo.endpoint)
    assert cli.main(["cache", "stats", "--table", "nothing-here"]) == cli.EXIT_ERROR
    err = capsys.readouterr().err
    assert "'nothing-here'" in err
    assert "docbot cache init --table nothing-here" in err


def test_cli_run_against_a_missing_table_is_green_and_says_why(
    git_repo: GitRepo, dynamo: FakeDynamo, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    make_repo(git_repo)
    monkeypatch.setenv("AWS_REGION", REGION)
    monkeypatch.setenv("AWS_ENDPOINT_URL", dynamo.endpoint)
    monkeypatch.setenv("COLUMNS", "200")
    assert cli.main(["run", "--repo", str(git_repo.path), "--all", "--cache", "dynamodb:absent-table"]) == 0
    out = capsys.readouterr().out
    assert "cache unavailable, ran uncached:" in out
    assert "'absent-table'" in out
    assert "does not exist" in out
    assert (git_repo.path / "docs/api/src/big.py.md").is_file()


def test_sqlite_cli_stats(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "c.sqlite3"
    assert cli.main(["cache", "stats", "--cache-path", str(path), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert (data["backend"], data["location"], data["entries"]) == ("sqlite", str(path), 0)


def _is_overview(value: str) -> bool:
    try:
        data = json.loads(value)
    except ValueError:
        return False  # a page
    return isinstance(data, dict) and set(data) == {"overview", "model"}


def test_cli_runs_with_claude_and_dynamodb_pay_once(
    git_repo: GitRepo, dynamo: FakeDynamo, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The real Claude provider against the loopback Messages API, cached in DynamoDB, via the CLI."""
    from tests.fakes.anthropic_server import running

    make_repo(git_repo)
    dynamo.create_table(TABLE)
    monkeypatch.setenv("AWS_REGION", REGION)
    monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", dynamo.endpoint)
    report_path = git_repo.path.parent / "report.json"
    args = ["run", "--repo", str(git_repo.path), "--all", "--chunk-max-lines", "20"]
    args += ["--cache", f"dynamodb:{TABLE}", "--report", str(report_path)]
    reports = []
    with running() as fake:
        monkeypatch.setenv("ANTHROPIC_API_KEY", fake.api_key)
        monkeypatch.setenv("ANTHROPIC_BASE_URL", fake.url)
        for _ in range(3):  # ten runs are shown above with the priced stand-in; three keep this fast
            assert cli.main(args) == 0
            reports.append(json.loads(report_path.read_text()))
        server_requests = fake.totals()["requests"]
    capsys.readouterr()

    # Every chunk and every file's overview asked once, in the first run only, after one prompt-cache
    # warm-up for each file of several chunks (big.py and small.py).
    assert server_requests == CHUNKS + FILES + 2
    first = reports[0]
    assert first["provider"] == "anthropic"
    assert first["api"]["requests"] == CHUNKS + FILES + 2
    assert first["cost_usd"] > 0
    assert all(r["api"]["requests"] == 0 and r["cost_usd"] == 0 for r in reports[1:])
    assert all(r["saved_usd"] == first["cost_usd"] for r in reports[1:])
    spent = sum(r["cost_usd"] for r in reports)
    saved = sum(r["saved_usd"] for r in reports)
    assert saved / (spent + saved) == pytest.approx(2 / 3)
    # What was saved is what the table says producing its pages cost.
    items = dynamo.items(TABLE)
    # Beside the entries, the record of when the system block was last sent to this server.
    (sent,) = [i for i in items if i["model"]["S"] == "system-sent"]
    assert float(sent["cost_usd"]["N"]) == 0
    items = [i for i in items if i is not sent]
    assert len(items) == ENTRIES
    # Each page holds what all of it cost, each chunk entry its request's cost, the symbol entries share
    # their chunks' costs, and each file's overview entry its own request's cost (no chunk's share).
    # (the report rounds dollars to 6 places; the table keeps them exact)
    overviews = [i for i in items if _is_overview(zlib.decompress(i["value"]["B"]).decode())]
    overview_usd = sum(float(i["cost_usd"]["N"]) for i in overviews)
    assert len(overviews) == FILES
    assert 0 < overview_usd < first["cost_usd"]
    assert sum(float(i["cost_usd"]["N"]) for i in items) == pytest.approx(
        3 * first["cost_usd"] - overview_usd, abs=3e-6
    )
