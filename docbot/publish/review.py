"""Docstrings as one pull request review of GitHub suggested changes, which authors accept with a click.

Each edit of ``docstrings.write_back`` becomes one review comment on the lines it replaces (an
insertion: the line the docstring goes above, suggested back with the docstring in front of it). Only
edits on lines the pull request changed are suggested: GitHub refuses comments outside the diff. Each
comment carries a hidden marker (``markers.suggestion_marker``); a rerun skips every symbol already
suggested, and one whose suggestion was accepted has its docstring and is not proposed at all.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from github.PullRequest import ReviewComment

from docbot.docstrings import DocstringsResult, Edit, FileEdits, split_lines
from docbot.markers import suggestion_marker, suggestion_of
from docbot.publish.github_api import GitHubApi

REVIEW_BODY = "docbot suggests docstrings for the public symbols this pull request adds without one."


@dataclass(frozen=True)
class Suggestion:
    """One suggested change of lines ``start_line``..``line`` (1-based; just ``line`` without a start)."""

    path: str
    symbol: str
    line: int
    start_line: int | None
    replacement: tuple[str, ...]

    def body(self) -> str:
        longest = max((len(run) for text in self.replacement for run in re.findall(r"`+", text)), default=0)
        fence = "`" * max(3, longest + 1)  # no backtick run in the code can close the block
        return (
            f"{suggestion_marker(self.path, self.symbol)}\n"
            f"A docstring for `{self.symbol}`:\n\n{fence}suggestion\n"
            + "\n".join(self.replacement)
            + f"\n{fence}"
        )

    def comment(self) -> ReviewComment:
        comment: ReviewComment = {"path": self.path, "body": self.body(), "line": self.line, "side": "RIGHT"}
        if self.start_line is not None:
            comment["start_line"] = self.start_line
            comment["start_side"] = "RIGHT"
        return comment


def _changed(f: FileEdits, first: int, last: int) -> bool:
    return any(start <= first and last <= end for start, end in f.changed_lines)


def _suggestion(f: FileEdits, edit: Edit, old: list[str]) -> Suggestion:
    if edit.start == edit.end:  # an insertion: suggest the line below, with the docstring above it
        return Suggestion(f.path, edit.symbol, edit.start + 1, None, (*edit.lines, old[edit.start]))
    start = edit.start + 1 if edit.end - edit.start > 1 else None
    return Suggestion(f.path, edit.symbol, edit.end, start, edit.lines)


def suggestions(result: DocstringsResult) -> tuple[list[Suggestion], list[tuple[str, str]]]:
    """The suggestions on changed lines, and (path, why) for the edits left out."""
    made: list[Suggestion] = []
    left: list[tuple[str, str]] = []
    for f in result.files:
        old = split_lines(f.old)
        for edit in f.edits:
            if edit.start >= len(old):
                left.append((f.path, f"{edit.symbol}: at the end of the file, after the last line"))
                continue
            s = _suggestion(f, edit, old)
            if _changed(f, s.start_line or s.line, s.line):
                made.append(s)
            else:
                left.append((f.path, f"{edit.symbol}: not on a line this pull request changed"))
    return made, left


def post(
    api: GitHubApi, number: int, commit_sha: str, wanted: list[Suggestion]
) -> tuple[list[Suggestion], str | None]:
    """Post the suggestions not already on pull request ``number`` as one review.

    Returns:
        The suggestions posted and the review's URL (``None`` when there was nothing new).
    """
    seen = {key for body in api.review_comment_bodies(number) if (key := suggestion_of(body))}
    new = [s for s in wanted if (s.path, s.symbol) not in seen]
    if not new:
        return [], None
    return new, api.create_review(number, commit_sha, REVIEW_BODY, [s.comment() for s in new])
