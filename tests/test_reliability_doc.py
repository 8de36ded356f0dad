"""docs/reliability.md names real tests: every row's test exists, so the table cannot drift from the suite."""

from __future__ import annotations

import re

from tests.conftest import ROOT

TEST_REF = re.compile(r"`(test_[a-z0-9_]+\.py)::(test_[a-z0-9_]+)`")


def rows(section: str) -> list[str]:
    text = (ROOT / "docs" / "reliability.md").read_text(encoding="utf-8")
    body = text.split(f"## {section}\n", 1)[1].split("\n## ", 1)[0]
    return [line for line in body.splitlines() if re.match(r"\| \d+ \|", line)]


def test_every_row_names_tests_that_exist() -> None:
    for line in rows("Bad input") + rows("Injected faults"):
        refs = TEST_REF.findall(line)
        assert refs, f"row names no test: {line}"
        for file, name in refs:
            source = (ROOT / "tests" / file).read_text(encoding="utf-8")
            assert re.search(rf"^def {name}\(", source, re.M), f"{file}::{name} does not exist"


def test_the_table_covers_enough_cases() -> None:
    assert len(rows("Bad input")) >= 60
    assert len(rows("Injected faults")) >= 15
