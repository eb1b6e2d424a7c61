"""Fixtures every test folder may use: a real `redis-server` on a free loopback port, and the store kinds."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

STORE_KINDS = ("memory", "sqlite", "redis")


def free_port() -> int:
    """A TCP port nobody listens on right now (loopback)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real redis-server (Debian's package; `.ci/run` installs it) on a free loopback port: its base URL."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.fail("redis-server is not installed: `apt-get install redis-server` (.ci/run does this)")
    port = free_port()
    workdir = tmp_path_factory.mktemp("redis")
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--dir", str(workdir), "--loglevel", "warning"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2) as conn:
                conn.sendall(b"PING\r\n")
                if conn.recv(16).startswith(b"+PONG"):
                    break
        except OSError:
            pass
        if time.monotonic() > deadline or process.poll() is not None:
            process.kill()
            pytest.fail(f"redis-server did not start on port {port}")
        time.sleep(0.02)
    yield f"redis://127.0.0.1:{port}/0"
    process.terminate()
    process.wait(timeout=10)


def store_spec_for(kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    """A fresh store of `kind`: its own SQLite file, or its own key prefix in the shared Redis."""
    if kind == "memory":
        return "memory"
    if kind == "sqlite":
        return f"sqlite:{tmp_path / 'store.db'}"
    url: str = request.getfixturevalue("redis_server")
    return f"{url}?prefix=t{uuid.uuid4().hex[:12]}"


@pytest.fixture(params=STORE_KINDS)
def store_spec(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Each store kind in turn (memory, SQLite file, Redis prefix)."""
    return store_spec_for(str(request.param), tmp_path, request)


@pytest.fixture(params=("sqlite", "redis"))
def shared_store_spec(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Each store that several processes can share."""
    return store_spec_for(str(request.param), tmp_path, request)
