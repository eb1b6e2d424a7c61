"""Processes for the benchmarks: free loopback ports, spawning in a process group, waiting for the first 200,
RSS of a process tree, and stopping everything that was started, even on Ctrl-C, SIGTERM or an error."""

from __future__ import annotations

import contextlib
import http.client
import os
import signal
import socket
import subprocess
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import FrameType, TracebackType

import psutil

HOST = "127.0.0.1"


def free_port() -> int:
    """A port that was free on loopback a moment ago (the kernel picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def http_status(port: int, path: str, timeout: float = 1.0) -> int:
    """Status of one GET on loopback; 0 when nothing answers."""
    conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        conn.request("GET", path, headers={"Authorization": "Bearer sk_bench"})
        response = conn.getresponse()
        response.read()
        return response.status
    except OSError:
        return 0
    finally:
        conn.close()


def tree_rss(pid: int) -> int:
    """Resident bytes of a process and all its descendants (0 when it is gone)."""
    try:
        root = psutil.Process(pid)
        procs = [root, *root.children(recursive=True)]
    except psutil.Error:
        return 0
    total = 0
    for proc in procs:
        with contextlib.suppress(psutil.Error):
            total += proc.memory_info().rss
    return total


def tree_cmdlines(pid: int) -> list[str]:
    """Command lines of a process and its descendants (to tell which WSGI server runs)."""
    try:
        root = psutil.Process(pid)
        return [" ".join(p.cmdline()) for p in (root, *root.children(recursive=True))]
    except psutil.Error:
        return []


def tree_maps(pid: int) -> str:
    """The file paths mapped by a process tree (shared libraries, e.g. granian's Rust extension)."""
    paths: set[str] = set()
    try:
        root = psutil.Process(pid)
        for proc in (root, *root.children(recursive=True)):
            with contextlib.suppress(psutil.Error, OSError):
                paths.update(m.path for m in proc.memory_maps())
    except psutil.Error:
        return ""
    return " ".join(sorted(paths)).lower()


class Procs:
    """Every process the benchmark starts, each in its own session (process group), stopped on exit.

    `with Procs() as procs:` also turns SIGINT, SIGTERM and SIGHUP into KeyboardInterrupt so that `__exit__`
    runs (SIGINT too, because a shell starts background jobs with SIGINT ignored)."""

    def __init__(self, log_dir: Path) -> None:
        self.log_dir = log_dir
        self._children: list[tuple[str, subprocess.Popen[bytes]]] = []
        self._old: dict[int, object] = {}

    def __enter__(self) -> Procs:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            self._old[sig] = signal.signal(sig, self._interrupt)
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop_all()
        for sig, old in self._old.items():
            signal.signal(sig, old)  # type: ignore[arg-type]

    @staticmethod
    def _interrupt(signum: int, _frame: FrameType | None) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    def spawn(self, name: str, argv: Sequence[str], env: Mapping[str, str] | None = None,
              cwd: Path | None = None) -> subprocess.Popen[bytes]:
        """Start `argv` with stdout and stderr to `<log_dir>/<name>.log` (never a pipe nobody reads)."""
        log = open(self.log_dir / f"{name}.log", "ab")  # noqa: SIM115 - the child owns it
        try:
            child = subprocess.Popen(
                list(argv), stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                env={**os.environ, **(env or {})}, cwd=cwd, start_new_session=True,
            )
        finally:
            log.close()
        self._children.append((name, child))
        return child

    def stop(self, child: subprocess.Popen[bytes], grace: float = 5.0) -> None:
        """SIGTERM to the child's process group, SIGKILL after `grace` seconds."""
        if child.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(child.pid, signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                child.wait(timeout=grace)
        with contextlib.suppress(ProcessLookupError, PermissionError):  # workers a master left behind
            os.killpg(child.pid, signal.SIGKILL)
        if child.poll() is None:
            child.wait(timeout=grace)
        self._children = [(n, c) for n, c in self._children if c is not child]

    def stop_all(self, grace: float = 5.0) -> None:
        """Stop every process still registered: SIGTERM to every group at once, SIGKILL after `grace`."""
        children = [child for _name, child in self._children]
        for child in children:
            if child.poll() is None:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(child.pid, signal.SIGTERM)
        deadline = time.monotonic() + grace
        for child in children:
            with contextlib.suppress(subprocess.TimeoutExpired):
                child.wait(timeout=max(0.0, deadline - time.monotonic()))
        for child in children:
            with contextlib.suppress(OSError, subprocess.TimeoutExpired):
                self.stop(child, grace=1.0)


def wait_for_200(port: int, path: str, child: subprocess.Popen[bytes] | None, timeout: float = 60.0,
                 pause: float = 0.002) -> float:
    """Poll `path` until it answers 200; return the seconds waited. Bounded by `timeout` (RuntimeError)."""
    start = time.perf_counter()
    deadline = start + timeout
    for _ in range(int(timeout / pause) + 1):
        if http_status(port, path, timeout=2.0) == 200:
            return time.perf_counter() - start
        if child is not None and child.poll() is not None:
            raise RuntimeError(f"server on port {port} exited with {child.returncode} before answering")
        if time.perf_counter() > deadline:
            break
        time.sleep(pause)
    raise RuntimeError(f"no 200 from 127.0.0.1:{port}{path} within {timeout:g} s")
