"""Matrix shards over the shared cache: a deterministic balanced deal, a plan command, and four shard
jobs plus a final job against moto (DynamoDB), the loopback Messages API and the loopback GitHub API."""

from __future__ import annotations

import json
import random
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from docbot.cli import main
from docbot.config import load_settings
from docbot.errors import ConfigError
from docbot.shard import parse_shard, partition
from tests.conftest import GitRepo
from tests.fakes.anthropic_server import running
from tests.fakes.dynamodb import REGION, FakeDynamo, dynamo_fixture, moto_server_fixture  # noqa: F401
from tests.test_action_entrypoint import Harness, push_payload


@dataclass(frozen=True)
class F:
    path: str
    chunks: tuple[int, ...]


def test_the_deal_is_the_same_whatever_the_order_and_balanced() -> None:
    rng = random.Random(7)
    files = [F(f"src/m{i}.py", tuple(range(rng.randint(1, 30)))) for i in range(60)]
    deal = partition(files, 4)
    shuffled = files[:]
    rng.shuffle(shuffled)

    assert partition(shuffled, 4) == deal
    assert sorted(f.path for part in deal for f in part) == sorted(f.path for f in files)
    loads = [sum(len(f.chunks) for f in part) for part in deal]
    ideal = sum(loads) / 4
    assert max(loads) <= ideal + max(len(f.chunks) for f in files)
    assert max(loads) - min(loads) <= 30


@pytest.mark.parametrize("bad", ["0/4", "5/4", "2", "a/b", "1/300"])
def test_a_bad_shard_is_a_clear_error(bad: str) -> None:
    with pytest.raises(ConfigError, match="shard: "):
        load_settings({"shard": bad}, {})
    assert parse_shard(" 2 / 4 ").index == 2


def sources(repo: GitRepo, count: int) -> tuple[str, str]:
    repo.write("README.txt", "project\n")
    first = repo.commit("first")
    for i in range(count):
        repo.write(f"src/m{i}.py", f'def f{i}(x):\n    """Return x plus {i}."""\n    return x + {i}\n')
    return first, repo.commit(f"{count} modules")


