"""Serving entry points kept at their old address: `EmbeddedServer` (waitress in a thread, for tests)
and `serve()` (one blocking waitress process). The code lives in `mockserver.serving`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from flask import Flask

from mockserver.serving.options import DEFAULT_THREADS, ServingOptions
from mockserver.serving.waitress_server import EmbeddedServer
from mockserver.serving.waitress_server import serve as serve_options

__all__ = ["DEFAULT_THREADS", "EmbeddedServer", "ServingOptions", "serve"]


def serve(
    app: Flask,
    host: str,
    port: int,
    threads: int = DEFAULT_THREADS,
    announce: Callable[[str], None] | None = None,
    options: ServingOptions | None = None,
) -> None:
    """Serve `app` on waitress until SIGTERM/SIGINT (requests in flight finish); `announce(url)` once bound.

    The body limit is the app's own (`MAX_CONTENT_LENGTH`); `options` sets the other limits."""
    base = options or ServingOptions()
    max_body = int(app.config.get("MAX_CONTENT_LENGTH") or base.max_body_bytes)
    serve_options(app, replace(base, host=host, port=port, threads=threads, max_body_bytes=max_body), announce)
