"""The docs say what the code does: every Action input and every default quoted in README.md,
docs/action.md, docs/configuration.md, docs/faq.md and action.yml agrees with the settings in
docbot/config.py, which are the one source of truth. Derived from the settings table, so a setting
added there is checked here without a change to this file."""

from __future__ import annotations

import re
from typing import Any

import pytest
import yaml

from docbot import __version__
from docbot.action.inputs import ACTION_CACHE_PATH
from docbot.config import ACTION_INPUTS, OPTIONS, default_text
from docbot.llm.prompt import PROMPT_VERSION
from tests.conftest import ROOT

PROSE = ("README.md", "docs/action.md", "docs/configuration.md", "docs/faq.md")
# Defaults the Action has where the command line has another (the Action's own folders).
ACTION_DEFAULTS = {"cache_path": str(ACTION_CACHE_PATH)}
# "defaults to `32`", "default `32`", "(default: `32`)", "default is `32`"
QUOTED_DEFAULT = re.compile(r"\bdefaults?(?: to| is)?:? `([^`]+)`", re.IGNORECASE)


def expected_defaults(name: str) -> set[str]:
    """The values a doc may quote as the default of an input or setting called ``name``."""
    key = ACTION_INPUTS.get(name, name)
    found = {v for v in (default_text(key), ACTION_DEFAULTS.get(key)) if v is not None}
    if key == "github_token":
        found.add("${{ github.token }}")  # the input's default in action.yml
    return found


def same(quoted: str, allowed: set[str]) -> bool:
    return quoted in allowed or quoted.replace(",", "").replace("_", "") in allowed


def known_names() -> set[str]:
    return set(OPTIONS) | set(ACTION_INPUTS)


def markdown_tables(text: str) -> list[list[list[str]]]:
    """Every table as rows of cells (the header first, the |---| line dropped)."""
    tables: list[list[list[str]]] = []
    current: list[list[str]] = []
    for line in [*text.splitlines(), ""]:
        if line.startswith("|"):
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if not all(re.fullmatch(r":?-+:?", c) for c in cells):
                current.append(cells)
        elif current:
            tables.append(current)
            current = []
    return tables


def input_rows(path: str) -> list[tuple[list[str], str]]:
    """(names, default cell) of each row of the file's tables headed ``input | default | ...``."""
    rows = []
    for table in markdown_tables((ROOT / path).read_text(encoding="utf-8")):
        header = [c.lower() for c in table[0]]
        if header[:2] != ["input", "default"]:
            continue
        for cells in table[1:]:
            rows.append((re.findall(r"`([^`]+)`", cells[0]), cells[1]))
    return rows


def test_the_action_guide_lists_real_inputs_once() -> None:
    names = [n for names, _ in input_rows("docs/action.md") for n in names]
    assert len(names) == len(set(names)), "an input is listed twice"
    assert set(names) <= set(ACTION_INPUTS), f"not inputs of the Action: {set(names) - set(ACTION_INPUTS)}"
    # The inputs this branch documents are all there (an input added elsewhere is checked once listed).
    assert {"provider", "cache_path", "max_concurrency", "bedrock_region", "vertex_region"} <= set(names)


@pytest.mark.parametrize("path", PROSE)
def test_input_tables_quote_the_real_defaults(path: str) -> None:
    for names, cell in input_rows(path):
        quoted = re.fullmatch(r"`([^`]*)`", cell)
        if not cell:
            continue  # no default to show (empty, or chosen at run time)
        assert quoted, f"{path}: {names}: quote the default in backticks, got {cell!r}"
        for name in names:
            assert name in ACTION_INPUTS, f"{path}: {name} is not an input of the Action"
            assert same(quoted.group(1), expected_defaults(name)), (
                f"{path}: {name} defaults to {expected_defaults(name)}, the table says {cell}"
            )


def sentences(text: str) -> list[str]:
    parts = re.split(r"(?<=[.!?])\s+|\n\s*\n|\n\|", text)
    return [" ".join(p.split()) for p in parts]


