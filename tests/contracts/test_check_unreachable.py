"""Item 8 of issue 16: `seedance-contracts check` against a server it cannot reach probes once, prints one
line and exits 2 (it printed ~690 lines of ConnectionErrors and curl reproductions, exit 1)."""

from __future__ import annotations

import socket

import pytest

from contracts.cli import main, unreachable


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])  # closed again: nothing listens there


def test_an_unreachable_server_is_one_line_and_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    url = f"http://127.0.0.1:{_closed_port()}"
    assert main(["check", "--base-url", url, "--token", "sk_x"]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1 and f"cannot reach {url}" in err


def test_a_base_url_without_scheme_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "--base-url", "127.0.0.1:8000", "--token", "sk_x"]) == 2
    assert "--base-url must look like" in capsys.readouterr().err


def test_any_http_answer_counts_as_reachable() -> None:
    from mockserver.server import EmbeddedServer

    with EmbeddedServer({"SEED": 1, "CONTROL_TOKEN": "secret"}) as srv:  # GET / -> 302 -> 403: still an answer
        assert unreachable(srv.url) is None
