"""The client's exceptions and the one table mapping an HTTP status to an exception class.

Every failure the client reports is a ``SeedanceError``. Errors built from a response carry the HTTP status,
the envelope's ``code`` and ``data.error`` id when there was one, and a snippet of the raw body, so that an
HTML error page from a proxy or a truncated body still gives a typed, debuggable error.
"""

from __future__ import annotations

import email.utils
import json
import math
import re
import time
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from client.validation import Violation

if TYPE_CHECKING:
    from client.models import Task

__all__ = [
    "MAX_JSON_DEPTH",
    "STATUS_ERRORS",
    "APIConnectionError",
    "AuthenticationError",
    "JSONTooDeep",
    "NotFoundError",
    "ProtocolError",
    "RateLimitError",
    "ResultExpiredError",
    "SeedanceError",
    "ServerError",
    "TaskFailedError",
    "ValidationError",
    "WaitTimeout",
    "error_from_response",
    "load_json",
    "parse_retry_after",
    "retry_after_of",
]

_SNIPPET_CHARS = 300
MAX_JSON_DEPTH = 64  # the API's answers nest 4 levels; Python's parser dies near 1,000 with RecursionError
_JSON_TOKENS = re.compile(rb'"(?:[^"\\]|\\.)*"|[\[\]{}]')


class SeedanceError(Exception):
    """Base of every error the client raises; ``status``/``code``/``error_id``/``body`` when from a response."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: str | None = None,
        error_id: str | None = None,
        body: str | None = None,
        data: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code
        self.error_id = error_id
        self.body = body
        self.data: Mapping[str, Any] = data or {}

    def __str__(self) -> str:
        prefix = f"HTTP {self.status}: " if self.status is not None else ""
        suffix = f" [{self.error_id}]" if self.error_id else ""
        return f"{prefix}{self.message}{suffix}"


class ValidationError(SeedanceError):
    """The request was rejected (pre-flight or 400/413/415): ``rules``, ``fields`` and ``violations``."""

    def __init__(self, message: str, *, violations: Iterable[Violation] = (), rules: Iterable[str] = (),
                 **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.violations: tuple[Violation, ...] = tuple(violations)
        ids = list(rules) + [v.rule for v in self.violations]
        self.rules: tuple[str, ...] = tuple(dict.fromkeys(ids))
        self.fields: tuple[str, ...] = tuple(dict.fromkeys(v.field for v in self.violations if v.field))

    @classmethod
    def from_violations(cls, violations: Iterable[Violation]) -> ValidationError:
        """The pre-flight error for a body the client judged invalid (no request was sent)."""
        found = tuple(violations)
        details = "; ".join(f"{v.rule}: {v.message}" for v in found)
        return cls(f"request rejected before sending: {details}", violations=found)


class AuthenticationError(SeedanceError):
    """The API key is missing or was refused (401/403)."""


class NotFoundError(SeedanceError):
    """The task (or route) does not exist, or belongs to another API key (404)."""


class ResultExpiredError(NotFoundError):
    """The result file is past its retention period (410); the video must be generated again."""


class RateLimitError(SeedanceError):
    """Too many requests or too many tasks in flight (429); ``retry_after`` seconds when the server said."""

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class ServerError(SeedanceError):
    """The server failed (5xx) or answered something that is not a valid envelope."""

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class ProtocolError(ServerError):
    """The answer breaks what any answer of this API can be: too large, nested too deep, too long a video."""


class APIConnectionError(SeedanceError):
    """No complete answer: connection refused or reset, timeout, or a body cut short."""


class TaskFailedError(SeedanceError):
    """The task ended in ``failed``; ``task`` is its final snapshot (``task.error`` says why)."""

    def __init__(self, task: Task) -> None:
        reason = task.error.message if task.error else "no reason given"
        super().__init__(f"task {task.task_id} failed: {reason}",
                         code=task.error.code if task.error else None)
        self.task = task


class WaitTimeout(SeedanceError, TimeoutError):
    """The task was not finished by the deadline; ``task`` is the last snapshot seen."""

    def __init__(self, task: Task, timeout: float) -> None:
        super().__init__(f"task {task.task_id} still {task.status} after {timeout:g} s")
        self.task = task
        self.timeout = timeout


# The one status -> class table. Statuses not listed: other 5xx -> ServerError, other 4xx -> SeedanceError.
STATUS_ERRORS: Mapping[int, type[SeedanceError]] = {
    400: ValidationError,
    401: AuthenticationError,
    403: AuthenticationError,
    404: NotFoundError,
    410: ResultExpiredError,
    413: ValidationError,
    415: ValidationError,
    422: ValidationError,
    429: RateLimitError,
    500: ServerError,
    502: ServerError,
    503: ServerError,
    504: ServerError,
}


def error_class(status: int) -> type[SeedanceError]:
    """The exception class for an HTTP status (the table, then 5xx -> ServerError, else SeedanceError)."""
    if status in STATUS_ERRORS:
        return STATUS_ERRORS[status]
    return ServerError if status >= 500 else SeedanceError


def parse_retry_after(value: object) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or HTTP date) or a numeric ``data.retry_after``."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return float(value) if math.isfinite(value) and value >= 0 else None
    if not isinstance(value, str):
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(text)
        except (TypeError, ValueError):
            return None
        return max(0.0, when.timestamp() - time.time())
    return seconds if math.isfinite(seconds) and seconds >= 0 else None


def retry_after_of(headers: Mapping[str, str], data: object) -> float | None:
    """Seconds the server asked to wait: the ``Retry-After`` header, else the envelope's ``data.retry_after``."""
    seconds = parse_retry_after(_header(headers, "Retry-After"))
    if seconds is None and isinstance(data, Mapping):
        seconds = parse_retry_after(data.get("retry_after"))
    return seconds


