"""DynamoDB for tests: moto in server mode on 127.0.0.1, behind a small fault-injecting HTTP proxy.

moto speaks the real DynamoDB JSON protocol, so boto3 is used unmodified. What moto cannot do (throttle,
return ``UnprocessedKeys`` / ``UnprocessedItems``) the proxy does at the HTTP level, exactly as DynamoDB
would answer, and it records every request so tests can count the calls that were really sent.

Use in a test module::

    from tests.fakes.dynamodb import FakeDynamo, dynamo_fixture, moto_server_fixture  # noqa: F401

then take ``dynamo: FakeDynamo`` as a test argument.
"""

from __future__ import annotations

import http.client
import json
import logging
import threading
import urllib.request
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import boto3
import pytest
from moto.server import ThreadedMotoServer

REGION = "us-east-1"
_JSON = "application/x-amz-json-1.0"


@dataclass
class Sent:
    """One request the proxy received: the DynamoDB operation and its JSON body."""

    operation: str
    body: dict[str, Any]


@dataclass
class FaultProxy:
    """Forwards DynamoDB requests to moto, injecting queued faults per operation.

    Faults (queued with ``add``, each used once, in order):
    - ``"throttle"``: answer HTTP 400 ``ThrottlingException`` without forwarding.
    - ``"error:STATUS:CODE"``: answer that HTTP status with that DynamoDB error code, without forwarding.
    - ``"unprocessed"``: forward only the first half of a batch; hand the rest back as
      ``UnprocessedKeys`` / ``UnprocessedItems``, as DynamoDB does under load.
    """

    upstream: str
    sent: list[Sent] = field(default_factory=list)
    _faults: dict[str, deque[str]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _stop_lock: threading.Lock = field(default_factory=threading.Lock)
    _server: ThreadingHTTPServer | None = None
    _thread: threading.Thread | None = None

    def add(self, operation: str, *faults: str) -> None:
        with self._lock:
            self._faults.setdefault(operation, deque()).extend(faults)

    def unused_faults(self) -> dict[str, list[str]]:
        with self._lock:
            return {op: list(q) for op, q in self._faults.items() if q}

    def calls(self, operation: str) -> list[dict[str, Any]]:
        with self._lock:
            return [s.body for s in self.sent if s.operation == operation]

    @property
    def url(self) -> str:
        assert self._server is not None
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> None:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:  # silence the request log
                return

            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                operation = self.headers.get("X-Amz-Target", "").rsplit(".", 1)[-1]
                body = json.loads(raw or b"{}")
                with proxy._lock:
                    proxy.sent.append(Sent(operation, body))
                    queue = proxy._faults.get(operation)
                    fault = queue.popleft() if queue else None
                if fault == "throttle":
                    fault = "error:400:ThrottlingException"
                if fault and fault.startswith("error:"):
                    _, status, code = fault.split(":")
                    error = {
                        "__type": f"com.amazonaws.dynamodb.v20120810#{code}",
                        "message": f"injected {code}",
                    }
                    self._answer(int(status), json.dumps(error).encode())
                    return
                held: dict[str, Any] = {}
                if fault == "unprocessed":
                    body, held = _split_batch(operation, body)
                    raw = json.dumps(body).encode()
                status, answer = proxy._forward(self.headers, raw)
                if held and status == 200:
                    data = json.loads(answer)
                    data["UnprocessedKeys" if operation == "BatchGetItem" else "UnprocessedItems"] = held
                    answer = json.dumps(data).encode()
                self._answer(status, answer)

            def _answer(self, status: int, payload: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Type", _JSON)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        # A short poll interval: shutdown() waits up to one interval, once per test.
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.02,), daemon=True)
        self._thread.start()

    def _forward(self, headers: Any, raw: bytes) -> tuple[int, bytes]:
        host, port = self.upstream.removeprefix("http://").split(":")
        conn = http.client.HTTPConnection(host, int(port), timeout=30)
        try:
            forwarded = {k: v for k, v in headers.items() if k.lower() not in {"host", "content-length"}}
            conn.request("POST", "/", body=raw, headers=forwarded)
            response = conn.getresponse()
            return response.status, response.read()
        finally:
            conn.close()

    def stop(self) -> None:
        """Stop answering: from now on the endpoint refuses connections. Safe to call from any thread."""
        with self._stop_lock:
            server, thread, self._server, self._thread = self._server, self._thread, None, None
        if server is not None:
            server.shutdown()
            server.server_close()
        if thread is not None:
            thread.join(timeout=10)


def _split_batch(operation: str, body: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Keep the first half of each table's batch in ``body``; return the rest as leftovers."""
    kept: dict[str, Any] = {}
    held: dict[str, Any] = {}
    for table, request in body.get("RequestItems", {}).items():
        if operation == "BatchGetItem":
            keys = request["Keys"]
            half = max(1, len(keys) // 2)
            kept[table] = {**request, "Keys": keys[:half]}
            if keys[half:]:
                held[table] = {**request, "Keys": keys[half:]}
        else:
            half = max(1, len(request) // 2)
            kept[table] = request[:half]
            if request[half:]:
                held[table] = request[half:]
    return {**body, "RequestItems": kept}, held


@dataclass
class FakeDynamo:
    """What a test gets: the proxy's endpoint (give it to docbot), the proxy, and moto behind it."""

    endpoint: str
    moto_endpoint: str
    proxy: FaultProxy
    region: str = REGION

    def client(self) -> Any:
        """A boto3 client straight to moto (not through the proxy): for setting up and inspecting."""
        return boto3.client("dynamodb", region_name=self.region, endpoint_url=self.moto_endpoint)

    def create_table(self, name: str) -> None:
        self.client().create_table(
            TableName=name,
            BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[{"AttributeName": "file_hash", "AttributeType": "S"}],
            KeySchema=[{"AttributeName": "file_hash", "KeyType": "HASH"}],
        )

    def items(self, table: str) -> list[dict[str, Any]]:
        """Every item in ``table``, read straight from moto."""
        items: list[dict[str, Any]] = []
        for page in self.client().get_paginator("scan").paginate(TableName=table):
            items.extend(page["Items"])
        return items


@pytest.fixture(scope="session", name="moto_server")
def moto_server_fixture() -> Iterator[str]:
    """One moto server for the session on a free loopback port; state is reset before each test."""
    werkzeug = logging.getLogger("werkzeug")
    level = werkzeug.level
    werkzeug.setLevel(logging.WARNING)  # no request log lines in test output
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()
        werkzeug.setLevel(level)


def fresh_moto(moto_server: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    """Reset moto's state, and give boto3 dummy credentials and no AWS config files.

    ``AWS_EC2_METADATA_DISABLED`` keeps botocore from ever asking the instance metadata address for
    credentials: tests only talk to 127.0.0.1.
    """
    request = urllib.request.Request(f"{moto_server}/moto-api/reset", method="POST")
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))


@pytest.fixture(name="dynamo")
def dynamo_fixture(moto_server: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> Iterator[FakeDynamo]:
    """A fresh moto state behind a fresh proxy, with dummy credentials and no AWS config files."""
    fresh_moto(moto_server, monkeypatch, tmp_path)
    proxy = FaultProxy(moto_server)
    proxy.start()
    fake = FakeDynamo(endpoint=proxy.url, moto_endpoint=moto_server, proxy=proxy)
    try:
        yield fake
    finally:
        proxy.stop()
    # A fault queued but never triggered means the test did not exercise what it claims to.
    assert not proxy.unused_faults(), f"faults never used: {proxy.unused_faults()}"
