"""The control API under /_mock/ (JSON in and out; loopback-only unless configured otherwise)."""

from __future__ import annotations

import ipaddress
import math
from typing import Any

from flask import Blueprint, Response, request

from mockserver.api_views import ok, read_json_body, state
from mockserver.apierror import ApiError
from mockserver.external_rules import MediaFacts
from mockserver.forcing import DirectiveError, Fault

control = Blueprint("control", __name__, url_prefix="/_mock")


def _is_loopback(address: str | None) -> bool:
    if not address:
        return False
    try:
        return ipaddress.ip_address(address.split("%")[0]).is_loopback
    except ValueError:
        return False


@control.before_request
def loopback_only() -> None:
    """Refuse non-loopback callers unless CONTROL_LOOPBACK_ONLY is off. API tokens grant nothing here."""
    if state().config["CONTROL_LOOPBACK_ONLY"] and not _is_loopback(request.remote_addr):
        raise ApiError("FORBIDDEN", "the control API only answers loopback clients")


def _body() -> dict[str, Any]:
    """A JSON object body; an empty body counts as {}."""
    if not request.get_data(cache=True) and request.mimetype != "application/json":
        return {}
    body = read_json_body()
    if not isinstance(body, dict):
        raise ApiError("VALIDATION_FAILED", "the body must be a JSON object")
    return body


def _number(body: dict[str, Any], key: str, *, default: float | None = None) -> float | None:
    value = body.get(key, default)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value < 0:
        raise ApiError("VALIDATION_FAILED", f"{key} must be a number >= 0")
    return float(value)


def _int(body: dict[str, Any], key: str) -> int | None:
    value = body.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ApiError("VALIDATION_FAILED", f"{key} must be an integer >= 0")
    return value


def _str(body: dict[str, Any], key: str, default: str | None = None) -> str | None:
    value = body.get(key, default)
    if value is not None and not isinstance(value, str):
        raise ApiError("VALIDATION_FAILED", f"{key} must be a string")
    return value


@control.post("/reset")
def reset() -> Response:
    """Forget every task, fault, limit, media fact, audit state and journal entry."""
    state().reset()
    return ok({"reset": True})


@control.get("/clock")
def clock() -> Response:
    """The emulator clock."""
    return ok({"now": state().backend.now()})


@control.post("/clock/advance")
def advance() -> Response:
    """Move the simulated clock forward by `seconds`."""
    seconds = _number(_body(), "seconds")
    if seconds is None:
        raise ApiError("VALIDATION_FAILED", "seconds is required")
    return ok({"now": state().backend.advance(seconds)})


def _task_data(task_id: str) -> dict[str, Any]:
    backend = state().backend
    task = backend.lookup(task_id)
    return {
        "task_id": task.task_id,
        "status": task.status_at(backend.now()),
        "model": task.model,
        "created_at": task.created_at,
        "processing_at": task.processing_at,
        "finished_at": task.finished_at,
        "outcome": task.outcome,
        "width": task.width,
        "height": task.height,
        "duration": task.duration,
    }


@control.get("/tasks/<task_id>")
def task_timeline(task_id: str) -> Response:
    """A task's whole timeline (any token)."""
    return ok(_task_data(task_id))


@control.post("/tasks/<task_id>/fail")
def fail_task(task_id: str) -> Response:
    """Make a task fail (`reason`, `at`: queue|processing)."""
    body = _body()
    reason = _str(body, "reason", "generation failed") or "generation failed"
    at = _str(body, "at", "processing") or "processing"
    state().backend.fail_task(task_id, reason, at)
    return ok(_task_data(task_id))


@control.post("/tasks/<task_id>/complete")
def complete_task(task_id: str) -> Response:
    """Finish a task successfully now."""
    state().backend.complete_task(task_id)
    return ok(_task_data(task_id))


@control.route("/faults", methods=["GET", "POST", "DELETE"])
def faults() -> Response:
    """GET: pending faults; POST: queue one; DELETE: clear them."""
    book = state().backend.faults
    if request.method == "POST":
        body = _body()
        try:
            fault = Fault(
                kind=str(body.get("kind", "")),
                count=body.get("count", 1),
                operation=str(body.get("operation", "any")),
                token=_str(body, "token"),
                retry_after=body.get("retry_after", 1),
                delay=body.get("delay", 0.0),
            )
        except DirectiveError as exc:
            raise ApiError("VALIDATION_FAILED", str(exc)) from None
        book.add(fault)
    elif request.method == "DELETE":
        book.clear()
    return ok({"faults": book.pending()})


@control.post("/limits")
def limits() -> Response:
    """Set per-token limits (token null = every token): rate_per_minute, max_in_flight."""
    body = _body()
    token = _str(body, "token")
    state().backend.set_limits(token, body.get("rate_per_minute"), body.get("max_in_flight"))
    return ok({"token": token, "rate_per_minute": body.get("rate_per_minute"),
               "max_in_flight": body.get("max_in_flight")})


@control.post("/media")
def media() -> Response:
    """Declare a media URL's duration (s), size (bytes), width/height (px) and reachability."""
    body = _body()
    url = _str(body, "url")
    if not url:
        raise ApiError("VALIDATION_FAILED", "url is required")
    reachable = body.get("reachable", True)
    if not isinstance(reachable, bool):
        raise ApiError("VALIDATION_FAILED", "reachable must be true or false")
    facts = MediaFacts(
        duration=_number(body, "duration"),
        size=_int(body, "size"),
        width=_int(body, "width"),
        height=_int(body, "height"),
        reachable=reachable,
    )
    state().backend.declare_media(url, facts)
    return ok({"url": url, **facts.as_dict()})


@control.post("/assets")
def assets() -> Response:
    """Set a Full-route asset's audit state: {asset_id, state: approved|pending|rejected}."""
    body = _body()
    asset = _str(body, "asset_id")
    if not asset:
        raise ApiError("VALIDATION_FAILED", "asset_id is required")
    audit = _str(body, "state") or ""
    state().backend.set_asset_audit(asset, audit)
    return ok({"asset_id": asset, "state": audit})


@control.route("/journal", methods=["GET", "DELETE"])
def journal() -> Response:
    """GET: the recorded requests (oldest first); DELETE: clear them."""
    backend = state().backend
    if request.method == "DELETE":
        backend.journal.clear()
    return ok({"entries": list(backend.journal)})
