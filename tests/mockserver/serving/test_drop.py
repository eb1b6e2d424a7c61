"""The `drop` fault on every server we run: the connection closes and no answer (not even a 500) is sent.
The web layer only marks the answer (`DROP_HEADER`); `serving/drop.py` closes the socket each server's way."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest
import requests

from mockserver.control_client import ControlClient
from mockserver.serving.drop import ConnectionDropped, dropping, is_dropped, raising
from mockserver.web.shared import DROP_HEADER
from tests.mockserver.conftest import AUTH, CREATE, std_body
from tests.mockserver.hostile.processes import Emulator, running

BODY = std_body()


def raw_answer(url: str, headers: dict[str, str], source: str = "127.0.0.2") -> bytes:
    """Send one create on a fresh socket from the loopback address `source` (not the control client's
    127.0.0.1) and read everything the server sends back until it closes."""
    host, port = url.removeprefix("http://").rsplit(":", 1)
    payload = b'{"model": "seedance2.0-std", "prompt": "a cat", "duration": 5}'
    head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    request = (f"POST {CREATE} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n{head}"
               f"Content-Length: {len(payload)}\r\n\r\n").encode() + payload
    with socket.create_connection((host, int(port)), timeout=10, source_address=(source, 0)) as sock:
        sock.sendall(request)
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
    return received


def test_dropping_hands_a_marked_answer_to_the_servers_drop() -> None:
    def app(environ: dict[str, object], start_response: object) -> list[bytes]:
        start_response("500 INTERNAL SERVER ERROR", [(DROP_HEADER, "yes")])  # type: ignore[operator]
        return [b""]

    wrapped = dropping(app, raising(ConnectionDropped))
    with pytest.raises(ConnectionDropped):
        wrapped({}, lambda *args: None)
    assert is_dropped([(DROP_HEADER.lower(), "x")]) and not is_dropped([("Server", "x")])


@pytest.fixture(scope="module", params=["granian", "waitress"])
def emulator(request: pytest.FixtureRequest) -> Iterator[Emulator]:
    with running(["--server", str(request.param), "--quiet"]) as started:
        yield started


@pytest.mark.slow
def test_a_dropped_create_gets_no_answer_at_all(emulator: Emulator) -> None:
    control = ControlClient(emulator.url)
    control.reset()
    control.inject_fault("drop", operation="create")
    assert raw_answer(emulator.url, AUTH) == b""  # not a status line, not a 500: nothing
    control.inject_fault("drop", operation="create")
    with pytest.raises(requests.RequestException):  # from the control client's address: see the next test
        requests.post(emulator.url + CREATE, json=BODY, headers=AUTH, timeout=10)
    assert requests.post(emulator.url + CREATE, json=BODY, headers=AUTH, timeout=10).status_code == 200
    assert [e["status"] for e in control.journal() if e["path"] == CREATE] == [0, 0, 200]


@pytest.mark.slow
def test_a_drop_next_to_other_connections_from_its_address_never_completes_and_spares_them(
        emulator: Emulator) -> None:
    control = ControlClient(emulator.url)
    control.reset()
    idle = [requests.Session() for _ in range(3)]
    for session in idle:  # each holds an open connection from 127.0.0.1 that has had its answer
        assert session.get(emulator.url + "/_mock/health", timeout=10).ok
    control.inject_fault("drop", operation="create")
    answer = raw_answer(emulator.url, AUTH, source="127.0.0.1")
    # waitress: nothing; granian cannot tell its socket apart here: headers, then the connection is cut
    assert answer == b"" or (answer.startswith(b"HTTP/1.1 500") and not answer.endswith(b"0\r\n\r\n"))
    for session in idle:  # the other connections still work
        assert session.get(emulator.url + "/_mock/health", timeout=10).ok
    control.inject_fault("drop", operation="create")
    with pytest.raises(requests.RequestException):
        idle[0].post(emulator.url + CREATE, json=BODY, headers=AUTH, timeout=10)
