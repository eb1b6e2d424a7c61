"""`seedance-mock`: every option value checked, one-line start-up failures, SIGTERM, logging and CORS."""

from __future__ import annotations

import json
import socket
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

from mockserver.cli import build_parser, main
from mockserver.version import VERSION
from tests.conftest import free_port
from tests.mockserver.conftest import CREATE, std_body
from tests.mockserver.hostile.processes import running, start, stop

AUTH = {"Authorization": "Bearer sk_cli"}
BAD_VALUES = [
    ["--threads", "0"], ["--threads", "x"], ["--retention", "nan"], ["--retention", "0"],
    ["--max-body-bytes", "-1"], ["--port", "70000"], ["--port", "-1"], ["--speed", "inf"],
    ["--speed", "0"], ["--speed", "nan"], ["--workers", "0"], ["--connection-limit", "0"],
    ["--idle-timeout", "inf"], ["--grace", "-1"], ["--seed", "-3"], ["--api-key", ""],
    ["--control-token", "a b"], ["--cors", "localhost:3000"], ["--cors", "http://x/path"],
    ["--instance", ""], ["--log-format", "xml"], ["--server", "gunicorn"],
]


@pytest.mark.parametrize("args", BAD_VALUES, ids=lambda a: " ".join(a) or "empty")
def test_every_bad_value_exits_2_with_argparse_message(args: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        build_parser().parse_args(args)
    assert exit_info.value.code == 2
    assert f"argument {args[0]}" in capsys.readouterr().err


def test_good_values_parse() -> None:
    args = build_parser().parse_args(["--port", "0", "--speed", "2.5", "--cors", "http://localhost:3000",
                                      "--control-token", "tok", "--trust-proxy", "--workers", "3"])
    got = (args.port, args.speed, args.cors, args.workers, args.trust_proxy)
    assert got == (0, 2.5, "http://localhost:3000", 3, True)


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        build_parser().parse_args(["--version"])
    assert exit_info.value.code == 0 and capsys.readouterr().out.strip() == f"seedance-mock {VERSION}"


def test_workers_with_the_memory_store_is_refused_in_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--workers", "2", "--port", "0", "--quiet"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert "sqlite:PATH" in err and "redis://HOST:PORT/DB" in err


@pytest.mark.parametrize("server", ["waitress", "auto"])
def test_busy_port_is_one_line_exit_1(server: str, capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        assert main(["--port", str(port), "--server", server, "--quiet"]) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and f"cannot listen on 127.0.0.1:{port}" in err


def test_damaged_sqlite_file_is_one_line_exit_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    damaged = tmp_path / "store.db"
    damaged.write_bytes(b"this is not a database" * 100)
    assert main(["--store", f"sqlite:{damaged}", "--port", "0", "--quiet"]) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and str(damaged) in err


def test_unreachable_redis_is_one_line_exit_1(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--store", f"redis://127.0.0.1:{free_port()}/0", "--port", "0", "--quiet"]) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "redis-server" in err


def _delayed_creates(url: str, count: int, delay: float) -> list[int]:
    headers = {**AUTH, "X-Seedance-Mock": f"delay={delay}"}
    with ThreadPoolExecutor(max_workers=count) as pool:
        futures = [pool.submit(requests.post, url + CREATE, json=std_body(), headers=headers, timeout=30)
                   for _ in range(count)]
        return [f.result().status_code for f in futures]


@pytest.mark.slow
@pytest.mark.parametrize("args", [["--server", "waitress"], ["--server", "granian"], ["--workers", "2"]],
                         ids=["waitress", "granian", "workers"])
def test_sigterm_finishes_requests_in_flight_and_exits_0(args: list[str], tmp_path: Path) -> None:
    if "--workers" in args:
        args = [*args, "--store", f"sqlite:{tmp_path / 's.db'}"]
    emulator = start([*args, "--quiet"])
    try:
        with ThreadPoolExecutor(max_workers=1) as pool:
            answers = pool.submit(_delayed_creates, emulator.url, 4, 1.5)
            time.sleep(0.7)  # the four requests are in flight, sleeping in the emulator
            status = emulator.terminate()
            assert answers.result(timeout=30) == [200, 200, 200, 200]
        assert status == 0
        with pytest.raises(requests.ConnectionError):
            requests.get(emulator.url + "/_mock/health", timeout=2)
    finally:
        stop(emulator)


@pytest.mark.slow  # starts an emulator process and waits for its console output
def test_quiet_silences_the_request_line_and_json_format() -> None:
    quiet_args, json_args = ["--server", "waitress", "--quiet"], ["--server", "waitress", "--log-format", "json"]
    with running(quiet_args) as quiet, running(json_args) as loud:
        for emu in (quiet, loud):
            assert requests.post(emu.url + CREATE, json=std_body(), headers=AUTH, timeout=10).status_code == 200
        quiet.terminate()
        loud.terminate()
        quiet_err, loud_err = quiet.stderr(), loud.stderr()
    assert CREATE not in quiet_err
    lines = [json.loads(line) for line in loud_err.splitlines() if line.strip()]
    request_lines = [line for line in lines if line["logger"] == "seedance_mock.requests"]
    assert any(CREATE in line["message"] and " 200 " in line["message"] for line in request_lines)
    created = next(line for line in request_lines if line.get("path") == CREATE)
    assert created["status"] == 200 and created["method"] == "POST" and created["task_id"].startswith("vid_")


@pytest.mark.slow  # starts an emulator process and waits for its console output
@pytest.mark.parametrize("server", ["waitress", "granian"])
def test_the_default_text_line_says_what_happened(server: str) -> None:
    # The lines are buffered and reach the console within FLUSH_SECONDS (0.1 s).
    with running(["--server", server]) as emu:
        body = std_body(prompt="")
        assert requests.post(emu.url + CREATE, json=body, headers=AUTH, timeout=10).status_code == 400
        time.sleep(0.5)
        emu.terminate()
        text = emu.stderr()
    line = next(line for line in text.splitlines() if line.startswith("POST " + CREATE))
    assert " 400 " in line and "PROMPT_NOT_BLANK" in line and "tok=sk_" in line and "ms" in line


@pytest.mark.slow  # starts an emulator process and waits for its console output
def test_cors_preflight_and_headers_but_never_on_the_control_api() -> None:
    origin = "http://localhost:3000"
    with running(["--server", "waitress", "--quiet", "--cors", origin]) as emu:
        asking = {"Origin": origin, "Access-Control-Request-Method": "POST",
                  "Access-Control-Request-Headers": "authorization"}
        pre = requests.options(emu.url + CREATE, headers=asking, timeout=10)
        assert pre.status_code == 204 and pre.headers["Access-Control-Allow-Origin"] == origin
        assert "authorization" in pre.headers["Access-Control-Allow-Headers"].lower()
        made = requests.post(emu.url + CREATE, json=std_body(), headers={**AUTH, "Origin": origin}, timeout=10)
        assert made.headers["Access-Control-Allow-Origin"] == origin
        other = requests.post(emu.url + CREATE, json=std_body(), headers={**AUTH, "Origin": "http://evil"}, timeout=10)
        assert "Access-Control-Allow-Origin" not in other.headers
        control = requests.get(emu.url + "/_mock/health", headers={"Origin": origin}, timeout=10)
        assert "Access-Control-Allow-Origin" not in control.headers


def test_control_token_and_instance_reach_the_app() -> None:
    with running(["--quiet", "--control-token", "s3cret", "--instance", "box-a"]) as emu:
        assert requests.get(emu.url + "/_mock/health", timeout=10).status_code == 403
        health = requests.get(emu.url + "/_mock/health", headers={"X-Control-Token": "s3cret"}, timeout=10)
        assert health.status_code == 200 and health.json()["data"]["instance"] == "box-a"
        assert health.headers["Server"] == "seedance-mock"
