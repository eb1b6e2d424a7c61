"""Both clients and the CLI against a hostile server: a clear error (exit 8, 2 for usage), no traceback, no
file outside the target, no partial file, memory bounded in the endless cases (RSS measured)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psutil
import pytest

from client import APIConnectionError, AsyncSeedanceClient, ProtocolError, SeedanceClient, ServerError
from tests.client.both import Blocking
from tests.client.hostile import HostileServer
from tests.loops import LoopThread

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def hostile() -> Iterator[HostileServer]:
    with HostileServer() as server:
        yield server


@pytest.fixture(params=["sync", "async"])
def connect(request: pytest.FixtureRequest) -> Iterator[Any]:
    """Makes a client (sync, then async) for one hostile mode."""
    with LoopThread() as runner:
        made: list[Any] = []

        def make(server: Any, mode: str, **kwargs: Any) -> Any:
            kwargs.setdefault("max_retries", 0)
            kwargs.setdefault("timeout", 5.0)
            url = f"{server.url}/{mode}"
            client = (SeedanceClient("sk_test", url, **kwargs) if request.param == "sync"
                      else Blocking(AsyncSeedanceClient("sk_test", url, **kwargs), runner))
            made.append(client)
            return client

        yield make
        for client in made:
            client.__exit__(None, None, None)


@pytest.mark.parametrize(("mode", "error", "message"), [
    ("garbage", APIConnectionError, "connection failed"),
    ("html", ServerError, "not valid JSON"),
    ("endless", ProtocolError, "longer than 4194304 bytes"),
    ("deep", ProtocolError, "too deeply nested"),
])
def test_bad_answers_are_clear_errors(hostile: HostileServer, connect: Any, mode: str, error: type,
                                      message: str) -> None:
    with pytest.raises(error, match=message) as info:
        connect(hostile, mode).get_task("vid_1")
    assert type(info.value) is error


@pytest.mark.parametrize("mode", ["trickle", "trickleheaders"])
def test_a_trickle_cannot_stretch_the_deadline(hostile: HostileServer, connect: Any, mode: str) -> None:
    started = time.monotonic()
    # A byte every 0.1 s keeps each read alive: only the total deadline (half a second) ends the request.
    with pytest.raises(APIConnectionError, match=r"deadline of 0\.5 s passed"):
        connect(hostile, mode, timeout=0.5).get_task("vid_1")
    assert time.monotonic() - started < 2.0


@pytest.mark.parametrize(("mode", "name"), [("dotdot", "x.mp4"), ("absolute", "tmp_seedance-hostile.mp4")])
def test_server_ids_never_make_paths(hostile: HostileServer, connect: Any, tmp_path: Path, mode: str,
                                     name: str) -> None:
    target = tmp_path / "videos"
    target.mkdir()
    api = connect(hostile, mode)
    assert api.download(api.get_task("vid_1"), target) == target / name  # named from the server's id, made safe
    assert api.download("vid_1", target) == target / "vid_1.mp4"  # named from the id the caller gave
    assert sorted(p.name for p in tmp_path.rglob("*")) == sorted(["videos", name, "vid_1.mp4"])
    assert not Path("/tmp/seedance-hostile.mp4").exists() and not Path("/tmp/seedance-hostile").exists()


@pytest.mark.parametrize(("mode", "message"), [("endlessmp4", "larger than the 51840000 bytes"),
                                               ("hugemp4", "announces 1000000000000 bytes")])
def test_downloads_are_bounded_by_the_documented_video(hostile: HostileServer, connect: Any, tmp_path: Path,
                                                       mode: str, message: str) -> None:
    with pytest.raises(ProtocolError, match=message):
        connect(hostile, mode, timeout=60.0).download("vid_1", tmp_path)
    assert list(tmp_path.iterdir()) == []


def run_cli(args: list[str], *, watch: float = 0.02) -> tuple[subprocess.CompletedProcess[str], int]:
    """Run `seedance` in a fresh interpreter; also the growth of its RSS over its first sample (bytes)."""
    process = subprocess.Popen([sys.executable, "-m", "client.cli", "--api-key", "sk_test", *args], cwd=REPO,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    watched = psutil.Process(process.pid)
    samples: list[int] = []
    while process.poll() is None:
        try:
            samples.append(watched.memory_info().rss)
        except psutil.Error:
            break
        time.sleep(watch)
    out, err = process.communicate(timeout=60)
    done = subprocess.CompletedProcess(process.args, process.returncode, out, err)
    return done, (max(samples) - samples[0]) if samples else 0


@pytest.mark.slow
@pytest.mark.parametrize(("mode", "command"), [
    ("garbage", ["status", "vid_1"]), ("html", ["status", "vid_1"]), ("endless", ["status", "vid_1"]),
    ("trickle", ["status", "vid_1"]), ("trickleheaders", ["status", "vid_1"]), ("deep", ["status", "vid_1"]),
    ("endlessmp4", ["download", "vid_1", "-o", "{dir}"]), ("hugemp4", ["download", "vid_1", "-o", "{dir}"]),
])
def test_the_cli_exits_8_without_a_traceback(hostile: HostileServer, tmp_path: Path, mode: str,
                                             command: list[str]) -> None:
    args = ["--base-url", f"{hostile.url}/{mode}", "--timeout", "2", *(a.format(dir=tmp_path) for a in command)]
    done, growth = run_cli(args)
    assert done.returncode == 8, (done.stdout, done.stderr)
    assert done.stderr.startswith("seedance: error: ") and "Traceback" not in done.stderr
    assert list(tmp_path.iterdir()) == []
    assert growth < 100 * 1024 * 1024, f"RSS grew {growth / 1e6:.0f} MB"
    print(f"{mode}: RSS growth {growth / 1e6:.1f} MB")


@pytest.mark.slow
def test_the_cli_names_files_safely_and_never_overwrites(hostile: HostileServer, tmp_path: Path) -> None:
    done, _ = run_cli(["--base-url", f"{hostile.url}/dotdot", "wait", "vid_1", "-o", f"{tmp_path}/"])
    assert done.returncode == 0, done.stderr
    assert [p.name for p in tmp_path.iterdir()] == ["x.mp4"]
    again, _ = run_cli(["--base-url", f"{hostile.url}/dotdot", "download", "vid_1", "-o", str(tmp_path / "x.mp4")])
    assert again.returncode == 1 and "exists" in again.stderr and "--force" in again.stderr
    forced, _ = run_cli(["--base-url", f"{hostile.url}/dotdot", "download", "vid_1", "-o", str(tmp_path / "x.mp4"),
                         "--force"])
    assert forced.returncode == 0, forced.stderr


@pytest.mark.slow
@pytest.mark.parametrize(("sent", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 128 + signal.SIGTERM)])
def test_an_interrupted_download_leaves_no_part_file(hostile: HostileServer, tmp_path: Path, sent: int,
                                                     code: int) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "client.cli", "--api-key", "sk_test", "--base-url", f"{hostile.url}/slowmp4",
         "--timeout", "60", "download", "vid_1", "-o", str(tmp_path)],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 20
    while not any(p.name.endswith(".part") for p in tmp_path.iterdir()):
        assert time.monotonic() < deadline and process.poll() is None
        time.sleep(0.05)
    os.kill(process.pid, sent)
    _, err = process.communicate(timeout=20)
    assert process.returncode == code, err
    assert "Traceback" not in err
    assert list(tmp_path.iterdir()) == []


class ClosedPort:
    """A loopback address nobody listens on."""

    def __init__(self) -> None:
        import socket

        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.url = f"http://127.0.0.1:{sock.getsockname()[1]}"


def test_a_server_that_is_down_is_one_clear_error(connect: Any) -> None:
    closed = ClosedPort()
    with pytest.raises(APIConnectionError) as info:
        connect(closed, "x").create_video(model="seedance2.0-std", prompt="p", duration=5)
    assert str(info.value) == f"cannot connect to {closed.url} (connection refused): is the emulator running?"
