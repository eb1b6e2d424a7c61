"""Serving settings shared by the waitress server, the multi-process runner and the CLI."""

from __future__ import annotations

from dataclasses import dataclass

from mockserver.state.backend import DEFAULT_MAX_TASKS as DEFAULT_MAX_TASKS  # shown in the CLI's help

DEFAULT_THREADS = 8
DEFAULT_CONNECTION_LIMIT = 1000
DEFAULT_IDLE_TIMEOUT = 30.0
DEFAULT_GRACE = 10.0
DEFAULT_MAX_BODY_BYTES = 1_048_576
IDENT = "seedance-mock"
DRAIN_BYTES = 128 * 1024 * 1024
"""After refusing a body (413), read and discard at most this much of the rest before closing (nginx's
lingering close): closing with unread bytes makes the kernel reset the connection, and clients that send
the whole body before reading (http.client, requests) would never see the answer."""
DRAIN_SECONDS = 10.0
"""...and for at most this long."""


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


def delay_slots(threads: int) -> tuple[int, int]:
    """How many of a process' `threads` forced delays may hold: (one token: half, every token: all but two;
    at least one each). The rest stay free for other tokens and for /_mock/health."""
    return max(1, threads // 2), max(1, threads - 2)
