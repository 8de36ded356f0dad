"""Loopback Amazon Bedrock and Google Vertex AI servers for Claude, each speaking its platform's wire
format around the Messages API fake (tests/fakes/anthropic_server.py), which answers the requests.

- Bedrock: ``POST /model/{modelId}/invoke``; the body carries an ``anthropic_version`` (documented:
  ``bedrock-2023-05-31``) and no ``model``; every request must carry a SigV4 signature (service
  ``bedrock``) that the server recomputes with botocore's own signer from the test credentials, over
  the method, path, signed headers and body it received. Errors are Bedrock's ``{"message": ...}``
  with an ``x-amzn-ErrorType`` header; there are no ``anthropic-ratelimit-*`` headers.
- Vertex: ``POST /v1/projects/{p}/locations/{r}/publishers/anthropic/models/{m}:rawPredict``; the body
  carries an ``anthropic_version`` (documented: ``vertex-2023-10-16``) and no ``model``; the request needs
  ``Authorization: Bearer <token>``, else Google's error shape (``{"error": {"code", "status"}}``).
"""

from __future__ import annotations

import datetime
import hmac
import json
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from tests.fakes.anthropic_server import FakeAnthropic

BEDROCK_VERSION = "bedrock-2023-05-31"
VERTEX_VERSION = "vertex-2023-10-16"
_INNER_KEY = "inner-key"  # how the platform front end talks to the Messages fake behind it
_BEDROCK_ERRORS = {
    400: "ValidationException",
    403: "AccessDeniedException",
    404: "ResourceNotFoundException",
    429: "ThrottlingException",
    500: "InternalServerException",
    503: "ServiceUnavailableException",
}
_GOOGLE_STATUS = {401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED", 404: "NOT_FOUND"}
_AUTH = re.compile(r"AWS4-HMAC-SHA256 Credential=([^,]+), SignedHeaders=([^,]+), Signature=([0-9a-f]{64})")
# The platforms document bedrock-2023-05-31 and vertex-2023-10-16; the installed SDK sends its own API
# version date instead. Both name a version in the body, which is what the platforms require.
_VERSION = re.compile(r"(?:bedrock-|vertex-)?\d{4}-\d{2}-\d{2}")
MAX_SKEW = datetime.timedelta(minutes=5)  # SigV4's window for the request time


class _PlatformServer:
    """What both platforms share: the HTTP server, the Messages fake behind it, and what was refused."""

    version: str

    def __init__(self, **claude: Any) -> None:
        self.claude = FakeAnthropic(api_key=_INNER_KEY, ratelimit_headers=False, **claude)
        self.refused: list[str] = []  # why requests were refused before reaching the model
        self.models: list[str] = []  # the model of each request that reached it
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # --- lifecycle ---

    def start(self) -> _PlatformServer:
        handler = type("Handler", (_Handler,), {"platform": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05})
        self._thread.start()
        return self

    def stop(self) -> None:
        self.claude.stop()  # releases hung handlers (its own HTTP server was never started)
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=10)

    @property
    def url(self) -> str:
        assert self._server is not None, "start the server first"
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def totals(self) -> dict[str, int]:
        return self.claude.totals()

    # --- per platform ---

    def model_of(self, path: str) -> str | None:
        raise NotImplementedError

    def authorize(self, method: str, path: str, headers: dict[str, str], raw: bytes) -> str | None:
        """Why the request is refused, or None."""
        raise NotImplementedError

    def error(self, status: int, message: str) -> tuple[int, dict[str, str], bytes]:
        raise NotImplementedError

    # --- the request ---

    def handle(
        self, method: str, path: str, headers: dict[str, str], raw: bytes
    ) -> tuple[int | None, dict[str, str], bytes]:
        model = self.model_of(path)
        if model is None:
            return self.error(404, f"no route {path}")
        problem = self.authorize(method, path, headers, raw)
        if problem is not None:
            with self._lock:
                self.refused.append(problem)
            return self.error(403 if "signature" in problem.lower() else 401, problem)
        try:
            body = json.loads(raw)
        except ValueError:
            return self.error(400, "request body is not JSON")
        version = body.pop("anthropic_version", None) if isinstance(body, dict) else None
        if not isinstance(version, str) or not _VERSION.fullmatch(version):
            return self.error(400, f"anthropic_version: required in the body, such as {self.version}")
        if "model" in body:
            return self.error(400, "model: the model is named in the path, not the body")
        with self._lock:
            self.models.append(model)
        inner = {"x-api-key": _INNER_KEY, "anthropic-version": "2023-06-01"}
        code, out, reply = self.claude.handle(inner, json.dumps({**body, "model": model}).encode())
        if code is None or code == 200:
            return code, out, reply
        message = json.loads(reply)["error"]["message"]
        status, extra, text = self.error(code, message)
        return status, {**{k: v for k, v in out.items() if k.startswith("retry-after")}, **extra}, text


