"""The dashboard at /_mock/: server-rendered pages kept live by a little plain JavaScript.

Same access rules as the control API (its `guard()` runs first). A page URL may carry `?token=<control
token>`: it is checked like the header, stored in the `seedance_control` cookie (HttpOnly, SameSite=Strict)
and dropped from the address bar by a redirect. The pages read and change state only through the control
API's JSON endpoints, plus two of their own here: a task's journal entries and its result video.

Live updates are short polls with a cursor (one small GET per page and second, none while the tab is
hidden): no worker thread is held between polls, whichever server (waitress, gunicorn sync) runs us.
"""

from __future__ import annotations

import hmac
import json
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, Response, redirect, render_template, request
from werkzeug.wrappers import Response as BaseResponse

from mockserver.media.urls import result_url
from mockserver.state.control_input import owner_filter
from mockserver.state.errors import ApiError
from mockserver.state.forcing import FAIL_AT, FAULT_KINDS, OPERATIONS
from mockserver.state.queries import JournalFilter, TaskFilter
from mockserver.web.control_access import CONTROL_TOKEN_COOKIE, guard
from mockserver.web.dashboard import present
from mockserver.web.shared import host_url, ok, state

dashboard = Blueprint(
    "dashboard", __name__, url_prefix="/_mock",
    template_folder="templates", static_folder="static", static_url_path="/ui/static",
)
root = Blueprint("root", __name__)
"""`GET /`: the URL the emulator prints leads somewhere (the dashboard), not to a 404."""
PAGES = ("dashboard.tasks_page", "dashboard.task_page", "dashboard.journal_page", "dashboard.controls_page",
         "dashboard.coverage_page")
STATUSES = ("queued", "processing", "completed", "failed")
TASKS_SHOWN = 100
JOURNAL_SHOWN = 200
POLL_MS = 1000  # one poll per second per visible tab: a new task shows within ~1 s (measured: 0.5 s mean)
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; media-src 'self'; "
       "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")


@dashboard.before_request
def protect() -> BaseResponse | None:
    """The control API's guard; on a page, `?token=` counts as the control token header and becomes the
    cookie (then a redirect drops it from the URL)."""
    given = request.args.get("token", "") if request.endpoint in PAGES else ""
    expected = str(state().config.get("CONTROL_TOKEN") or "")
    if given and expected:
        request.environ["HTTP_X_CONTROL_TOKEN"] = given  # the guard reads it like the header
    guard()
    if given and expected and hmac.compare_digest(given.encode(), expected.encode()):
        rest = [(k, v) for k, v in request.args.items(multi=True) if k != "token"]
        target = request.path + (f"?{urlencode(rest)}" if rest else "")
        response = redirect(target, code=303)
        response.set_cookie(CONTROL_TOKEN_COOKIE, given, path="/_mock", httponly=True, samesite="Strict")
        return response
    return None


@dashboard.after_request
def harden(response: Response) -> Response:
    """Pages and their assets: no framing, nothing from elsewhere, never cached with stale state."""
    response.headers["Content-Security-Policy"] = CSP
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    if request.endpoint != "dashboard.static":
        response.headers["Cache-Control"] = "no-store"
    return response


def _models() -> list[str]:
    return sorted(m for models in state().families.values() for m in models)


def _page(template: str, active: str, **values: Any) -> str:
    backend = state().backend
    clock = {"now": backend.now(), "offset": backend.control.clock, "speed": backend.speed()}
    boot = {"poll_ms": POLL_MS, "clock": clock, **values.pop("boot", {})}
    return render_template(
        f"dashboard/{template}", active=active, instance=backend.config.instance, store=backend.store_kind,
        clock=clock, boot=boot, quotes=state().quotes, **values,
    )


# The templates' formatting filters are present's own functions, registered under their names.
for _format in (present.timeline, present.clock_text, present.span, present.num, present.full_time):
    dashboard.add_app_template_filter(_format, _format.__name__)


