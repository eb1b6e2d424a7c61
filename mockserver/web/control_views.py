"""The control API under /_mock/ (JSON in and out): loopback only, no proxy headers, optional token."""

from __future__ import annotations

import hmac
import ipaddress
import math
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, Response, current_app, request
from werkzeug.exceptions import RequestEntityTooLarge

from mockserver.state.errors import ApiError
from mockserver.state.facts import MediaFacts
from mockserver.state.forcing import DEFAULT_FAIL_REASON, DirectiveError, Fault
from mockserver.state.tasks import Task, fingerprint
from mockserver.version import VERSION
from mockserver.web.har import har_response
from mockserver.web.hosts import check_host
from mockserver.web.shared import ok, read_json_body, read_raw_body, state

control = Blueprint("control", __name__, url_prefix="/_mock")
CONTROL_TOKEN_HEADER = "X-Control-Token"
CONTROL_TOKEN_COOKIE = "seedance_control"
_PROXY_HEADERS = ("HTTP_FORWARDED", "HTTP_X_FORWARDED_FOR", "HTTP_X_REAL_IP", "HTTP_X_FORWARDED_HOST")


def _is_loopback(address: str | None) -> bool:
    if not address:
        return False
    try:
        return ipaddress.ip_address(address.split("%")[0]).is_loopback
    except ValueError:
        return False


@control.before_request
def guard() -> None:
    """Known Host names only (web/hosts.py); loopback callers only (unless CONTROL_LOOPBACK_ONLY is off),
    and not through a proxy (unless
    TRUST_PROXY), and with the control token when one is set. API tokens grant nothing here."""
    config = state().config
    environ = request.environ
    check_host(environ, config)  # DNS rebinding: a page of another name resolved to us
    if config["CONTROL_LOOPBACK_ONLY"]:
        if not _is_loopback(request.remote_addr):
            raise ApiError("FORBIDDEN", "the control API only answers loopback clients")
        if not config.get("TRUST_PROXY") and any(environ.get(h) for h in _PROXY_HEADERS):
            # A reverse proxy on this host makes every caller look local: refuse what it forwards.
            raise ApiError("FORBIDDEN", "the control API refuses proxied requests (start with --trust-proxy)")
    if request.method not in ("GET", "HEAD") and _cross_site(environ):
        # A web page the user happens to visit must not reset or fault a local emulator (CSRF).
        raise ApiError("FORBIDDEN", "the control API refuses cross-site requests")
    expected = config.get("CONTROL_TOKEN")
    if expected:
        given = request.headers.get(CONTROL_TOKEN_HEADER) or request.cookies.get(CONTROL_TOKEN_COOKIE) or ""
        if not hmac.compare_digest(given.encode(), str(expected).encode()):
            raise ApiError("FORBIDDEN", f"the control API needs the control token (header {CONTROL_TOKEN_HEADER})")


def _cross_site(environ: dict[str, Any]) -> bool:
    """Does a browser say this request comes from another site (Sec-Fetch-Site, else Origin vs Host)?"""
    fetch_site = environ.get("HTTP_SEC_FETCH_SITE")
    if fetch_site:
        return fetch_site not in ("same-origin", "none")
    origin = environ.get("HTTP_ORIGIN")
    if not origin:
        return False  # not a browser, or a same-origin GET-like navigation
    return origin == "null" or urlsplit(str(origin)).netloc != str(environ.get("HTTP_HOST", ""))


def _body() -> dict[str, Any]:
    """A JSON object body; an empty body counts as {}."""
    try:
        empty = not read_raw_body(request.environ, int(current_app.config["MAX_CONTENT_LENGTH"]))
    except RequestEntityTooLarge:
        empty = False  # read_json_body answers it: 413
    if empty and request.mimetype != "application/json":
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
        raise ApiError("VALIDATION_FAILED", f"{key} must be a finite number >= 0")
    return float(value)


def _int(body: dict[str, Any], key: str) -> int | None:
    value = body.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 2**53:
        raise ApiError("VALIDATION_FAILED", f"{key} must be an integer >= 0")
    return value


