"""Through waitress: many idle connections, idle timeout, its own errors in the envelope, its body limit."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator

import pytest
import requests

from mockserver.server import EmbeddedServer
from mockserver.serving.options import ServingOptions
from tests.mockserver.conftest import AUTH, CREATE, std_body
from tests.mockserver.hostile.processes import running


@pytest.fixture(scope="module")
def server() -> Iterator[EmbeddedServer]:
    with EmbeddedServer({"SEED": 1, "MAX_BODY_BYTES": 10_000}) as srv:
        yield srv


def _raw(server: EmbeddedServer, data: bytes) -> tuple[int, dict[str, str], bytes]:
    with socket.create_connection((server.host, int(server.url.rsplit(":", 1)[1])), timeout=10) as conn:
        conn.sendall(data)
        answer = b""
        while b"\r\n\r\n" not in answer or len(answer.split(b"\r\n\r\n", 1)[1]) < _length(answer):
            chunk = conn.recv(65536)
            if not chunk:
                break
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines[1:])
    return int(lines[0].split()[1]), {k.lower(): v for k, v in headers.items()}, body


def _length(answer: bytes) -> int:
    for line in answer.split(b"\r\n\r\n", 1)[0].split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            return int(line.split(b":")[1])
    return 0


@pytest.mark.parametrize(("request_bytes", "status", "error_id"), [
    (b"GET / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 400, "INVALID_JSON"),
    (b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 300_000 + b"\r\n\r\n", 431, "HEADERS_TOO_LARGE"),
    (b"GET / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n", 501, "NOT_IMPLEMENTED"),
    (b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1073741824\r\n\r\n", 413, "BODY_TOO_LARGE"),
])
def test_waitress_own_answers_use_the_envelope(
    server: EmbeddedServer, request_bytes: bytes, status: int, error_id: str
) -> None:
    got, headers, body = _raw(server, request_bytes)
    assert got == status and headers["content-type"] == "application/json"
    answer = json.loads(body)
    assert answer["code"] == str(status * 100) and answer["data"] == {"error": error_id, "rules": [], "violations": []}


def test_waitress_refuses_a_chunked_upload_past_the_app_limit(server: EmbeddedServer) -> None:
    def chunks() -> Iterator[bytes]:
        for _ in range(100):  # 100 KB against a 10 KB limit: refused without spooling the rest
            yield b"x" * 1000

    try:
        answer = requests.post(server.url + CREATE, data=chunks(), headers={**AUTH, "Content-Type": "application/json"},
                               timeout=10)
    except requests.ConnectionError:
        return  # closed while still sending: also a refusal
    assert answer.status_code == 413 and answer.json()["data"]["error"] == "BODY_TOO_LARGE"


@pytest.mark.slow
def test_a_request_answers_within_a_second_with_500_idle_connections_open() -> None:
    with EmbeddedServer({"SEED": 1}) as srv:  # waitress
        assert_answers_quickly_beside_idle_connections(srv.url)


@pytest.mark.slow
def test_the_default_server_answers_within_a_second_with_500_idle_connections_open() -> None:
    with running(["--quiet"]) as emu:  # granian, the default one-process server
        assert_answers_quickly_beside_idle_connections(emu.url)


def assert_answers_quickly_beside_idle_connections(url: str, idle_count: int = 500) -> None:
    """With `idle_count` idle connections (one with a half-sent request) open, a create answers within 1 s."""
    port = int(url.rsplit(":", 1)[1])
    idle = [socket.create_connection(("127.0.0.1", port), timeout=10) for _ in range(idle_count)]
    try:
        idle[0].sendall(b"GET /_mock/hea")
        started = time.monotonic()
        answer = requests.post(url + CREATE, json=std_body(), headers=AUTH, timeout=10)
        assert answer.status_code == 200 and time.monotonic() - started < 1.0
    finally:
        for conn in idle:
            conn.close()


@pytest.mark.slow
def test_idle_connections_are_closed_after_the_idle_timeout() -> None:
    options = ServingOptions(idle_timeout=1.0)
    with EmbeddedServer({"SEED": 1}, options=options) as srv:
        conn = socket.create_connection(("127.0.0.1", int(srv.url.rsplit(":", 1)[1])), timeout=10)
        with conn:
            started = time.monotonic()
            assert conn.recv(1) == b""  # the server closed it
            assert time.monotonic() - started < 5
