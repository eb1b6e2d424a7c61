"""The I/O-free core both clients share (sans-I/O): requests built, answers judged, retries decided.

``SeedanceClient`` (requests) and ``AsyncSeedanceClient`` (httpx) only send the ``Request`` built here and
hand back what came in: an ``Answer`` (status, headers, body; a stream for downloads) or a ``Failure`` (what
went wrong on the wire, classified). Everything else lives here and in ``operations.py``, so the two clients
cannot drift apart: pre-flight validation, the JSON body, the envelope and error mapping, the retry policy by
method, the INFO line logged for each retry decision, the total deadline.

Retry policy (docs/client.md repeats it):

* GET (query, download) is idempotent: retried on connection errors, timeouts, bodies cut short, and on
  429, 502, 503, 504.
* POST (create) costs money when it runs twice, so it is retried only when the request certainly did not
  reach the server (the connection could not be opened, or the connect timed out) or the server explicitly
  refused it with 429. Never after a timeout, a reset after sending, or a 5xx: the task may exist already.
* The wait before a retry is ``Retry-After`` when the server sent one (header, else ``data.retry_after``),
  otherwise ``backoff_factor * 2**attempt`` capped at ``backoff_max``. A ``Retry-After`` longer than
  ``retry_after_max`` is not waited for: the error is raised at once so the caller can decide.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlsplit

from client.errors import (
    APIConnectionError,
    AuthenticationError,
    JSONTooDeep,
    ProtocolError,
    SeedanceError,
    ServerError,
    ValidationError,
    error_from_envelope,
    error_from_response,
    load_json,
    retry_after_of,
    snippet,
)
from client.models import Task
from client.validation import INVALID_JSON, Violation, validate_body

__all__ = [
    "CREATE_PATH", "DEFAULT_BASE_URL", "DEFAULT_TIMEOUT", "MAX_JSON_BYTES", "TASK_PATH", "Answer", "AnswerReader",
    "ClientCore",
    "Deadline", "Failure", "Request", "RetryPolicy", "Retrying", "Timeout", "connect_failure", "data_of",
    "encode_json",
    "failure_error",
]

log = logging.getLogger("client")

DEFAULT_BASE_URL = "https://www.jimmyai.cn"
CREATE_PATH = "/api/open-api/v1/seedance/videos"
TASK_PATH = "/api/open-api/v1/videos/{task_id}"
Timeout = float | tuple[float, float]
"""Seconds: one number is the total deadline of a request; a pair is (connect, total)."""
DEFAULT_TIMEOUT: Timeout = (10.0, 60.0)
MAX_JSON_BYTES = 4 * 1024 * 1024  # an API answer is a few hundred bytes; a proxy page a few kB
# The field reference types code as the string "20000"; one documented example shows the number 0.
_SUCCESS_CODES = frozenset({"20000", "0"})
_IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS"})
_LIST_ARGS = frozenset({"images", "reference_videos", "reference_audios"})
_LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})

@dataclass(frozen=True)
class RetryPolicy:
    """When to retry a request and how long to wait first (see the module docstring)."""

    max_retries: int = 3
    backoff_factor: float = 0.5
    backoff_max: float = 8.0
    retry_after_max: float = 60.0
    idempotent_statuses: frozenset[int] = frozenset({429, 502, 503, 504})
    create_statuses: frozenset[int] = frozenset({429})

    def retries_status(self, method: str, status: int) -> bool:
        """Whether an answer with this status may be retried for this method."""
        allowed = self.idempotent_statuses if method.upper() in _IDEMPOTENT else self.create_statuses
        return status in allowed

    def retries_failure(self, method: str, failure: Failure) -> bool:
        """Whether a failure on the wire may be retried for this method."""
        if failure.kind == "connect":
            return True  # nothing reached the server
        return method.upper() in _IDEMPOTENT and failure.kind in ("timeout", "reset", "cut_short")

    def backoff(self, attempt: int) -> float:
        """The capped exponential wait before retry number ``attempt`` (0-based)."""
        return float(min(self.backoff_max, self.backoff_factor * (2 ** attempt)))


@dataclass(frozen=True)
class Request:
    """One request to send: method, absolute URL, headers and the encoded body (None: no body)."""

    method: str
    url: str
    headers: Mapping[str, str]
    content: bytes | None = None


@dataclass(frozen=True)
class Answer:
    """A complete answer (``stream`` is None) or a 2xx download whose body is still to read (``stream``)."""

    status: int
    headers: Mapping[str, str]
    body: bytes = b""
    stream: Any = None


@dataclass(frozen=True)
class Failure:
    """No usable answer. ``kind``: connect (never reached the server), timeout (incl. the total deadline),
    reset (after sending), cut_short (body ended early), too_large, too_deep, invalid_url."""

    kind: str
    detail: str
    status: int | None = None
    partial: bytes = b""


def connect_failure(error: BaseException, timed_out: bool = False) -> Failure:
    """The Failure for a connection that could not be opened, named from the errors it chains (either library's)."""
    chain: list[BaseException] = []
    link: BaseException | None = error
    while link is not None and len(chain) < 10:
        chain.append(link)
        link = link.__cause__ or link.__context__
    text = " ".join(str(e) for e in chain).lower()
    refused = any(isinstance(e, ConnectionRefusedError) for e in chain)
    what = ("connect timed out" if timed_out or "timed out" in text
            else "connection refused" if refused or "refused" in text or "errno 111" in text
            else "name resolution failed" if "name or service" in text or "resolution" in text
            else "connection failed")
    return Failure("connect", what)


class Deadline:
    """The total time one request may take (connect, send and the whole answer), on the monotonic clock."""

    def __init__(self, timeout: Timeout, clock: Callable[[], float] = time.monotonic) -> None:
        connect, total = timeout if isinstance(timeout, tuple) else (timeout, timeout)
        self.total = float(total)
        self.connect = float(min(connect, total))
        self._clock = clock
        self._end = clock() + self.total

    def remaining(self) -> float:
        """Seconds left (0 once passed)."""
        return max(0.0, self._end - self._clock())

    @property
    def passed(self) -> bool:
        """True once the deadline is reached."""
        return self.remaining() <= 0.0


class AnswerReader:
    """An answer's body collected as it arrives, bounded by ``MAX_JSON_BYTES``; its end as an Answer or Failure."""

    def __init__(self, status: int, headers: Mapping[str, str]) -> None:
        self.status, self.headers = status, headers
        self.chunks: list[bytes] = []
        self.size = 0

    def refused(self) -> Failure | None:
        """A Failure when the announced length is over the bound already (nothing is read then)."""
        length = self.headers.get("Content-Length", "")
        if length.isdigit() and int(length) > MAX_JSON_BYTES:
            return Failure("too_large", f"answer of {length} bytes refused (at most {MAX_JSON_BYTES})", self.status)
        return None

    def add(self, chunk: bytes) -> Failure | None:
        """Keep a chunk; a Failure once the body passes the bound (stop reading then)."""
        self.chunks.append(chunk)
        self.size += len(chunk)
        if self.size > MAX_JSON_BYTES:
            return Failure("too_large", f"answer longer than {MAX_JSON_BYTES} bytes: stopped reading", self.status,
                           self.chunks[0])
        return None

    def answer(self) -> Answer:
        """The whole answer."""
        return Answer(self.status, self.headers, b"".join(self.chunks))

    def broken(self, error: BaseException | None, deadline: Deadline) -> Failure:
        """The body stopped: cut short by ``error``, or (None) the request's deadline passed."""
        if error is None:
            return Failure("timeout", f"deadline of {deadline.total:g} s passed while reading the answer",
                           self.status, b"".join(self.chunks))
        return Failure("cut_short", f"answer cut short after {self.size} bytes ({error})", self.status,
                       b"".join(self.chunks))


class Retrying:
    """The retry decisions for one logical request: feed it each attempt's outcome (see ``after``)."""

    def __init__(self, policy: RetryPolicy, request: Request) -> None:
        self.policy = policy
        self.request = request
        self.attempt = 0

    def after(self, outcome: Answer | Failure) -> float | None:
        """Seconds to wait before the next attempt, or None when ``outcome`` is final (an answer to judge).

        A final ``Failure`` raises its error here; every decision to retry is logged at INFO on ``client``.
        """
        method, url = self.request.method, self.request.url
        spare = self.attempt < self.policy.max_retries
        delay: float | None = None
        if isinstance(outcome, Failure):
            if not (spare and self.policy.retries_failure(method, outcome)):
                raise failure_error(method, url, outcome)
            delay, reason = self.policy.backoff(self.attempt), outcome.detail
        elif outcome.stream is None and spare and self.policy.retries_status(method, outcome.status):
            reason = f"HTTP {outcome.status}"
            asked = retry_after_of(outcome.headers, _data_of(outcome.body))
            if asked is None:
                delay = self.policy.backoff(self.attempt)
            elif asked <= self.policy.retry_after_max:
                delay = asked
            else:
                log.info("not retrying %s %s after %s: the server asks for %g s (more than %g s)",
                         method, url, reason, asked, self.policy.retry_after_max)
        if delay is not None:
            self.attempt += 1
            log.info("retrying %s %s in %.2f s after %s (retry %d of %d)", method, url, delay, reason,
                     self.attempt, self.policy.max_retries)
        return delay


def failure_error(method: str, url: str, failure: Failure) -> SeedanceError:
    """The error a failure on the wire raises once it is not retried."""
    if failure.kind == "invalid_url":
        return SeedanceError(f"invalid URL {url!r}: {failure.detail}")
    if failure.kind in ("too_large", "too_deep"):
        return ProtocolError(f"{method} {url}: {failure.detail}", status=failure.status,
                             body=snippet(failure.partial))
    if failure.kind == "connect":
        parts = urlsplit(url)
        hint = "is the emulator running?" if parts.hostname in _LOOPBACK_HOSTS else "check the URL and the network"
        return APIConnectionError(f"cannot connect to {parts.scheme}://{parts.netloc} ({failure.detail}): {hint}")
    return APIConnectionError(f"{method} {url}: {failure.detail}", status=failure.status,
                              body=snippet(failure.partial) if failure.partial else None)


@dataclass
class ClientCore:
    """Configuration and every I/O-free step of both clients (each client holds one)."""

    api_key: str | None = None
    base_url: str | None = None
    validate: bool = True
    timeout: Timeout = DEFAULT_TIMEOUT
    policy: RetryPolicy = field(default_factory=RetryPolicy)

    def __post_init__(self) -> None:
        # Read here, at construction, never at import.
        if self.api_key is None:
            self.api_key = os.environ.get("SEEDANCE_API_KEY") or None
        self.base_url = (self.base_url or os.environ.get("SEEDANCE_BASE_URL") or DEFAULT_BASE_URL).rstrip("/")

    @property
    def origin(self) -> str:
        """The base URL (set in ``__post_init__``)."""
        return str(self.base_url)

    # -- requests ---------------------------------------------------------------------------------------

    def create_request(self, fields: Mapping[str, Any], extra: Mapping[str, Any] | None, validate: bool | None,
                       headers: Mapping[str, str] | None) -> Request:
        """The create request for ``create_video``'s arguments; ``ValidationError`` if pre-flight rejects it."""
        body = {key: list(value) if key in _LIST_ARGS else value for key, value in fields.items()
                if value is not None}
        body.update(extra or {})
        if self.validate if validate is None else validate:
            violations = validate_body(body)
            if violations:
                raise ValidationError.from_violations(violations)
        sent = {**self._api_headers(headers), "Content-Type": "application/json"}
        return Request("POST", self.origin + CREATE_PATH, sent, encode_json(body))

    def task_request(self, task_id: str, headers: Mapping[str, str] | None) -> Request:
        """The query request for one task."""
        if not isinstance(task_id, str) or not task_id:
            raise ValueError("task_id must be a non-empty string")
        return Request("GET", self.origin + TASK_PATH.format(task_id=quote(task_id, safe="")),
                       self._api_headers(headers))

    def _api_headers(self, headers: Mapping[str, str] | None) -> dict[str, str]:
        if not self.api_key:
            raise AuthenticationError("no API key: pass api_key= or set SEEDANCE_API_KEY")
        return {"Authorization": f"Bearer {self.api_key}", "Accept": "application/json", **(headers or {})}

    # -- answers ----------------------------------------------------------------------------------------

    def task_from(self, answer: Answer) -> Task:
        """The task in a create or query answer, or the typed error the answer stands for."""
        data = data_of(answer)
        try:
            return Task.from_data(data)
        except ValueError as exc:
            raise ServerError(f"malformed task in answer: {exc}", body=snippet(json.dumps(data)[:400])) from None

def encode_json(body: object) -> bytes:
    """Strict UTF-8 JSON of a request body; ValidationError (INVALID_JSON) when JSON cannot carry it.

    Lone surrogates, NaN and infinities never reach the wire, even with pre-flight validation off.
    """
    try:
        return json.dumps(body, ensure_ascii=False, allow_nan=False).encode("utf-8")
    except (UnicodeEncodeError, ValueError) as exc:
        violation = Violation(INVALID_JSON, "", f"the body cannot be sent as JSON: {exc}")
        raise ValidationError(f"request rejected before sending: {violation.message}",
                              violations=[violation]) from None


def data_of(answer: Answer) -> Mapping[str, Any]:
    """The ``data`` object of a success envelope; the typed error for anything else."""
    raw, status = answer.body, answer.status
    if not 200 <= status < 300:
        raise error_from_response(status, raw, answer.headers)
    try:
        envelope = load_json(raw)
    except JSONTooDeep as exc:
        raise ProtocolError(f"answer is too deeply nested: {exc}", status=status, body=snippet(raw)) from None
    except (UnicodeDecodeError, ValueError):
        raise ServerError(f"answer is not valid JSON: {snippet(raw)!r}", status=status,
                          body=snippet(raw)) from None
    if not isinstance(envelope, Mapping):
        raise ServerError("answer is not a JSON object", status=status, body=snippet(raw))
    code = envelope.get("code")
    if isinstance(code, bool) or str(code) not in _SUCCESS_CODES:
        # A 2xx carrying an error code: use the code's status (code = status x 100) when it has one.
        code_status = _status_of_code(code)
        if code_status is not None:
            raise error_from_envelope(code_status, envelope, raw, answer.headers)
        raise ServerError(f"unexpected envelope code {code!r}", status=status, body=snippet(raw))
    data = envelope.get("data")
    if not isinstance(data, Mapping):
        raise ServerError("answer has no data object", status=status, body=snippet(raw))
    return data


def _status_of_code(code: object) -> int | None:
    try:
        value = int(str(code))
    except ValueError:
        return None
    status = value // 100
    return status if 400 <= status <= 599 else None


def _data_of(raw: bytes) -> object:
    """The answer's ``data`` member, or None when the body is not a JSON envelope."""
    try:
        envelope = load_json(raw)
    except (UnicodeDecodeError, ValueError):
        return None
    return envelope.get("data") if isinstance(envelope, dict) else None

