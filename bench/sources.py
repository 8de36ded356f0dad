"""Generated Python sources for the benchmark: realistic shapes, exact line counts, reproducible.

Modules hold classes with methods (some with nested helpers), top-level functions (some with nested
closures), docstrings and comments, in proportions close to ordinary application code.
"""

from __future__ import annotations

import random

_NOUNS = ("record", "order", "invoice", "session", "token", "report", "batch", "event", "user", "page")
_VERBS = ("load", "parse", "merge", "check", "build", "render", "fetch", "store", "split", "score")


def _function(rng: random.Random, n: int) -> list[str]:
    verb, noun = rng.choice(_VERBS), rng.choice(_NOUNS)
    name = f"{verb}_{noun}s_{n}"
    limit = rng.randint(10, 999)
    if rng.random() < 0.4:
        return [
            f"def {name}(rows, key={noun!r}):",
            f'    """{verb.capitalize()} {noun}s from ``rows``, grouped by ``key``."""',
            f"    limit = {limit}",
            "",
            "    def pick(row):",
            "        # Rows without the key are grouped under None rather than dropped.",
            "        return row.get(key)",
            "",
            "    groups = {}",
            "    for row in rows[:limit]:",
            "        groups.setdefault(pick(row), []).append(row)",
            "    return groups",
        ]
    return [
        f"def {name}(source, limit=None, *, strict=False):",
        f'    """{verb.capitalize()} the {noun}s in ``source``.',
        "",
        f"    Returns a list of {noun} dictionaries; raises ValueError on a bad entry when strict.",
        '    """',
        "    # A missing source means the feature is disabled: nothing to do.",
        "    if source is None:",
        "        return []",
        f"    limit = limit or {limit}",
        "    items = []",
        "    for index, item in enumerate(source):",
        "        if index >= limit:",
        "            break",
        "        if strict and not isinstance(item, dict):",
        f'            raise ValueError(f"{noun} {{index}} is not a mapping")',
        "        items.append(dict(item))",
        "    return items",
    ]


def _method(rng: random.Random, noun: str, i: int) -> list[str]:
    verb = rng.choice(_VERBS)
    limit = rng.randint(10, 999)
    if rng.random() < 0.25:
        return [
            f"    def {verb}_{i}(self, values):",
            f'        """{verb.capitalize()} ``values`` with a local helper."""',
            f"        limit = {limit}",
            "",
            "        def clean(value):",
            "            return str(value).strip().lower()",
            "",
            "        return [clean(v) for v in values[:limit]]",
        ]
    return [
        f"    def {verb}_{i}(self, key, default=None):",
        f'        """{verb.capitalize()} the {noun} stored under ``key``."""',
        f"        limit = {limit}",
        "        # Keys are case-insensitive; the store keeps them lower-cased.",
        "        value = self._items.get(str(key).lower(), default)",
        "        if value is not None and len(self._items) > limit:",
        "            self._evict()",
        "        return value",
    ]


def _class(rng: random.Random, n: int) -> list[str]:
    noun = rng.choice(_NOUNS)
    lines = [
        f"class {noun.capitalize()}Store{n}:",
        f'    """Keeps {noun}s in memory, keyed by id, and evicts the oldest when full."""',
        "",
        "    def __init__(self, capacity=100):",
        "        self.capacity = capacity",
        "        self._items = {}",
        "",
        "    def _evict(self):",
        "        # Dicts keep insertion order, so the first key is the oldest entry.",
        "        oldest = next(iter(self._items))",
        "        del self._items[oldest]",
    ]
    for i in range(rng.randint(2, 6)):
        lines += ["", *_method(rng, noun, i)]
    return lines


def python_module(lines: int, *, seed: int = 0, title: str = "Generated module") -> str:
    """A Python module of exactly ``lines`` lines (at least 8).

    Args:
        lines: the line count of the result.
        seed: the same seed gives the same text.
        title: the module docstring's first line.

    Returns:
        The source text, ending with a newline.
    """
    rng = random.Random(seed)
    out = [
        f'"""{title}."""',
        "",
        "from __future__ import annotations",
        "",
        "import logging",
        "",
        "log = logging.getLogger(__name__)",
    ]
    n = 0
    while True:
        n += 1
        block = _function(rng, n) if rng.random() < 0.45 else _class(rng, n)
        if len(out) + 2 + len(block) > lines:
            break
        out += ["", "", *block]
    # Fill the rest with small helpers, so short files are code too, then pad to the exact length.
    while len(out) + 6 <= lines:
        n += 1
        out += ["", "", f"def helper_{n}(value):", '    """Return ``value`` as text (a hook to override)."""']
        out += ["    return str(value)"]
    out += [f"# note {i}: generated padding" for i in range(lines - len(out))]
    return "\n".join(out[:lines]) + "\n"


_LINE_COMMENT = {"python": "#", "ruby": "#"}  # other supported languages use //


def edit_one_function(source: str, language: str) -> str:
    """Edit the function nearest the middle of ``source``: its last line gets a trailing comment.

    A comment at the end of a definition's last line is valid in every supported language (after
    ``return x``, ``}`` or ``end``), so this works for generated and real files alike.

    Raises:
        ValueError: ``source`` has no function or method to edit.
    """
    from docbot import symbols  # tree-sitter is loaded only when a workload needs it

    found = [s for s in symbols.extract_symbols(source, language) if s.kind in {"function", "method"}]
    if not found:
        raise ValueError(f"no function or method found in the {language} source to edit; pass another --file")
    target = found[len(found) // 2]
    lines = source.split("\n")
    marker = _LINE_COMMENT.get(language, "//")
    lines[target.end - 1] = f"{lines[target.end - 1]}  {marker} edited by docbot bench"
    return "\n".join(lines)
