"""The control API under /_mock/ (JSON in and out): loopback only, no proxy headers, optional token
(`control_access.guard`); every value parsed by `state.control_input`."""

from __future__ import annotations

import time
from typing import Any

from flask import Blueprint, Response, current_app, request
from werkzeug.exceptions import RequestEntityTooLarge

from mockserver.state import control_input
from mockserver.state.control_input import owner_filter
from mockserver.state.queries import JournalFilter, TaskFilter
from mockserver.version import VERSION
from mockserver.web.control_access import guard
from mockserver.web.har import har_response
from mockserver.web.shared import ok, read_json_body, read_raw_body, state

control = Blueprint("control", __name__, url_prefix="/_mock")
control.before_request(guard)


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
        raise control_input.invalid("the body must be a JSON object")
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


@control.get("/tasks")
def tasks() -> Response:
    """The newest tasks of every token: `?limit=&status=&model=&token=` (token: raw or fingerprint)."""
    backend = state().backend
    args = request.args
    query = TaskFilter(owner_filter(args.get("token")), args.get("status", ""), args.get("model", ""))
    found = backend.find_tasks(query, _args("limit", 100, control_input.MAX_PAGE))
    return ok({"now": backend.now(), "count": backend.count_tasks(), "max_tasks": backend.config.max_tasks,
               "tasks": [backend.timeline(t) for t in found]})


@control.get("/tasks/<task_id>")
def task_detail(task_id: str) -> Response:
    """A task's whole timeline (any token)."""
    return ok(state().backend.timeline(state().backend.lookup(task_id)))


@control.post("/tasks/<task_id>/fail")
def fail_task(task_id: str) -> Response:
    """Make a task fail (`reason`, `at`: now|queue|processing; a forced outcome is final: 409 after)."""
    reason, at = control_input.fail_request(_body())
    return ok(state().backend.timeline(state().backend.fail_task(task_id, reason, at)))


@control.post("/tasks/<task_id>/complete")
def complete_task(task_id: str) -> Response:
    """Finish a task successfully now."""
    return ok(state().backend.timeline(state().backend.complete_task(task_id)))


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


def _journal_filter() -> JournalFilter:
    args = request.args
    return JournalFilter(args.get("status", ""), args.get("rule", ""), owner_filter(args.get("token")))


@control.route("/journal", methods=["GET", "DELETE"])
def journal() -> Response:
    """GET: recorded API requests, oldest first: `?after=<seq>&limit=&status=&rule=&token=`; DELETE: clear."""
    backend = state().backend
    if request.method == "DELETE":
        backend.clear_journal()
        return ok({"entries": [], "next": 0})
    after = _args("after", 0, control_input.MAX_CURSOR)
    entries = backend.find_journal(_journal_filter(), after, _args("limit", 100, control_input.MAX_PAGE))
    cursor = entries[-1]["seq"] if entries else after
    return ok({"entries": entries, "next": cursor})


@control.get("/journal.har")
def journal_har() -> Response:
    """The journal (same filters and paging as /journal, up to 1000 entries) as HAR 1.2."""
    after, limit = _args("after", 0, control_input.MAX_CURSOR), _args("limit", 1000, control_input.MAX_PAGE)
    entries = state().backend.find_journal(_journal_filter(), after, limit)
    return har_response(entries)


@control.get("/usage")
def usage() -> Response:
    """What the stored tasks would have been billed: tasks and seconds by token, model and resolution."""
    token = request.args.get("token") or None
    owner = owner_filter(token)
    st = state()
    rows = st.backend.usage(owner)
    for row in rows:
        unit = st.billing.get(row["model"], "")
        row["billing_unit"] = unit
        # What the bill counts: tasks on per-task routes, seconds of video on the others.
        row["billable_units"] = row["billable_tasks"] if unit == "per_task" else row["billable_seconds"]
    return ok({"usage": rows})


@control.get("/health")
def health() -> Response:
    """Version, store, instance, uptime, task count and bound."""
    st = state()
    backend = st.backend
    return ok({"status": "ok", "version": VERSION, "store": backend.store_kind, "instance": backend.config.instance,
               "uptime": round(time.time() - st.started_at, 3), "tasks": backend.count_tasks(),
               "max_tasks": backend.config.max_tasks})


@control.get("/openapi.yaml")
def openapi() -> Response:
    """The spec this emulator runs."""
    return Response(state().spec_text, status=200, mimetype="application/yaml")
