"""WSGI wrappers the serving layer puts around the app: CORS answers for browser clients (`--cors`)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from flask import Flask

from mockserver.serving.options import IDENT
from mockserver.web.shared import EXTENSION

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
ALLOW_METHODS = "GET, POST, OPTIONS"
ALLOW_HEADERS = "Authorization, Content-Type, X-Seedance-Mock"
EXPOSE_HEADERS = "Retry-After"
MAX_AGE = "600"


class CorsMiddleware:
    """CORS headers on the API and result files for one origin (or `*`), and answers to preflights.

    The control API (`/_mock/...` but its files) gets none: a page from another origin running in the
    developer's browser is on loopback too, and must not be able to read or drive the emulator's state.
    """

    def __init__(self, app: WsgiApp, origin: str) -> None:
        self.app = app
        self.origin = origin

    def _allowed(self, environ: dict[str, Any]) -> str | None:
        path = str(environ.get("PATH_INFO", ""))
        if path.startswith("/_mock") and not path.startswith("/_mock/files/"):
            return None
        given = str(environ.get("HTTP_ORIGIN", ""))
        if self.origin == "*":
            return "*"
        return given if given == self.origin else None

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        """Answer a preflight here; add the CORS headers to every other answer."""
        origin = self._allowed(environ)
        if origin is None:
            return self.app(environ, start_response)
        cors = [("Access-Control-Allow-Origin", origin), ("Vary", "Origin")]
        if environ.get("REQUEST_METHOD") == "OPTIONS" and environ.get("HTTP_ACCESS_CONTROL_REQUEST_METHOD"):
            start_response("204 No Content", [
                *cors,
                ("Access-Control-Allow-Methods", ALLOW_METHODS),
                ("Access-Control-Allow-Headers", ALLOW_HEADERS),
                ("Access-Control-Max-Age", MAX_AGE),
                ("Content-Length", "0"),
            ])
            return [b""]

        def with_cors(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            headers = [*headers, *cors, ("Access-Control-Expose-Headers", EXPOSE_HEADERS)]
            return start_response(status, headers, exc_info) if exc_info else start_response(status, headers)

        return self.app(environ, with_cors)


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


def wrap_app(app: Flask) -> WsgiApp:
    """`app` with the wrappers its config asks for (`CORS_ORIGIN`); `app` itself when none."""
    config = app.extensions[EXTENSION].config
    origin = config.get("CORS_ORIGIN")
    wrapped: WsgiApp = app
    if origin:
        wrapped = CorsMiddleware(wrapped, str(origin))
    return wrapped
