"""HTTP transport: one ``requests.Session``, a timeout on every request, and retries only where safe.

Retry policy (the README repeats it):

* GET (query, download) is idempotent: retried on connection errors, read timeouts, bodies cut short,
  and on 429, 502, 503, 504.
* POST (create) costs money when it runs twice, so it is retried only when the request certainly did not
  reach the server (the TCP connection could not be opened, or the connect timed out) or the server
  explicitly refused it with 429. Never on a read timeout, a reset after sending, or a 5xx: the task may
  exist already.
* The wait before a retry is ``Retry-After`` when the server sent one (header, else ``data.retry_after``),
  otherwise ``backoff_factor * 2**attempt`` capped at ``backoff_max``. A ``Retry-After`` longer than
  ``retry_after_max`` is not waited for: the error is raised at once so the caller can decide.

Why the loop is written here instead of mounting ``urllib3.util.Retry`` on the adapter: one ``Retry`` object
per adapter cannot express two policies by method (its ``status_forcelist`` applies to every allowed method,
so allowing POST for 429 would also retry POST on 503), and ``responses`` (which the tests use to inject
faults) replaces ``HTTPAdapter.send``: it replays status retries without sleeping and never retries a raised
connection error, so a urllib3-driven policy could not be tested for its most important cases. The adapter
this module mounts therefore has retries switched off (``Retry(total=0)``), so retries are never stacked.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import ConnectTimeoutError, MaxRetryError, NewConnectionError
from urllib3.util import Retry

from client.errors import APIConnectionError, SeedanceError, ValidationError, retry_after_of, snippet
from client.validation import INVALID_JSON, Violation

__all__ = ["DEFAULT_TIMEOUT", "Answer", "BodyCutShort", "RetryPolicy", "Timeout", "Transport", "is_connect_failure"]

Timeout = float | tuple[float, float]
DEFAULT_TIMEOUT: Timeout = (10.0, 60.0)
_IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS"})


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

    def retries_exception(self, method: str, exc: BaseException) -> bool:
        """Whether a transport exception may be retried for this method."""
        if method.upper() in _IDEMPOTENT:
            return isinstance(exc, requests.exceptions.ConnectionError | requests.exceptions.Timeout
                              | requests.exceptions.ChunkedEncodingError)
        return is_connect_failure(exc)

    def backoff(self, attempt: int) -> float:
        """The capped exponential wait before retry number ``attempt`` (0-based)."""
        return float(min(self.backoff_max, self.backoff_factor * (2 ** attempt)))


@dataclass(frozen=True)
class Answer:
    """A complete HTTP answer: status, headers (case-insensitive) and the whole body."""

    status: int
    headers: Mapping[str, str]
    body: bytes


class BodyCutShort(requests.exceptions.ChunkedEncodingError):
    """The answer's body ended before it was complete; keeps the status and the bytes that did arrive."""

    def __init__(self, status: int, partial: bytes, cause: BaseException) -> None:
        super().__init__(f"answer cut short after {len(partial)} bytes: {cause}")
        self.status = status
        self.partial = partial


class Transport:
    """Sends requests with a timeout, applies the retry policy, converts transport failures to errors."""

    def __init__(
        self,
        session: requests.Session | None = None,
        *,
        timeout: Timeout = DEFAULT_TIMEOUT,
        policy: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if session is None:
            session = requests.Session()
            # Retries are this class's job; make sure urllib3 never adds its own on top.
            adapter = HTTPAdapter(max_retries=Retry(total=0, redirect=0, raise_on_status=False))
            session.mount("http://", adapter)
            session.mount("https://", adapter)
        self.session = session
        self.timeout = timeout
        self.policy = policy or RetryPolicy()
        self._sleep = sleep

    def send(self, method: str, url: str, *, json_body: object = None,
             headers: Mapping[str, str] | None = None) -> Answer:
        """Send one logical request, retrying per policy; return the last complete answer, whatever its status.

        Transport failures (including a body cut short) raise ``APIConnectionError`` once retries are spent.
        """
        response = self._loop(method, url, json_body=json_body, headers=headers, read_body=True)
        return Answer(response.status_code, response.headers, response.content)

    def open(self, url: str, *, headers: Mapping[str, str] | None = None) -> requests.Response:
        """GET with the body left unread for streaming (retries cover everything before the body)."""
        return self._loop("GET", url, json_body=None, headers=headers, read_body=False)

    def _loop(self, method: str, url: str, *, json_body: object, headers: Mapping[str, str] | None,
              read_body: bool) -> requests.Response:
        attempt = 0
        kwargs: dict[str, Any] = {"headers": dict(headers or {}), "timeout": self.timeout, "stream": True}
        if json_body is not None:
            kwargs["data"] = encode_json(json_body)
            kwargs["headers"].setdefault("Content-Type", "application/json")
        while True:
            try:
                response = self.session.request(method, url, **kwargs)
                if read_body:
                    _read_body(response)
            except requests.exceptions.RequestException as exc:
                if attempt < self.policy.max_retries and self.policy.retries_exception(method, exc):
                    self._sleep(self.policy.backoff(attempt))
                    attempt += 1
                    continue
                raise _connection_error(method, url, exc) from exc
            if attempt < self.policy.max_retries and self.policy.retries_status(method, response.status_code):
                delay = self._retry_delay(response, attempt)
                if delay is not None:
                    response.close()
                    self._sleep(delay)
                    attempt += 1
                    continue
            return response

    def _retry_delay(self, response: requests.Response, attempt: int) -> float | None:
        """Seconds to wait before retrying, or None when the server asks for longer than we wait."""
        retry_after = retry_after_of(response.headers, _envelope_data(response))
        if retry_after is None:
            return self.policy.backoff(attempt)
        return retry_after if retry_after <= self.policy.retry_after_max else None

    def close(self) -> None:
        """Close the session's pooled connections."""
        self.session.close()


def _read_body(response: requests.Response) -> None:
    """Read the whole body into the response (as requests does when not streaming), keeping what arrived."""
    chunks: list[bytes] = []
    try:
        for chunk in response.iter_content(64 * 1024):
            chunks.append(chunk)
    except requests.exceptions.RequestException as exc:
        response.close()
        raise BodyCutShort(response.status_code, b"".join(chunks), exc) from exc
    # requests' own cache behind .content/.json() (iter_content already marked the stream consumed).
    response._content = b"".join(chunks)


def _envelope_data(response: requests.Response) -> object:
    """The answer's ``data`` member, or None when the body is not a JSON envelope."""
    try:
        envelope = response.json()
    except ValueError:
        return None
    return envelope.get("data") if isinstance(envelope, dict) else None


def _connection_error(method: str, url: str, exc: requests.exceptions.RequestException) -> SeedanceError:
    if isinstance(exc, requests.exceptions.MissingSchema | requests.exceptions.InvalidSchema
                  | requests.exceptions.InvalidURL):
        return SeedanceError(f"invalid URL {url!r}: {exc}")
    if isinstance(exc, BodyCutShort):
        return APIConnectionError(f"{method} {url}: {exc}", status=exc.status, body=snippet(exc.partial))
    if isinstance(exc, requests.exceptions.Timeout):
        what = "connect timed out" if isinstance(exc, requests.exceptions.ConnectTimeout) else "read timed out"
    elif isinstance(exc, requests.exceptions.ChunkedEncodingError):
        what = "answer cut short"
    else:
        what = "connection failed"
    return APIConnectionError(f"{method} {url}: {what} ({exc})")
