"""`seedance-mock` (cli.py): every option value checked, the URL first, one-line start-up failures, SIGTERM."""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
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


@pytest.mark.slow  # starts the emulator as a process of its own
def test_control_token_and_instance_reach_the_app() -> None:
    with running(["--quiet", "--control-token", "s3cret", "--instance", "box-a"]) as emu:
        assert requests.get(emu.url + "/_mock/health", timeout=10).status_code == 403
        health = requests.get(emu.url + "/_mock/health", headers={"X-Control-Token": "s3cret"}, timeout=10)
        assert health.status_code == 200 and health.json()["data"]["instance"] == "box-a"
        assert health.headers["Server"] == "seedance-mock"


@pytest.mark.slow  # starts the emulator as a process of its own
@pytest.mark.parametrize("module", [["-m", "mockserver"]])
def test_command_line_prints_url_first_and_serves(module: list[str]) -> None:
    process = subprocess.Popen(
        [sys.executable, *module, "--port", "0", "--seed", "1", "--api-key", "sk_a", "--api-key", "sk_b",
         "--speed", "50", "--quiet"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        assert process.stdout is not None
        timer = threading.Timer(30, process.kill)
        timer.start()
        url = process.stdout.readline().strip()
        timer.cancel()
        assert url.startswith("http://127.0.0.1:")
        ok = requests.post(url + CREATE, json=std_body(), headers={"Authorization": "Bearer sk_b"}, timeout=10)
        assert ok.status_code == 200
        assert requests.post(url + CREATE, json=std_body(), headers=AUTH, timeout=10).status_code == 401
        assert requests.get(url + "/nope", timeout=10).headers["Server"] == "seedance-mock"
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.mark.slow  # starts `python -m mockserver` as a subprocess
@pytest.mark.parametrize(("store", "message"), [("redis:x", "unknown store"),
                                                ("redis://127.0.0.1:1/0?prefx=a", "unknown store option 'prefx'")])
def test_command_line_rejects_a_bad_store(store: str, message: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "mockserver", "--port", "0", "--store", store],
        capture_output=True, text=True, timeout=60,
    )
    assert done.returncode == 2 and message in done.stderr and len(done.stderr.strip().splitlines()) == 1
