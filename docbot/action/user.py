"""Which user the Action's process runs as.

The runner starts a Docker action as root and passes no ``--user``: a ``USER`` line in the image would
leave the process unable to write the workspace, ``$GITHUB_OUTPUT`` and ``HOME`` on every runner whose
user has another uid than the image's (self-hosted runners use any uid). Those folders all belong to the
runner's user, so the process switches to the owner of ``$GITHUB_WORKSPACE`` before doing anything:
docbot then runs unprivileged, and what it writes in the workspace belongs to the runner's user
instead of root (root-owned files there break the next job's checkout on self-hosted runners).

A workspace owned by root (a runner that itself runs as root) keeps root. ``DOCBOT_RUN_AS_ROOT=true``
in the step's ``env`` keeps root too, for a runner whose mounted folders are not the workspace owner's.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from docbot.config import RUN_AS_ROOT_VAR, parse_bool
from docbot.errors import ConfigError


def target_user(euid: int, workspace: Path, env: Mapping[str, str]) -> tuple[int, int] | None:
    """The ``(uid, gid)`` to switch to, or ``None`` to stay as the current user."""
    if euid != 0:
        return None  # already unprivileged: nothing to give up, and no right to switch
    try:
        keep_root = parse_bool(env.get(RUN_AS_ROOT_VAR, ""), RUN_AS_ROOT_VAR)
    except ConfigError:
        keep_root = False  # an unreadable override is no reason to keep privileges
    if keep_root:
        return None
    try:
        owner = workspace.stat()
    except OSError:
        return None  # no workspace: the run fails with its own clear error later
    if owner.st_uid == 0:
        return None
    return owner.st_uid, owner.st_gid


def run_as_workspace_owner(env: Mapping[str, str]) -> tuple[int, int] | None:
    """Switch this process to the owner of ``$GITHUB_WORKSPACE`` when it runs as root.

    Call it before any thread starts: the switch applies to the calling thread's process credentials.

    Returns:
        The ``(uid, gid)`` switched to, or ``None`` when the process stays as it was.
    """
    target = target_user(os.geteuid(), Path(env.get("GITHUB_WORKSPACE") or "."), env)
    if target is None:
        return None
    uid, gid = target
    os.setgroups([])  # root's supplementary groups must not survive the switch
    os.setgid(gid)
    os.setuid(uid)
    return target
