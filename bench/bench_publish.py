"""Benchmark: what publishing costs in GitHub API requests and time, for N pages.

Runs the real GitHubPublisher (real PyGithub) against the loopback GitHub API of the tests, backed by a
real bare git repository, so the request counts are exactly what GitHub would receive. Prints, per N:
requests of the first run (pull request mode, pages inline in one tree request), of an identical rerun,
of a sticky comment, and the wall time of each.

    .venv/bin/python bench/bench_publish.py [N ...]      (default: 10 100 500)
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from docbot.markers import marker_line  # noqa: E402
from docbot.publish import DocsPlan  # noqa: E402
from docbot.publish.github import GitHubPublisher, Target  # noqa: E402
from docbot.publish.github_api import GitHubApi  # noqa: E402
from docbot.report import RunReport  # noqa: E402
from tests.fakes.github_server import GitHubWorld  # noqa: E402


def page(i: int) -> tuple[str, str]:
    source = f"src/pkg{i // 50}/module_{i}.py"
    body = "".join(f"### `function_{j}`\n\nDoes thing {j} of module {i}.\n\n" for j in range(20))
    return f"docs/api/{source}.md", f"{marker_line(source)}\n\n# `{source}`\n\n{body}"


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, timeout=120)


def measure(n: int) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp) / "work"
        work.mkdir()
        git(work, "init", "-q", "-b", "main")
        (work / "README.md").write_text("bench\n")
        git(work, "add", "-A")
        git(work, "-c", "user.name=b", "-c", "user.email=b@example.com", "commit", "-q", "-m", "init")
        world = GitHubWorld(work, Path(tmp) / "origin.git")
        world.sync("main")
        fake = world.fake.start()
        try:
            plan = DocsPlan("docs/api", tuple(page(i) for i in range(n)))
            row: dict[str, object] = {"pages": n}
            for label in ("first", "rerun"):
                before = len(fake.requests)
                api = GitHubApi("ghs_actions_token", fake.full_name, base_url=fake.url)
                publisher = GitHubPublisher(api, Target("pull_request", branch="main"), head_sha="0" * 40)
                start = time.perf_counter()
                publisher.publish(plan)
                announcement = publisher.announce(RunReport())
                row[f"{label}_s"] = time.perf_counter() - start
                calls = Counter(r.method for r in fake.requests[before:])
                row[f"{label}_requests"] = sum(calls.values())
                row[f"{label}_writes"] = sum(v for k, v in calls.items() if k != "GET")
                row[f"{label}_op"] = announcement.operation
                api.close()
            number = fake.open_pull("main", "main")
            api = GitHubApi("ghs_actions_token", fake.full_name, base_url=fake.url)
            publisher = GitHubPublisher(api, Target("comment", pr_number=number))
            before = len(fake.requests)
            start = time.perf_counter()
            publisher.publish(plan)
            a = publisher.announce(RunReport())
            row["comment_s"] = time.perf_counter() - start
            row["comment_requests"] = len(fake.requests) - before
            row["comment_pages_shown"] = fake.comments[a.comment_id or 0].body.count(
                "<details><summary><code>"
            )
            api.close()
            return row
        finally:
            fake.stop()


def main(argv: list[str]) -> None:
    sizes = [int(a) for a in argv] or [10, 100, 500]
    print(
        "| pages | first run: requests (writes), op, time | rerun: requests (writes), op, time "
        "| comment: requests, pages shown, time |"
    )
    print("|---|---|---|---|")
    for n in sizes:
        r = measure(n)
        print(
            f"| {n} | {r['first_requests']} ({r['first_writes']}), {r['first_op']}, {r['first_s']:.2f} s "
            f"| {r['rerun_requests']} ({r['rerun_writes']}), {r['rerun_op']}, {r['rerun_s']:.2f} s "
            f"| {r['comment_requests']}, {r['comment_pages_shown']}, {r['comment_s']:.2f} s |"
        )


if __name__ == "__main__":
    main(sys.argv[1:])