def _filters(*names: str) -> dict[str, str]:
    return {name: request.args.get(name, "")[:200] for name in names}


@dashboard.get("/")
def tasks_page() -> str:
    """Tasks, newest first, filtered by `?status=&model=&owner=` (owner: raw token or fingerprint)."""
    filters = _filters("status", "model", "owner")
    backend = state().backend
    query = TaskFilter(owner_filter(filters["owner"]), filters["status"], filters["model"])
    found = [backend.timeline(t) for t in backend.find_tasks(query, TASKS_SHOWN)]
    return _page("tasks.html", "tasks", filters=filters, statuses=STATUSES, models=_models(), tasks=found,
                 now=backend.now(), count=backend.count_tasks(), max_tasks=backend.config.max_tasks,
                 boot={"filters": filters, "limit": TASKS_SHOWN})


@dashboard.get("/ui/tasks/<task_id>")
def task_page(task_id: str) -> str:
    """One task: its timeline, create body, every answer the API gave for it, its video and forcing."""
    task = state().backend.timeline(state().backend.lookup(task_id))
    entries = task_entries(task["task_id"])
    return _page("task.html", "tasks", task=task, entries=entries, fail_at=FAIL_AT, body=_pretty(task["body"]),
                 boot={"task": task, "entries": entries, "cursor": entries[-1]["seq"] if entries else 0})


@dashboard.get("/ui/journal")
def journal_page() -> str:
    """API requests as they arrive, filtered by `?status=&rule=&owner=`."""
    filters = _filters("status", "rule", "owner")
    query = JournalFilter(filters["status"], filters["rule"], owner_filter(filters["owner"]))
    entries, cursor = state().backend.newest_journal(query, JOURNAL_SHOWN)
    return _page("journal.html", "journal", filters=filters, entries=entries,
                 boot={"filters": filters, "quotes": state().quotes, "entries": entries, "cursor": cursor})


@dashboard.get("/ui/controls")
def controls_page() -> str:
    """Faults, limits, the clock, usage per token and reset."""
    backend = state().backend
    return _page("controls.html", "controls", kinds=FAULT_KINDS, operations=OPERATIONS,
                 faults=backend.control.faults, limits=backend.control.limits, usage=backend.usage())


def _pretty(body: str) -> str:
    try:
        return json.dumps(json.loads(body), indent=2, ensure_ascii=False)
    except ValueError:
        return body


def task_entries(task_id: str, after: int = 0, limit: int = 200) -> list[dict[str, Any]]:
    """Journal entries of one task (its create and every query answered for it), oldest first."""
    return state().backend.find_journal(JournalFilter(task_id=task_id), after, limit)


@dashboard.get("/ui/api/tasks/<task_id>")
def task_feed(task_id: str) -> Response:
    """The task page's one poll: the timeline and the task's journal entries after `?after=<seq>`."""
    raw = request.args.get("after", "0")
    after = int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 18 else 0
    task = state().backend.timeline(state().backend.lookup(task_id))
    entries = task_entries(task["task_id"], after)
    return ok({"now": state().backend.now(), "task": task, "entries": entries,
               "next": entries[-1]["seq"] if entries else after})


@dashboard.get("/tasks/<task_id>/video")
def task_video(task_id: str) -> BaseResponse:
    """302 to the signed result URL of a completed task (the dashboard has no API token to ask for it)."""
    backend = state().backend
    task = backend.lookup(task_id)
    status = task.status_at(backend.now())
    if status != "completed":
        raise ApiError("CONFLICT", f"task {task.task_id} is {status}: only a completed task has a video")
    url = result_url(host_url(request.environ), backend.secret(), task, backend.result_expires_at(task))
    response = redirect(url, code=302)
    response.headers["Cache-Control"] = "no-store"
    return response



@root.get("/", provide_automatic_options=False)
def home() -> BaseResponse:
    """302 to the dashboard (a relative Location: right behind any host name or proxy prefix)."""
    return redirect("_mock/", code=302)