def test_plan_prints_the_files_and_chunks_of_each_shard(
    git_repo: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    sources(git_repo, 7)

    assert main(["plan", "--repo", str(git_repo.path), "--all", "--shards", "3", "--json"]) == 0

    plan = json.loads(capsys.readouterr().out)
    assert plan["files"] == 7
    assert [len(p["files"]) for p in plan["shards"]] in ([3, 2, 2], [2, 3, 2], [2, 2, 3])
    assert sum(p["chunks"] for p in plan["shards"]) == plan["chunks"]
    assert sorted(f for p in plan["shards"] for f in p["files"]) == [f"src/m{i}.py" for i in range(7)]


def test_four_shards_and_a_final_job_make_one_pull_request_from_the_cache(
    tmp_path: Path, git_repo: GitRepo, dynamo: FakeDynamo
) -> None:
    harness = Harness(tmp_path, git_repo)
    harness.fake.start()
    dynamo.create_table("doc-cache-test")
    first, second = sources(git_repo, 9)
    harness.world.sync("main")
    env = {"AWS_ENDPOINT_URL_DYNAMODB": dynamo.endpoint, "AWS_REGION": REGION}
    try:
        with running() as claude:
            base = {"provider": "anthropic", "anthropic_api_key": claude.api_key}
            base["cache"] = "dynamodb:doc-cache-test"
            env["ANTHROPIC_BASE_URL"] = claude.url
            shards = []
            for k in range(1, 5):
                inputs = {**base, "shard": f"{k}/4", "report_path": f"reports/shard-{k}.json"}
                shards.append(
                    harness.run("push", push_payload(first, second), inputs, env=env, in_process=True)
                )
            sent_by_shards = claude.totals()["requests"]
            final = harness.run(
                "push", push_payload(first, second), {**base, "shard_reports": "reports/shard-*.json"},
                env=env, in_process=True,
            )  # fmt: skip
            sent_in_total = claude.totals()["requests"]
    finally:
        harness.fake.stop()

    for run in shards:
        assert run.code == 0, run.stdout
        assert run.outputs["operation"] == "none"
    assert sorted(f for run in shards for f in run.report["files"]["documented"]) == [
        f"src/m{i}.py" for i in range(9)
    ]
    assert sent_by_shards == sum(run.report["api"]["requests"] for run in shards) > 0
    # The final job: every answer from the cache, no model request, one pull request.
    assert final.code == 0, final.stdout
    assert sent_in_total == sent_by_shards
    assert final.report["api"]["requests"] == 0
    assert final.report["cache"]["hit_rate"] == 1.0
    assert final.outputs["operation"] == "created"
    assert len(harness.fake.pulls) == 1
    assert [s["shard"] for s in final.report["shards"]] == ["1/4", "2/4", "3/4", "4/4"]
    assert final.report["all_shards"]["requests"] == sent_by_shards
    cost = sum(run.report["cost_usd"] for run in shards)
    assert final.report["all_shards"]["cost_usd"] == pytest.approx(cost, abs=1e-6)
    body = harness.fake.pulls[1].body
    assert f"| Shards (4) and this job | ${cost:.4f}, {sent_by_shards} requests," in body


def test_publish_only_reports_what_no_shard_documented(tmp_path: Path, git_repo: GitRepo) -> None:
    sources(git_repo, 2)
    cache = tmp_path / "cache.sqlite3"
    common = [
        "run",
        "--repo",
        str(git_repo.path),
        "--all",
        "--provider",
        "offline",
        "--cache-path",
        str(cache),
    ]

    assert main([*common, "--shard", "1/2", "--report", str(tmp_path / "s1.json")]) == 0
    assert not (git_repo.path / "docs").exists()  # a shard writes no pages
    code = main([*common, "--publish-only", "--report", str(tmp_path / "final.json")])

    final = json.loads((tmp_path / "final.json").read_text())
    shard_one = json.loads((tmp_path / "s1.json").read_text())
    assert code == 1
    assert final["files"]["documented"] == shard_one["files"]["documented"]
    (failed,) = final["files"]["failed"]
    assert failed["reason"].startswith("not in the cache: no shard documented it")


def test_the_final_report_lists_every_page_a_shard_cut(tmp_path: Path, git_repo: GitRepo) -> None:
    # Four modules of 60 documented functions each: every page is beyond a 10,000-byte cap.
    git_repo.write(".github/docbot.yml", "max_page_bytes: 10000\n")
    for i in range(4):
        doc = '    """Return x plus {n}, which fills the page up."""\n'
        functions = (f"def f{j}(x):\n{doc.format(n=i * j)}    return x + {i * j}\n" for j in range(60))
        git_repo.write(f"src/m{i}.py", "\n\n".join(functions))
    git_repo.commit("four long modules")
    common = ["run", "--repo", str(git_repo.path), "--all", "--provider", "offline"]
    # Shard 2 fills a cache of its own: the final job cannot render its pages, but they were cut.
    for k, cache in ((1, "one"), (2, "two")):
        assert main([*common, "--cache-path", str(tmp_path / f"{cache}.sqlite3"), "--shard", f"{k}/2",
                     "--report", str(tmp_path / f"s{k}.json")]) == 0  # fmt: skip
    final_job = ["--cache-path", str(tmp_path / "one.sqlite3"), "--publish-only"]
    code = main([*common, *final_job, "--shard-reports", str(tmp_path / "s*.json"),
                 "--report", str(tmp_path / "final.json")])  # fmt: skip

    shards = [json.loads((tmp_path / f"s{k}.json").read_text()) for k in (1, 2)]
    final = json.loads((tmp_path / "final.json").read_text())
    assert code == 1  # shard 2's files are not in the final job's cache
    cut_by_shard = [s["pages"]["cut"] for s in shards]
    assert [len(c) for c in cut_by_shard] == [2, 2]
    assert [s["cut"] for s in final["shards"]] == cut_by_shard
    by_path = sorted(final["pages"]["cut"], key=lambda c: c["path"])
    assert by_path == sorted(cut_by_shard[0] + cut_by_shard[1], key=lambda c: c["path"])
    assert [c["path"] for c in by_path] == [f"src/m{i}.py" for i in range(4)]
    reason = re.compile(r"page cut at 10,000 bytes \(max_page_bytes\): \d+ of 60 symbols left out")
    assert all(reason.fullmatch(c["reason"]) for c in by_path)
    failed = sorted(f["path"] for f in final["files"]["failed"])
    assert failed == sorted(c["path"] for c in cut_by_shard[1])
