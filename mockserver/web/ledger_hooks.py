"""What each answered request adds to the coverage ledger: the catalogue items it met and one conduct event.

Called from the request log (API traffic, with its journal entry: written together, no extra round trip)
and from the result file route (downloads). Views leave notes in `g` on the way: the fault applied
(`ledger_fault`), the task status answered (`ledger_status`, `ledger_lifecycle`); the error envelope leaves
`error_detail` ("expired" for a task forgotten after its retention).
"""

from __future__ import annotations

import contextlib
import hashlib
import time
from typing import Any

from flask import Response, current_app, g, request

from mockserver.state.errors import StoreError
from mockserver.state.journal_entry import Entry
from mockserver.state.ledger import DOWNLOADS_KEY, make_event
from mockserver.state.tasks import Task
from mockserver.web.shared import MockState, read_raw_body, state

CREATE_PATH = "/api/open-api/v1/seedance/videos"
TASK_PREFIX = "/api/open-api/v1/videos/"


def ledger_on(st: MockState) -> bool:
    """Is the ledger kept (config LEDGER, on by default)?"""
    return bool(st.config.get("LEDGER", True))


def note_fault(kind: str | None, delay: float) -> None:
    """A forced fault (or delay) is being applied to this request."""
    if delay > 0:
        g.ledger_delay = True
    if kind is not None and kind != "delay":
        g.ledger_fault = kind


def note_task(task: Task, status: str) -> None:
    """A query answered `status` for `task`: terminal statuses are lifecycle items."""
    g.ledger_status = status
    if status == "completed":
        g.ledger_lifecycle = "completed"
    elif status == "failed":
        g.ledger_lifecycle = "failed-in-queue" if task.skip_processing else "failed-in-processing"


def _body_hash(op: str, status: int) -> tuple[str, bytes]:
    raw: bytes | None = g.get("raw_body")
    if raw is None and op == "create" and (status == 0 or status >= 500):
        # A fault answered before the body was read: read it now, it is what a repeat is compared with.
        try:
            raw = read_raw_body(request.environ, int(current_app.config["MAX_CONTENT_LENGTH"]))
        except Exception:  # too large or unreadable: no hash, no finding
            raw = None
    if not raw:
        return "", b""
    return hashlib.blake2b(raw, digest_size=8).hexdigest(), raw


def api_items(status: int, error: str, rules: list[str]) -> tuple[str, ...]:
    """The catalogue items one API answer met."""
    items = [f"rule:{rule}" for rule in rules]
    if error:
        items.append(f"error:{error}")
    fault = g.get("ledger_fault")
    if fault:
        items.append(f"fault:{fault}")
    if g.get("ledger_delay"):
        items.append("fault:delay")
    lifecycle = g.get("ledger_lifecycle")
    if lifecycle:
        items.append(f"lifecycle:{lifecycle}")
    if g.get("error_detail") == "expired":
        items.append("lifecycle:expired")
    return tuple(items)


def api_event(method: str, path: str, status: int, error: str, task_id: str,
              response: Response) -> list[Any] | None:
    """The conduct event of a create or a query (None for anything else)."""
    if method == "POST" and path == CREATE_PATH:
        op = "create"
    elif method == "GET" and path.startswith(TASK_PREFIX):
        op = "get"
        task_id = task_id or path[len(TASK_PREFIX):]
    else:
        return None
    body_hash, raw = _body_hash(op, status)
    retry = response.headers.get("Retry-After") if status in (429, 503) else None
    return make_event(time.time(), op, task_id, status, error,
                      int(retry) if retry and retry.isdigit() else None, body_hash,
                      g.get("ledger_status", ""), raw[:200].decode("utf-8", "replace") if op == "create" else "")


def record_api_request(entry: Entry, size: int, response: Response, path: str, status: int, error: str,
                       rules: list[str], token: str, task_id: str) -> None:
    """Journal an API request and, when the ledger is on, what it met: one write."""
    st = state()
    if not ledger_on(st):
        st.backend.record(entry, size)
        return
    items = api_items(status, error, rules)
    event = api_event(request.method, path, status, error, task_id, response) if token else None
    st.backend.record_with_ledger(entry, size, items, token, event)


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
