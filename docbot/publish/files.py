"""The local publisher: carries out a ``DocsPlan`` in a working tree (``docbot run``).

What to write and delete is decided by ``plan.decide``; this module only describes the folder and
writes. Every path it writes or deletes passes ``paths.unsafe_target`` first: it never writes through a
symlink or over something that is not a regular file, and a docs folder that is a symlink or a file is
refused as a whole (``ConfigError``) before anything is written.
"""

from __future__ import annotations

from pathlib import Path

from docbot.errors import ConfigError
from docbot.markers import FRONT_MATTER_MAX, front_matter_value, source_of
from docbot.publish.paths import docs_dir_problem, unsafe_target
from docbot.publish.plan import Changes, DocsPlan, Existing, decide, git_blob_sha, neutralised
from docbot.render.site import is_site_file
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
        problem = docs_dir_problem(self.root, plan.out_dir)
        if problem:
            raise ConfigError(f"docs folder {plan.out_dir}: {problem}")
        plan = neutralised(plan)
        base = self.root / plan.out_dir
        present = (
            [p.relative_to(self.root).as_posix() for p in base.rglob("*") if p.is_file() or p.is_symlink()]
            if base.is_dir()
            else []
        )
        changes = decide(plan, present, self._inspect, also_unsafe=lambda rel: unsafe_target(self.root, rel))
        unwritten = self._apply(plan.out_dir, changes)
        failed = {rel for rel, _ in unwritten}
        return PublishRecord(
            written=tuple(rel for rel in changes.written if rel not in failed),
            deleted=tuple(rel for rel in changes.delete if rel not in failed),
            refused=changes.refused,
            unwritten=tuple(unwritten),
        )

    def _inspect(self, rel: str) -> Existing:
        path = self.root / rel
        if not path.is_file() or path.is_symlink():
            return Existing(digest="", generated=False)
        head = _head(path)
        source = source_of(head)
        if source is None and not is_site_file(rel, head):
            return Existing(digest="", generated=False)
        summary = front_matter_value(head, "description") or ""
        return Existing(git_blob_sha(path.read_bytes()), True, source, summary)

    def _apply(self, out_dir: str, changes: Changes) -> list[tuple[str, str]]:
        """Carry ``changes`` out, page by page: one the file system refuses (a name too long for it, a
        full disk) is listed with why, and the others are still written. Returns that list."""
        unwritten: list[tuple[str, str]] = []
        for rel, content in changes.write:
            target = self.root / rel
            try:
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(content, encoding="utf-8", newline="\n")
            except OSError as exc:
                why = exc.strerror or exc
                unwritten.append((rel, f"could not be written ({why}); its answers are cached"))
        for rel in changes.delete:
            target = self.root / rel
            try:
                target.unlink()
            except OSError as exc:
                unwritten.append((rel, f"could not be deleted ({exc.strerror or exc})"))
                continue
            self._prune_empty(target.parent, self.root / out_dir)
        return unwritten

    def _prune_empty(self, folder: Path, stop: Path) -> None:
        while (
            folder != stop and folder.is_relative_to(stop) and folder.is_dir() and not any(folder.iterdir())
        ):
            folder.rmdir()
            folder = folder.parent
