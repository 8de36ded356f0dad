"""One error hierarchy, split by what the caller does next.

- ``ConfigError``: the user must change an input, flag or file; nothing was attempted.
- ``TransientError``: trying again later may work (carries ``retry_after`` seconds when known).
- ``PermanentError``: retrying the same request will fail the same way.

Foreign exceptions (SDK, botocore, PyGithub, subprocess) are translated at the adapter boundary
with ``raise ... from``, so callers only ever catch these.
"""

from __future__ import annotations


class DocbotError(Exception):
    """Base class of every error docbot raises on purpose."""


class ConfigError(DocbotError):
    """A setting is missing or invalid; the message quotes the value and says how to fix it."""


class GitError(DocbotError):
    """A git command failed; the message carries git's own stderr."""


class TransientError(DocbotError):
    """A failure that may go away if the same request is tried again later."""

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class PermanentError(DocbotError):
    """A failure that will repeat if the same request is sent again."""
