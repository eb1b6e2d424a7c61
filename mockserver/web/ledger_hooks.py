"""What each answered request adds to the coverage ledger: the catalogue items it met and one conduct event.

Called from the request log (API traffic, with its journal entry: written together, no extra round trip)
and from the result file route (downloads). Views leave `Notes` in `g.ledger_notes` on the way (the fault
applied, the task status answered); the error envelope leaves `g.error_detail` ("expired" for a task forgotten
after its retention).
"""

from __future__ import annotations

import contextlib
import hashlib
import time
from typing import Any

from flask import Response, current_app, g, request

from mockserver.state.errors import StoreError
from mockserver.state.ledger import DOWNLOADS_KEY, make_event
from mockserver.state.tasks import Task
from mockserver.web.shared import MockState, read_raw_body, state

CREATE_PATH = "/api/open-api/v1/seedance/videos"
TASK_PREFIX = "/api/open-api/v1/videos/"


def ledger_on(st: MockState) -> bool:
    """Is the ledger kept (config LEDGER, on by default)?"""
    return bool(st.config.get("LEDGER", True))


class Notes:
    """What the views noted for the ledger on this request (one `g` attribute: `g` lookups are not free)."""

    __slots__ = ("items", "status")

    def __init__(self) -> None:
        self.items: list[str] = []
        self.status = ""


def _notes() -> Notes:
    notes: Notes | None = g.get("ledger_notes")
    if notes is None:
        notes = g.ledger_notes = Notes()
    return notes


def note_fault(kind: str | None, delay: float) -> None:
    """A forced fault (or delay) is being applied to this request."""
    if delay > 0:
        _notes().items.append("fault:delay")
    if kind is not None and kind != "delay":
        _notes().items.append(f"fault:{kind}")


def note_task(task: Task, status: str) -> None:
    """A query answered `status` for `task`: terminal statuses are lifecycle items."""
    notes = _notes()
    notes.status = status
    if status == "completed":
        notes.items.append("lifecycle:completed")
    elif status == "failed":
        notes.items.append("lifecycle:failed-in-queue" if task.skip_processing else "lifecycle:failed-in-processing")


def _body_hash(raw: bytes, status: int) -> str:
    if not raw and (status == 0 or status >= 500):
        # A fault answered before the body was read: read it now, it is what a repeat is compared with.
        try:
            raw = read_raw_body(request.environ, int(current_app.config["MAX_CONTENT_LENGTH"]))
        except Exception:  # too large or unreadable: no hash, no finding
            raw = b""
    return hashlib.blake2b(raw, digest_size=8).hexdigest() if raw else ""


def api_items(status: int, error: str, rules: list[str], notes: Notes | None) -> tuple[str, ...]:
    """The catalogue items one API answer met."""
    items = [f"rule:{rule}" for rule in rules] if rules else []
    if error:
        items.append(f"error:{error}")
        if error == "TASK_NOT_FOUND" and g.get("error_detail") == "expired":
            items.append("lifecycle:expired")
    if notes is not None:
        items += notes.items
    return tuple(items)


def api_event(method: str, path: str, status: int, error: str, task_id: str, body: bytes, response: Response,
              notes: Notes | None) -> list[Any] | None:
    """The conduct event of a create or a query (None for anything else)."""
    if method == "POST" and path == CREATE_PATH:
        body_hash = _body_hash(body, status)
        snippet = body[:200].decode("utf-8", "replace")
        op = "create"
    elif method == "GET" and path.startswith(TASK_PREFIX):
        op, body_hash, snippet = "get", "", ""
        task_id = task_id or path[len(TASK_PREFIX):]
    else:
        return None
    retry = response.headers.get("Retry-After") if status in (429, 503) else None
    return make_event(time.time(), op, task_id, status, error, int(retry) if retry and retry.isdigit() else None,
                      body_hash, notes.status if notes is not None else "", snippet)


def record_download(response: Response, task_id: str) -> Response:
    """The result file route's answer: downloaded (GET 200) or expired (410)."""
    st = state()
    status = response.status_code
    if not ledger_on(st) or request.method != "GET" or status not in (200, 410):
        return response
    items = ("result:downloaded",) if status == 200 else ("result:expired", "error:RESULT_EXPIRED")
    event = make_event(time.time(), "download", task_id, status)
    with contextlib.suppress(StoreError):  # the answer is decided: a lost ledger line must not change it
        st.backend.record_with_ledger(None, 0, items, DOWNLOADS_KEY, event)
    return response
