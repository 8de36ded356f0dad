"""Publishing: ``plan.decide`` says what a ``DocsPlan`` changes; a publisher carries it out and returns a
``PublishRecord`` (``files`` for a working tree, ``github`` for a branch, pull request or comment)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from docbot.report import PublishRecord, RunReport

if TYPE_CHECKING:  # only a type here: docbot.publish.paths must load without the page renderer
    from docbot.publish.plan import DocsPlan


class Publisher(Protocol):
    def publish(self, plan: DocsPlan, report: RunReport) -> PublishRecord:
        """Carry out ``plan``, announcing it with ``report``; returns what was done."""
        ...
