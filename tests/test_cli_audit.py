"""The ``docbot`` command under a hostile user: every failure is one clear line and a documented status."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import closing
from pathlib import Path

import pytest

from docbot.cache.sqlite import SqliteCache
from docbot.cli import EXIT_BROKEN_PIPE, main
from docbot.interrupt import EXIT_INTERRUPTED
from tests.conftest import GitRepo
from tests.fakes.anthropic_server import Latency, running
from tests.test_cli import docbot

PIPE_BUFFER = 64 * 1024  # Linux's pipe capacity: more output than this blocks until the reader reads


def read_one_line_then_close(*args: str) -> tuple[int, str]:
    """``docbot ARGS | head -1``: the reader takes one line and goes away while docbot still writes."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "docbot", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None and proc.stderr is not None
    first = proc.stdout.readline()
    proc.stdout.close()
    try:
        err = proc.stderr.read().decode()
        code = proc.wait(timeout=120)
    finally:
        proc.kill()
    assert first, "docbot printed nothing"
    return code, err


@pytest.fixture
def many_functions(tmp_path: Path) -> Path:
    path = tmp_path / "many.py"
    path.write_text("".join(f"def f{i}():\n    return {i}\n" for i in range(4000)))
    return path


@pytest.mark.parametrize("json_flag", [(), ("--json",)], ids=["text", "json"])
def test_a_reader_that_closes_the_pipe_early_ends_chunks_quietly(
    many_functions: Path, json_flag: tuple[str, ...]
) -> None:
    code, err = read_one_line_then_close("chunks", str(many_functions), "--max-lines", "2", *json_flag)
    assert code == EXIT_BROKEN_PIPE == 141
    assert err == ""


def test_a_reader_that_closes_the_pipe_early_ends_changes_quietly(git_repo: GitRepo) -> None:
    for i in range(1500):
        git_repo.write(f"pkg/module_{i:04}.py", f"x = {i}\n")
    git_repo.commit("many files")
    code, err = read_one_line_then_close("changes", "--repo", str(git_repo.path), "--all", "--json")
    assert (code, err) == (EXIT_BROKEN_PIPE, "")


def test_ctrl_c_during_a_run_exits_130_with_one_line_and_a_consistent_cache(
    git_repo: GitRepo, tmp_path: Path
) -> None:
    from tests.test_durable_cache import _asks, _docbot, _write_sources

    _write_sources(git_repo)
    cache = tmp_path / "cache.sqlite3"
    with running(api_key="test-key", latency=Latency(base_s=0.1)) as fake:
        run = _docbot(git_repo, fake.url, cache, terminal=True)
        deadline = time.monotonic() + 60
        while sum(1 for s in list(fake.seen) if s.status == 200 and _asks(s)) < 3:
            assert run.poll() is None and time.monotonic() < deadline, run.communicate()
            time.sleep(0.02)  # polling another process's progress, bounded by the deadline
        run.send_signal(signal.SIGINT)  # what Ctrl-C at a terminal sends
        _, err = run.communicate(timeout=60)
    assert run.returncode == EXIT_INTERRUPTED == 130, err
    problems = [line for line in err.splitlines() if line.startswith("docbot: ") and "chunks," not in line]
    assert problems == ["docbot: interrupted (SIGINT); answers received so far are cached"]
    assert "Traceback" not in err
    with closing(sqlite3.connect(cache)) as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    stored = SqliteCache(cache, ttl_seconds=3600, clock=time.time)
    try:
        assert stored.count() >= 3  # the answers paid for before Ctrl-C
    finally:
        stored.close()
    assert not (git_repo.path / "docs").exists()  # interrupted before publishing: nothing half-written
    assert git_repo.git("status", "--porcelain") == ""


def one_error(proc: subprocess.CompletedProcess[str]) -> str:
    """The single line a failed command prints: ``docbot: error: ...``, no traceback, no repr noise."""
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr and "Errno" not in proc.stderr and "codec" not in proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.startswith("docbot: error: ")]
    assert len(lines) == 1, proc.stderr
    return lines[0].removeprefix("docbot: error: ")


def test_chunks_names_what_is_wrong_with_the_file(tmp_path: Path) -> None:
    (tmp_path / "binary.py").write_bytes(b"def f():\x00\n")
    (tmp_path / "latin1.py").write_bytes(b"caf\xe9 = 1\n")
    assert one_error(docbot("chunks", str(tmp_path / "gone.py"))).endswith("gone.py: no such file")
    assert one_error(docbot("chunks", str(tmp_path), "--language", "python")).endswith(
        ": is a folder; name one source file"
    )
    assert one_error(docbot("chunks", str(tmp_path / "binary.py"))).endswith(
        "binary.py: a binary file, not source code"
    )
    assert one_error(docbot("chunks", str(tmp_path / "latin1.py"))).endswith(
        "latin1.py: not UTF-8 text (byte 0xe9 at offset 3); docbot reads source as UTF-8"
    )


