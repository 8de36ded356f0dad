"""Counts in words: ``count(1, "line")`` is ``"1 line"``, ``count(2, "line")`` is ``"2 lines"``.

Every count docbot prints to a reader (pages, the report's summary, the CLI) goes through ``count``,
so no message says "1 lines" or "1 file(s)".
"""

from __future__ import annotations


def plural_of(word: str) -> str:
    """The plural of an English noun docbot counts (``class`` -> ``classes``, ``entry`` -> ``entries``):
    every one of them is regular (``-s``, ``-es``, ``-ies``)."""
    if word.endswith(("s", "sh", "ch", "x", "z")):
        return f"{word}es"
    if word.endswith("y") and word[-2:-1] not in set("aeiou"):
        return f"{word[:-1]}ies"
    return f"{word}s"


def count(n: int, word: str) -> str:
    """``n`` and ``word``, plural unless ``n`` is exactly one."""
    return f"{n} {word}" if n == 1 else f"{n} {plural_of(word)}"


def agree(n: int, one: str = "is", many: str = "are") -> str:
    """The verb that agrees with ``n`` things: ``one`` for exactly one, else ``many``."""
    return one if n == 1 else many
