"""The two commands, the lock files and the Action image agree with each other, and the package holds
only runtime code."""

from __future__ import annotations

import ast
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

from tests.conftest import ROOT

# Modules no runtime code has a use for: the test suite, the benchmark, and the stdlib servers the
# loopback fakes are built on (docbot only ever talks to servers, it never is one).
NOT_RUNTIME = ("tests", "bench", "http.server", "socketserver", "wsgiref", "xmlrpc.server")


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


def _imported_modules(path: Path) -> set[str]:
    """Every absolute module ``path`` imports; ``from a import b`` counts as ``a`` and ``a.b``."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def test_no_module_in_the_package_imports_test_or_benchmark_code() -> None:
    def unwanted(name: str) -> bool:
        return any(name == bad or name.startswith(f"{bad}.") for bad in NOT_RUNTIME)

    modules = sorted((ROOT / "docbot").rglob("*.py"))
    assert len(modules) > 20, modules  # the walk found the package
    found = {
        str(path.relative_to(ROOT)): sorted(filter(unwanted, _imported_modules(path))) for path in modules
    }
    assert {path: names for path, names in found.items() if names} == {}


def test_the_import_check_sees_every_import_form(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        "import tests.fakes.clock\nfrom bench import workloads\nfrom http import server\n"
        "import socketserver as ss\nfrom . import sibling\n"
    )
    assert _imported_modules(sample) == {
        "tests.fakes.clock",
        "bench",
        "bench.workloads",
        "http",
        "http.server",
        "socketserver",
    }


def test_the_wheel_holds_only_the_docbot_package(tmp_path: Path) -> None:
    # Build from a copy of the checkout (bench/ and tests/ included, so discovery could pick them up)
    # to leave no build/ or egg-info behind in the real one.
    src = tmp_path / "src"
    src.mkdir()
    skip = shutil.ignore_patterns("__pycache__", "*.egg-info")
    for name in ("docbot", "bench", "tests"):
        shutil.copytree(ROOT / name, src / name, ignore=skip)
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, src / name)
    build = "import sys; from setuptools import build_meta; print(build_meta.build_wheel(sys.argv[1]))"
    proc = subprocess.run(
        [sys.executable, "-c", build, str(tmp_path / "dist")],
        cwd=src,
        capture_output=True,
        text=True,
        timeout=110,
    )
    assert proc.returncode == 0, proc.stderr
    wheel = tmp_path / "dist" / proc.stdout.strip().splitlines()[-1]
    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
    assert "docbot/cli.py" in names
    assert {name.split("/")[0] for name in names} == {"docbot", "docbot-0.1.0.dist-info"}
    packages = {name.rsplit("/", 1)[0] for name in names if name.endswith("/__init__.py")}
    assert packages == {str(p.parent.relative_to(ROOT)) for p in (ROOT / "docbot").rglob("__init__.py")}
    assert not [p for p in packages if {"tests", "testing", "bench", "fakes"} & set(p.split("/"))]