@pytest.mark.parametrize("name", ["../x.py", "/etc/passwd", "outside/passwd"])
def test_check_refuses_a_file_outside_the_repository_instead_of_passing_it(
    git_repo: GitRepo, name: str
) -> None:
    git_repo.write("a.py", "def f():\n    return 1\n")
    git_repo.commit("one")
    (git_repo.path / "outside").symlink_to("/etc")
    message = one_error(docbot("check", "--repo", str(git_repo.path), name))
    assert message == f"{name}: not a file inside the repository {git_repo.path}; name files inside it"


def test_check_reads_an_absolute_path_inside_the_repository_as_its_own(git_repo: GitRepo) -> None:
    git_repo.write("a.py", "def f():\n    return 1\n")
    git_repo.commit("one")
    proc = docbot("check", "--repo", str(git_repo.path), str(git_repo.path / "a.py"))
    assert proc.returncode == 1 and "a.py: missing:" in proc.stdout  # found, and it has no page yet


@pytest.mark.parametrize(
    ("settings_file", "expected"),
    [
        (
            b"max_concurrency: true\n",
            "max_concurrency (in .github/docbot.yml): expected a whole number, got true",
        ),
        (
            b"max_concurrency: -4\n",
            "max_concurrency (in .github/docbot.yml): -4 is out of range; use a value from 1 to 256",
        ),
        (b"max_cost_usd: lots\n", "max_cost_usd (in .github/docbot.yml): expected a number, got 'lots'"),
        (b"max_concurency: 4\n", "unknown setting(s) max_concurency; known: "),
        (b"caf\xe9: 1\n", "not UTF-8 text (byte 0xe9 at offset 3); save it as UTF-8"),
    ],
    ids=["bool-for-int", "negative", "word-for-number", "unknown-key", "not-utf8"],
)
def test_a_bad_settings_file_is_one_line_naming_the_key_and_where_it_is(
    git_repo: GitRepo, settings_file: bytes, expected: str
) -> None:
    git_repo.write("a.py", "x = 1\n")
    git_repo.commit("one")
    (git_repo.path / ".github").mkdir()
    (git_repo.path / ".github" / "docbot.yml").write_bytes(settings_file)
    message = one_error(
        docbot("run", "--repo", str(git_repo.path), "--provider", "offline", "--cache", "none")
    )
    assert expected in message
    assert not (git_repo.path / "docs").exists()


def test_a_folder_where_the_settings_file_belongs_is_named_not_ignored(git_repo: GitRepo) -> None:
    git_repo.write("a.py", "x = 1\n")
    git_repo.commit("one")
    (git_repo.path / ".github" / "docbot.yml").mkdir(parents=True)
    message = one_error(docbot("plan", "--repo", str(git_repo.path), "--shards", "2"))
    assert message.endswith(
        ".github/docbot.yml: is not a file; put the settings in a YAML file at .github/docbot.yml"
    )


def test_a_bad_environment_value_names_its_variable(git_repo: GitRepo) -> None:
    git_repo.write("a.py", "x = 1\n")
    git_repo.commit("one")
    proc = docbot("plan", "--repo", str(git_repo.path), "--shards", "1", env={"DOCBOT_CHUNK_MAX_LINES": "-5"})
    assert one_error(proc) == (
        "chunk_max_lines (from DOCBOT_CHUNK_MAX_LINES): -5 is out of range; use a value from 20 to 100000"
    )


def test_a_misspelt_environment_variable_is_a_warning_naming_the_setting(git_repo: GitRepo) -> None:
    git_repo.write("a.py", "x = 1\n")
    git_repo.commit("one")
    env = {"DOCBOT_MAX_CONCURENCY": "4", "DOCBOT_APP_ID": "12345"}
    proc = docbot("plan", "--repo", str(git_repo.path), "--shards", "1", env=env)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.splitlines() == [
        "docbot: warning: DOCBOT_MAX_CONCURENCY is not a docbot setting and is ignored; "
        "did you mean DOCBOT_MAX_CONCURRENCY?"
    ]  # a workflow's own DOCBOT_APP_ID is not a near miss: no warning


