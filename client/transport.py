"""Sending for ``SeedanceClient``: one ``requests.Session``, a total deadline per request, bounded answers.

Only the wire is here: one attempt becomes an ``Answer`` or a classified ``Failure`` (see ``client.core``,
which decides about retries). Why the retry loop is not urllib3's ``Retry`` mounted on the adapter: one
``Retry`` object per adapter cannot express two policies by method (its ``status_forcelist`` applies to every
allowed method, so allowing POST for 429 would also retry POST on 503), and ``responses`` (which the tests use
to inject faults) replaces ``HTTPAdapter.send``, so a urllib3-driven policy could not be tested for its most
important cases. The adapter mounted here has retries switched off (``Retry(total=0)``): never stacked.

The deadline: connecting is bounded by ``requests``' connect timeout (capped at the time left); while the
headers arrive, a timer shuts the socket down when the deadline passes (this module's own session only); the
body is read with ``read1`` and the socket's timeout set to the time left before each read. A server trickling
a byte a second cannot stretch a request past its deadline.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ConnectTimeoutError, HTTPError, MaxRetryError, NewConnectionError, ReadTimeoutError
from urllib3.util import Retry

from client.core import DEFAULT_TIMEOUT, Answer, AnswerReader, Deadline, Failure, Request, Timeout, connect_failure

__all__ = [
    "WIRE_ERRORS", "DeadlinePassed", "Transport", "body_chunks", "failure_of", "is_connect_failure", "stream_chunks",
]

_CHUNK = 64 * 1024
WIRE_ERRORS = (requests.exceptions.RequestException, HTTPError, OSError)
"""What reading a body can raise when the connection breaks (requests', urllib3's and the socket's errors)."""


def is_connect_failure(exc: BaseException) -> bool:
    """Whether the request certainly never reached the server (no connection was established)."""
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return True
    if not isinstance(exc, requests.exceptions.ConnectionError) or isinstance(exc, requests.exceptions.Timeout):
        return False
    reason: object = exc.args[0] if exc.args else None
    if isinstance(reason, MaxRetryError):
        reason = reason.reason
    # NameResolutionError subclasses NewConnectionError; a reset or a closed socket after sending does not.
    return isinstance(reason, NewConnectionError | ConnectTimeoutError)


def failure_of(exc: requests.exceptions.RequestException) -> Failure:
    """Classify a ``requests`` exception (see ``client.core.Failure``)."""
    if isinstance(exc, requests.exceptions.MissingSchema | requests.exceptions.InvalidSchema
                  | requests.exceptions.InvalidURL):
        return Failure("invalid_url", str(exc))
    if is_connect_failure(exc):
        return connect_failure(exc, isinstance(exc, requests.exceptions.Timeout))
    if isinstance(exc, requests.exceptions.Timeout):
        return Failure("timeout", f"read timed out ({exc})")
    if isinstance(exc, requests.exceptions.ChunkedEncodingError):
        return Failure("cut_short", f"answer cut short ({exc})")
    return Failure("reset", f"connection failed ({exc})")


_current = threading.local()  # the deadline of the request this thread is sending


def _expire(connection: HTTPConnection) -> None:
    sock = connection.sock
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)  # wakes the blocked read: the server gets no more time


class _DeadlineConnection(HTTPConnection):
    """Waits for an answer's headers no longer than the current request's deadline."""

    def getresponse(self) -> Any:  # type: ignore[override]
        deadline: Deadline | None = getattr(_current, "deadline", None)
        if deadline is None:
            return super().getresponse()
        timer = threading.Timer(deadline.remaining(), _expire, (self,))
        timer.daemon = True
        timer.start()
        try:
            return super().getresponse()
        finally:
            timer.cancel()


class _DeadlineHTTPSConnection(_DeadlineConnection, HTTPSConnection):
    """The same over TLS."""


class _DeadlineHTTPPool(HTTPConnectionPool):
    ConnectionCls = _DeadlineConnection


class _DeadlineHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _DeadlineHTTPSConnection


class _DeadlineAdapter(HTTPAdapter):
    """An adapter whose pools use the connections above."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _DeadlineHTTPPool, "https": _DeadlineHTTPSPool}


class Transport:
    """Sends one attempt of a request through a ``requests.Session`` (or the one given)."""

    def __init__(self, session: requests.Session | None = None, *, timeout: Timeout = DEFAULT_TIMEOUT) -> None:
        if session is None:
            session = requests.Session()
            # Retries are the core's job; make sure urllib3 never adds its own on top.
            adapter = _DeadlineAdapter(max_retries=Retry(total=0, redirect=0, raise_on_status=False))
            session.mount("http://", adapter)
            session.mount("https://", adapter)
        self.session = session
        self.timeout = timeout

    def send(self, request: Request, *, stream: bool = False) -> Answer | Failure:
        """One attempt. A 2xx with ``stream`` comes back unread (``Answer.stream`` is the response, with
        ``Answer.stream.deadline`` set); every other answer is read whole, up to ``MAX_JSON_BYTES``."""
        deadline = Deadline(self.timeout)
        _current.deadline = deadline
        try:
            response = self.session.request(
                request.method, request.url, headers=dict(request.headers), data=request.content, stream=True,
                timeout=(max(0.001, min(deadline.connect, deadline.remaining())), max(0.001, deadline.remaining())))
        except requests.exceptions.RequestException as exc:
            if deadline.passed and not is_connect_failure(exc):
                return Failure("timeout", f"deadline of {deadline.total:g} s passed before the answer")
            return failure_of(exc)
        finally:
            _current.deadline = None
        if stream and 200 <= response.status_code < 300:
            response.deadline = deadline  # type: ignore[attr-defined]
            return Answer(response.status_code, response.headers, stream=response)
        try:
            return self._read(response, deadline)
        finally:
            response.close()

    @staticmethod
    def _read(response: requests.Response, deadline: Deadline) -> Answer | Failure:
        reader = AnswerReader(response.status_code, response.headers)
        try:
            for chunk in body_chunks(response, deadline) if reader.refused() is None else ():
                if (failure := reader.add(chunk)) is not None:
                    return failure
        except DeadlinePassed:
            return reader.broken(None, deadline)
        except WIRE_ERRORS as exc:
            return reader.broken(exc, deadline)
        return reader.refused() or reader.answer()

    def close(self) -> None:
        """Close the session's pooled connections."""
        self.session.close()


class DeadlinePassed(Exception):
    """The request's total deadline passed while its body was being read."""


def body_chunks(response: requests.Response, deadline: Deadline) -> Iterator[bytes]:
    """The body (decoded as ``iter_content`` would) as it arrives, never past ``deadline``."""
    raw: Any = response.raw
    while True:
        remaining = deadline.remaining()
        if remaining <= 0:
            raise DeadlinePassed(f"{deadline.total:g}")
        sock = getattr(getattr(raw, "connection", None), "sock", None)
        if isinstance(sock, socket.socket):
            sock.settimeout(remaining)
        try:
            chunk = raw.read1(_CHUNK, decode_content=True)
        except ReadTimeoutError:
            if deadline.passed:
                raise DeadlinePassed(f"{deadline.total:g}") from None
            raise
        except TimeoutError:
            raise DeadlinePassed(f"{deadline.total:g}") from None
        if not chunk:
            return
        yield chunk


def stream_chunks(response: requests.Response) -> Iterator[bytes]:
    """A streamed download's body, bounded by the deadline ``send`` attached; errors as ``Failure`` kinds."""
    deadline: Deadline = response.deadline  # type: ignore[attr-defined]
    return body_chunks(response, deadline)

