"""WSGI middleware: dropping a connection on purpose (a forced `drop` fault)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from waitress.channel import ClientDisconnected

from mockserver.web.shared import DROP_KEY


class ConnectionDropped(ClientDisconnected):  # type: ignore[misc]
    """Raised by the middleware so that the WSGI server closes the socket without sending an answer."""


class DropMiddleware:
    """Turns a view's "drop the connection" into an exception the server answers by closing the socket."""

    def __init__(self, wsgi_app: Callable[..., Iterable[bytes]]) -> None:
        self.wsgi_app = wsgi_app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        calls: list[tuple[Any, ...]] = []

        def deferred(*args: Any) -> Callable[[bytes], None]:
            calls.append(args)
            return lambda _data: None

        body = self.wsgi_app(environ, deferred)
        if environ.get(DROP_KEY):
            close = getattr(body, "close", None)
            if close is not None:
                close()
            raise ConnectionDropped("connection dropped on purpose (seedance-mock fault)")
        start_response(*calls[-1])
        return body
