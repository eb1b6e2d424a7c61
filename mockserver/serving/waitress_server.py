"""The hardened waitress server: the in-thread `EmbeddedServer` of tests and notebooks, and `--server waitress`
(granian, in `workers.py`, is the command's default).

What it adds to plain waitress: its own error answers (malformed request 400, 413, 431, 501) in the
emulator's JSON envelope; the app's body limit (so waitress never spools a huge upload to disk); a
connection limit and an idle timeout; poll() instead of select() (select breaks past 1024 sockets);
and a graceful stop on SIGTERM/SIGINT that finishes the requests in flight.
"""

from __future__ import annotations

import json
import logging
import signal
import socket
import threading
import time
from collections.abc import Callable, Mapping
from types import FrameType, TracebackType
from typing import Any

from flask import Flask
from waitress import wasyncore
from waitress.channel import ClientDisconnected, HTTPChannel
from waitress.server import BaseWSGIServer, create_server
from waitress.task import ErrorTask

from mockserver import create_app
from mockserver.serving.coverage_report import count_refusal
from mockserver.serving.drop import dropping, raising
from mockserver.serving.options import DEFAULT_THREADS, DRAIN_BYTES, DRAIN_SECONDS, IDENT, ServingOptions, base_url
from mockserver.web.envelope import envelope

log = logging.getLogger("seedance_mock.server")
request_log = logging.getLogger("seedance_mock.requests")

# waitress' own answers -> the closest ids of mockserver/state/errors.py (a malformed request line or
# chunk is a body the emulator cannot read: the same id werkzeug's bare 400 gets in web/envelope.py).
SERVER_ERROR_IDS = {400: "INVALID_JSON", 413: "BODY_TOO_LARGE", 431: "HEADERS_TOO_LARGE", 501: "NOT_IMPLEMENTED"}
_POLL_SECONDS = 0.2  # how often the serving loop looks at the stop flag
MSG_CAP = 200


class EnvelopeErrorTask(ErrorTask):  # type: ignore[misc]
    """waitress' answer to a request it refuses itself, as the emulator's JSON error envelope."""

    def execute(self) -> None:
        """Write the envelope (waitress would write plain text) and close the connection after it."""
        error = self.request.error
        code = int(error.code)
        error_id = SERVER_ERROR_IDS.get(code, "INTERNAL_ERROR" if code >= 500 else "INVALID_JSON")
        if code == 413:
            msg = f"request body exceeds {self.channel.server.adj.max_request_body_size} bytes"
        elif code >= 500 and code != 501:
            msg = "internal server error"  # waitress' text may hold a traceback
        else:
            msg = f"{str(error.reason).lower()}: {str(error.body)[:MSG_CAP]}"
        body = json.dumps(envelope(code, error_id, msg)).encode("utf-8")
        self.status = f"{code} {error.reason}"
        self.response_headers.append(("Content-Type", "application/json"))
        self.set_close_on_finish()
        self.channel.linger_on_close = True  # the rest of the refused request is still coming: drain it
        self.content_length = len(body)
        if code == 413:  # counted before the answer leaves: a client that reads the ledger next must see it
            count_refusal(getattr(self.channel.server, "seedance_app", None), error_id)
        self.write(body)
        if request_log.isEnabledFor(logging.INFO):
            request_log.info("%s %s %d %s (refused by the HTTP server)", self.request.command or "-",
                             (self.request.path or "-")[:MSG_CAP], code, error_id)


class ConnectionDropped(ClientDisconnected):  # type: ignore[misc]
    """Raised for a `drop` fault: waitress closes the socket without writing an answer."""


class EnvelopeChannel(HTTPChannel):  # type: ignore[misc]
    """An HTTP channel whose own error answers use the envelope, and which closes after them as nginx does
    (a "lingering close"): the answer is sent, the sending side shut, and what the client still sends is
    read and discarded (at most DRAIN_BYTES, DRAIN_SECONDS) until it closes. Closing at once with unread
    bytes makes the kernel reset the connection, and the client loses the answer."""

    error_task_class = EnvelopeErrorTask
    linger_on_close = False
    _drain_until = 0.0
    _drained = -1  # -1: not lingering

    def handle_close(self) -> None:
        """Close, or start lingering when an error answer was just sent (a second call really closes)."""
        if self.linger_on_close and self._drained < 0 and self.connected:
            try:
                self.socket.shutdown(socket.SHUT_WR)
            except OSError:
                super().handle_close()
                return
            self.will_close = self.close_when_flushed = False
            self._drained, self._drain_until = 0, time.monotonic() + DRAIN_SECONDS
            self._linger()
            return
        super().handle_close()

    def _linger(self) -> None:
        # The lingering methods are put on the instance only when lingering starts: waitress' loop asks every
        # channel readable()/writable() on every pass, and an override on the class cost each pass ~13% of
        # the GIL under load (py-spy) for the rare channel that lingers.
        self.readable = self._linger_readable
        self.writable = self._linger_writable
        self.handle_write = self._linger_write
        self.handle_read = self._linger_read

    def _linger_readable(self) -> bool:
        """While lingering, always (to discard)."""
        return True

    def _linger_writable(self) -> bool:
        """While lingering, only to be closed (the idle sweep asked, or the time is up)."""
        return bool(self.will_close) or time.monotonic() >= self._drain_until

    def _linger_write(self) -> None:
        """While lingering there is nothing to write: this is the close."""
        super().handle_close()

    def _linger_read(self) -> None:
        """While lingering, read and discard; close at the client's end, or past the bounds."""
        try:
            data = self.socket.recv(65536)
        except OSError:
            data = b""
        self._drained += len(data)
        if not data or self._drained > DRAIN_BYTES or time.monotonic() >= self._drain_until:
            super().handle_close()


