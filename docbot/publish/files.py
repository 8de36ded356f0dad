"""The local publisher: carries out a ``DocsPlan`` in a working tree (``docbot run``).

What to write and delete is decided by ``plan.decide``; this module only describes the folder and
writes. It never follows a symlink: a page whose folder resolves outside the docs folder is refused.
"""

from __future__ import annotations

from pathlib import Path

from docbot.markers import FRONT_MATTER_MAX, front_matter_value, source_of
from docbot.publish.plan import Changes, DocsPlan, Existing, decide, git_blob_sha
from docbot.report import PublishRecord, RunReport


def _head(path: Path) -> str:
    # The marker is the page's front matter (or, from docbot 0.1, its first line).
    with path.open("rb") as fh:
        return fh.read(FRONT_MATTER_MAX).decode("utf-8", errors="replace")


def is_generated(path: Path) -> bool:
    """True when ``path`` is a regular file (not a symlink) that opens with docbot's marker."""
    return path.is_file() and not path.is_symlink() and source_of(_head(path)) is not None


class FilesPublisher:
    """Writes pages under ``root`` (the repository's working tree)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root).resolve()

    def publish(self, plan: DocsPlan, report: RunReport) -> PublishRecord:
        """Write, rewrite and delete pages; the record lists what changed and what was refused."""
        base = self.root / plan.out_dir
        present = (
            [p.relative_to(self.root).as_posix() for p in base.rglob("*") if p.is_file() or p.is_symlink()]
            if base.is_dir()
            else []
        )
        changes = decide(
            plan, present, self._inspect, also_unsafe=lambda rel: self._outside(plan.out_dir, rel)
        )
        self._apply(plan.out_dir, changes)
        return PublishRecord(written=changes.written, deleted=changes.delete, refused=changes.refused)

    def _inspect(self, rel: str) -> Existing:
        path = self.root / rel
        if not is_generated(path):
            return Existing(digest="", generated=False)
        data = path.read_bytes()
        head = _head(path)
        summary = front_matter_value(head, "description") or ""
        return Existing(git_blob_sha(data), True, source_of(head), summary)

    def _outside(self, out_dir: str, rel: str) -> str | None:
        # Refuse anything that would land outside the docs folder through a symlinked parent.
        base = (self.root / out_dir).resolve()
        parent = (self.root / rel).parent.resolve()
        return None if parent == base or parent.is_relative_to(base) else f"is outside {out_dir}"

    def _apply(self, out_dir: str, changes: Changes) -> None:
        for rel, content in changes.write:
            target = self.root / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(content, encoding="utf-8", newline="\n")
        for rel in changes.delete:
            target = self.root / rel
            target.unlink()
            self._prune_empty(target.parent, self.root / out_dir)

    def _prune_empty(self, folder: Path, stop: Path) -> None:
        while (
            folder != stop and folder.is_relative_to(stop) and folder.is_dir() and not any(folder.iterdir())
        ):
            folder.rmdir()
            folder = folder.parent