def _str(body: dict[str, Any], key: str, default: str | None = None) -> str | None:
    value = body.get(key, default)
    if value is not None and not isinstance(value, str):
        raise ApiError("VALIDATION_FAILED", f"{key} must be a string")
    return value


def _owner(token: str | None) -> str | None:
    """A raw token given to the control API, as the fingerprint the state layer keys on."""
    return None if not token else fingerprint(token)


def owner_filter(text: str | None) -> str | None:
    """A token filter as typed (a raw token, or a fingerprint as the journal shows it) as the fingerprint
    the store keys on; None when empty."""
    return text if text and "~" in text else _owner(text)


def _arg_int(name: str, default: int, high: int) -> int:
    raw = request.args.get(name, "")
    if not raw:
        return default
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 12 or int(raw) > high:
        raise ApiError("VALIDATION_FAILED", f"query parameter {name} must be an integer from 0 to {high}")
    return int(raw)


@control.post("/reset")
def reset() -> Response:
    """Forget every task, fault, limit, media fact, audit state and journal entry (every instance)."""
    state().reset()
    return ok({"reset": True})


@control.route("/clock", methods=["GET", "POST"])
def clock() -> Response:
    """GET: the emulator clock and speed; POST {speed}: change the speed of new tasks."""
    backend = state().backend
    if request.method == "POST":
        speed = _number(_body(), "speed")
        if speed is None:
            raise ApiError("VALIDATION_FAILED", "speed is required")
        backend.set_speed(speed)
    return ok({"now": backend.now(), "offset": backend.control.clock, "speed": backend.speed()})


@control.post("/clock/advance")
def advance() -> Response:
    """Move the simulated clock forward by `seconds` (finite, at most a century at a time)."""
    body = _body()
    if "seconds" not in body:
        raise ApiError("VALIDATION_FAILED", "seconds is required")
    return ok({"now": state().backend.advance(body["seconds"])})


def task_timeline(task: Task) -> dict[str, Any]:
    """A task's whole timeline, as the control API and the dashboard show it."""
    backend = state().backend
    return {
        "task_id": task.task_id,
        "token": task.owner,
        "status": task.status_at(backend.now()),
        "model": task.model,
        "created_at": task.created_at,
        "processing_at": task.processing_at,
        "finished_at": task.finished_at,
        "outcome": task.outcome,
        "width": task.width,
        "height": task.height,
        "duration": task.duration,
        "ratio": task.ratio,
        "resolution": task.resolution,
        "error": {"code": task.error_code, "message": task.error_message} if task.outcome == "failed" else None,
        "skip_processing": task.skip_processing,
        "forced": task.version > 0,
        "body": task.body,
    }


@control.get("/tasks")
def tasks() -> Response:
    """The newest tasks of every token: `?limit=&status=&model=&token=` (token: raw or fingerprint)."""
    backend = state().backend
    limit = _arg_int("limit", 100, 1000)
    token = request.args.get("token") or None
    owner = owner_filter(token)
    status, model = request.args.get("status"), request.args.get("model")
    now = backend.now()
    found = [
        task_timeline(t) for t in backend.recent_tasks(5000 if status or model else limit, owner)
        if (not status or t.status_at(now) == status) and (not model or t.model == model)
    ][:limit]
    return ok({"now": now, "count": backend.store.count_tasks(), "max_tasks": backend.config.max_tasks, "tasks": found})


@control.get("/tasks/<task_id>")
def task_detail(task_id: str) -> Response:
    """A task's whole timeline (any token)."""
    return ok(task_timeline(state().backend.lookup(task_id)))


@control.post("/tasks/<task_id>/fail")
def fail_task(task_id: str) -> Response:
    """Make a task fail (`reason`, `at`: now|queue|processing; a forced outcome is final: 409 after)."""
    body = _body()
    reason = _str(body, "reason", DEFAULT_FAIL_REASON) or DEFAULT_FAIL_REASON
    at = _str(body, "at", "processing") or "processing"
    return ok(task_timeline(state().backend.fail_task(task_id, reason, at)))


