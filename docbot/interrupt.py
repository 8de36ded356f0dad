"""SIGTERM handled like Ctrl-C, so a cancelled or timed-out run unwinds and stores what it was paid for.

GitHub Actions sends SIGINT, then SIGTERM, then SIGKILL when a job is cancelled or times out. Python
turns SIGINT into ``KeyboardInterrupt`` but dies on SIGTERM without running any ``finally``; mapped to
``Interrupted`` (a ``KeyboardInterrupt``), both reach the pipeline's ``finally``, which flushes the
cache buffer before the process exits.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

EXIT_INTERRUPTED = 130  # 128 + SIGINT, the shell's convention


class Interrupted(KeyboardInterrupt):
    """The process was asked to stop (SIGTERM); carries the signal's name."""


def interrupted_message(exc: KeyboardInterrupt) -> str:
    """The one line for a run that was stopped: which signal (a plain ``KeyboardInterrupt`` carries no
    name: it was SIGINT), and that nothing paid for is lost."""
    return f"interrupted ({str(exc) or 'SIGINT'}); answers received so far are cached"


def _raise(signum: int, frame: FrameType | None) -> None:
    raise Interrupted(signal.Signals(signum).name)


@contextmanager
def signals_interrupt() -> Iterator[None]:
    """Within the block, SIGTERM raises ``Interrupted`` in the main thread (a no-op in other threads)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, _raise)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
