"""granian, the default server: one process, or several on one port (`--workers N`), in WSGI mode.

granian serves this app faster than waitress (docs/performance.md has the bench's figures, side by side).
Each worker builds its own app (and its own store connections) after the fork; the store is what they
share. The serving layer wraps each worker's app: the `Server` header, and the `drop` fault
(`drop.py`).
"""

from __future__ import annotations

import gc
import http.client
import math
import os
import socket
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

from mockserver.serving.options import ServingOptions, base_url
from mockserver.serving.worker_app import ENV_KEY, encode

TARGET = "mockserver.serving.worker_app:load"
READY_TIMEOUT = 60.0


def granian_available() -> bool:
    """Is granian (part of the `mock` extra) installed?"""
    try:
        import granian  # noqa: F401
    except ImportError:
        return False
    return True


def connections_per_worker(options: ServingOptions) -> int:
    """Each worker's share of `--connection-limit` (the CLI refuses a limit below the worker count)."""
    return max(1, options.connection_limit // max(1, options.workers))


def reserve_port(host: str, port: int) -> int:
    """Check that `host:port` can be bound now and return the port (a free one when `port` is 0).

    Raises OSError when the port is taken. The socket is closed again: granian binds its own, so a
    port chosen for 0 could in theory be taken in between (loopback, milliseconds: accepted)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        # the same option granian and waitress set: a port in TIME_WAIT is free, a listening one is not
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind((host, port))
        probe.listen(1)
        return int(probe.getsockname()[1])


def wait_until_answering(host: str, port: int, timeout: float = READY_TIMEOUT) -> bool:
    """Poll until the server answers an HTTP request (any status): a worker has loaded the app."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        conn = http.client.HTTPConnection(host, port, timeout=2)
        try:
            conn.request("GET", "/_mock/health")
            conn.getresponse().read()
            return True
        except (OSError, http.client.HTTPException):
            time.sleep(0.01)
        finally:
            conn.close()
    return False


def serve_workers(
    config: Mapping[str, Any],
    options: ServingOptions,
    *,
    quiet: bool = False,
    log_format: str = "text",
    announce: Callable[[str], None] | None = None,
) -> None:
    """Serve with `options.workers` granian worker processes until SIGTERM/SIGINT; the workers finish
    their requests in flight (at most `options.grace` seconds). `announce(url)` once the app answers."""
    from granian.constants import HTTPModes, Interfaces
    from granian.http import HTTP1Settings
    from granian.log import LogLevels
    from granian.server import Server

    base: Any = Server  # granian's Server is a runtime alias mypy cannot subclass

    announced = threading.Event()

    class AnnouncingServer(base):  # type: ignore[misc]
        """granian's server, announcing the URL once its workers are forked and one answers."""

        def _spawn_workers(self, *args: Any, **kwargs: Any) -> None:
            super()._spawn_workers(*args, **kwargs)
            if announce is not None and not announced.is_set():
                announced.set()
                # Only now: a thread running while granian forks could leave a lock taken in the worker.
                url = base_url(options.host, options.port)

                def announce_when_ready() -> None:
                    if wait_until_answering(options.host, options.port):
                        announce(url)

                threading.Thread(target=announce_when_ready, name="seedance-mock-announce", daemon=True).start()

    os.environ[ENV_KEY] = encode(config, quiet, log_format)
    server = AnnouncingServer(
        TARGET,
        address=options.host,
        port=options.port,
        interface=Interfaces.WSGI,
        workers=max(1, options.workers),
        blocking_threads=options.threads,
        # granian's backpressure is the number of connections a worker accepts at once (the rest wait in
        # the listen backlog, as with waitress past its connection_limit): --connection-limit, split.
        backpressure=connections_per_worker(options),
        http=HTTPModes.http1,
        websockets=False,
        # an idle or slow client gets this long to send a request's headers, then the connection closes
        http1_settings=HTTP1Settings(header_read_timeout=int(options.idle_timeout * 1000), keep_alive=True),
        # granian's own notes (e.g. "8 threads is many for 2 cores": intended, forced delays hold threads)
        log_level=LogLevels.error,
        workers_kill_timeout=max(1, math.ceil(options.grace)),
        factory=True,
    )
    # Everything built so far (modules, the parent's app) moves out of the collector's reach: a worker forked
    # from here no longer copies those pages when its first collection touches them (CPython's advice for
    # fork; tens of milliseconds off a worker's start-up on 2 cores).
    gc.freeze()
    server.serve()
