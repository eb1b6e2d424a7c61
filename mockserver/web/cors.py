"""Opt-in CORS (`--cors ORIGIN`, config CORS_ORIGIN): off by default, since the documents say nothing about it.

When on, browser apps served from ORIGIN may call the two API endpoints: preflights answer 204 with the
allowed methods and headers, and every answer carries `Access-Control-Allow-Origin`. The control API and
the dashboard never answer other origins.
"""

from __future__ import annotations

from flask import Blueprint, Response, request

from mockserver.web.shared import state

cors = Blueprint("cors", __name__)
ALLOWED_HEADERS = "Authorization, Content-Type, X-Seedance-Mock"
ALLOWED_METHODS = "GET, POST, OPTIONS"
MAX_AGE = "600"


def _origin() -> str | None:
    """The configured origin when the request comes from it ('*' allows any)."""
    allowed = state().config.get("CORS_ORIGIN")
    origin = request.headers.get("Origin")
    if not allowed or not origin or request.path.startswith("/_mock"):
        return None
    return origin if allowed in ("*", origin) else None


@cors.before_app_request
def preflight() -> Response | None:
    """Answer a CORS preflight for the API at once (204)."""
    if request.method != "OPTIONS" or "Access-Control-Request-Method" not in request.headers:
        return None
    origin = _origin()
    if origin is None:
        return None  # no CORS: OPTIONS falls through to the router (405 in the envelope)
    answer = Response(status=204, headers={
        "Access-Control-Allow-Origin": origin,
        "Access-Control-Allow-Methods": ALLOWED_METHODS,
        "Access-Control-Allow-Headers": ALLOWED_HEADERS,
        "Access-Control-Max-Age": MAX_AGE,
        "Vary": "Origin",
    })
    del answer.headers["Content-Type"]  # no body, so no type
    return answer


@cors.after_app_request
def allow_origin(response: Response) -> Response:
    """Let the configured origin read the answer (errors included, so apps can show them)."""
    origin = _origin()
    if origin is not None:
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Access-Control-Expose-Headers"] = "Retry-After"
        response.headers.add("Vary", "Origin")
    return response
