"""The `seedance` command as a new user meets it: a server that is down, no key, --json for every error, an
unknown model, a missing option, --help, and the note that the real (paid) service is being called."""

from __future__ import annotations

import json
import socket
from typing import Any

import pytest
import responses

from client.cli import main
from client.validation import MODEL_FAMILY

QUERY = "http://api.test/api/open-api/v1/videos/vid_1"


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SEEDANCE_API_KEY", raising=False)
    monkeypatch.delenv("SEEDANCE_BASE_URL", raising=False)


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def last_json(text: str) -> Any:
    return json.loads(text.strip().splitlines()[-1])


def test_a_server_that_is_down_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    port = closed_port()
    assert main(["--api-key", "k", "--base-url", f"http://127.0.0.1:{port}", "--retries", "0", "status", "v"]) == 8
    err = capsys.readouterr().err
    assert err == (f"seedance: error: cannot connect to http://127.0.0.1:{port} (connection refused): "
                   "is the emulator running?\n")


def test_no_key_names_the_option_and_the_variable(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--base-url", "http://api.test", "status", "vid_1"]) == 4
    err = capsys.readouterr().err
    assert "--api-key" in err and "SEEDANCE_API_KEY" in err and "api_key=" not in err


@pytest.mark.parametrize(("argv", "message"), [
    (["--json"], "the following arguments are required: COMMAND"),
    (["--json", "create", "--model", "seedance2.0-std", "--prompt", "p"], "required: --duration"),
    (["create", "--json", "--duration", "five"], "not a number: 'five'"),
])
def test_json_makes_usage_errors_json(argv: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 2
    captured = capsys.readouterr()
    error = last_json(captured.out)["error"]
    assert error["type"] == "UsageError" and message in error["message"] and error["exit_code"] == 2
    assert error["usage"].startswith("usage: seedance")


def test_json_makes_a_missing_key_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--json", "--base-url", "http://api.test", "status", "vid_1"]) == 4
    assert last_json(capsys.readouterr().out)["error"]["type"] == "AuthenticationError"


def test_a_503_in_json_carries_retry_after(capsys: pytest.CaptureFixture[str]) -> None:
    with responses.RequestsMock() as mocked:
        mocked.add(responses.GET, QUERY, status=503, headers={"Retry-After": "7"},
                   json={"code": "50300", "msg": "unavailable", "data": {"error": "SERVICE_UNAVAILABLE"}})
        code = main(["--json", "--api-key", "k", "--base-url", "http://api.test", "--retries", "0", "status",
                     "vid_1"])
    assert code == 8
    captured = capsys.readouterr()
    assert last_json(captured.out)["error"]["retry_after"] == 7.0
    assert "retry after 7 s" in captured.err


@pytest.mark.parametrize(("model", "listed"), [("seedance2.0-stdd", ["seedance2.0-std"]), ("veo-3", None)])
def test_an_unknown_model_lists_the_nearest_or_all_ids(model: str, listed: list[str] | None,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--json", "--api-key", "k", "--base-url", "http://api.test", "create", "--model", model,
                 "--prompt", "p", "--duration", "5"]) == 3
    captured = capsys.readouterr()
    models = last_json(captured.out)["error"]["models"]
    if listed is None:
        assert sorted(models) == sorted(MODEL_FAMILY) and "valid models: " in captured.err
    else:
        assert models[0] == listed[0] and f"did you mean: {listed[0]}" in captured.err


def test_a_missing_duration_prints_creates_usage(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["create", "--model", "seedance2.0-std", "--prompt", "p"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("usage: seedance create ") and "seedance create: error: " in err
    assert "--duration" in err.splitlines()[-1]


def test_help_points_where_the_exit_codes_are(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    assert 'docs/client.md, section "Exit codes"' in out and "8 rate limited" in out


def test_the_real_service_note_comes_once_and_only_without_a_base_url(capsys: pytest.CaptureFixture[str]) -> None:
    with responses.RequestsMock() as mocked:
        mocked.add(responses.GET, "https://www.jimmyai.cn/api/open-api/v1/videos/vid_1", status=404, body="")
        assert main(["--api-key", "k", "status", "vid_1"]) == 7
    err = capsys.readouterr().err
    assert err.count("real (paid) service") == 1 and "SEEDANCE_BASE_URL" in err
    with responses.RequestsMock() as mocked:
        mocked.add(responses.GET, QUERY, status=404, body="")
        assert main(["--api-key", "k", "--base-url", "http://api.test", "status", "vid_1"]) == 7
    assert "real (paid) service" not in capsys.readouterr().err
