"""Pull request reviews for the loopback GitHub API: create a review with comments, list review comments.

What docbot depends on, as GitHub does it: one ``POST /pulls/{n}/reviews`` carries all the comments
of one review; each comment names a ``path`` and a ``line`` (and, for several lines, ``start_line``)
on the ``RIGHT`` side, which must lie inside a hunk of the pull request's diff (three lines of context
around each change, against the merge base), else the whole review is refused with a 422 "Line could
not be resolved" ("Path could not be resolved" for a file the diff does not touch) and nothing is
posted. ``GET /pulls/{n}/comments`` lists every review comment, paginated.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tests.fakes.github_server import FakeGitHub

DOCS_URL = "https://docs.github.com/rest/pulls/reviews#create-a-review-for-a-pull-request"
_HUNK = re.compile(r"^@@ -\d+(?:,\d+)? \+(\d+)(?:,(\d+))? @@", re.MULTILINE)
EVENTS = {"COMMENT", "APPROVE", "REQUEST_CHANGES"}


@dataclass
class ReviewComment:
    id: int
    review_id: int
    pull: int
    path: str
    line: int
    start_line: int | None
    body: str
    user: str
    user_type: str
    commit_id: str


@dataclass
class Review:
    id: int
    pull: int
    body: str
    state: str
    user: str
    commit_id: str


def _unprocessable(message: str) -> Exception:
    from tests.fakes.github_server import _Reply

    return _Reply(
        422, {"message": "Unprocessable Entity", "errors": [message], "documentation_url": DOCS_URL}
    )


def diff_lines(fake: FakeGitHub, base: str, head: str) -> dict[str, set[int]]:
    """path -> the head-side line numbers a review comment may be placed on."""
    merge_base = fake.git("merge-base", base, head)
    names = fake.git("diff", "--name-only", "--no-renames", merge_base, head).splitlines()
    lines: dict[str, set[int]] = {}
    for name in names:
        patch = fake.git("diff", "--unified=3", "--no-color", merge_base, head, "--", name)
        allowed: set[int] = set()
        for match in _HUNK.finditer(patch):
            start, count = int(match.group(1)), int(match.group(2) or "1")
            allowed.update(range(start, start + count))
        lines[name] = allowed
    return lines


def _comment_json(fake: FakeGitHub, c: ReviewComment) -> dict[str, Any]:
    return {
        "id": c.id,
        "pull_request_review_id": c.review_id,
        "url": f"{fake.repo_url}/pulls/comments/{c.id}",
        "html_url": f"https://github.test/{fake.full_name}/pull/{c.pull}#discussion_r{c.id}",
        "pull_request_url": f"{fake.repo_url}/pulls/{c.pull}",
        "path": c.path,
        "line": c.line,
        "original_line": c.line,
        "start_line": c.start_line,
        "side": "RIGHT",
        "commit_id": c.commit_id,
        "original_commit_id": c.commit_id,
        "body": c.body,
        "user": {"login": c.user, "type": c.user_type, "url": f"{fake.url}/users/{c.user}"},
        "created_at": "2026-11-29T00:00:00Z",
        "updated_at": "2026-11-29T00:00:00Z",
    }


def _review_json(fake: FakeGitHub, r: Review) -> dict[str, Any]:
    return {
        "id": r.id,
        "node_id": f"PRR_{r.id}",
        "user": {"login": r.user, "type": "Bot", "url": f"{fake.url}/users/{r.user}"},
        "body": r.body,
        "state": r.state,
        "commit_id": r.commit_id,
        "html_url": f"https://github.test/{fake.full_name}/pull/{r.pull}#pullrequestreview-{r.id}",
        "pull_request_url": f"{fake.repo_url}/pulls/{r.pull}",
        "submitted_at": "2026-11-29T00:00:00Z",
    }


def _check_comment(item: Any, allowed: dict[str, set[int]]) -> tuple[str, int, int | None, str]:
    if not isinstance(item, dict) or not isinstance(item.get("body"), str) or not item.get("path"):
        raise _unprocessable("comments need a path and a body")
    path, line, start = str(item["path"]), item.get("line"), item.get("start_line")
    if item.get("side", "RIGHT") != "RIGHT" or (
        start is not None and item.get("start_side", "RIGHT") != "RIGHT"
    ):
        raise _unprocessable("Line could not be resolved")
    if path not in allowed:
        raise _unprocessable("Path could not be resolved")
    if not isinstance(line, int) or line not in allowed[path]:
        raise _unprocessable("Line could not be resolved")
    if start is not None and (not isinstance(start, int) or start > line or start not in allowed[path]):
        raise _unprocessable("start_line must be part of the same hunk as the line.")
    return path, line, start, str(item["body"])


def create_review(
    fake: FakeGitHub, number: str, body: Any, handler: Any, **_: Any
) -> tuple[int, Any, dict[str, str]]:
    pr = fake._pull(number)
    head = fake.ref_sha(f"refs/heads/{pr.head}")
    base = fake.ref_sha(f"refs/heads/{pr.base}")
    assert head is not None and base is not None
    commit = body.get("commit_id") or head
    if not re.fullmatch(r"[0-9a-f]{40}", commit) or fake.ref_sha(commit) is None:
        raise _unprocessable("commit_id is not part of the pull request")
    event = body.get("event")
    if event is not None and event not in EVENTS:
        raise _unprocessable(f"event {event!r} is not one of {', '.join(sorted(EVENTS))}")
    allowed = diff_lines(fake, base, commit)
    checked = [_check_comment(item, allowed) for item in body.get("comments") or []]
    login, kind = fake._writer(handler)
    review = Review(
        fake.next_id(), pr.number, body.get("body") or "", "COMMENTED" if event else "PENDING", login, commit
    )
    fake.reviews.append(review)
    for path, line, start, text in checked:
        fake.review_comments.append(
            ReviewComment(fake.next_id(), review.id, pr.number, path, line, start, text, login, kind, commit)
        )
    return 200, _review_json(fake, review), {}


def list_review_comments(
    fake: FakeGitHub, number: str, query: dict[str, list[str]], **_: Any
) -> tuple[int, Any, dict[str, str]]:
    pr = fake._pull(number)
    found = [_comment_json(fake, c) for c in fake.review_comments if c.pull == pr.number]
    return fake._paginate(found, query, f"/repos/{fake.full_name}/pulls/{number}/comments")


def get_commit(fake: FakeGitHub, sha: str, **_: Any) -> tuple[int, Any, dict[str, str]]:
    """``GET /repos/{o}/{r}/commits/{sha}``: the REST commit (PyGithub's ``Repository.get_commit``)."""
    from tests.fakes.github_server import _Reply

    if fake.ref_sha(sha) is None:
        raise _Reply(404, {"message": "No commit found for SHA: " + sha, "status": "404"})
    return (
        200,
        {
            "sha": sha,
            "url": f"{fake.repo_url}/commits/{sha}",
            "html_url": f"https://github.test/{fake.full_name}/commit/{sha}",
            "commit": fake._commit_json(sha),
            "parents": fake._commit_json(sha)["parents"],
        },
        {},
    )