@pytest.mark.parametrize("path", PROSE)
def test_prose_quotes_the_real_defaults(path: str) -> None:
    text = (ROOT / path).read_text(encoding="utf-8")
    if path == "docs/configuration.md":  # its generated table is checked against the code elsewhere
        text = "\n".join(line for line in text.splitlines() if not line.startswith("|"))
    checked = 0
    for sentence in sentences(text):
        names = [n for n in re.findall(r"`([a-z][a-z0-9_]*)`", sentence) if n in known_names()]
        quoted = QUOTED_DEFAULT.findall(sentence)
        if len(set(names)) != 1 or len(quoted) != 1:
            continue  # only a sentence about one setting quoting one default can be checked
        checked += 1
        assert same(quoted[0], expected_defaults(names[0])), (
            f"{path}: {sentence!r} says {names[0]} defaults to {quoted[0]!r}; "
            f"the code says {expected_defaults(names[0])}"
        )
    if path == "docs/action.md":
        assert checked > 0, "the prose check found nothing to check: has the wording changed?"


def test_action_yml_descriptions_quote_the_real_defaults() -> None:
    inputs = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))["inputs"]
    checked = 0
    for name, spec in inputs.items():
        for quoted in QUOTED_DEFAULT.findall(spec["description"]):
            checked += 1
            assert same(quoted, expected_defaults(name)), f"action.yml {name}: default {quoted!r}"
    assert checked >= 5


def test_the_checker_catches_a_wrong_default() -> None:
    sentence = "`max_concurrency` defaults to `8` parallel requests."
    [quoted] = QUOTED_DEFAULT.findall(sentence)
    assert not same(quoted, expected_defaults("max_concurrency"))
    assert same("32", expected_defaults("max_concurrency"))


def yaml_blocks(path: str) -> list[dict[str, Any]]:
    text = (ROOT / path).read_text(encoding="utf-8")
    blocks = []
    for block in re.findall(r"```yaml\n(.*?)```", text, re.DOTALL):
        try:
            blocks.append(yaml.safe_load(block))
        except yaml.YAMLError:
            continue  # a fragment that is not a whole document (the test checks whole workflows)
    return [b for b in blocks if isinstance(b, dict) and "jobs" in b]


def example_workflows() -> list[tuple[str, dict[str, Any]]]:
    found = [("docbot.yml", yaml.safe_load((ROOT / ".github/workflows/docbot.yml").read_text("utf-8")))]
    for path in ("README.md", "docs/action.md"):
        found += [(path, block) for block in yaml_blocks(path)]
    return found


def is_docbot(step: dict[str, Any]) -> bool:
    return step.get("uses") == "./" or "/docbot@" in str(step.get("uses", ""))


def uses_sqlite(step: dict[str, Any]) -> bool:
    """A docbot step on the SQLite default: only that cache needs actions/cache (not DynamoDB, none)."""
    return str((step.get("with") or {}).get("cache", "sqlite")).split(":")[0] == "sqlite"


def test_every_example_workflow_keeps_the_cache_between_runs() -> None:
    prefix = f"docbot-{__version__}-{default_text('model')}-{PROMPT_VERSION}-"
    examples = example_workflows()
    checked = 0
    for where, workflow in examples:
        for name, job in workflow["jobs"].items():
            steps = job["steps"]
            docbot_at = [i for i, s in enumerate(steps) if is_docbot(s) and uses_sqlite(s)]
            if not docbot_at:
                continue
            checked += 1
            cache_at = [i for i, s in enumerate(steps) if str(s.get("uses", "")).startswith("actions/cache@")]
            checkout_at = [
                i for i, s in enumerate(steps) if str(s.get("uses", "")).startswith("actions/checkout@")
            ]
            assert cache_at, f"{where} {name}: without actions/cache docbot pays for every file on every run"
            # After the checkout (which would empty .git) and before docbot reads it.
            assert checkout_at and checkout_at[0] < cache_at[0] < docbot_at[0], f"{where} {name}"
            cache = steps[cache_at[0]]["with"]
            assert cache["path"].split()[0] == str(ACTION_CACHE_PATH), where
            assert cache["key"] == prefix + "${{ github.run_id }}", where
            assert cache["restore-keys"] == prefix, where
    assert checked >= 7  # three jobs in docbot.yml, the README's, four in docs/action.md


def test_the_manual_run_declares_the_inputs_docbot_reads() -> None:
    workflow = yaml.safe_load((ROOT / ".github/workflows/docbot.yml").read_text("utf-8"))
    declared = workflow[True]["workflow_dispatch"]["inputs"]
    assert set(declared) == {"base", "head", "paths", "all", "force"}
    assert all(spec["default"] in ("", False) for spec in declared.values())
