"""The Action's default SQLite cache survives between runs the way actions/cache keeps it: two runs on
separate fresh clones, separate HOMEs and runner temp folders, sharing only the one cache file, and the
second run makes no model request."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import sys
from contextlib import closing
from pathlib import Path

from docbot.action.inputs import ACTION_CACHE_PATH
from docbot.cache.sqlite import SqliteCache
from tests.conftest import ROOT, GitRepo
from tests.fakes.anthropic_server import running
from tests.test_action_entrypoint import Harness, harness_fixture, push_payload, two_commits

__all__ = ["harness_fixture"]  # the fixture, imported for pytest


def clone(source: Path, target: Path) -> Path:
    subprocess.run(["git", "clone", "--quiet", str(source), str(target)], check=True, timeout=60)
    return target


def test_two_runs_sharing_only_the_restored_cache_file_ask_the_model_once(
    harness: Harness, tmp_path: Path
) -> None:
    first, second = two_commits(harness.repo)
    jobs = [clone(harness.repo.path, tmp_path / f"job{i}") for i in (1, 2)]
    with running() as claude:
        inputs = {"provider": "anthropic", "anthropic_api_key": claude.api_key, "dry_run": "true"}

        def job(workspace: Path) -> dict[str, str]:
            env = {
                "GITHUB_WORKSPACE": str(workspace),
                "HOME": str(workspace.parent / f"{workspace.name}-home"),
                "ANTHROPIC_BASE_URL": claude.url,
                "INPUT_CACHE_PATH": "",  # the default: what the example workflows restore and save
            }
            run = harness.run("push", push_payload(first, second), inputs, env=env)
            assert run.code == 0, run.stdout + run.stderr
            return run.outputs

        one = job(jobs[0])
        asked = claude.totals()["requests"]
        saved = jobs[0] / ACTION_CACHE_PATH
        # What actions/cache saves after the job: the one file, complete (no -wal file left beside it).
        assert saved.is_file()
        assert not saved.with_name(saved.name + "-wal").exists()
        restored = jobs[1] / ACTION_CACHE_PATH
        restored.parent.mkdir(parents=True)
        shutil.copyfile(saved, restored)
        two = job(jobs[1])
        asked_again = claude.totals()["requests"]

    assert asked == 4  # per file: one chunk request and one overview request
    assert one["cache_misses"] == "2"
    assert asked_again == asked  # the second job sent nothing to the model
    assert two["cache_hits"] == "2"
    assert two["cache_misses"] == "0"
    assert two["cost_usd"] == "0.0"
    # The cache lives in .git: never part of what git sees as the working tree, ignored files included
    # (the pages a dry run leaves in the workspace are there; the cache file is not).
    status = subprocess.run(
        ["git", "status", "--porcelain", "--ignored", "--untracked-files=all"],
        cwd=jobs[1], capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    assert status.strip()  # the check can see files: the dry run's pages
    assert "sqlite3" not in status


def test_without_the_restored_file_the_second_run_asks_again(harness: Harness, tmp_path: Path) -> None:
    first, second = two_commits(harness.repo)
    with running() as claude:
        inputs = {"provider": "anthropic", "anthropic_api_key": claude.api_key, "dry_run": "true"}
        for i in (1, 2):
            workspace = clone(harness.repo.path, tmp_path / f"job{i}")
            env = {
                "GITHUB_WORKSPACE": str(workspace),
                "ANTHROPIC_BASE_URL": claude.url,
                "INPUT_CACHE_PATH": "",
            }
            run = harness.run("push", push_payload(first, second), inputs, env=env, in_process=True)
            assert run.code == 0, run.stdout
        assert claude.totals()["requests"] == 8  # (chunk + overview) x 2 files x 2 jobs


def test_an_explicit_cache_path_wins_over_the_default(
    harness: Harness, tmp_path: Path, git_repo: GitRepo
) -> None:
    first, second = two_commits(harness.repo)
    run = harness.run("push", push_payload(first, second), {"dry_run": "true"}, in_process=True)
    assert run.code == 0
    assert harness.cache_path.is_file()
    assert not (git_repo.path / ACTION_CACHE_PATH).exists()


WRITER = """
import sys, time
from pathlib import Path
from docbot.cache import CacheEntry
from docbot.cache.sqlite import SqliteCache
path, name = Path(sys.argv[1]), sys.argv[2]
cache = SqliteCache(path)
for batch in range(20):
    now = time.time()
    entries = {f"{name}-{batch}-{i}": CacheEntry(f"value {name} {batch} {i}", "m", now) for i in range(25)}
    assert cache.put_many(entries) == {}
assert cache.available, cache.error
cache.close()
"""


def test_concurrent_jobs_on_one_machine_share_the_file_without_losing_or_tearing_entries(
    tmp_path: Path,
) -> None:
    path = tmp_path / ACTION_CACHE_PATH
    writers = [
        subprocess.Popen([sys.executable, "-c", WRITER, str(path), name], cwd=ROOT)
        for name in ("job-a", "job-b", "job-c")
    ]
    assert [w.wait(timeout=120) for w in writers] == [0, 0, 0]

    assert not path.with_name(path.name + "-wal").exists()  # the last writer checkpointed on close
    with closing(sqlite3.connect(path)) as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    cache = SqliteCache(path)
    keys = [f"{n}-{b}-{i}" for n in ("job-a", "job-b", "job-c") for b in range(20) for i in range(25)]
    found = cache.get_many(keys)
    cache.close()
    assert len(found) == len(keys) == 1500
    assert found["job-b-7-3"].value == "value job-b 7 3"
