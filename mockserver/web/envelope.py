"""The one error envelope of every non-2xx answer, built in one place, and the handlers that use it."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import Any

from flask import Flask, Response, g, has_request_context, json
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from mockserver.state.errors import ERROR_STATUS, ApiError, StoreError

__all__ = ["ERROR_STATUS", "ApiError", "envelope", "error_response", "register_error_handlers"]

log = logging.getLogger(__name__)

# Werkzeug's own HTTP errors (routing, size limit...) -> our ids.
_HTTP_ERROR_IDS = {
    400: "INVALID_JSON",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    409: "CONFLICT",
    410: "RESULT_EXPIRED",
    413: "BODY_TOO_LARGE",
    415: "UNSUPPORTED_MEDIA_TYPE",
    429: "RATE_LIMITED",
    502: "BAD_GATEWAY",
    503: "SERVICE_UNAVAILABLE",
}


def envelope(
    status: int,
    error_id: str,
    msg: str,
    violations: Iterable[Mapping[str, str]] = (),
    retry_after: int | None = None,
) -> dict[str, Any]:
    """The error envelope dict: `{code, msg, data: {error, rules, violations[, retry_after]}}`."""
    items = [dict(v) for v in violations]
    data: dict[str, Any] = {
        "error": error_id,
        "rules": list(dict.fromkeys(v["rule"] for v in items)),
        "violations": items,
    }
    if retry_after is not None:
        data["retry_after"] = int(retry_after)
    return {"code": f"{status * 100}", "msg": msg, "data": data}


def error_response(error: ApiError) -> Response:
    """Render an ApiError as a JSON response with its headers (Retry-After with 429/503)."""
    body = envelope(error.status, error.error_id, error.msg, error.violations, error.retry_after)
    if has_request_context():
        g.error_id = error.error_id  # the journal and the console line name it without parsing the body
        if error.detail:
            g.error_detail = error.detail  # the coverage ledger (lifecycle:expired)
    response = Response(json.dumps(body), status=error.status, mimetype="application/json")
    if error.retry_after is not None:
        response.headers["Retry-After"] = str(int(error.retry_after))
    for name, value in error.headers.items():
        response.headers[name] = value
    return response


def _from_http_exception(exc: HTTPException) -> Response:
    code = exc.code or 500
    error_id = _HTTP_ERROR_IDS.get(code, "INTERNAL_ERROR" if code >= 500 else "NOT_FOUND")
    headers: dict[str, str] = {}
    if isinstance(exc, MethodNotAllowed):
        allowed = sorted(set(exc.valid_methods or []))
        headers["Allow"] = ", ".join(allowed)
        msg = f"method not allowed; allowed: {', '.join(allowed)}"
    elif code == 404:
        msg = "no such route"
    elif code == 413:
        msg = "request body is too large"
    else:
        msg = exc.description or exc.name
    return error_response(ApiError(error_id, msg, headers=headers, status=code))


def _from_store_error(exc: StoreError) -> Response:
    log.error("%s", exc)
    return error_response(ApiError("STORE_UNAVAILABLE", str(exc), retry_after=1))


def _from_unexpected(exc: Exception) -> Response:
    log.exception("unexpected error while serving a request")
    return error_response(ApiError("INTERNAL_ERROR", "internal server error"))


def register_error_handlers(app: Flask) -> None:
    """Route ApiError, every werkzeug HTTP error and any other exception through the envelope."""
    app.register_error_handler(ApiError, error_response)
    app.register_error_handler(StoreError, _from_store_error)
    app.register_error_handler(HTTPException, _from_http_exception)
    app.register_error_handler(Exception, _from_unexpected)
