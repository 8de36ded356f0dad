"""How long a run keeps its system block in the prompt cache: five minutes, or an hour.

The system block (docbot's rules, style guide, worked example and the house style) and the fixed
output schema are the same bytes in every request of every run with the same model and settings, in
every repository that shares the settings. A run that sends one or two requests (a push that edits a
function or two) pays for that block in full, and marks it for the 5-minute cache at most, so the next
push twenty minutes later pays for it again. Marked for an hour instead, the write costs 2x the input
price once (0.75x more than a 5-minute write, 1x more than no mark), and every run within the hour
reads it at 0.1x (0.05x on the newer models): the first run that reads instead of writing pays the
extra back.

Whether another run will come within the hour is what the shared cache can tell: each run records when
it sent the block to its server. A run that finds a record less than an hour old marks its block for an
hour, even a run of one request; one that finds none (the first run, or after a quiet hour) keeps the
old marks. The record is keyed by the server's URL and the prefix's bytes, so a change of model,
settings or server (another organisation's gateway, a fresh test server) starts afresh.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass

from docbot.cache import Cache, CacheEntry, content_key

HOUR_S = 3600.0
# A record this close to an hour old may be read by a run that starts now and sends its first request
# a few minutes later: the estimate counts the block as read only until then. Deciding the mark needs
# no margin: a block past its hour is written again, at the price the hour was chosen to save.
READ_MARGIN_S = 600.0


@dataclass(frozen=True)
class Sent:
    """When a run last sent the system block to this server, and whether it kept it for an hour."""

    at: float
    hour: bool

    def recent(self, now: float) -> bool:
        """Less than an hour ago (a record from the future, another runner's clock, is not)."""
        return 0.0 <= now - self.at < HOUR_S

    def cached(self, now: float) -> bool:
        """Whether the server likely still holds the block: marked for an hour, and not near its end."""
        return self.hour and 0.0 <= now - self.at < HOUR_S - READ_MARGIN_S


def record_key(server: str, prefix: str) -> str:
    """Where the record of ``prefix`` (the bytes every request starts with) sent to ``server`` lives."""
    digest = hashlib.sha256(f"{server}\0{prefix}".encode("utf-8", "surrogateescape")).hexdigest()
    return content_key("system-sent", digest, model="", prompt_version="", options={})


def _valid(_key: str, value: str) -> bool:
    return _parse(value) is not None


def _parse(value: str) -> Sent | None:
    try:
        data = json.loads(value)
        at, hour = data["at"], data["hour"]
    except (ValueError, TypeError, KeyError):
        return None
    if not isinstance(at, int | float) or isinstance(at, bool) or not isinstance(hour, bool):
        return None
    return Sent(float(at), hour)


def last_sent(cache: Cache, key: str) -> Sent | None:
    """The record under ``key``, or None (none, unreadable, or the cache is down)."""
    entry = cache.get_many([key], validate=_valid).get(key)
    return _parse(entry.value) if entry is not None else None


def record(cache: Cache, key: str, sent: Sent) -> None:
    """Store ``sent``: best effort, like every cache write (a lost record costs one 5-minute mark)."""
    value = json.dumps({"at": sent.at, "hour": sent.hour})
    cache.put_many({key: CacheEntry(value, "system-sent", time.time(), input_tokens=0, output_tokens=0)})