class FakeBedrock(_PlatformServer):
    """Amazon Bedrock's runtime endpoint. ``credentials`` are the ones a signature must be made with."""

    version = BEDROCK_VERSION

    def __init__(self, *, region: str = "us-east-1", credentials: Credentials | None = None, **claude: Any):
        super().__init__(**claude)
        self.region = region
        self.credentials = credentials or Credentials(
            "AKIAFAKEDOCBOT0000000", "fake/secret/key", "fake-session"
        )

    def model_of(self, path: str) -> str | None:
        match = re.fullmatch(r"/model/([^/]+)/invoke", path.split("?")[0])
        return unquote(match.group(1)) if match else None

    def authorize(self, method: str, path: str, headers: dict[str, str], raw: bytes) -> str | None:
        match = _AUTH.fullmatch(headers.get("authorization", ""))
        if not match:
            return "missing or malformed SigV4 Authorization header"
        credential, signed, signature = match.groups()
        key_id, day, region, service, terminator = credential.split("/")
        if key_id != self.credentials.access_key:
            return f"unknown access key {key_id}"
        if (region, service, terminator) != (self.region, "bedrock", "aws4_request"):
            return f"credential scope {region}/{service} is not {self.region}/bedrock"
        stamp = headers.get("x-amz-date", "")
        try:
            when = datetime.datetime.strptime(stamp, "%Y%m%dT%H%M%SZ").replace(tzinfo=datetime.UTC)
        except ValueError:
            return "missing x-amz-date"
        if abs(datetime.datetime.now(datetime.UTC) - when) > MAX_SKEW or not stamp.startswith(day):
            return "request time too skewed"
        if self.credentials.token and headers.get("x-amz-security-token") != self.credentials.token:
            return "the security token does not match"
        names = signed.split(";")
        if "host" not in names:
            return "the host header is not signed"
        # Recompute the signature with botocore's signer over exactly what arrived.
        request = AWSRequest(
            method=method,
            url=f"http://{headers['host']}{path}",
            headers={name: headers[name] for name in names if name in headers},
            data=raw,
        )
        request.context["timestamp"] = stamp
        signer = SigV4Auth(self.credentials, "bedrock", self.region)
        expected = signer.signature(
            signer.string_to_sign(request, signer.canonical_request(request)), request
        )
        if not hmac.compare_digest(expected, signature):
            return "The request signature we calculated does not match the signature you provided"
        return None

    def error(self, status: int, message: str) -> tuple[int, dict[str, str], bytes]:
        kind = _BEDROCK_ERRORS.get(status, "ServiceUnavailableException")
        if status == 403 and "signature" in message.lower():
            kind = "InvalidSignatureException"
        return (
            status,
            {"x-amzn-errortype": f"{kind}:http://internal.amazon.com/coral/com.amazon.bedrock/"},
            (json.dumps({"message": message}).encode()),
        )


