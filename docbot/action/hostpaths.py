"""Paths that earlier steps put in the environment as the runner sees them, made valid in the container.

The runner mounts the workspace into a Docker action at ``/github/workspace`` and rewrites its own
``GITHUB_*`` variables, but passes every other variable as it is. A credentials file that an earlier
step wrote into the workspace and exported by its host path (``google-github-actions/auth`` writes
``gha-creds-*.json`` at the workspace root and sets ``GOOGLE_APPLICATION_CREDENTIALS``) is therefore
missing under that path inside the container, though the file itself is there, in the mounted folder.
"""

from __future__ import annotations

from collections.abc import Mapping, MutableMapping
from pathlib import Path, PurePath

# Variables that name a file a later step may need to read (the credential chains docbot uses).
CREDENTIAL_FILES = ("GOOGLE_APPLICATION_CREDENTIALS", "AWS_WEB_IDENTITY_TOKEN_FILE")


def in_container(env: Mapping[str, str]) -> dict[str, str]:
    """The credential-file variables whose host path is missing here but whose file is at the root of
    the mounted workspace: name -> the path to use instead."""
    workspace = Path(env.get("GITHUB_WORKSPACE") or ".")
    moved: dict[str, str] = {}
    for name in CREDENTIAL_FILES:
        value = env.get(name)
        if not value or Path(value).exists():
            continue
        here = workspace / PurePath(value).name
        if here.is_file():
            moved[name] = str(here)
    return moved


def point_credentials_into_the_container(env: MutableMapping[str, str]) -> dict[str, str]:
    """Rewrite ``env`` (the process environment, which the cloud SDKs read) with ``in_container``."""
    moved = in_container(env)
    env.update(moved)
    return moved
