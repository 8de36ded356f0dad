"""A loopback GitHub REST API for the tests, backed by a real bare git repository.

Real PyGithub talks to it through ``base_url``; the Action reaches it through ``GITHUB_API_URL``. Blobs,
trees, commits and refs are real git objects in the bare repository, so what a test asserts about a
pushed branch is what git says about it. Pull requests, comments, reactions and permissions are kept in
memory. The server enforces what the real API enforces and docbot depends on: the ``token``
authorization scheme, the body limits, ``Link`` pagination, the 422s for existing refs and pull requests
and for non-fast-forward updates, the 403 when Actions may not create pull requests. ``inject`` queues
faults (5xx, rate limits with or without ``Retry-After``) for the next matching requests.
"""

from __future__ import annotations

import base64
import json
import os
import re
import subprocess
import tempfile
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import partial
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlencode, urlsplit

from tests.fakes import github_reviews as reviews

COMMENT_MAX_CHARS = 65_536
COMMENT_MAX_BYTES = 262_144
BODY_TOO_LONG = "Body is too long (maximum is 65536 characters)"
ACTIONS_MAY_NOT_CREATE_PRS = "GitHub Actions is not permitted to create or approve pull requests."
ACTIONS_LOGIN = "github-actions[bot]"
REACTIONS = {"+1", "-1", "laugh", "confused", "heart", "hooray", "rocket", "eyes"}


@dataclass
class Fault:
    """A canned reply for the next ``times`` requests matching ``method`` and the ``path`` regex."""

    method: str
    path: str
    status: int
    body: Any
    headers: dict[str, str]
    times: int = 1


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    body: Any
    status: int = 0


@dataclass
class PullRequest:
    number: int
    head: str
    base: str
    title: str
    body: str
    user: str
    state: str = "open"
    fork: bool = False


@dataclass
class Comment:
    id: int
    issue: int
    body: str
    user: str
    user_type: str
    reactions: list[tuple[str, str]] = field(default_factory=list)


