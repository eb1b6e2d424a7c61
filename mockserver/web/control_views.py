"""The control API under /_mock/ (JSON in and out): loopback only, no proxy headers, optional token."""

from __future__ import annotations

import hmac
import ipaddress
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, Response, current_app, request
from werkzeug.exceptions import RequestEntityTooLarge

from mockserver.state import control_input
from mockserver.state.control_input import owner_filter
from mockserver.state.errors import ApiError
from mockserver.state.tasks import Task
from mockserver.version import VERSION
from mockserver.web.har import har_response
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
    """Loopback callers only (unless CONTROL_LOOPBACK_ONLY is off), and not through a proxy (unless
    TRUST_PROXY), and with the control token when one is set. API tokens grant nothing here."""
    config = state().config
    environ = request.environ
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


def _args(name: str, default: int, high: int) -> int:
    return control_input.query_int(request.args, name, default, high)


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
        backend.set_speed(control_input.speed(_body()))
    return ok({"now": backend.now(), "offset": backend.control.clock, "speed": backend.speed()})


@control.post("/clock/advance")
def advance() -> Response:
    """Move the simulated clock forward by `seconds` (finite, at most a century at a time)."""
    return ok({"now": state().backend.advance(control_input.advance_seconds(_body()))})


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
        "body": task.body,
    }


@control.get("/tasks")
def tasks() -> Response:
    """The newest tasks of every token: `?limit=&status=&model=&token=` (token: raw or fingerprint)."""
    backend = state().backend
    limit = _args("limit", 100, 1000)
    token = request.args.get("token") or None
    owner = owner_filter(token)
    status, model = request.args.get("status"), request.args.get("model")
    now = backend.now()
    found = [
        task_timeline(t) for t in backend.recent_tasks(5000 if status or model else limit, owner)
        if (not status or t.status_at(now) == status) and (not model or t.model == model)
    ][:limit]
    return ok({"now": now, "count": backend.store.count_tasks(), "tasks": found})


@control.get("/tasks/<task_id>")
def task_detail(task_id: str) -> Response:
    """A task's whole timeline (any token)."""
    return ok(task_timeline(state().backend.lookup(task_id)))


@control.post("/tasks/<task_id>/fail")
def fail_task(task_id: str) -> Response:
    """Make a task fail (`reason`, `at`: queue|processing)."""
    reason, at = control_input.fail_request(_body())
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
        backend.queue_fault(control_input.fault(_body()))
    elif request.method == "DELETE":
        backend.clear_faults()
    return ok({"faults": backend.control.faults})


@control.route("/limits", methods=["GET", "POST"])
def limits() -> Response:
    """GET: the limits in force; POST: set per-token limits (token null = every token)."""
    backend = state().backend
    if request.method == "POST":
        backend.set_limits(*control_input.limits(_body()))
    return ok({"limits": backend.control.limits})


@control.post("/media")
def media() -> Response:
    """Declare a media URL's duration (s), size (bytes), width/height (px) and reachability."""
    url, facts = control_input.media(_body())
    state().backend.declare_media(url, facts)
    return ok({"url": url, **facts.as_dict()})


@control.post("/assets")
def assets() -> Response:
    """Set a Full-route asset's audit state: {asset_id, state: approved|pending|rejected}."""
    asset, audit = control_input.asset_audit(_body())
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
    entries = backend.journal(_args("after", 0, 2**62), _args("limit", 100, 1000), _journal_filter())
    cursor = entries[-1]["seq"] if entries else _args("after", 0, 2**62)
    return ok({"entries": entries, "next": cursor})


@control.get("/journal.har")
def journal_har() -> Response:
    """The journal (same filters and paging as /journal, up to 1000 entries) as HAR 1.2."""
    backend = state().backend
    entries = backend.journal(_args("after", 0, 2**62), _args("limit", 1000, 1000), _journal_filter())
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
    """Version, store, instance, uptime and task count."""
    st = state()
    backend = st.backend
    return ok({"status": "ok", "version": VERSION, "store": backend.store.kind, "instance": backend.config.instance,
               "uptime": round(time.time() - st.started_at, 3), "tasks": backend.store.count_tasks()})


@control.get("/openapi.yaml")
def openapi() -> Response:
    """The spec this emulator runs."""
    return Response(state().spec_text, status=200, mimetype="application/yaml")
