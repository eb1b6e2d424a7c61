"""Serving settings shared by the waitress server, the multi-process runner and the CLI."""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_THREADS = 8
DEFAULT_CONNECTION_LIMIT = 1000
DEFAULT_IDLE_TIMEOUT = 30.0
DEFAULT_GRACE = 10.0
DEFAULT_MAX_BODY_BYTES = 1_048_576
IDENT = "seedance-mock"


@dataclass(frozen=True)
class ServingOptions:
    """How to serve: where, how many threads and processes, and the limits that protect the server."""

    host: str = "127.0.0.1"
    port: int = 0
    threads: int = DEFAULT_THREADS
    workers: int = 0
    """0: one process on waitress; N >= 1: N worker processes on the multi-process server."""
    connection_limit: int = DEFAULT_CONNECTION_LIMIT
    idle_timeout: float = DEFAULT_IDLE_TIMEOUT
    """Seconds after which a connection that has sent nothing is closed."""
    grace: float = DEFAULT_GRACE
    """Seconds SIGTERM/SIGINT wait for requests in flight before the process exits anyway."""
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES


def base_url(host: str, port: int) -> str:
    """`http://host:port` (IPv6 hosts in brackets)."""
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}"
