"""Items 3 and 6: no option silently ignored on either server, and the first minute of a new user.

--connection-limit holds on granian too (its backpressure); --server granian without granian exits 2; the
start-up lines name the dashboard; GET / leads to it; the docs' options table lists every option.
"""

from __future__ import annotations

import argparse
import contextlib
import math
import os
import re
import selectors
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from flask import Flask

from mockserver import create_app
from mockserver.cli import build_parser, missing_extra, serving_problem
from mockserver.state.timings import TIMINGS
from tests.mockserver.hostile.processes import running
from tests.mockserver.serving.live import SERVERS, address

ROOT = Path(__file__).resolve().parents[3]


# -- every option is documented, and refused where it cannot hold --------------------------------------
def _options_in_table(text: str) -> set[str]:
    table = text.split("| option | default | meaning |", 1)[1].split("\n\n", 1)[0]
    rows = [line for line in table.splitlines() if line.startswith("|")]
    return {opt for line in rows for opt in re.findall(r"`(--[a-z-]+)", line.split("|")[1])}


def test_the_options_table_lists_every_option() -> None:
    parser_options = {o for action in build_parser()._actions for o in action.option_strings if o.startswith("--")}
    documented = _options_in_table((ROOT / "docs" / "emulator.md").read_text(encoding="utf-8"))
    assert parser_options - {"--help"} == documented


def _args(*argv: str) -> argparse.Namespace:
    return build_parser().parse_args(list(argv))


@pytest.mark.parametrize(("argv", "installed", "problem"), [
    (("--server", "granian"), False, "granian is not installed"),
    (("--workers", "2", "--store", "sqlite:x"), False, "--workers needs granian"),
    (("--server", "waitress", "--workers", "2"), True, "drop --server waitress"),
    (("--workers", "4", "--connection-limit", "3"), True, "below --workers 4"),
])
def test_options_that_cannot_hold_are_refused(argv: tuple[str, ...], installed: bool, problem: str) -> None:
    found = serving_problem(_args(*argv), installed)
    assert found is not None and problem in found


@pytest.mark.parametrize("argv", [(), ("--server", "waitress"), ("--server", "granian", "--connection-limit", "50"),
                                  ("--workers", "2", "--connection-limit", "2")])
def test_options_that_hold_pass(argv: tuple[str, ...]) -> None:
    assert serving_problem(_args(*argv), True) is None


def test_the_missing_extra_hint_works_from_a_checkout_too(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "waitress" else real(name, *a))
    hint = missing_extra()
    assert hint is not None and "seedance-contract-kit[mock]" in hint and "pip install '.[mock]'" in hint


@pytest.mark.slow
def test_server_granian_without_granian_exits_2_in_one_line(tmp_path: Path) -> None:
    shadow = tmp_path / "granian"
    shadow.mkdir()
    (shadow / "__init__.py").write_text("raise ImportError('granian hidden by a test')\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("SEEDANCE_MOCK_")}
    env["PYTHONPATH"] = os.pathsep.join([str(tmp_path), str(ROOT)])
    done = subprocess.run([sys.executable, "-m", "mockserver", "--server", "granian", "--port", "0"],
                          capture_output=True, text=True, timeout=60, env=env, check=False)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.count("\n") == 1 and "granian is not installed" in done.stderr


def _answered_among(url: str, count: int, window: float = 4.0) -> tuple[int, int]:
    """Open `count` connections, send a request on each; (how many connected, how many got an answer in time)."""
    host, port = address(url)
    conns: list[socket.socket] = []
    try:
        for _ in range(count):
            conn = socket.socket()
            conn.settimeout(1.0)
            try:
                conn.connect((host, port))
            except OSError:
                conn.close()
                break  # the listen backlog is full: the server holds the rest back
            conns.append(conn)
        for conn in conns:
            conn.sendall(b"GET /_mock/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        answered = 0
        with selectors.DefaultSelector() as sel:
            for conn in conns:
                sel.register(conn, selectors.EVENT_READ)
            deadline = time.monotonic() + window
            while time.monotonic() < deadline:
                for key, _ in sel.select(0.2):
                    sel.unregister(key.fileobj)
                    with contextlib.suppress(OSError):
                        answered += key.fileobj.recv(64).startswith(b"HTTP/1.1 200")  # type: ignore[union-attr]
        return len(conns), answered
    finally:
        for conn in conns:
            conn.close()


@pytest.mark.slow
@pytest.mark.parametrize("server", SERVERS)
def test_2000_connections_against_a_limit_of_50(server: str) -> None:
    with running(["--server", server, "--quiet", "--connection-limit", "50"]) as emu:
        connected, answered = _answered_among(emu.url, 2000)
        assert 0 < answered <= 50, (connected, answered)


# -- the first minute ---------------------------------------------------------------------------------
@pytest.mark.slow
@pytest.mark.parametrize("server", SERVERS)
def test_the_start_up_lines_name_the_dashboard(server: str) -> None:
    with running(["--server", server, "--quiet"]) as emu:
        assert emu.process.stdout is not None
        second = emu.process.stdout.readline().strip()
        assert second == f"dashboard: {emu.url}/_mock/"


def test_the_root_redirects_to_the_dashboard() -> None:
    client = create_app({"SEED": 1}).test_client()
    answer = client.get("/")
    assert answer.status_code == 302 and answer.headers["Location"] in ("_mock/", "http://localhost/_mock/")
    assert client.get("/", follow_redirects=True).status_code == 200


def test_a_finished_task_page_hides_the_force_card(mock_app: Flask) -> None:
    client = mock_app.test_client()
    created = client.post("/api/open-api/v1/seedance/videos", headers={"Authorization": "Bearer sk_x"},
                          json={"model": "seedance2.0-std", "prompt": "x", "duration": 5}).get_json()["data"]
    page = client.get(f"/_mock/ui/tasks/{created['task_id']}").get_data(as_text=True)
    assert re.search(r'id="force-card"\s*>', page)  # shown while it can be forced
    assert '<option value="now" selected>' in page  # the fail button fails at once by default
    client.post(f"/_mock/tasks/{created['task_id']}/complete")
    page = client.get(f"/_mock/ui/tasks/{created['task_id']}").get_data(as_text=True)
    assert re.search(r'id="force-card"\s*hidden', page)


def test_the_readme_says_how_long_a_default_std_task_takes() -> None:
    std = TIMINGS["STD"]
    queue = (std.queue, std.queue * 1.5)
    work = [(std.processing_base + std.per_video_second * 5) * f for f in (0.9, 1.1)]
    expected = [f"{math.floor(queue[0])}–{math.ceil(queue[1])} s queued",
                f"{math.floor(work[0])}–{math.ceil(work[1])} s", f"{math.floor(queue[0] + work[0])}–"
                f"{math.ceil(queue[1] + work[1])} s in all"]
    readme = " ".join((ROOT / "README.md").read_text(encoding="utf-8").split())
    for text in expected:
        assert text in readme
    assert "take minutes, as for real" not in readme


def test_no_docs_link_leaves_the_repository() -> None:
    shipped = [ROOT / "README.md", ROOT / "ARCHITECTURE.md", ROOT / "openapi.yaml"]
    for path in [*shipped, *sorted((ROOT / "docs").glob("*.md"))]:
        text = path.read_text(encoding="utf-8")
        assert "../shared" not in text and "/work/" not in text, path