def build_server(app: Callable[..., Any], options: ServingOptions, threads: int | None = None) -> BaseWSGIServer:
    """A bound (not yet running) waitress server for `app` with the emulator's limits."""
    server: BaseWSGIServer = create_server(
        dropping(app, raising(ConnectionDropped)),
        host=options.host,
        port=options.port,
        threads=threads or options.threads,
        ident=IDENT,
        connection_limit=options.connection_limit,
        channel_timeout=max(1, round(options.idle_timeout)),
        # the idle sweep runs this often: a tenth of the timeout keeps the overshoot small
        cleanup_interval=max(1, round(options.idle_timeout / 10)),
        max_request_body_size=options.max_body_bytes,
        asyncore_use_poll=True,
    )
    server.channel_class = EnvelopeChannel
    server.seedance_app = app  # waitress wraps `app` in its own middleware: the coverage ledger needs the app
    return server


def _channels(server: BaseWSGIServer) -> list[HTTPChannel]:
    return [c for c in list(server._map.values()) if isinstance(c, HTTPChannel)]


def _busy(channel: HTTPChannel) -> bool:
    # A request being read, queued or run, or an answer not yet sent.
    return bool(channel.requests or channel.request is not None or channel.total_outbufs_len)


def drain(server: BaseWSGIServer, grace: float) -> int:
    """Stop accepting, close idle connections, let requests in flight finish (at most `grace` seconds),
    then stop the worker threads. Returns how many connections were still busy at the deadline."""
    server.accepting = False
    server.del_channel()
    server.socket.close()
    deadline = time.monotonic() + grace
    while True:
        busy = 0
        for channel in _channels(server):
            if _busy(channel):
                busy += 1
            elif not channel.will_close:
                channel.handle_close()
        if not busy or time.monotonic() >= deadline:
            break
        wasyncore.loop(timeout=0.05, map=server._map, use_poll=True, count=1)
    for channel in _channels(server):
        channel.handle_close()
    server.task_dispatcher.shutdown(cancel_pending=True, timeout=1)
    server.trigger.close()
    return busy


class EmbeddedServer:
    """A live emulator on a (free) port in a background thread: `with EmbeddedServer() as srv: srv.url`."""

    def __init__(
        self,
        config: Mapping[str, Any] | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        threads: int = DEFAULT_THREADS,
        app: Flask | None = None,
        options: ServingOptions | None = None,
    ) -> None:
        self.app = app or create_app(config)
        max_body = int(self.app.config.get("MAX_CONTENT_LENGTH") or ServingOptions.max_body_bytes)
        self.options = options or ServingOptions(host=host, port=port, threads=threads, max_body_bytes=max_body)
        self.host = self.options.host
        self.port = self.options.port
        self.threads = self.options.threads
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """Base URL, e.g. http://127.0.0.1:54321 (after start)."""
        if self._server is None:
            raise RuntimeError("the server is not started")
        return base_url(self.host, int(self._server.effective_port))

    def start(self) -> EmbeddedServer:
        """Bind and serve in a daemon thread; returns self."""
        if self._server is not None:
            return self
        self._server = build_server(self.app, self.options)
        # stop() closes the sockets under the loop's poll(), which only notices when it times out: a short
        # timeout lets stop() return at once (waitress' default, a second, is what every test paid).
        self._server.adj.asyncore_loop_timeout = 0.05
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
        self, _type: type[BaseException] | None, _exc: BaseException | None, _tb: TracebackType | None
    ) -> None:
        self.stop()


def serve(app: Flask, options: ServingOptions, announce: Callable[[str], None] | None = None) -> None:
    """Serve `app` until SIGTERM or SIGINT, then finish the requests in flight (at most `options.grace`
    seconds). `announce(url)` is called once the socket is bound. Raises OSError when the port is busy."""
    server = build_server(app, options)
    stop = threading.Event()

    def on_signal(_signum: int, _frame: FrameType | None) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        if announce is not None:
            announce(base_url(options.host, int(server.effective_port)))
        # The loop of server.run(), a poll at a time, so that a signal only sets a flag: an exception
        # raised inside a handler would be swallowed by whichever channel was being served.
        while not stop.is_set():
            wasyncore.loop(timeout=_POLL_SECONDS, map=server._map, use_poll=True, count=1)
        left = drain(server, options.grace)
        if left:
            log.warning("stopped with %d request(s) still in flight after %.0f s", left, options.grace)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