def test_a_source_that_vanished_from_the_working_tree_is_documented_from_the_commit(
    git_repo: GitRepo,
) -> None:
    git_repo.write("kept.py", "def f():\n    return 1\n")
    git_repo.write("gone.py", "def g():\n    return 2\n")
    git_repo.write("latin1.py", b"caf\xe9 = 1\n")
    git_repo.write("binary.py", b"def h():\x00\n")
    git_repo.commit("one")
    (git_repo.path / "gone.py").unlink()
    proc = docbot(
        "run", "--repo", str(git_repo.path), "--all", "--provider", "offline", "--cache", "none", "--json"
    )
    assert proc.returncode == 0 and "Traceback" not in proc.stderr
    files = json.loads(proc.stdout)["files"]
    assert files["documented"] == ["gone.py", "kept.py"]
    assert files["skipped"] == [
        {"path": "binary.py", "reason": "binary"},
        {"path": "latin1.py", "reason": "not UTF-8 text"},
    ]
    assert not (git_repo.path / "gone.py").exists()  # read from git, never restored or touched


@pytest.fixture
def read_only(tmp_path: Path) -> Iterator[Callable[[Path], None]]:
    """Makes a folder read-only for this process: by its mode, or for root (whom modes do not stop) by
    the immutable attribute; undone afterwards so the folder can be removed."""
    made: list[Path] = []

    def make(folder: Path) -> None:
        if os.geteuid() != 0:
            folder.chmod(0o555)
        elif subprocess.run(["chattr", "+i", str(folder)], capture_output=True, check=False).returncode:
            pytest.skip("running as root without chattr +i (CAP_LINUX_IMMUTABLE): no folder is read-only")
        made.append(folder)

    yield make
    for folder in made:
        if os.geteuid() == 0:
            subprocess.run(["chattr", "-i", str(folder)], check=True)
        folder.chmod(0o755)


def test_a_read_only_docs_folder_is_refused_before_anything_is_asked(
    git_repo: GitRepo, tmp_path: Path, read_only: Callable[[Path], None]
) -> None:
    git_repo.write("a.py", "def f():\n    '''One.'''\n    return 1\n")
    git_repo.commit("one")
    docs = git_repo.path / "docs" / "api"
    docs.mkdir(parents=True)
    read_only(docs)
    cache = tmp_path / "cache.sqlite3"
    args = ("run", "--repo", str(git_repo.path), "--all", "--provider", "offline", "--cache-path", str(cache))
    message = one_error(docbot(*args))
    assert message.startswith("--out docs/api: ")
    assert message == "--out docs/api: docs/api is not writable; make it writable or choose another --out"
    assert list(docs.iterdir()) == [] and not cache.exists()  # refused before the cache or a request
    assert git_repo.git("status", "--porcelain") == ""


def test_a_page_name_too_long_for_the_file_system_is_skipped_and_left_out_of_the_index(
    git_repo: GitRepo, tmp_path: Path
) -> None:
    long_name = "m" * 250 + ".py"  # 253 bytes fit a file name; its page's 256 do not
    git_repo.write(long_name, "def f():\n    return 1\n")
    git_repo.write("short.py", "def g():\n    return 2\n")
    git_repo.commit("a long name and a short one")
    report = tmp_path / "report.json"
    args = ("run", "--repo", str(git_repo.path), "--all", "--provider", "offline", "--cache", "none")
    proc = docbot(*args, "--report", str(report))
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr and "Errno" not in proc.stderr
    files = json.loads(report.read_text())["files"]
    assert files["skipped"] == [
        {
            "path": long_name,
            "reason": f"page docs/api/{long_name}.md has a name of 256 bytes, longer than the 255 this "
            "file system allows",
        }
    ]
    assert files["documented"] == ["short.py"] and files["failed"] == []
    # What could be written is: the other page, and an index that lists only it.
    assert (git_repo.path / "docs/api/short.py.md").is_file()
    index = (git_repo.path / "docs/api/README.md").read_text()
    assert "short.py" in index and long_name not in index


