"""The release: the workflow that builds, pushes and pins the image, the image's contents, the user the
Action runs as, and a start that loads no heavy dependency."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml

from docbot.action.hostpaths import point_credentials_into_the_container
from docbot.action.user import target_user
from tests.conftest import ROOT


def load_script(path: Path) -> ModuleType:
    """A script outside the package, imported from its file (it is not on sys.path)."""
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


pin_image = load_script(ROOT / ".github" / "scripts" / "pin_image.py")

RELEASE = ROOT / ".github" / "workflows" / "release.yml"
DIGEST = "sha256:" + "ab" * 32


def load_yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def steps_using(job: dict[str, Any], action: str) -> list[dict[str, Any]]:
    return [s for s in job["steps"] if str(s.get("uses", "")).startswith(f"{action}@")]


def test_release_runs_on_version_tags_with_least_privilege() -> None:
    workflow = load_yaml(RELEASE)
    assert workflow[True] == {"push": {"tags": ["v*.*.*"]}}  # YAML 1.1 reads `on` as True
    assert workflow["permissions"] == {}
    [job] = workflow["jobs"].values()
    assert job["permissions"] == {"contents": "write", "packages": "write"}


def test_every_action_in_the_release_is_pinned_by_commit_sha_with_its_version() -> None:
    uses = re.findall(r"^\s*(?:-\s+)?uses:\s*(\S+)(.*)$", RELEASE.read_text(encoding="utf-8"), re.MULTILINE)
    assert {ref.split("@")[0] for ref, _ in uses} >= {
        "docker/setup-qemu-action",
        "docker/setup-buildx-action",
        "docker/login-action",
        "docker/build-push-action",
    }
    for ref, comment in uses:
        assert re.fullmatch(r"[\w.-]+/[\w.-]+@[0-9a-f]{40}", ref), f"{ref}: pin by full commit SHA"
        assert re.fullmatch(r"\s*# v\d+\.\d+\.\d+", comment), f"{ref}: name the version in a comment"


def test_release_builds_both_platforms_with_provenance_and_sbom_and_pins_the_digest() -> None:
    [job] = load_yaml(RELEASE)["jobs"].values()
    [build] = steps_using(job, "docker/build-push-action")
    options = build["with"]
    assert options["platforms"] == "linux/amd64,linux/arm64"
    assert options["push"] is True
    assert options["provenance"] == "mode=max"
    assert options["sbom"] is True
    assert "ghcr.io/" in next(s["run"] for s in job["steps"] if s.get("id") == "names")
    [login] = steps_using(job, "docker/login-action")
    assert login["with"]["registry"] == "ghcr.io"

    pin_step = next(s for s in job["steps"] if "pin_image.py" in s.get("run", ""))
    assert pin_step["env"]["DIGEST"] == "${{ steps.build.outputs.digest }}"
    script = pin_step["run"]
    assert 'pin_image.py action.yml "${IMAGE}@${DIGEST}"' in script
    assert 'git switch -c "release/${TAG}"' in script
    assert '"refs/tags/${TAG}" "refs/tags/${MAJOR}"' in script  # the version tag and v1 move
    # The step order: the image exists before action.yml names it.
    order = [s.get("id") or s.get("uses", s.get("name")) for s in job["steps"]]
    assert order.index("build") < order.index(pin_step.get("id") or pin_step.get("name"))


def test_pinning_changes_only_the_image_line() -> None:
    text = (ROOT / "action.yml").read_text(encoding="utf-8")
    ref = f"ghcr.io/acme/docbot@{DIGEST}"
    pinned = pin_image.pin(text, ref)

    assert load_yaml(ROOT / "action.yml")["runs"]["image"] == "Dockerfile"  # development builds it
    assert yaml.safe_load(pinned)["runs"] == {"using": "docker", "image": f"docker://{ref}"}
    changed = [(a, b) for a, b in zip(text.splitlines(), pinned.splitlines(), strict=True) if a != b]
    assert changed == [("  image: Dockerfile", f"  image: docker://{ref}")]


@pytest.mark.parametrize(
    "ref",
    [
        "ghcr.io/acme/docbot:v1",
        "ghcr.io/acme/docbot@sha256:abc",
        "docbot@" + DIGEST,
        "ghcr.io/a/b@" + DIGEST + "\n",
    ],
)
def test_pinning_refuses_a_reference_that_is_not_a_digest(ref: str) -> None:
    with pytest.raises(ValueError, match="pinned by digest"):
        pin_image.pin("runs:\n  using: docker\n  image: Dockerfile\n", ref)


def test_pinning_refuses_a_file_already_pinned(tmp_path: Path) -> None:
    path = tmp_path / "action.yml"
    path.write_text(f"runs:\n  using: docker\n  image: docker://ghcr.io/a/b@{DIGEST}\n", encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, str(ROOT / ".github/scripts/pin_image.py"), str(path), f"ghcr.io/a/b@{DIGEST}"],
        capture_output=True, text=True, timeout=30,
    )  # fmt: skip
    assert proc.returncode == 1
    assert "found 0" in proc.stderr
    assert "Traceback" not in proc.stderr


def dockerignore_allows(path: str) -> bool:
    """Docker's rule: the last matching pattern wins; ``*`` then ``!name`` re-includes a top-level name."""
    allowed = True
    for line in (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines():
        pattern = line.strip()
        if not pattern or pattern.startswith("#"):
            continue
        negate = pattern.startswith("!")
        pattern = pattern.lstrip("!").rstrip("/")
        top = path.split("/")[0]
        if pattern in ("*", top, path):
            allowed = negate
    return allowed


def test_the_image_holds_only_runtime_code() -> None:
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    sources = [src for line in re.findall(r"^COPY (.+)$", text, re.MULTILINE) for src in line.split()[:-1]]
    assert sources == [
        "requirements.lock",
        "pyproject.toml",
        "README.md",
        "LICENSE",
        "docbot",
        "entrypoint.py",
    ]
    for src in sources:
        assert (ROOT / src).exists(), src
        assert dockerignore_allows(src), f"{src} is copied but .dockerignore keeps it out"
    for kept_out in ("tests", "tests/fakes/anthropic_server.py", "bench", "docs", ".venv", ".git"):
        assert not dockerignore_allows(kept_out), kept_out
    # The package itself carries no test or benchmark code.
    assert not [p for p in (ROOT / "docbot").rglob("*.py") if re.search(r"fake|bench|test", p.name)]


HEAVY = ("github", "boto3", "botocore", "tree_sitter", "anthropic", "jwt", "cryptography", "requests")


def test_importing_the_action_loads_no_heavy_dependency() -> None:
    code = f"import json, sys, docbot.action; print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == []


def test_the_entrypoint_switches_to_the_workspace_owner(tmp_path: Path) -> None:
    workspace = tmp_path / "workspace"
    workspace.mkdir()
    root = os.geteuid() == 0
    if root:
        os.chown(workspace, 1001, 1002)
        tmp_path.chmod(0o755)
    code = (
        "import os; from docbot.action import run_as_workspace_owner; "
        "print(run_as_workspace_owner(os.environ), os.getuid(), os.getgid(), os.getgroups())"
    )
    env = {"PATH": os.environ["PATH"], "GITHUB_WORKSPACE": str(workspace), "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60)
    assert proc.returncode == 0, proc.stderr
    if root:  # the runner's case: root in the container, the workspace owned by the runner's user
        assert proc.stdout.split() == ["(1001,", "1002)", "1001", "1002", "[]"]
    else:  # an unprivileged process stays as it is
        assert proc.stdout.split()[:3] == ["None", str(os.getuid()), str(os.getgid())]


def test_who_the_action_runs_as(tmp_path: Path) -> None:
    workspace = tmp_path / "workspace"
    workspace.mkdir()
    if os.geteuid() == 0:
        os.chown(workspace, 1001, 1002)
    owner = (workspace.stat().st_uid, workspace.stat().st_gid)
    assert owner[0] != 0
    assert target_user(0, workspace, {}) == owner
    assert target_user(0, workspace, {"DOCBOT_RUN_AS_ROOT": "true"}) is None
    assert target_user(0, workspace, {"DOCBOT_RUN_AS_ROOT": "maybe"}) == owner  # unreadable: no privilege
    assert target_user(0, Path("/"), {}) is None  # a runner that runs as root keeps root
    assert target_user(1001, workspace, {}) is None
    assert target_user(0, workspace / "missing", {}) is None


def test_credential_files_exported_by_their_host_path_are_found_in_the_mounted_workspace(
    tmp_path: Path,
) -> None:
    workspace = tmp_path / "github-workspace"
    workspace.mkdir()
    (workspace / "gha-creds-1a2b.json").write_text("{}", encoding="utf-8")
    present = tmp_path / "token"
    present.write_text("t", encoding="utf-8")
    env = {
        "GITHUB_WORKSPACE": str(workspace),
        # The runner's path of the same file: not mounted at that path in the container.
        "GOOGLE_APPLICATION_CREDENTIALS": "/home/runner/work/repo/repo/gha-creds-1a2b.json",
        "AWS_WEB_IDENTITY_TOKEN_FILE": str(present),  # exists where it says: left alone
    }
    moved = point_credentials_into_the_container(env)
    assert moved == {"GOOGLE_APPLICATION_CREDENTIALS": str(workspace / "gha-creds-1a2b.json")}
    assert env["GOOGLE_APPLICATION_CREDENTIALS"] == str(workspace / "gha-creds-1a2b.json")
    assert env["AWS_WEB_IDENTITY_TOKEN_FILE"] == str(present)
    # A file that is nowhere stays as it was: the SDK's own error then names the path it was given.
    lost = {"GITHUB_WORKSPACE": str(workspace), "GOOGLE_APPLICATION_CREDENTIALS": "/elsewhere/creds.json"}
    assert point_credentials_into_the_container(lost) == {}
    assert lost["GOOGLE_APPLICATION_CREDENTIALS"] == "/elsewhere/creds.json"