def snippet(raw: bytes | str) -> str:
    """The start of a body, decoded leniently, for error messages."""
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
    return text if len(text) <= _SNIPPET_CHARS else text[:_SNIPPET_CHARS] + "…"


def _violations_from(data: Mapping[str, Any]) -> list[Violation]:
    out = []
    items = data.get("violations")
    for item in items if isinstance(items, list) else []:
        if isinstance(item, Mapping) and isinstance(item.get("rule"), str):
            field = item.get("field")
            message = item.get("message")
            out.append(Violation(item["rule"], field if isinstance(field, str) else "",
                                 message if isinstance(message, str) else ""))
    return out


def error_from_envelope(status: int, envelope: object, raw: bytes | str,
                        headers: Mapping[str, str] | None = None) -> SeedanceError:
    """Build the typed error for an error answer (``envelope`` is the parsed JSON, or None if unparseable)."""
    headers = headers or {}
    cls = error_class(status)
    body = snippet(raw)
    envelope_map: Mapping[str, Any] = envelope if isinstance(envelope, Mapping) else {}
    data_field = envelope_map.get("data")
    data: Mapping[str, Any] = data_field if isinstance(data_field, Mapping) else {}
    code = envelope_map.get("code")
    msg = envelope_map.get("msg")
    error_id = data.get("error") if isinstance(data.get("error"), str) else None
    if isinstance(msg, str) and msg:
        message = msg
    elif envelope is None:
        message = f"unexpected non-JSON answer: {body!r}" if body else "empty answer"
    else:
        message = "error answer without a message"
    common: dict[str, Any] = {
        "status": status, "code": None if code is None else str(code), "error_id": error_id,
        "body": body, "data": data,
    }
    if cls is ValidationError:
        rules = data.get("rules")
        rule_list = [r for r in rules if isinstance(r, str)] if isinstance(rules, list) else []
        return ValidationError(message, violations=_violations_from(data), rules=rule_list, **common)
    if cls in (RateLimitError, ServerError):
        return cls(message, retry_after=retry_after_of(headers, data), **common)  # type: ignore[call-arg]
    return cls(message, **common)


class JSONTooDeep(ValueError):
    """A JSON text nests arrays and objects deeper than ``MAX_JSON_DEPTH``."""


def load_json(raw: bytes) -> object:
    """``json.loads`` with the nesting bounded (``JSONTooDeep``, never a ``RecursionError``)."""
    if raw.count(b"[") + raw.count(b"{") > MAX_JSON_DEPTH:
        depth = 0
        for token in _JSON_TOKENS.finditer(raw):
            bracket = token.group()
            if bracket in (b"[", b"{"):
                depth += 1
                if depth > MAX_JSON_DEPTH:
                    raise JSONTooDeep(f"more than {MAX_JSON_DEPTH} levels")
            elif bracket in (b"]", b"}"):
                depth -= 1
    return json.loads(raw.decode("utf-8"))


def error_from_response(status: int, raw: bytes, headers: Mapping[str, str] | None = None) -> SeedanceError:
    """Build the typed error for a non-2xx answer from its status, raw body and headers."""
    try:
        envelope: object = load_json(raw) if raw else None
    except (UnicodeDecodeError, ValueError):
        envelope = None
    return error_from_envelope(status, envelope, raw, headers)


def _header(headers: Mapping[str, str], name: str) -> str | None:
    # requests' headers are case-insensitive already; plain dicts (tests, callers) may not be.
    if name in headers:
        return headers[name]
    lowered = name.lower()
    return next((value for key, value in headers.items() if key.lower() == lowered), None)
