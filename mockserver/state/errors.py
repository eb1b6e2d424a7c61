"""Error values raised by the state layer and rendered by the web layer (no Flask or server import here)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

#: Error id -> HTTP status (openapi.yaml `x-error-ids`).
ERROR_STATUS: dict[str, int] = {
    "VALIDATION_FAILED": 400,
    "INVALID_JSON": 400,
    "INVALID_DIRECTIVE": 400,
    "UNAUTHORIZED": 401,
    "FORBIDDEN": 403,
    "HOST_NOT_ALLOWED": 403,
    "NOT_FOUND": 404,
    "TASK_NOT_FOUND": 404,
    "REPLAY_NOT_RECORDED": 404,
    "METHOD_NOT_ALLOWED": 405,
    "CONFLICT": 409,
    "RESULT_EXPIRED": 410,
    "BODY_TOO_LARGE": 413,
    "HEADERS_TOO_LARGE": 431,
    "UNSUPPORTED_MEDIA_TYPE": 415,
    "RATE_LIMITED": 429,
    "TOO_MANY_TASKS": 429,
    "TOO_MANY_DELAYS": 429,
    "INTERNAL_ERROR": 500,
    "NOT_IMPLEMENTED": 501,
    "BAD_GATEWAY": 502,
    "SERVICE_UNAVAILABLE": 503,
    "STORE_UNAVAILABLE": 503,
    "TASK_STORE_FULL": 503,
}


class ApiError(Exception):
    """An error answer: raise it anywhere below a view, the handler renders the envelope."""

    def __init__(
        self,
        error_id: str,
        msg: str,
        *,
        violations: Sequence[Mapping[str, str]] = (),
        retry_after: int | None = None,
        headers: Mapping[str, str] | None = None,
        status: int | None = None,
        detail: str = "",
    ) -> None:
        super().__init__(msg)
        self.error_id = error_id
        self.msg = msg
        self.violations = [dict(v) for v in violations]
        self.retry_after = retry_after
        self.headers = dict(headers or {})
        self.status = status or ERROR_STATUS.get(error_id, 500)
        self.detail = detail  # machine-readable, not shown: "expired" for a task forgotten after its retention


class StoreError(Exception):
    """The shared store failed (unreachable, locked too long, damaged); answered as 503 STORE_UNAVAILABLE."""
