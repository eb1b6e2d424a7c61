"""The body limit in front of the app on granian, which hands the body to the app as it arrives.

granian (unlike waitress) neither enforces a body limit nor reads what the app left unread: it closes the
connection with the rest of the body unread, the kernel resets it, and clients that send the whole body
before reading (http.client, requests) lose the answer. And werkzeug cuts an over-limit *chunked* body at
the limit and passes it on. So here, before the app: a Content-Length over the limit, or a chunked body
that grows past it, is answered 413 BODY_TOO_LARGE in the envelope after the rest of the body has been
read and discarded (at most DRAIN_BYTES, DRAIN_SECONDS: nginx's "lingering close"); a chunked body within
the limit reaches the app whole, with its Content-Length, as waitress hands it over.

Known limit (granian has no body read timeout, and reading its body from any thread but its own stalls the
worker, measured): a client that stops sending mid-body holds the worker thread reading it until it closes
the connection. That was already so for every body within the limit; waitress reads bodies asynchronously
and is not affected.
"""

from __future__ import annotations

import io
import json
import logging
import time
from collections.abc import Callable, Iterable
from typing import Any

from mockserver.serving.options import DRAIN_BYTES, DRAIN_SECONDS
from mockserver.serving.wrappers import WsgiApp
from mockserver.web.envelope import envelope

request_log = logging.getLogger("seedance_mock.requests")
READ_SIZE = 65536


def _read_up_to(stream: Any, limit: int) -> tuple[bytes, bool]:
    """At most `limit` bytes of `stream` and whether there was more (one byte past the limit is read)."""
    parts: list[bytes] = []
    size = 0
    while size <= limit:
        chunk = stream.read(min(READ_SIZE, limit + 1 - size))
        if not chunk:
            break
        parts.append(chunk)
        size += len(chunk)
    body = b"".join(parts)
    return body[:limit], size > limit


def drain(stream: Any, budget: int = DRAIN_BYTES, seconds: float = DRAIN_SECONDS) -> int:
    """Read and discard `stream` until its end, `budget` bytes or `seconds` (checked between reads: a read
    waits for the client); returns the bytes read."""
    deadline = time.monotonic() + seconds
    read = 0
    while read < budget and time.monotonic() < deadline:
        try:
            chunk = stream.read(min(READ_SIZE, budget - read))
        except (OSError, ValueError, RuntimeError):
            break  # the client went away
        if not chunk:
            break
        read += len(chunk)
    return read


class BodyLimit:
    """WSGI middleware: refuse (and drain) bodies past `max_body` bytes; hand chunked bodies over whole."""

    def __init__(self, app: WsgiApp, max_body: int) -> None:
        self.app = app
        self.max_body = max_body

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        """Check the body's size before the app sees the request."""
        length = str(environ.get("CONTENT_LENGTH") or "")
        chunked = "chunked" in str(environ.get("HTTP_TRANSFER_ENCODING", "")).lower()
        if not chunked:
            if length.isascii() and length.isdigit() and int(length) > self.max_body:
                # A body past the drain budget would be reset anyway: answer without reading any of it.
                return self._refuse(environ, start_response, drain_it=int(length) <= DRAIN_BYTES)
            return self.app(environ, start_response)
        try:
            body, over = _read_up_to(environ["wsgi.input"], self.max_body)
        except (OSError, ValueError, RuntimeError):
            return self._answer(start_response, 400, "INVALID_JSON", "the chunked request body could not be read")
        if over:
            return self._refuse(environ, start_response, drain_it=True)
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
        environ.pop("HTTP_TRANSFER_ENCODING", None)
        return self.app(environ, start_response)

    def _refuse(self, environ: dict[str, Any], start_response: Callable[..., Any], drain_it: bool) -> list[bytes]:
        # A client that asked `Expect: 100-continue` has not sent the body: reading would invite it to.
        if drain_it and str(environ.get("HTTP_EXPECT", "")).lower() != "100-continue":
            drain(environ["wsgi.input"])
        if request_log.isEnabledFor(logging.INFO):
            request_log.info("%s %s 413 BODY_TOO_LARGE (refused by the HTTP server)",
                             environ.get("REQUEST_METHOD", "-"), str(environ.get("PATH_INFO", "-"))[:200])
        return self._answer(start_response, 413, "BODY_TOO_LARGE", f"request body exceeds {self.max_body} bytes")

    @staticmethod
    def _answer(start_response: Callable[..., Any], status: int, error_id: str, msg: str) -> list[bytes]:
        body = json.dumps(envelope(status, error_id, msg)).encode("utf-8")
        reason = "Request Entity Too Large" if status == 413 else "Bad Request"
        start_response(f"{status} {reason}", [
            ("Content-Type", "application/json"), ("Content-Length", str(len(body))), ("Connection", "close"),
        ])
        return [body]
