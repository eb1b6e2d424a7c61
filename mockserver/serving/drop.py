"""The `drop` fault on each server: the web layer answers an empty 500 marked with `DROP_HEADER` that must
never reach the client; the server closes the connection instead.

waitress: the app raises a `ClientDisconnected` (waitress closes the socket without writing anything).
granian (WSGI) has no such exception (any error becomes a 500) and does not tell the app the client's port:
the worker looks among its file descriptors for the sockets accepted on the listening port from the
client's address. When there is exactly one, it is shut down before granian writes: the client gets
nothing at all, as on waitress. When that address holds several connections (a keep-alive control client
next to the code under test), the request's own socket cannot be told apart: the status line and headers
go out and the connection is cut before the body ends, so the client still sees a broken answer (never a
complete 500) and the other connections live on.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable, Iterable
from typing import Any

from mockserver.serving.wrappers import WsgiApp
from mockserver.web.shared import DROP_HEADER


class DroppedOnPurpose(RuntimeError):
    """Raised inside the answer's body on granian when the socket could not be shut down first."""


Drop = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
"""What a server does instead of answering: (environ, start_response) -> the body it is handed."""


def dropping(app: WsgiApp, drop: Drop) -> WsgiApp:
    """`app`, except that a request marked to be dropped ends in `drop(environ, start_response)` instead of
    its answer."""

    def wrapped(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        calls: list[tuple[Any, ...]] = []

        def deferred(*args: Any) -> Callable[[bytes], None]:
            calls.append(args)
            return lambda _data: None

        body = app(environ, deferred)
        if is_dropped(calls[-1][1]):
            close = getattr(body, "close", None)
            if close is not None:
                close()
            return drop(environ, start_response)
        start_response(*calls[-1])
        return body

    return wrapped


def is_dropped(headers: Iterable[tuple[str, str]]) -> bool:
    """Do an answer's headers ask for its connection to be dropped?"""
    marker = DROP_HEADER.lower()
    return any(name.lower() == marker for name, _ in headers)


class ConnectionDropped(ConnectionError):
    """What a `drop` becomes where there is no socket to close (the in-process router, WSGI test clients)."""


def raising(exception: type[BaseException]) -> Drop:
    """A `drop` for servers that close the socket on an exception of their own (waitress)."""

    def drop(_environ: dict[str, Any], _start_response: Callable[..., Any]) -> Iterable[bytes]:
        raise exception("connection dropped on purpose (seedance-mock fault)")

    return drop


def _descriptors() -> list[int]:
    for folder in ("/proc/self/fd", "/dev/fd"):
        try:
            return sorted(int(name) for name in os.listdir(folder) if name.isdigit())
        except OSError:
            continue
    return []


def connections_from(port: int, peer: str) -> list[socket.socket]:
    """This process' connected TCP sockets accepted on `port` from the address `peer` (duplicated
    descriptors: the caller closes them)."""
    found: list[socket.socket] = []
    for fd in _descriptors():
        try:
            copy = os.dup(fd)
        except OSError:
            continue
        try:
            sock = socket.socket(fileno=copy)
        except OSError:  # not a socket
            os.close(copy)
            continue
        try:
            if sock.type == socket.SOCK_STREAM and sock.getsockname()[1] == port and sock.getpeername()[0] == peer:
                found.append(sock)
                continue
        except (OSError, IndexError):
            pass
        sock.close()
    return found


def shut_down_connection(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    """The `drop` for granian: shut the request's socket down (nothing is written), or cut the answer."""
    candidates = connections_from(int(environ.get("SERVER_PORT") or 0), str(environ.get("REMOTE_ADDR", "")))
    try:
        # one connection may sit behind several descriptors (the runtime holds duplicates): count peers
        if len({sock.getpeername() for sock in candidates}) == 1:
            candidates[0].shutdown(socket.SHUT_RDWR)
            return [b""]
    except OSError:
        pass
    finally:
        for sock in candidates:
            sock.close()
    start_response("500 Internal Server Error", [("Content-Type", "application/json")])  # no length: chunked
    return iter(_cut, b"")  # granian sends the headers, then reading the body fails


def _cut() -> bytes:
    raise DroppedOnPurpose("connection dropped on purpose (seedance-mock fault)")
