"""Strict checks of the JSON a chunk entry holds, so a planted value is a miss, never a crash.

Three kinds of answer are stored: a chunk's (``chunk_answer``), one symbol's (``symbol_answer``) and
a file overview (``overview_answer``). A chunk entry's value is ``ChunkDoc.to_json()`` serialised: an
object with exactly the fields written there, each of the type written there (usage fields added
later may be absent from older entries). ``chunk_answer`` accepts that and nothing else (no missing
or extra field, no ``null`` where a string belongs, no ``true`` where a count belongs), so whatever
it accepts ``ChunkDoc.from_json`` reads without error. Each is a ``Validator`` for ``Cache.get_many``.

The shape is spelled out here rather than derived from the dataclasses so that a change to them is a
deliberate change to what the cache accepts; ``tests/test_cache_trust.py`` fails if the two drift.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping

Check = Callable[[object], bool]


def _text(value: object) -> bool:
    return isinstance(value, str)


def _optional_text(value: object) -> bool:
    return value is None or isinstance(value, str)


def _count(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _amount(value: object) -> bool:
    # json.loads accepts NaN and Infinity; neither is a cost.
    return (
        isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value) and value >= 0
    )


def _finite(value: object) -> bool:
    # A saving can be negative (a cache write never read back), never NaN or infinite.
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _list_of(check: Check) -> Check:
    return lambda value: isinstance(value, list) and all(check(v) for v in value)


def _pair(value: object) -> bool:
    # A parameter: [name, description].
    return isinstance(value, list) and len(value) == 2 and all(isinstance(v, str) for v in value)


def _record(fields: Mapping[str, Check], optional: Mapping[str, Check] | None = None) -> Check:
    # ``optional`` fields were added later: entries written before them are still accepted.
    extra = optional or {}

    def check(value: object) -> bool:
        return (
            isinstance(value, dict)
            and fields.keys() <= value.keys() <= fields.keys() | extra.keys()
            and all(test(value[name]) for name, test in {**fields, **extra}.items() if name in value)
        )

    return check


SYMBOL_FIELDS: Mapping[str, Check] = {
    "name": _text,
    "summary": _text,
    "description": _text,
    "params": _list_of(_pair),
    "returns": _optional_text,
    "raises": _list_of(_text),
    "example": _optional_text,
    "notes": _list_of(_text),
}
USAGE_FIELDS: Mapping[str, Check] = {
    "input_tokens": _count,
    "output_tokens": _count,
    "cache_read_tokens": _count,
    "cache_write_tokens": _count,
    "requests": _count,
    "retries": _count,
    "rate_limited": _count,
    "cost_usd": _amount,
}
# Usage fields added after the first entries were written.
USAGE_LATER_FIELDS: Mapping[str, Check] = {"thinking_tokens": _count, "cache_saved_usd": _finite}
CHUNK_FIELDS: Mapping[str, Check] = {
    "overview": _optional_text,
    "symbols": _list_of(_record(SYMBOL_FIELDS)),
    "model": _text,
    "usage": _record(USAGE_FIELDS, USAGE_LATER_FIELDS),
}
_is_chunk_answer = _record(CHUNK_FIELDS)
# One symbol's answer, cached on its own (the pipeline's symbol-level entries): the doc and the model.
SYMBOL_ANSWER_FIELDS: Mapping[str, Check] = {"doc": _record(SYMBOL_FIELDS), "model": _text}
_is_symbol_answer = _record(SYMBOL_ANSWER_FIELDS)
# A file's overview, cached on its own (``docbot/overview.py``): the text (null: the file has none)
# and the model.
OVERVIEW_FIELDS: Mapping[str, Check] = {"overview": _optional_text, "model": _text}
_is_overview = _record(OVERVIEW_FIELDS)


def chunk_answer(key: str, value: str) -> bool:
    """Whether ``value`` is a chunk answer as docbot stores it (a ``Validator``; ``key`` is unused)."""
    try:
        data = json.loads(value)
    except (ValueError, RecursionError):  # not JSON, or nested deep enough to exhaust the parser
        return False
    return _is_chunk_answer(data)


def _parsed(value: str) -> object:
    try:
        return json.loads(value)
    except (ValueError, RecursionError):
        return None


def symbol_answer(key: str, value: str) -> bool:
    """Whether ``value`` is one symbol's answer as docbot stores it (a ``Validator``)."""
    return _is_symbol_answer(_parsed(value))


def overview_answer(key: str, value: str) -> bool:
    """Whether ``value`` is a file overview as docbot stores it (a ``Validator``)."""
    return _is_overview(_parsed(value))