class FakeVertex(_PlatformServer):
    """Vertex AI's endpoint for ``project`` in ``region``; ``token`` is the Bearer token it accepts."""

    version = VERTEX_VERSION

    def __init__(
        self,
        *,
        project: str = "docbot-test",
        region: str = "us-east5",
        token: str = "ya29.fake",
        **claude: Any,
    ):
        super().__init__(**claude)
        self.project, self.region, self.token = project, region, token
        pool = "projects/123456/locations/global/workloadIdentityPools/github"
        self.audience = f"//iam.googleapis.com/{pool}/providers/docbot"
        self.subject_token = "eyJhbGciOiJSUzI1NiJ9.github-oidc.fake"
        self.tokens_issued = 0

    def handle(
        self, method: str, path: str, headers: dict[str, str], raw: bytes
    ) -> tuple[int | None, dict[str, str], bytes]:
        if path == "/token":  # Google's OAuth token endpoint, which application default credentials use
            return self._token(raw)
        return super().handle(method, path, headers, raw)

    def _token(self, raw: bytes) -> tuple[int, dict[str, str], bytes]:
        """Google's STS token exchange, as workload identity federation uses it: the GitHub OIDC token
        (the subject token) for an access token, for the pool provider named by ``audience``."""
        form = {k: v[0] for k, v in parse_qs(raw.decode()).items()}
        if (
            form.get("grant_type") != "urn:ietf:params:oauth:grant-type:token-exchange"
            or form.get("audience") != self.audience
            or form.get("subject_token") != self.subject_token
        ):
            body = {"error": "invalid_grant", "error_description": "The subject token is not valid."}
            return 400, {}, json.dumps(body).encode()
        with self._lock:
            self.tokens_issued += 1
        body = {
            "access_token": self.token,
            "issued_token_type": "urn:ietf:params:oauth:token-type:access_token",
            "token_type": "Bearer",
            "expires_in": 3599,
        }
        return 200, {}, json.dumps(body).encode()

    def credentials_file(self, directory: Path) -> Path:
        """The application-default-credentials file ``google-github-actions/auth`` writes for workload
        identity federation (``external_account``), with this server as its token endpoint and the
        job's OIDC token in a file beside it."""
        oidc = directory / "github-oidc-token"
        oidc.write_text(self.subject_token, encoding="utf-8")
        path = directory / "gha-creds.json"
        info = {
            "type": "external_account",
            "audience": self.audience,
            "subject_token_type": "urn:ietf:params:oauth:token-type:jwt",
            "token_url": f"{self.url}/token",
            "credential_source": {"file": str(oidc)},
        }
        path.write_text(json.dumps(info), encoding="utf-8")
        return path

    def model_of(self, path: str) -> str | None:
        match = re.fullmatch(
            r"/v1/projects/([^/]+)/locations/([^/]+)/publishers/anthropic/models/([^/:]+):rawPredict",
            path.split("?")[0],
        )
        if not match or (match.group(1), match.group(2)) != (self.project, self.region):
            return None
        return unquote(match.group(3))

    def authorize(self, method: str, path: str, headers: dict[str, str], raw: bytes) -> str | None:
        if headers.get("authorization") != f"Bearer {self.token}":
            return "Request had invalid authentication credentials. Expected OAuth 2 access token"
        return None

    def error(self, status: int, message: str) -> tuple[int, dict[str, str], bytes]:
        if status in _GOOGLE_STATUS:
            body = {"error": {"code": status, "message": message, "status": _GOOGLE_STATUS[status]}}
        else:  # errors from the model keep the Messages API's shape on rawPredict
            body = {"type": "error", "error": {"type": "api_error", "message": message}}
        return status, {}, json.dumps(body).encode()


class _Handler(BaseHTTPRequestHandler):
    platform: _PlatformServer
    protocol_version = "HTTP/1.1"
    wbufsize = -1
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
        return

    def do_POST(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        raw = self.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in self.headers.items()}
        code, out, body = self.platform.handle("POST", self.path, headers, raw)
        if code is None:
            self.close_connection = True  # a dropped connection: no status line at all
            return
        self.send_response(code)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        for k, v in out.items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)


@contextmanager
def running_bedrock(**kwargs: Any) -> Iterator[FakeBedrock]:
    server = FakeBedrock(**kwargs)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@contextmanager
def running_vertex(**kwargs: Any) -> Iterator[FakeVertex]:
    server = FakeVertex(**kwargs)
    server.start()
    try:
        yield server
    finally:
        server.stop()