class _Reply(Exception):
    def __init__(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        super().__init__(status)
        self.status = status
        self.body = body
        self.headers = headers or {}


def _validation(resource: str, code: str, message: str, field_name: str | None = None) -> _Reply:
    error: dict[str, Any] = {"resource": resource, "code": code, "message": message}
    if field_name:
        error["field"] = field_name
    return _Reply(422, {"message": "Validation Failed", "errors": [error], "status": "422"})


class FakeGitHub:
    """The server's state and routes. Use as a context manager, or call ``start`` / ``stop``."""

    def __init__(
        self, bare_repo: Path, *, owner: str = "octo", name: str = "project", prefix: str = ""
    ) -> None:
        self.git_dir = Path(bare_repo)
        self.owner, self.name = owner, name
        # "/api/v3" serves the API the way GitHub Enterprise Server does.
        self.prefix = prefix.rstrip("/")
        # token -> login of its identity; None is an Actions installation token (no GET /user).
        self.tokens: dict[str, str | None] = {"ghs_actions_token": None}
        # GitHub App installation tokens: like the Actions token they cannot read /user, but they write
        # as their own bot account.
        self.bot_tokens: dict[str, str] = {}
        self.permissions: dict[str, str] = {}
        # Accounts that exist on the fake: a permission lookup for any other login is a 404, as on GitHub.
        self.users: set[str] = {"octocat", "monalisa", "forker", "octo-org", "github", "github-actions[bot]"}
        self.actions_may_create_prs = True
        self.per_page_default = 30
        self.pulls: dict[int, PullRequest] = {}
        self.comments: dict[int, Comment] = {}
        self.reviews: list[reviews.Review] = []
        self.review_comments: list[reviews.ReviewComment] = []
        self.requests: list[Request] = []
        self._faults: list[Fault] = []
        self._next_number = 1
        self._next_comment = 1000
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # --- lifecycle ---

    @property
    def url(self) -> str:
        assert self._server is not None, "server not started"
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}{self.prefix}"

    def start(self) -> FakeGitHub:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                return

            def _handle(self) -> None:
                fake._dispatch(self)

            do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _handle

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), name="fake-github", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._server = None

    def __enter__(self) -> FakeGitHub:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- test controls ---

    def inject(
        self,
        method: str,
        path: str,
        status: int,
        body: Any = None,
        headers: dict[str, str] | None = None,
        times: int = 1,
    ) -> None:
        """Answer the next ``times`` requests whose method and path (a regex) match with this reply."""
        self._faults.append(
            Fault(
                method,
                path,
                status,
                {"message": f"injected {status}"} if body is None else body,
                headers or {},
                times,
            )
        )

    def unused_faults(self) -> list[Fault]:
        return [f for f in self._faults if f.times > 0]

    def calls(self, method: str | None = None, path: str | None = None) -> list[Request]:
        """Requests received, filtered by method and a path regex."""
        return [
            r
            for r in self.requests
            if (method is None or r.method == method) and (path is None or re.search(path, r.path))
        ]

    def writes(self) -> list[Request]:
        return [r for r in self.requests if r.method != "GET"]

    def open_pull(self, head: str, base: str, *, title: str = "A change", user: str = "alice") -> int:
        """Open a pull request as a user would (for the pull_request and issue_comment tests)."""
        with self._lock:
            number = self._next_number
            self._next_number += 1
            self.pulls[number] = PullRequest(number, head, base, title, "", user)
        return number

    def add_comment(self, issue: int, body: str, *, user: str = "alice", user_type: str = "User") -> int:
        with self._lock:
            cid = self._next_comment
            self._next_comment += 1
            self.comments[cid] = Comment(cid, issue, body, user, user_type)
            self.users.add(user)
        return cid

    def next_id(self) -> int:
        """A fresh id for a comment, review or review comment (one sequence, as on GitHub)."""
        self._next_comment += 1
        return self._next_comment

    def comments_on(self, issue: int) -> list[Comment]:
        return sorted((c for c in self.comments.values() if c.issue == issue), key=lambda c: c.id)

    def git(self, *args: str, input: bytes | None = None, env: dict[str, str] | None = None) -> str:
        proc = subprocess.run(
            ["git", "--git-dir", str(self.git_dir), *args],
            input=input,
            capture_output=True,
            check=False,
            timeout=60,
            env={**os.environ, **(env or {})},
        )
        if proc.returncode != 0:
            raise _Reply(422, {"message": proc.stderr.decode(errors="replace").strip()})
        return proc.stdout.decode("utf-8", errors="replace").strip()

    def ref_sha(self, ref: str) -> str | None:
        try:
            return self.git("rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
        except _Reply:
            return None

    # --- HTTP plumbing ---

    def _dispatch(self, handler: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(handler.path)
        path = parts.path
        if self.prefix:
            # Outside the prefix there is no API: a client that drops it gets 404, as on a real server.
            path = path[len(self.prefix) :] if path.startswith(self.prefix + "/") else "/outside-the-api"
        query = parse_qs(parts.query)
        length = int(handler.headers.get("Content-Length") or 0)
        raw = handler.rfile.read(length) if length else b""
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = raw.decode(errors="replace")
        record = Request(handler.command, path, query, body)
        with self._lock:
            self.requests.append(record)
        try:
            self._check_auth(handler.headers.get("Authorization", ""))
            fault = self._take_fault(handler.command, path)
            if fault is not None:
                raise _Reply(fault.status, fault.body, fault.headers)
            status, data, headers = self._route(handler.command, path, query, body, handler)
        except _Reply as reply:
            status, data, headers = reply.status, reply.body, reply.headers
        record.status = status
        payload = json.dumps(data).encode() if data is not None else b""
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json; charset=utf-8")
        handler.send_header("Content-Length", str(len(payload)))
        for name, value in headers.items():
            handler.send_header(name, value)
        handler.end_headers()
        handler.wfile.write(payload)

    def _check_auth(self, header: str) -> None:
        scheme, _, token = header.partition(" ")
        if scheme.lower() not in {"token", "bearer"} or (
            token not in self.tokens and token not in self.bot_tokens
        ):
            raise _Reply(401, {"message": "Bad credentials", "status": "401"})

    def _take_fault(self, method: str, path: str) -> Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.times > 0 and fault.method == method and re.search(fault.path, path):
                    fault.times -= 1
                    return fault
        return None

    @staticmethod
    def _token(handler: BaseHTTPRequestHandler) -> str:
        return handler.headers["Authorization"].partition(" ")[2]

    def _identity(self, handler: BaseHTTPRequestHandler) -> str | None:
        """The login ``GET /user`` reveals: ``None`` for installation tokens (Actions, Apps)."""
        return self.tokens.get(self._token(handler))

    def _writer(self, handler: BaseHTTPRequestHandler) -> tuple[str, str]:
        """Who a write is attributed to: (login, user type)."""
        token = self._token(handler)
        if token in self.bot_tokens:
            return self.bot_tokens[token], "Bot"
        login = self.tokens.get(token)
        return (login, "User") if login else (ACTIONS_LOGIN, "Bot")

    def _routes(self) -> list[tuple[str, str, Callable[..., tuple[int, Any, dict[str, str]]]]]:
        repo = rf"/repos/{re.escape(self.owner)}/{re.escape(self.name)}"
        return [
            ("GET", r"/user", self._get_user),
            ("GET", repo, self._get_repo),
            ("GET", repo + r"/branches/(?P<branch>.+)", self._get_branch),
            ("GET", repo + r"/git/ref/(?P<ref>.+)", self._get_ref),
            ("POST", repo + r"/git/refs", self._create_ref),
            ("PATCH", repo + r"/git/refs/(?P<ref>.+)", self._update_ref),
            ("POST", repo + r"/git/blobs", self._create_blob),
            ("GET", repo + r"/git/blobs/(?P<sha>[0-9a-f]{40})", self._get_blob),
            ("GET", repo + r"/git/trees/(?P<sha>[0-9a-f]{40})", self._get_tree),
            ("POST", repo + r"/git/trees", self._create_tree),
            ("GET", repo + r"/git/commits/(?P<sha>[0-9a-f]{40})", self._get_commit),
            ("POST", repo + r"/git/commits", self._create_commit),
            ("GET", repo + r"/pulls", self._list_pulls),
            ("POST", repo + r"/pulls", self._create_pull),
            ("GET", repo + r"/pulls/(?P<number>\d+)", self._get_pull),
            ("PATCH", repo + r"/pulls/(?P<number>\d+)", self._edit_pull),
            ("GET", repo + r"/issues/(?P<number>\d+)", self._get_issue),
            ("GET", repo + r"/issues/(?P<number>\d+)/comments", self._list_comments),
            ("POST", repo + r"/issues/(?P<number>\d+)/comments", self._create_comment),
            ("GET", repo + r"/issues/comments/(?P<cid>\d+)", self._get_comment),
            ("PATCH", repo + r"/issues/comments/(?P<cid>\d+)", self._edit_comment),
            ("POST", repo + r"/issues/comments/(?P<cid>\d+)/reactions", self._react),
            ("GET", repo + r"/collaborators/(?P<user>[^/]+)/permission", self._permission),
            ("POST", repo + r"/pulls/(?P<number>\d+)/reviews", partial(reviews.create_review, self)),
            ("GET", repo + r"/pulls/(?P<number>\d+)/comments", partial(reviews.list_review_comments, self)),
            ("GET", repo + r"/commits/(?P<sha>[0-9a-f]{40})", partial(reviews.get_commit, self)),
        ]

    def _route(
        self, method: str, path: str, query: dict[str, list[str]], body: Any, handler: BaseHTTPRequestHandler
    ) -> tuple[int, Any, dict[str, str]]:
        for verb, pattern, func in self._routes():
            match = re.fullmatch(pattern, path)
            if verb == method and match:
                args = {k: unquote(v) for k, v in match.groupdict().items()}
                with self._lock:
                    return func(query=query, body=body, handler=handler, **args)
        raise _Reply(404, {"message": "Not Found", "status": "404"})

    # --- JSON shapes (the fields PyGithub builds URLs from) ---

    @property
    def repo_url(self) -> str:
        return f"{self.url}/repos/{self.owner}/{self.name}"

    @property
    def full_name(self) -> str:
        return f"{self.owner}/{self.name}"

    def _repo_json(self) -> dict[str, Any]:
        return {
            "id": 1,
            "name": self.name,
            "full_name": self.full_name,
            "owner": {"login": self.owner, "type": "User"},
            "url": self.repo_url,
            "html_url": f"https://github.test/{self.full_name}",
            "default_branch": "main",
            "private": False,
            "fork": False,
        }

    def _user_json(self, login: str, kind: str = "User") -> dict[str, Any]:
        return {"login": login, "type": kind, "url": f"{self.url}/users/{login}"}

    def _commit_json(self, sha: str) -> dict[str, Any]:
        tree = self.git("rev-parse", f"{sha}^{{tree}}")
        parents = self.git("rev-list", "--parents", "-n", "1", sha).split()[1:]
        message = self.git("log", "-1", "--format=%B", sha)
        return {
            "sha": sha,
            "url": f"{self.repo_url}/git/commits/{sha}",
            "html_url": f"https://github.test/{self.full_name}/commit/{sha}",
            "message": message,
            "tree": {"sha": tree, "url": f"{self.repo_url}/git/trees/{tree}"},
            "parents": [{"sha": p, "url": f"{self.repo_url}/git/commits/{p}"} for p in parents],
            "author": {"name": "x", "email": "x@example.com", "date": "2026-11-29T00:00:00Z"},
            "committer": {"name": "x", "email": "x@example.com", "date": "2026-11-29T00:00:00Z"},
        }

    def _ref_json(self, ref: str, sha: str) -> dict[str, Any]:
        return {
            "ref": ref,
            "node_id": "REF_" + ref,
            "url": f"{self.repo_url}/git/{ref}",
            "object": {"sha": sha, "type": "commit", "url": f"{self.repo_url}/git/commits/{sha}"},
        }

    def _pull_json(self, pr: PullRequest) -> dict[str, Any]:
        head_sha = self.ref_sha(f"refs/heads/{pr.head}") or "0" * 40
        base_sha = self.ref_sha(f"refs/heads/{pr.base}") or "0" * 40
        repo = self._repo_json()
        head_repo = {**repo, "fork": pr.fork, "full_name": "someone/fork" if pr.fork else self.full_name}
        return {
            "id": pr.number,
            "number": pr.number,
            "url": f"{self.repo_url}/pulls/{pr.number}",
            "issue_url": f"{self.repo_url}/issues/{pr.number}",
            "html_url": f"https://github.test/{self.full_name}/pull/{pr.number}",
            "state": pr.state,
            "title": pr.title,
            "body": pr.body,
            "draft": False,
            "merged": False,
            "user": self._user_json(pr.user),
            "head": {"ref": pr.head, "sha": head_sha, "label": f"{self.owner}:{pr.head}", "repo": head_repo},
            "base": {"ref": pr.base, "sha": base_sha, "label": f"{self.owner}:{pr.base}", "repo": repo},
        }

    def _comment_json(self, c: Comment) -> dict[str, Any]:
        return {
            "id": c.id,
            "url": f"{self.repo_url}/issues/comments/{c.id}",
            "html_url": f"https://github.test/{self.full_name}/pull/{c.issue}#issuecomment-{c.id}",
            "issue_url": f"{self.repo_url}/issues/{c.issue}",
            "body": c.body,
            "user": self._user_json(c.user, c.user_type),
            "created_at": "2026-11-29T00:00:00Z",
            "updated_at": "2026-11-29T00:00:00Z",
        }

    def _paginate(
        self, items: list[Any], query: dict[str, list[str]], path: str
    ) -> tuple[int, Any, dict[str, str]]:
        per_page = int(query.get("per_page", [str(self.per_page_default)])[0])
        page = int(query.get("page", ["1"])[0])
        chunk = items[(page - 1) * per_page : page * per_page]
        headers: dict[str, str] = {}
        if page * per_page < len(items):
            params = {k: v[0] for k, v in query.items()}
            params["page"] = str(page + 1)
            headers["Link"] = f'<{self.url}{path}?{urlencode(params)}>; rel="next"'
        return 200, chunk, headers

    # --- routes ---

    def _get_user(self, handler: BaseHTTPRequestHandler, **_: Any) -> tuple[int, Any, dict[str, str]]:
        login = self._identity(handler)
        if login is None:
            raise _Reply(403, {"message": "Resource not accessible by integration", "status": "403"})
        return 200, self._user_json(login), {}

    def _get_repo(self, **_: Any) -> tuple[int, Any, dict[str, str]]:
        return 200, self._repo_json(), {}

    def _get_branch(self, branch: str, **_: Any) -> tuple[int, Any, dict[str, str]]:
        sha = self.ref_sha(f"refs/heads/{branch}")
        if sha is None:
            raise _Reply(404, {"message": "Branch not found", "status": "404"})
        commit = self._commit_json(sha)
        return (
            200,
            {
                "name": branch,
                "protected": False,
                "commit": {"sha": sha, "url": commit["url"], "commit": commit},
            },
            {},
        )

    def _get_ref(self, ref: str, **_: Any) -> tuple[int, Any, dict[str, str]]:
        sha = self.ref_sha(f"refs/{ref}")
        if sha is None:
            raise _Reply(404, {"message": "Not Found", "status": "404"})
        return 200, self._ref_json(f"refs/{ref}", sha), {}

    def _create_ref(self, body: Any, **_: Any) -> tuple[int, Any, dict[str, str]]:
        ref, sha = body.get("ref", ""), body.get("sha", "")
        if not ref.startswith("refs/") or ref.count("/") < 2:
            raise _Reply(
                422, {"message": "Reference name must start with 'refs/' and have at least two slashes."}
            )
        if self.ref_sha(ref) is not None:
            raise _Reply(422, {"message": "Reference already exists", "status": "422"})
        if self.ref_sha(sha) is None:
            raise _Reply(422, {"message": "Object does not exist", "status": "422"})
        self.git("update-ref", ref, sha)
        return 201, self._ref_json(ref, sha), {}

    def _update_ref(self, ref: str, body: Any, **_: Any) -> tuple[int, Any, dict[str, str]]:
        full = f"refs/{ref}"
        old = self.ref_sha(full)
        if old is None:
            raise _Reply(422, {"message": "Reference does not exist", "status": "422"})
        sha = body.get("sha", "")
        if self.ref_sha(sha) is None:
            raise _Reply(422, {"message": "Object does not exist", "status": "422"})
        if not body.get("force"):
            try:
                self.git("merge-base", "--is-ancestor", old, sha)
            except _Reply:
                raise _Reply(422, {"message": "Update is not a fast forward", "status": "422"}) from None
        self.git("update-ref", full, sha)
        return 200, self._ref_json(full, sha), {}

    def _create_blob(self, body: Any, **_: Any) -> tuple[int, Any, dict[str, str]]:
        content, encoding = body.get("content"), body.get("encoding", "utf-8")
        if not isinstance(content, str):
            raise _validation("Blob", "missing_field", "content is required", "content")
        data = base64.b64decode(content) if encoding == "base64" else content.encode("utf-8")
        sha = self.git("hash-object", "-w", "--stdin", input=data)
        return 201, {"sha": sha, "url": f"{self.repo_url}/git/blobs/{sha}"}, {}

    def _get_blob(self, sha: str, **_: Any) -> tuple[int, Any, dict[str, str]]:
        proc = subprocess.run(
            ["git", "--git-dir", str(self.git_dir), "cat-file", "blob", sha],
            capture_output=True,
            check=False,
            timeout=60,
        )
        if proc.returncode != 0:
            raise _Reply(404, {"message": "Not Found", "status": "404"})
        data = proc.stdout
        return (
            200,
            {
                "sha": sha,
                "url": f"{self.repo_url}/git/blobs/{sha}",
                "size": len(data),
                "encoding": "base64",
                "content": base64.b64encode(data).decode(),
            },
            {},
        )

    def _tree_entries(self, sha: str, recursive: bool) -> list[dict[str, Any]]:
        args = ["ls-tree", "-z", "-l"] + (["-r", "-t"] if recursive else []) + [sha]
        out = subprocess.run(
            ["git", "--git-dir", str(self.git_dir), *args], capture_output=True, check=True, timeout=60
        ).stdout
        entries = []
        for line in out.split(b"\0"):
            if not line:
                continue
            meta, _, path = line.partition(b"\t")
            mode, kind, obj, size = meta.decode().split()
            entry = {
                "path": path.decode("utf-8", errors="surrogateescape"),
                "mode": mode,
                "type": kind,
                "sha": obj,
                "url": f"{self.repo_url}/git/{kind}s/{obj}",
            }
            if kind == "blob":
                entry["size"] = int(size)
            entries.append(entry)
        return entries

    def _get_tree(self, sha: str, query: dict[str, list[str]], **_: Any) -> tuple[int, Any, dict[str, str]]:
        try:
            tree = self.git("rev-parse", f"{sha}^{{tree}}")
        except _Reply:
            raise _Reply(404, {"message": "Not Found", "status": "404"}) from None
        recursive = query.get("recursive", [""])[0] not in {"", "0", "false"}
        return (
            200,
            {
                "sha": tree,
                "url": f"{self.repo_url}/git/trees/{tree}",
                "tree": self._tree_entries(tree, recursive),
                "truncated": False,
            },
            {},
        )

    def _create_tree(self, body: Any, **_: Any) -> tuple[int, Any, dict[str, str]]:
        lines = []
        for entry in body.get("tree", []):
            path = entry.get("path", "")
            if not path or path.startswith("/") or "//" in path:
                raise _validation("Tree", "custom", f"tree.path {path!r} is invalid", "tree.path")
            if "content" in entry:
                sha = self.git("hash-object", "-w", "--stdin", input=entry["content"].encode("utf-8"))
            else:
                sha = entry.get("sha")
            if sha is None:
                lines.append(f"0 {'0' * 40}\t{path}")
            else:
                lines.append(f"{entry.get('mode', '100644')} {sha}\t{path}")
        with tempfile.TemporaryDirectory() as tmp:
            env = {"GIT_INDEX_FILE": str(Path(tmp) / "index")}
            base = body.get("base_tree")
            if base:
                self.git("read-tree", base, env=env)
            else:
                self.git("read-tree", "--empty", env=env)
            self.git("update-index", "--index-info", input=("\n".join(lines) + "\n").encode(), env=env)
            tree = self.git("write-tree", env=env)
        return (
            201,
            {
                "sha": tree,
                "url": f"{self.repo_url}/git/trees/{tree}",
                "tree": self._tree_entries(tree, False),
            },
            {},
        )

    def _get_commit(self, sha: str, **_: Any) -> tuple[int, Any, dict[str, str]]:
        if self.ref_sha(sha) is None:
            raise _Reply(404, {"message": "Not Found", "status": "404"})
        return 200, self._commit_json(sha), {}

    def _create_commit(self, body: Any, **_: Any) -> tuple[int, Any, dict[str, str]]:
        parents = [arg for p in body.get("parents", []) for arg in ("-p", p)]
        env = {
            "GIT_AUTHOR_NAME": "github-actions[bot]",
            "GIT_AUTHOR_EMAIL": "41898282+github-actions[bot]@users.noreply.github.com",
            "GIT_COMMITTER_NAME": "GitHub",
            "GIT_COMMITTER_EMAIL": "noreply@github.com",
        }
        sha = self.git("commit-tree", body["tree"], *parents, input=body["message"].encode(), env=env)
        return 201, self._commit_json(sha), {}

    @staticmethod
    def _head_branch(value: str) -> str:
        return value.split(":", 1)[1] if ":" in value else value

    def _list_pulls(self, query: dict[str, list[str]], **_: Any) -> tuple[int, Any, dict[str, str]]:
        state = query.get("state", ["open"])[0]
        head = query.get("head", [None])[0]
        base = query.get("base", [None])[0]
        found = [
            self._pull_json(pr)
            for pr in sorted(self.pulls.values(), key=lambda p: p.number)
            if (state == "all" or pr.state == state)
            and (head is None or (head.startswith(f"{self.owner}:") and pr.head == self._head_branch(head)))
            and (base is None or pr.base == base)
        ]
        return self._paginate(found, query, f"/repos/{self.full_name}/pulls")

    def _check_body(self, resource: str, text: str, *, code: str, field_name: str) -> None:
        too_long = len(text) > COMMENT_MAX_CHARS
        if resource == "IssueComment":
            too_long = too_long or len(text.encode("utf-8")) > COMMENT_MAX_BYTES
        if too_long:
            raise _validation(resource, code, BODY_TOO_LONG, field_name)

    def _create_pull(
        self, body: Any, handler: BaseHTTPRequestHandler, **_: Any
    ) -> tuple[int, Any, dict[str, str]]:
        is_actions = self._token(handler) in self.tokens and self._identity(handler) is None
        if is_actions and not self.actions_may_create_prs:
            raise _Reply(403, {"message": ACTIONS_MAY_NOT_CREATE_PRS, "status": "403"})
        head, base = self._head_branch(body.get("head", "")), body.get("base", "")
        text = body.get("body") or ""
        self._check_body("PullRequest", text, code="custom", field_name="body")
        head_sha, base_sha = self.ref_sha(f"refs/heads/{head}"), self.ref_sha(f"refs/heads/{base}")
        if head_sha is None:
            raise _validation("PullRequest", "invalid", "head is invalid", "head")
        if base_sha is None:
            raise _validation("PullRequest", "invalid", "base is invalid", "base")
        for pr in self.pulls.values():
            if pr.state == "open" and pr.head == head and pr.base == base:
                raise _validation(
                    "PullRequest", "custom", f"A pull request already exists for {self.owner}:{head}."
                )
        if not self.git("rev-list", f"{base_sha}..{head_sha}"):
            raise _validation("PullRequest", "custom", f"No commits between {base} and {head}")
        number = self._next_number
        self._next_number += 1
        user = self._writer(handler)[0]
        self.pulls[number] = PullRequest(number, head, base, body.get("title", ""), text, user)
        return 201, self._pull_json(self.pulls[number]), {}

    def _pull(self, number: str) -> PullRequest:
        pr = self.pulls.get(int(number))
        if pr is None:
            raise _Reply(404, {"message": "Not Found", "status": "404"})
        return pr

    def _get_pull(self, number: str, **_: Any) -> tuple[int, Any, dict[str, str]]:
        return 200, self._pull_json(self._pull(number)), {}

    def _edit_pull(self, number: str, body: Any, **_: Any) -> tuple[int, Any, dict[str, str]]:
        pr = self._pull(number)
        if "body" in body:
            self._check_body("PullRequest", body["body"] or "", code="custom", field_name="body")
            pr.body = body["body"] or ""
        if "title" in body:
            pr.title = body["title"]
        if "state" in body:
            pr.state = body["state"]
        return 200, self._pull_json(pr), {}

    def _get_issue(self, number: str, **_: Any) -> tuple[int, Any, dict[str, str]]:
        pr = self._pull(number)
        pull = self._pull_json(pr)
        issue = {key: pull[key] for key in ("id", "number", "state", "title", "body", "user", "html_url")}
        issue.update(
            url=pull["issue_url"],
            comments_url=f"{pull['issue_url']}/comments",
            pull_request={"url": pull["url"], "html_url": pull["html_url"]},
        )
        return 200, issue, {}

    def _list_comments(
        self, number: str, query: dict[str, list[str]], **_: Any
    ) -> tuple[int, Any, dict[str, str]]:
        found = [self._comment_json(c) for c in self.comments_on(int(number))]
        return self._paginate(found, query, f"/repos/{self.full_name}/issues/{number}/comments")

    def _create_comment(
        self, number: str, body: Any, handler: BaseHTTPRequestHandler, **_: Any
    ) -> tuple[int, Any, dict[str, str]]:
        text = body.get("body") or ""
        self._check_body("IssueComment", text, code="unprocessable", field_name="data")
        if int(number) not in self.pulls:
            raise _Reply(404, {"message": "Not Found", "status": "404"})
        login, kind = self._writer(handler)
        cid = self._next_comment
        self._next_comment += 1
        comment = Comment(cid, int(number), text, login, kind)
        self.comments[cid] = comment
        return 201, self._comment_json(comment), {}

    def _comment(self, cid: str) -> Comment:
        comment = self.comments.get(int(cid))
        if comment is None:
            raise _Reply(404, {"message": "Not Found", "status": "404"})
        return comment

    def _get_comment(self, cid: str, **_: Any) -> tuple[int, Any, dict[str, str]]:
        return 200, self._comment_json(self._comment(cid)), {}

    def _edit_comment(
        self, cid: str, body: Any, handler: BaseHTTPRequestHandler, **_: Any
    ) -> tuple[int, Any, dict[str, str]]:
        comment = self._comment(cid)
        if comment.user != self._writer(handler)[0]:
            raise _Reply(403, {"message": "Resource not accessible by integration", "status": "403"})
        text = body.get("body") or ""
        self._check_body("IssueComment", text, code="unprocessable", field_name="data")
        comment.body = text
        return 200, self._comment_json(comment), {}

    def _react(
        self, cid: str, body: Any, handler: BaseHTTPRequestHandler, **_: Any
    ) -> tuple[int, Any, dict[str, str]]:
        comment = self._comment(cid)
        content = body.get("content")
        if content not in REACTIONS:
            raise _validation("Reaction", "invalid", f"content {content!r} is not a reaction", "content")
        login = self._writer(handler)[0]
        if (login, content) in comment.reactions:
            # GitHub keeps one reaction per user and content: a repeat answers 200 with the existing one.
            rid = comment.reactions.index((login, content)) + 1
            return 200, {"id": rid, "content": content, "user": self._user_json(login)}, {}
        comment.reactions.append((login, content))
        return 201, {"id": len(comment.reactions), "content": content, "user": self._user_json(login)}, {}

    def _permission(self, user: str, **_: Any) -> tuple[int, Any, dict[str, str]]:
        if user not in self.users and user not in self.permissions:
            raise _Reply(404, {"message": "Not Found", "status": "404"})
        permission = self.permissions.get(user, "read")
        legacy = {"maintain": "write", "triage": "read"}.get(permission, permission)
        return 200, {"permission": legacy, "role_name": permission, "user": self._user_json(user)}, {}


def serve(bare_repo: Path, **kwargs: Any) -> Iterator[FakeGitHub]:
    """Generator for a pytest fixture: a started server, stopped afterwards."""
    fake = FakeGitHub(bare_repo, **kwargs).start()
    try:
        yield fake
    finally:
        fake.stop()


class GitHubWorld:
    """A checkout (the Action's workspace), the bare repository standing for GitHub's copy, and the API.

    ``sync`` pushes the checkout's branches to the bare repository, as a ``git push`` to GitHub would.
    """

    def __init__(self, workspace: Path, bare: Path, *, prefix: str = "") -> None:
        self.workspace = workspace
        self.bare = bare
        subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(bare)], check=True, timeout=60)
        self.fake = FakeGitHub(bare, prefix=prefix)

    def sync(self, *branches: str) -> None:
        refs = [f"+refs/heads/{b}:refs/heads/{b}" for b in branches or ("main",)]
        subprocess.run(
            ["git", "-C", str(self.workspace), "push", "-q", str(self.bare), *refs],
            check=True,
            capture_output=True,
            timeout=60,
        )

    def bare_git(self, *args: str) -> str:
        proc = subprocess.run(
            ["git", "--git-dir", str(self.bare), *args],
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        )
        return proc.stdout.strip()

    def files_at(self, rev: str) -> dict[str, str]:
        """Every file at ``rev`` in the bare repository, with its text."""
        names = self.bare_git("ls-tree", "-r", "--name-only", rev).splitlines()
        return {n: self.bare_git("show", f"{rev}:{n}") for n in names}
