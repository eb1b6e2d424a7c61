"""The I/O-free core both clients share (sans-I/O): requests built, answers judged, retries and waits decided.

``SeedanceClient`` (requests) and ``AsyncSeedanceClient`` (httpx) only send the ``Request`` built here and
hand back what came in: an ``Answer`` (status, headers, body; a stream for downloads) or a ``Failure`` (what
went wrong on the wire, classified). Everything else lives here, so the two clients cannot drift apart:
pre-flight validation, the JSON body, the envelope and error mapping, the retry policy by method, the wait
schedule, the download's file name and size bound, and the INFO line logged for each retry decision.

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
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from client.errors import (
    APIConnectionError,
    AuthenticationError,
    JSONTooDeep,
    ProtocolError,
    SeedanceError,
    ServerError,
    TaskFailedError,
    ValidationError,
    WaitTimeout,
    error_from_envelope,
    error_from_response,
    load_json,
    retry_after_of,
    snippet,
)
from client.models import Task
from client.validation import INVALID_JSON, MODEL_FAMILY, Violation, validate_body

__all__ = [
    "CREATE_PATH", "DEFAULT_BASE_URL", "DEFAULT_TIMEOUT", "MAX_JSON_BYTES", "TASK_PATH", "Answer", "ClientCore",
    "Deadline", "DownloadPlan", "Failure", "Request", "RetryPolicy", "Retrying", "Timeout", "WaitSchedule",
    "max_video_bytes", "safe_name",
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
_MAX_POLL_INTERVAL = 10.0
_POLL_BACKOFF = 1.5
_LIST_ARGS = frozenset({"images", "reference_videos", "reference_audios"})
_LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})

# Download bound (assumption: the documents give neither frame rate nor bit rate). 30 fps and 1 bit per pixel
# per frame is ~10x what H.264 needs for these videos; the pixels and seconds are the model's documented
# maximum (Full's id names its resolution; Mini special goes to 720p, the others to 1080p at most).
_PIXELS = {"480p": 854 * 480, "720p": 1280 * 720, "1080p": 1920 * 1080, "2k": 2560 * 1440, "4k": 3840 * 2160}
_FPS, _BITS_PER_PIXEL, _FLOOR_BYTES = 30, 1, 8 * 1024 * 1024
_FAMILY_SECONDS = {"FULL": 12}
_DEFAULT_SECONDS = 15


def safe_name(text: str) -> str:
    """A file name stem made of ``[A-Za-z0-9_-]`` only (never a path); "video" if nothing is left."""
    reduced = re.sub(r"[^A-Za-z0-9_-]+", "_", text).strip("_")[:100]
    return reduced or "video"


def max_video_bytes(model: str | None) -> int:
    """The most bytes a result of ``model`` may have: its top resolution x its longest duration, with margin."""
    family = MODEL_FAMILY.get(model or "")
    if family is None:
        pixels, seconds = _PIXELS["4k"], _DEFAULT_SECONDS
    else:
        named = [p for r, p in _PIXELS.items() if family == "FULL" and (model or "").endswith("_" + r)]
        pixels = named[0] if named else _PIXELS["720p" if family == "MINI_SP" else "1080p"]
        seconds = _FAMILY_SECONDS.get(family, _DEFAULT_SECONDS)
    return max(_FLOOR_BYTES, pixels * _FPS * seconds * _BITS_PER_PIXEL // 8)


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


class WaitSchedule:
    """When to poll again while waiting for a task (intervals grow by half, up to 10 s), and when to stop."""

    def __init__(self, timeout: float, poll_interval: float, clock: Callable[[], float]) -> None:
        self.timeout = timeout
        self._clock = clock
        self._deadline = clock() + timeout
        self._interval = max(0.0, poll_interval)
        self._cap = max(self._interval, _MAX_POLL_INTERVAL)

    def after(self, task: Task) -> float | None:
        """None when ``task`` is completed; seconds to sleep before the next poll otherwise.

        Raises ``TaskFailedError`` for a failed task and ``WaitTimeout`` once the deadline has passed.
        """
        if task.status == "completed":
            return None
        if task.status == "failed":
            raise TaskFailedError(task)
        remaining = self._deadline - self._clock()
        if remaining <= 0:
            raise WaitTimeout(task, self.timeout)
        delay = min(self._interval, remaining)
        self._interval = min(self._cap, self._interval * _POLL_BACKOFF)
        return delay


@dataclass(frozen=True)
class DownloadPlan:
    """Where a result goes and how big it may be: ``request`` to send, ``target`` file, ``max_bytes``."""

    request: Request
    target: Path
    max_bytes: int
    overwrite: bool = False


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

    # -- downloads --------------------------------------------------------------------------------------

    @staticmethod
    def given_id(task_or_url: Task | str) -> str | None:
        """The task id ``download`` was given (it must fetch the task first), or None for a Task or a URL."""
        if isinstance(task_or_url, str) and not task_or_url.startswith(("http://", "https://", "/")):
            return task_or_url
        return None

    @staticmethod
    def target_path(path: str | os.PathLike[str], stem: str, overwrite: bool) -> Path:
        """The file to write: ``path``, or in the directory ``path`` a file named from ``stem`` made safe."""
        target = Path(path)
        # "videos/" names a directory even before it exists.
        if target.is_dir() or str(path).endswith(("/", os.sep)):
            target = target / f"{safe_name(stem)}.mp4"
        if target.exists() and not overwrite:
            raise FileExistsError(f"{target} exists (pass overwrite=True, or --force, to replace it)")
        return target

    def download_plan(self, task_or_url: Task | str, path: str | os.PathLike[str], *, given_id: str | None = None,
                      overwrite: bool = False, max_bytes: int | None = None) -> DownloadPlan:
        """The plan for downloading a ``Task``'s result (or a result URL) to ``path`` (a file or a directory).

        In a directory the file is named from the id the caller gave (``given_id``), else from the task id or
        the URL reduced to ``[A-Za-z0-9_-]``: never a path from the server. An existing file is
        ``FileExistsError`` unless ``overwrite``.
        """
        if isinstance(task_or_url, Task):
            if task_or_url.video_url is None:
                raise SeedanceError(f"task {task_or_url.task_id} has no result to download "
                                    f"(status {task_or_url.status})")
            url, stem, model = task_or_url.video_url, given_id or task_or_url.task_id, task_or_url.model
        else:
            url, model = task_or_url, None
            stem = urlsplit(url).path.rsplit("/", 1)[-1].removesuffix(".mp4")
        url = self.origin + url if url.startswith("/") else url
        target = self.target_path(path, stem, overwrite)
        mine, theirs = urlsplit(self.origin), urlsplit(url)
        # Never send the API key to another host (result URLs may live on a CDN).
        same_origin = (mine.scheme, mine.netloc) == (theirs.scheme, theirs.netloc)
        headers = {"Authorization": f"Bearer {self.api_key}"} if self.api_key and same_origin else {}
        limit = max_bytes if max_bytes is not None else max_video_bytes(model)
        return DownloadPlan(Request("GET", url, headers), target, limit, overwrite)

    @staticmethod
    def download_refusal(plan: DownloadPlan, answer: Answer) -> SeedanceError | None:
        """The error for a download answer that must not be written (too large announced), if any."""
        length = _header(answer.headers, "Content-Length")
        if length and length.isdigit() and int(length) > plan.max_bytes:
            return ProtocolError(f"the result announces {int(length)} bytes, more than the {plan.max_bytes} "
                                 f"a video of this model can have", status=answer.status)
        return None


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


def _header(headers: Mapping[str, str], name: str) -> str | None:
    if name in headers:
        return headers[name]
    return next((v for k, v in headers.items() if k.lower() == name.lower()), None)
