"""The servers compared by bench_server.py: how each one is started, polled and identified.

Every server gets a free loopback port and runs in its own process group (see proc_tools.Procs). The
emulator runs as `seedance-mock` (one process: granian when installed, else waitress; `--workers N`: granian
with N processes). Bare Flask runs on the server the emulator it is compared with was found to use (from
the libraries its processes mapped), with the same processes and threads. Without `--workers` in the CLI
(older trees) the multi-worker emulator is the app factory under gunicorn (gthread) or granian.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from proc_tools import Procs, free_port, tree_cmdlines, tree_maps, wait_for_200

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
PRISM_VERSION = "5.16.0"
PRISM_DIR = BENCH / ".prism"  # npm cache of Prism: not committed (gitignore bench/.prism/)
HEALTH = "/_mock/health"
THREADS = 8  # seedance-mock's default worker threads per process (DEFAULT_THREADS)


@dataclass
class Server:
    """A command line, the environment it needs and the path that answers 200 once it is ready."""

    label: str
    argv: list[str]
    env: dict[str, str] = field(default_factory=dict)
    ready_path: str = HEALTH
    ready_timeout: float = 60.0
    port: int = 0
    child: subprocess.Popen[bytes] | None = None

    def start(self, procs: Procs) -> float:
        """Spawn and wait for the first 200; return the seconds that took."""
        self.child = procs.spawn(self.label, self.argv, self.env, cwd=REPO)
        return wait_for_200(self.port, self.ready_path, self.child, timeout=self.ready_timeout)


def bin_path(name: str) -> str:
    """The venv's executable `name` (next to this Python), else the one on PATH."""
    local = Path(sys.executable).parent / name
    return str(local) if local.exists() else (shutil.which(name) or name)


def ensure_prism() -> Path:
    """The pinned Prism CLI, installed once into bench/.prism with `npm install --prefix`."""
    binary = PRISM_DIR / "node_modules" / ".bin" / "prism"
    if not binary.exists():
        subprocess.run(
            ["npm", "install", "--prefix", str(PRISM_DIR), "--no-audit", "--no-fund",
             f"@stoplight/prism-cli@{PRISM_VERSION}"],
            check=True, timeout=600, stdout=subprocess.DEVNULL,
        )
    return binary


def prism(port: int) -> Server:
    """Prism mock of our spec, default logging (to a log file)."""
    argv = [str(ensure_prism()), "mock", "-h", "127.0.0.1", "-p", str(port), str(REPO / "openapi.yaml")]
    return Server("prism", argv, ready_path="/api/open-api/v1/videos/vid_0123456789abcdef01234567", port=port)


def mock_cli(port: int, label: str, *extra: str) -> Server:
    """`seedance-mock` with its defaults (memory store, one line per request on stderr) plus `extra`."""
    return Server(label, [bin_path("seedance-mock"), "--port", str(port), *extra], port=port)


def mock_filled_memory(port: int, count: int, ids_out: Path, wsgi: str, label: str) -> Server:
    """The default emulator (one process, memory) holding `count` tasks made in-process before it listens:
    store_fill.py's factory on the same server as the default `seedance-mock`."""
    env = {"BENCH_FILL_COUNT": str(count), "BENCH_IDS_OUT": str(ids_out)}
    if wsgi == "waitress":
        argv = [sys.executable, str(BENCH / "store_fill.py"), "serve", "--port", str(port), "--count", str(count),
                "--ids-out", str(ids_out)]
    else:
        argv = wsgi_argv(wsgi, 1, port, "store_fill:filled_app", BENCH)
    return Server(label, argv, env=env, port=port, ready_timeout=300.0)


def bare(port: int, wsgi: str, workers: int, label: str) -> Server:
    """Bare Flask on `wsgi` (waitress: one process) with the emulator's threads."""
    if wsgi == "waitress":
        argv = [sys.executable, str(BENCH / "bare_app.py"), "--port", str(port), "--threads", str(THREADS)]
        return Server(label, argv, port=port)
    return Server(label, wsgi_argv(wsgi, workers, port, "bare_app:create_app", BENCH), port=port)


def wsgi_argv(wsgi: str, workers: int, port: int, target: str, pythonpath: Path | None) -> list[str]:
    """gunicorn (gthread) or granian (WSGI) serving a factory `module:create_app`."""
    if wsgi == "gunicorn":
        argv = [bin_path("gunicorn"), "-w", str(workers), "-k", "gthread", "--threads", str(THREADS),
                "-b", f"127.0.0.1:{port}", "--log-level", "warning"]
        if pythonpath is not None:
            argv += ["--pythonpath", str(pythonpath)]
        return [*argv, f"{target}()"]
    if wsgi == "granian":
        # as mockserver/serving/workers.py: HTTP/1 with keep-alive, no websockets, errors only
        argv = [bin_path("granian"), "--interface", "wsgi", "--host", "127.0.0.1", "--port", str(port),
                "--workers", str(workers), "--blocking-threads", str(THREADS), "--http", "1", "--no-ws",
                "--no-access-log", "--log-level", "error", "--factory"]
        if pythonpath is not None:
            argv += ["--working-dir", str(pythonpath)]
        return [*argv, target]
    raise ValueError(f"unknown WSGI server {wsgi!r}")


def mock_workers(port: int, workers: int, store: str, wsgi: str, label: str) -> Server:
    """Fallback for a CLI without `--workers`: the app factory with `workers` processes over a shared store."""
    argv = wsgi_argv(wsgi, workers, port, "mockserver:create_app", None)
    return Server(label, argv, env={"SEEDANCE_MOCK_STORE": store}, port=port)


def detect_wsgi(pid: int, default: str) -> str:
    """Which WSGI server a running emulator uses: granian, gunicorn or waitress (from its process tree)."""
    text = " ".join(tree_cmdlines(pid)).lower() + " " + tree_maps(pid)
    for name in ("granian", "gunicorn", "waitress"):
        if name in text:
            return name
    return default


def start_redis(procs: Procs) -> tuple[int, subprocess.Popen[bytes]]:
    """A throw-away redis-server on a free loopback port (no persistence)."""
    port = free_port()
    child = procs.spawn("redis", ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                                  "--appendonly", "no"])
    for _ in range(200):
        done = subprocess.run(["redis-cli", "-p", str(port), "ping"], capture_output=True, text=True, timeout=5,
                              check=False)
        if done.stdout.strip() == "PONG":
            return port, child
        if child.poll() is not None:
            break
        time.sleep(0.05)
    raise RuntimeError("redis-server did not start")
