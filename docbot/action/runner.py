"""The Actions runner's file and log protocols: step outputs, the job summary, and workflow commands.

Workflow commands are lines on stdout (``::error title=docbot::message``); their data and properties are
escaped the way the runner's toolkit escapes them, so a newline or ``::`` in a message cannot start a
command of its own. Outputs use the heredoc form for multi-line values with a random delimiter, so a
value cannot end the block early. The job summary is capped below the runner's 1 MiB limit: above it the
runner drops the whole summary ("$GITHUB_STEP_SUMMARY upload aborted").
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO

SUMMARY_MAX_BYTES = 1024 * 1024
# Leave room for the runner's own framing and for a second writer in the same step.
SUMMARY_BUDGET_BYTES = SUMMARY_MAX_BYTES - 16 * 1024


def escape_data(text: str) -> str:
    """Escape a workflow command's message (``%``, CR and LF), as @actions/core does."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """Escape a workflow command's property value (also ``:`` and ``,``)."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def truncate_utf8(text: str, max_bytes: int) -> str:
    """The longest prefix of ``text`` that fits in ``max_bytes`` of UTF-8 (never splits a character)."""
    data = text.encode("utf-8")
    if len(data) <= max_bytes:
        return text
    return data[:max_bytes].decode("utf-8", errors="ignore")


class ActionLog:
    """Writes workflow commands to the step's log (stdout)."""

    def __init__(self, out: TextIO) -> None:
        self.out = out

    def command(self, name: str, message: str, **props: str) -> None:
        """Write ``::name props::message`` with both parts escaped."""
        prop_text = ",".join(f"{k}={escape_property(v)}" for k, v in props.items() if v)
        head = f"{name} {prop_text}" if prop_text else name
        self.out.write(f"::{head}::{escape_data(message)}\n")
        self.out.flush()

    def mask(self, secret: str) -> None:
        """Ask the runner to replace ``secret`` with ``***`` in every later log line."""
        for line in secret.splitlines():
            # A multi-line secret is masked line by line: the runner matches within one line.
            if line.strip():
                self.command("add-mask", line)

    def error(self, message: str, *, file: str = "") -> None:
        self.command("error", message, title="docbot", file=file)

    def warning(self, message: str, *, file: str = "") -> None:
        self.command("warning", message, title="docbot", file=file)

    def notice(self, message: str) -> None:
        self.command("notice", message, title="docbot")

    def info(self, message: str) -> None:
        self.out.write(message.rstrip("\n") + "\n")
        self.out.flush()

    @contextmanager
    def group(self, title: str) -> Iterator[None]:
        """A collapsible group in the log; always closed, even when the body raises."""
        self.command("group", title)
        try:
            yield
        finally:
            self.command("endgroup", "")


def write_outputs(path: str | None, outputs: Mapping[str, object]) -> None:
    """Append step outputs to ``$GITHUB_OUTPUT`` (no-op without the variable, as in local runs).

    Args:
        path: the value of ``GITHUB_OUTPUT``.
        outputs: name -> value; ``None`` is written as an empty string, booleans as ``true``/``false``.
    """
    if not path:
        return
    with open(path, "a", encoding="utf-8", newline="\n") as fh:
        for name, value in outputs.items():
            if value is None:
                text = ""
            elif isinstance(value, bool):
                text = "true" if value else "false"
            else:
                text = str(value)
            if "\n" in text or "\r" in text:
                delimiter = f"ghadelimiter_{secrets.token_hex(16)}"
                fh.write(f"{name}<<{delimiter}\n{text}\n{delimiter}\n")
            else:
                fh.write(f"{name}={text}\n")


def summary_room(path: str | None) -> int:
    """The bytes a step may still append to ``$GITHUB_STEP_SUMMARY`` (earlier writers count)."""
    existing = Path(path).stat().st_size if path and Path(path).exists() else 0
    return max(SUMMARY_BUDGET_BYTES - existing, 0)


def write_summary(path: str | None, markdown: str) -> int:
    """Append Markdown to ``$GITHUB_STEP_SUMMARY``, cut to stay under the runner's 1 MiB limit.

    Returns:
        The number of bytes written (0 without the variable).
    """
    if not path:
        return 0
    existing = Path(path).stat().st_size if Path(path).exists() else 0
    budget = max(SUMMARY_BUDGET_BYTES - existing, 0)
    text = markdown
    if len(text.encode("utf-8")) > budget:
        note = "\n\n> The summary was cut here to stay under GitHub's 1 MiB job-summary limit.\n"
        room = budget - len(note.encode("utf-8"))
        if room <= 0:
            return 0  # earlier steps used the whole budget: adding anything would lose all of it
        text = truncate_utf8(text, room) + note
    with open(path, "a", encoding="utf-8", newline="\n") as fh:
        fh.write(text)
    return len(text.encode("utf-8"))
