"""Path safety in a working tree: the one check every path docbot writes or deletes goes through.

A path is taken component by component from the repository root, without following symlinks: a
component that is a symlink (which could lead anywhere, also outside the repository), or a regular file
where a folder is needed, makes the path unsafe. ``docs_dir_problem`` applies the same walk to the docs
folder itself before a run starts, so a bad ``docs_dir`` is refused before anything is paid for.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path


def unsafe_target(root: Path, rel: str) -> str | None:
    """Why writing or deleting ``root/rel`` is unsafe, or ``None`` when it is not.

    Args:
        root: the repository's working tree.
        rel: a clean repository-relative POSIX path (``plan.unsafe_path`` has checked its shape).
    """
    parts = rel.split("/")
    if too_long := name_too_long(root, parts):
        return too_long
    here = root
    for depth, part in enumerate(parts, 1):
        here = here / part
        try:
            mode = here.lstat().st_mode
        except FileNotFoundError:
            return None  # nothing further down exists either: the write creates real folders
        except OSError as exc:
            return f"cannot inspect {'/'.join(parts[:depth])} ({exc.strerror or exc})"
        shown = "/".join(parts[:depth])
        if stat.S_ISLNK(mode):
            return f"{shown} is a symlink; docbot never writes through one"
        if depth < len(parts) and not stat.S_ISDIR(mode):
            return f"{shown} is a file, not a folder"
        if depth == len(parts) and not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
            return f"{shown} is not a regular file"
    return None


def name_too_long(root: Path, parts: list[str]) -> str | None:
    """Why one of ``parts`` cannot be a name on the file system under ``root`` (a page is named after its
    source file plus ``.md``, so a source name near the limit makes a page name past it), or ``None``."""
    try:
        most = os.pathconf(root, "PC_NAME_MAX")
    except (OSError, ValueError):
        most = 255  # what Linux, macOS and Windows file systems allow
    for part in parts:
        size = len(part.encode("utf-8", "surrogateescape"))
        if size > most:
            return f"has a name of {size} bytes, longer than the {most} this file system allows"
    return None


def docs_dir_problem(root: Path, out_dir: str) -> str | None:
    """Why the docs folder ``out_dir`` cannot hold docbot's pages in the working tree ``root``.

    The folder may be missing (it is created), but neither it nor any folder above it may be a symlink
    or a file, and it may not be the repository root or lie inside ``.git``.
    """
    parts = out_dir.strip("/").split("/")
    if parts in ([""], ["."]):
        return "the repository root cannot be the docs folder; use a folder inside it, such as docs/api"
    if parts[0] == ".git":
        return f"{out_dir} is inside .git, where docbot never writes"
    why = unsafe_target(root, out_dir)
    if why is None and (root / out_dir).exists() and not (root / out_dir).is_dir():
        return f"{out_dir} is a file, not a folder"
    return why


def unwritable_problem(repo: Path, out_dir: str) -> str | None:
    """Why the pages could not be written under ``out_dir``, found before anything is paid for: the
    nearest folder that exists must let docbot create files in it."""
    folder = repo / out_dir
    while not folder.exists() and folder != repo:
        folder = folder.parent
    if os.access(folder, os.W_OK | os.X_OK):
        return None
    shown = folder.relative_to(repo).as_posix()
    return f"{shown} is not writable; make it writable or choose another --out"


def report_path_problem(path: Path) -> str | None:
    """Why the report cannot be written to ``path`` (checked before a run, so nothing paid is lost)."""
    if path.is_dir():
        return f"{path} is a folder; give a file path, such as docbot-report.json"
    for parent in path.parents:
        if parent.exists():
            return None if parent.is_dir() else f"{path} cannot be created: {parent} is a file"
    return None
