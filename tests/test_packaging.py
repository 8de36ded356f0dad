"""The two commands, the lock files and the Action image agree with each other."""

from __future__ import annotations

import re
from pathlib import Path

from tests.conftest import ROOT


def _pins(lock: Path) -> dict[str, str]:
    pins = {}
    for line in lock.read_text().splitlines():
        match = re.match(r"^([A-Za-z0-9_.\-]+)==([^ \\;]+)", line)
        if match:
            pins[match.group(1).lower()] = match.group(2)
    return pins


def test_dev_lock_pins_every_runtime_package_at_the_same_version() -> None:
    runtime = _pins(ROOT / "requirements.lock")
    dev = _pins(ROOT / "requirements-dev.lock")
    assert runtime, "requirements.lock has no pins"
    assert {name: dev.get(name) for name in runtime} == runtime


def test_every_lock_line_is_hashed() -> None:
    for lock in ("requirements.lock", "requirements-dev.lock"):
        text = (ROOT / lock).read_text()
        blocks = re.findall(
            r"^[A-Za-z0-9_.\-]+==\S+(?: ;[^\\\n]*)? \\\n((?:\s+--hash=sha256:[0-9a-f]{64}(?: \\)?\n)+)",
            text,
            re.M,
        )
        assert len(blocks) == len(_pins(ROOT / lock)), lock


def test_dockerfile_installs_the_runtime_lock_with_hashes() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "pip install --no-cache-dir --require-hashes --no-deps -r /docbot/requirements.lock" in dockerfile
    assert "COPY requirements.lock" in dockerfile
    assert 'ENTRYPOINT ["python", "/docbot/entrypoint.py"]' in dockerfile


def test_ci_runs_the_readme_test_command() -> None:
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    assert "./dev test" in readme
    assert re.search(r"^exec \./dev test$", ci, re.M)
    assert "./dev run --repo . --all" in readme


def test_pyproject_declares_the_console_script_and_python_floor() -> None:
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert 'docbot = "docbot.cli:main"' in pyproject
    assert 'requires-python = ">=3.11"' in pyproject