def test_a_page_the_file_system_refuses_fails_its_file_and_the_other_pages_are_written(
    git_repo: GitRepo, tmp_path: Path, read_only: Callable[[Path], None]
) -> None:
    before = ""
    for text in ("return 1", "return 2"):
        git_repo.write("pkg/a.py", f"def f():\n    {text}\n")
        git_repo.write("b.py", f"def g():\n    {text}\n")
        git_repo.commit(text)
        if text == "return 1":
            assert docbot("run", "--repo", str(git_repo.path), "--provider", "offline").returncode == 0
            before = (git_repo.path / "docs/api/b.py.md").read_text()
            read_only(git_repo.path / "docs/api/pkg/a.py.md")  # the next write to it fails mid-publish
    cache = tmp_path / "cache.sqlite3"
    report = tmp_path / "report.json"
    args = ("run", "--repo", str(git_repo.path), "--provider", "offline", "--cache-path", str(cache))
    proc = docbot(*args, "--report", str(report))
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr and "Errno" not in proc.stderr
    files = json.loads(report.read_text())["files"]
    (failed,) = files["failed"]
    assert failed["path"] == "pkg/a.py"
    assert failed["reason"].startswith("page docs/api/pkg/a.py.md could not be written (")
    assert failed["reason"].endswith("); its answers are cached")
    assert files["documented"] == ["b.py"]
    assert (git_repo.path / "docs/api/b.py.md").read_text() != before  # rewritten all the same
    stats = docbot("cache", "stats", "--cache-path", str(cache), "--json")
    assert json.loads(stats.stdout)["entries"] > 0


REVISION_COMMANDS = {
    "run": ["--provider", "offline", "--cache", "none"],
    "estimate": ["--provider", "offline", "--cache", "none"],
    "plan": ["--shards", "2"],
    "docstrings": ["--provider", "offline", "--cache", "none"],
    "changes": [],
}


def run_main(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(list(args))
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return code, err


@pytest.mark.parametrize("command", [*REVISION_COMMANDS, "check"])
def test_every_command_names_a_folder_that_is_not_a_repository(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str
) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    code, err = run_main(capsys, command, "--repo", str(plain), *REVISION_COMMANDS.get(command, []))
    assert (code, err) == (2, f"docbot: error: {plain} is not a git repository; pass --repo PATH to one\n")
    assert list(plain.iterdir()) == []


@pytest.mark.parametrize("command", REVISION_COMMANDS)
def test_every_command_says_an_empty_repository_has_no_commits(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str
) -> None:
    empty = GitRepo(tmp_path / "empty")
    code, err = run_main(capsys, command, "--repo", str(empty.path), *REVISION_COMMANDS[command])
    assert code == 2
    assert err.endswith("has no commits yet; commit the code to document, then run again\n")
    assert empty.git("status", "--porcelain") == ""


@pytest.mark.parametrize("role", ["--base", "--head"])
@pytest.mark.parametrize("command", REVISION_COMMANDS)
def test_every_command_names_a_revision_that_does_not_exist(
    git_repo: GitRepo, capsys: pytest.CaptureFixture[str], command: str, role: str
) -> None:
    git_repo.write("a.py", "def f():\n    return 1\n")
    git_repo.commit("one")
    args = [command, "--repo", str(git_repo.path), role, "no-such-rev", *REVISION_COMMANDS[command]]
    code, err = run_main(capsys, *args)
    assert code == 2
    assert f"{role.removeprefix('--')} commit 'no-such-rev' is not in {git_repo.path}" in err
    assert err.count("\n") == 1 and git_repo.git("status", "--porcelain") == ""


@pytest.mark.parametrize("command", REVISION_COMMANDS)
def test_every_command_works_on_a_detached_head_and_a_shallow_clone(
    git_repo: GitRepo, tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str
) -> None:
    git_repo.write("a.py", "def f():\n    return 1\n")
    first = git_repo.commit("one")
    git_repo.write("a.py", "def f():\n    return 2\n")
    git_repo.commit("two")
    git_repo.git("checkout", "-q", "--detach", "HEAD")
    code, _ = run_main(capsys, command, "--repo", str(git_repo.path), *REVISION_COMMANDS[command])
    assert code == 0

    shallow = tmp_path / "shallow"
    subprocess.run(
        ["git", "clone", "-q", "--depth", "1", f"file://{git_repo.path}", str(shallow)],
        check=True,
        timeout=60,
    )
    # The base is outside the clone: docbot fetches it from the remote rather than failing.
    args = [command, "--repo", str(shallow), "--base", first, *REVISION_COMMANDS[command]]
    code, err = run_main(capsys, *args)
    assert code == 0, err


@pytest.mark.parametrize(("action", "expected"), [("stats", "entries"), ("purge", "purged")])
def test_cache_commands_on_a_cache_file_not_made_yet_report_nothing_and_create_nothing(
    tmp_path: Path, action: str, expected: str
) -> None:
    where = tmp_path / "not" / "yet" / "cache.sqlite3"
    proc = docbot("cache", action, "--cache-path", str(where), "--json")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)[expected] == 0
    assert not (tmp_path / "not").exists()
