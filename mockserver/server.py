"""Serving with waitress: the embeddable threaded server for tests and the blocking runner of the CLI."""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from types import TracebackType
from typing import Any

from flask import Flask
from waitress.server import create_server

from mockserver import create_app

DEFAULT_THREADS = 8


def _url(host: str, port: int) -> str:
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}"


class EmbeddedServer:
    """A live emulator on a (free) port in a background thread: `with EmbeddedServer() as srv: srv.url`."""

    def __init__(
        self,
        config: Mapping[str, Any] | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        threads: int = DEFAULT_THREADS,
        app: Flask | None = None,
    ) -> None:
        self.app = app or create_app(config)
        self.host = host
        self.port = port
        self.threads = threads
        self._server: Any = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """Base URL, e.g. http://127.0.0.1:54321 (after start)."""
        if self._server is None:
            raise RuntimeError("the server is not started")
        return _url(self.host, int(self._server.effective_port))

    def start(self) -> EmbeddedServer:
        """Bind and serve in a daemon thread; returns self."""
        if self._server is not None:
            return self
        self._server = create_server(
            self.app, host=self.host, port=self.port, threads=self.threads, ident="seedance-mock"
        )
        self._thread = threading.Thread(target=self._server.run, name="seedance-mock", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Close every connection and the listening socket, and stop the worker threads."""
        server, self._server = self._server, None
        if server is None:
            return
        # waitress has no public "stop": close every channel (this is what webtest's server does).
        logging.getLogger("waitress").setLevel(logging.ERROR)
        while server._map:
            for channel in list(server._map.values()):
                channel.handle_close()
        server.task_dispatcher.shutdown()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> EmbeddedServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def serve(app: Flask, host: str, port: int, threads: int, announce: Any = None) -> None:
    """Serve `app` until interrupted; `announce(url)` is called once the socket is bound."""
    server = create_server(app, host=host, port=port, threads=threads, ident="seedance-mock")
    if announce is not None:
        announce(_url(host, int(server.effective_port)))
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()
