"""Publishing: the pipeline builds a ``DocsPlan``; a publisher carries it out and says what it did."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True)
class DocsPlan:
    """Pages to write and pages to remove, as repository-relative paths under ``out_dir``."""

    out_dir: str
    pages: tuple[tuple[str, str], ...] = ()  # (page path, Markdown)
    deletions: tuple[str, ...] = ()  # page paths whose source is gone


@dataclass
class PublishResult:
    written: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    refused: list[tuple[str, str]] = field(default_factory=list)  # (path, why)


class Publisher(Protocol):
    def publish(self, plan: DocsPlan) -> PublishResult: ...