@control.post("/tasks/<task_id>/complete")
def complete_task(task_id: str) -> Response:
    """Finish a task successfully now."""
    return ok(task_timeline(state().backend.complete_task(task_id)))


@control.route("/faults", methods=["GET", "POST", "DELETE"])
def faults() -> Response:
    """GET: pending faults; POST: queue one; DELETE: clear them."""
    backend = state().backend
    if request.method == "POST":
        body = _body()
        try:
            fault = Fault(
                kind=str(body.get("kind", "")),
                count=body.get("count", 1),
                operation=str(body.get("operation", "any")),
                token=_owner(_str(body, "token")),
                retry_after=body.get("retry_after", 1),
                delay=body.get("delay", 0.0),
            )
        except DirectiveError as exc:
            raise ApiError("VALIDATION_FAILED", str(exc)) from None
        backend.queue_fault(fault)
    elif request.method == "DELETE":
        backend.clear_faults()
    return ok({"faults": backend.control.faults})


@control.route("/limits", methods=["GET", "POST"])
def limits() -> Response:
    """GET: the limits in force; POST: set per-token limits (token null = every token)."""
    backend = state().backend
    if request.method == "POST":
        body = _body()
        token = _str(body, "token")
        backend.set_limits(_owner(token), body.get("rate_per_minute"), body.get("max_in_flight"))
    return ok({"limits": backend.control.limits})


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


def _journal_filter() -> Callable[[dict[str, Any]], bool] | None:
    status, rule, token = request.args.get("status"), request.args.get("rule"), request.args.get("token")
    if not (status or rule or token):
        return None
    owner = owner_filter(token)

    def match(entry: dict[str, Any]) -> bool:
        if status and not (str(entry.get("status")) == status or (len(status) == 3 and status.endswith("xx")
                                                                    and str(entry.get("status"))[:1] == status[0])):
            return False
        if rule and rule not in entry.get("rules", []) and entry.get("error") != rule:
            return False
        return not owner or entry.get("token") == owner

    return match


@control.route("/journal", methods=["GET", "DELETE"])
def journal() -> Response:
    """GET: recorded API requests, oldest first: `?after=<seq>&limit=&status=&rule=&token=`; DELETE: clear."""
    backend = state().backend
    if request.method == "DELETE":
        backend.clear_journal()
        return ok({"entries": [], "next": 0})
    entries = backend.journal(_arg_int("after", 0, 2**62), _arg_int("limit", 100, 1000), _journal_filter())
    cursor = entries[-1]["seq"] if entries else _arg_int("after", 0, 2**62)
    return ok({"entries": entries, "next": cursor})


@control.get("/journal.har")
def journal_har() -> Response:
    """The journal (same filters and paging as /journal, up to 1000 entries) as HAR 1.2."""
    backend = state().backend
    entries = backend.journal(_arg_int("after", 0, 2**62), _arg_int("limit", 1000, 1000), _journal_filter())
    return har_response(entries)


@control.get("/usage")
def usage() -> Response:
    """What the stored tasks would have been billed: tasks and seconds by token, model and resolution."""
    token = request.args.get("token") or None
    owner = owner_filter(token)
    st = state()
    billing: dict[str, str] = st.extra.get("billing", {})
    rows = st.backend.usage(owner)
    for row in rows:
        unit = billing.get(row["model"], "")
        row["billing_unit"] = unit
        # What the bill counts: tasks on per-task routes, seconds of video on the others.
        row["billable_units"] = row["billable_tasks"] if unit == "per_task" else row["billable_seconds"]
    return ok({"usage": rows})


@control.get("/health")
def health() -> Response:
    """Version, store, instance, uptime, task count and bound."""
    st = state()
    backend = st.backend
    return ok({"status": "ok", "version": VERSION, "store": backend.store.kind, "instance": backend.config.instance,
               "uptime": round(time.time() - st.started_at, 3), "tasks": backend.store.count_tasks(),
               "max_tasks": backend.config.max_tasks})


@control.get("/openapi.yaml")
def openapi() -> Response:
    """The spec this emulator runs."""
    return Response(state().spec_text, status=200, mimetype="application/yaml")
