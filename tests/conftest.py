"""Fixtures every test folder may use: a real `redis-server` on a free loopback port, a real Redis Cluster of
three masters (and a one-node cluster), and the store kinds."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

STORE_KINDS = ("memory", "sqlite", "redis", "redis-cluster")
SHARED_STORE_KINDS = ("sqlite", "redis", "redis-cluster")


def kind_params(kinds: tuple[str, ...]) -> list[object]:
    """The store kinds as fixture params; the cluster's runs are slow (it starts three servers): CI runs them,
    the quick loop does not."""
    return [pytest.param(k, marks=pytest.mark.slow) if k == "redis-cluster" else k for k in kinds]


def free_port() -> int:
    """A TCP port nobody listens on right now (loopback)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_redis(workdir: Path, *extra: str) -> tuple[subprocess.Popen[bytes], int]:
    """A real redis-server (Debian's package; `.ci/run` installs it) on a free loopback port, answering PING."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.fail("redis-server is not installed: `apt-get install redis-server` (.ci/run does this)")
    port = free_port()
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--dir", str(workdir), "--loglevel", "warning", *extra],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2) as conn:
                conn.sendall(b"PING\r\n")
                if conn.recv(16).startswith((b"+PONG", b"-NOAUTH")):  # up (NOAUTH: it wants a password)
                    break
        except OSError:
            pass
        if time.monotonic() > deadline or process.poll() is not None:
            process.kill()
            pytest.fail(f"redis-server did not start on port {port}")
        time.sleep(0.02)
    return process, port


def stop_all(processes: list[subprocess.Popen[bytes]]) -> None:
    """Terminate and reap the servers."""
    for process in processes:
        process.terminate()
    for process in processes:
        process.wait(timeout=10)


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real redis-server on a free loopback port: its base URL."""
    process, port = start_redis(tmp_path_factory.mktemp("redis"))
    yield f"redis://127.0.0.1:{port}/0"
    stop_all([process])


def redis_cli(*args: str) -> str:
    """Run redis-cli (Debian's redis-tools, installed with redis-server) and return its output."""
    binary = shutil.which("redis-cli")
    if binary is None:
        pytest.fail("redis-cli is not installed: `apt-get install redis-tools` (.ci/run does this)")
    done = subprocess.run([binary, *args], capture_output=True, text=True, timeout=60, check=False)
    if done.returncode != 0:
        pytest.fail(f"redis-cli {' '.join(args)} failed: {done.stdout}{done.stderr}")
    return done.stdout


def wait_cluster_ok(ports: list[int]) -> None:
    """Until every node says cluster_state:ok (about a second after the slots are assigned)."""
    deadline = time.monotonic() + 30
    while not all("cluster_state:ok" in redis_cli("-p", str(p), "cluster", "info") for p in ports):
        if time.monotonic() > deadline:
            pytest.fail(f"the Redis Cluster on ports {ports} did not reach cluster_state:ok")
        time.sleep(0.1)


def start_cluster(tmp_path_factory: pytest.TempPathFactory, masters: int) -> tuple[list[subprocess.Popen[bytes]],
                                                                                   list[int]]:
    """`masters` redis-servers in cluster mode, every slot assigned (`redis-cli --cluster create`, or
    ADDSLOTSRANGE for one node), cluster_state:ok."""
    processes, ports = [], []
    try:
        for i in range(masters):
            workdir = tmp_path_factory.mktemp(f"cluster{masters}-{i}")
            # The bus port defaults to port + 10000, past 65535 for a high free port: pick one too.
            process, port = start_redis(workdir, "--cluster-enabled", "yes", "--cluster-config-file",
                                        str(workdir / "nodes.conf"), "--cluster-node-timeout", "5000",
                                        "--cluster-port", str(free_port()))
            processes.append(process)
            ports.append(port)
        if masters == 1:
            redis_cli("-p", str(ports[0]), "cluster", "addslotsrange", "0", "16383")
        else:
            redis_cli("--cluster", "create", *(f"127.0.0.1:{p}" for p in ports), "--cluster-replicas", "0",
                      "--cluster-yes")
        wait_cluster_ok(ports)
    except BaseException:
        stop_all(processes)
        raise
    return processes, ports


@pytest.fixture(scope="session")
def redis_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[int]]:
    """A real Redis Cluster of three masters (no replicas) on loopback: their ports."""
    processes, ports = start_cluster(tmp_path_factory, 3)
    yield ports
    stop_all(processes)


@pytest.fixture(scope="session")
def redis_single_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """One redis-server in cluster mode holding every slot (it rejects cross-slot scripts too): its port."""
    processes, ports = start_cluster(tmp_path_factory, 1)
    yield ports[0]
    stop_all(processes)


def cluster_url(ports: list[int], prefix: str) -> str:
    """The `--store` value of a cluster (two seed nodes are enough: the client finds the others)."""
    return f"redis-cluster://{','.join(f'127.0.0.1:{p}' for p in ports[:2])}?prefix={prefix}"


def store_spec_for(kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    """A fresh store of `kind`: its own SQLite file, or its own key prefix in the shared Redis."""
    if kind == "memory":
        return "memory"
    if kind == "sqlite":
        return f"sqlite:{tmp_path / 'store.db'}"
    if kind == "redis-cluster":
        return cluster_url(request.getfixturevalue("redis_cluster"), f"t{uuid.uuid4().hex[:12]}")
    url: str = request.getfixturevalue("redis_server")
    return f"{url}?prefix=t{uuid.uuid4().hex[:12]}"


@pytest.fixture(params=kind_params(STORE_KINDS))
def store_spec(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Each store kind in turn (memory, SQLite file, Redis prefix, Redis Cluster prefix)."""
    return store_spec_for(str(request.param), tmp_path, request)


@pytest.fixture(params=kind_params(SHARED_STORE_KINDS))
def shared_store_spec(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Each store that several processes can share."""
    return store_spec_for(str(request.param), tmp_path, request)


# Modules whose every costly test is slow and which build those tests while being collected: Schemathesis makes
# its coverage-phase cases at collection (~2.5 s in each process, each xdist worker included), before `-m`
# deselects them. A run that deselects slow tests (the quick loop, `-m "not slow"`) does not collect them.
COLLECTED_ONLY_WITH_SLOW = ("tests/mockserver/test_schemathesis.py",)


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    """Skip collecting COLLECTED_ONLY_WITH_SLOW when the run deselects slow tests."""
    if str(config.getoption("markexpr", "")).replace(" ", "") != "notslow":
        return None
    relative = collection_path.as_posix()
    return True if any(relative.endswith(name) for name in COLLECTED_ONLY_WITH_SLOW) else None


def default_catalogue() -> tuple[Any, ...]:
    """The coverage catalogue of openapi.yaml with a default emulator's settings, built with the very arguments
    its ledger passes (web/coverage_views.py): `catalogue` caches on the arguments as given, so the tests and
    the ledger share one build per process (a build costs ~1.5 s) instead of one each."""
    from mockserver.spec.catalogue import catalogue
    from mockserver.spec.loader import spec_path
    from mockserver.web.app import DEFAULTS

    return catalogue(str(spec_path()), int(DEFAULTS["MAX_BODY_BYTES"]), float(DEFAULTS["RETENTION_SECONDS"]))
