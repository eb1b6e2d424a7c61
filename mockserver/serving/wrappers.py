"""WSGI wrappers the serving layer puts around the app on servers other than waitress."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from mockserver.serving.options import IDENT

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class ServerHeader:
    """`Server: seedance-mock` on every answer, as waitress sends it (granian would say `granian`)."""

    def __init__(self, app: WsgiApp) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        """Call the app with the header added."""

        def with_server(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            headers = [*headers, ("Server", IDENT)]
            return start_response(status, headers, exc_info) if exc_info else start_response(status, headers)

        return self.app(environ, with_server)
