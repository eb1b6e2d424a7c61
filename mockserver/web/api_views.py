"""The two public endpoints: parse, call the backend, render."""

from __future__ import annotations

import time
from typing import Any

from flask import Blueprint, Response, g, request

from mockserver.media.urls import result_url
from mockserver.spec.validation import rule_ids
from mockserver.state.errors import ApiError
from mockserver.state.forcing import FAULT_ERRORS, DirectiveError, Directives, parse_directives, prompt_directives
from mockserver.state.tasks import Task
from mockserver.web.ledger_hooks import note_fault, note_task
from mockserver.web.shared import DROP_HEADER, MockState, authenticate, host_url, ok, read_json_body, state

api = Blueprint("api", __name__)

CREATE_PATH = "/api/open-api/v1/seedance/videos"
GET_PATH = "/api/open-api/v1/videos/<path:task_id>"
DIRECTIVE_HEADER = "X-Seedance-Mock"
_FAULT_ERRORS = FAULT_ERRORS


def header_directives(environ: dict[str, Any]) -> Directives:
    """Directives of the `X-Seedance-Mock` header (400 INVALID_DIRECTIVE when malformed)."""
    raw = environ.get("HTTP_X_SEEDANCE_MOCK")
    if not raw:
        return Directives()
    try:
        return parse_directives(raw)
    except DirectiveError as exc:
        raise ApiError("INVALID_DIRECTIVE", f"{DIRECTIVE_HEADER}: {exc}") from None


def apply_fault(kind: str | None, retry_after: int = 1, delay: float = 0.0) -> Response | None:
    """Sleep for a delay, raise the forced error, or mark the connection to be dropped."""
    note_fault(kind, delay)
    if delay > 0:
        with state().delays.hold(str(g.get("token", "")), delay):
            time.sleep(delay)
    if kind is None or kind == "delay":
        return None
    if kind == "drop":
        return Response(b"", status=500, headers={DROP_HEADER: "the emulator was asked to drop this connection"})
    error_id, msg = _FAULT_ERRORS[kind]
    wait = retry_after if kind in ("429", "503") else None
    raise ApiError(error_id, msg, retry_after=wait)


def admitted(operation: str) -> tuple[MockState, str, Directives, Response | None]:
    """What both endpoints do first: auth, rate limits, header directives, and any queued or forced fault."""
    st = state()
    environ = request.environ
    owner = authenticate(st, environ)
    st.backend.admit(owner)
    directives = header_directives(environ)
    fault = st.backend.take_fault(owner, operation)
    if fault is not None:
        dropped = apply_fault(fault["kind"], int(fault["retry_after"]), float(fault["delay"]))
        if dropped is not None:
            return st, owner, directives, dropped
    return st, owner, directives, apply_fault(directives.fault, 1, directives.delay)


def with_prompt_directives(body: Any, directives: Directives) -> tuple[Directives, Response | None]:
    """Merge a prompt marker's directives into the header's; a fault it names answers at once."""
    try:
        in_prompt = prompt_directives(body.get("prompt")) if isinstance(body, dict) else None
        merged = directives.merge(in_prompt) if in_prompt is not None else directives
    except DirectiveError as exc:
        raise ApiError("INVALID_DIRECTIVE", f"prompt marker: {exc}") from None
    if in_prompt is None:
        return directives, None
    return merged, apply_fault(in_prompt.fault, 1, in_prompt.delay)


def reject_if_invalid(st: MockState, body: Any) -> None:
    """Raise the 400 VALIDATION_FAILED envelope naming every broken rule: the spec's, then the external ones."""
    violations = st.validator.violations(body)
    control = st.backend.control
    if (control.media or control.audits) and isinstance(body, dict) and st.backend.knows_model(body.get("model")):
        violations += st.external.check(body, control.media, control.audits)
    if violations:
        ids = rule_ids(violations)
        g.rules = ids
        raise ApiError(
            "VALIDATION_FAILED", "request rejected: " + ", ".join(ids), violations=[v.as_dict() for v in violations]
        )


def apply_outcome(st: MockState, task_id: str, directives: Directives) -> None:
    """`fail` / `complete` directives applied to a task."""
    # A directive may ride on every poll: forcing the outcome already forced is not a conflict.
    if directives.complete:
        st.backend.complete_task(task_id, repeat_ok=True)
    elif directives.fail:
        st.backend.fail_task(task_id, directives.fail, directives.fail_at, repeat_ok=True)


def task_answer(st: MockState, task: Task) -> dict[str, Any]:
    """The query answer's `data`, with a signed result URL once completed."""
    data = st.backend.task_data(task)
    if data["status"] == "completed":
        expires_at = st.backend.result_expires_at(task)
        url = result_url(host_url(request.environ), st.backend.secret(), task, expires_at)
        data["result"] = {"video_url": url, "expires_at": expires_at}
    return data


@api.post(CREATE_PATH, provide_automatic_options=False)
def create_video() -> Response:
    """POST create: auth, limits, forcing, body checks, then a new queued task."""
    st, owner, directives, dropped = admitted("create")
    if dropped is not None:
        return dropped
    body = read_json_body()
    directives, dropped = with_prompt_directives(body, directives)
    if dropped is not None:
        return dropped
    reject_if_invalid(st, body)
    task = st.backend.create(owner, body, g.raw_body[:4096].decode("utf-8", "replace"))
    g.task_id = task.task_id
    if directives.complete or directives.fail:
        apply_outcome(st, task.task_id, directives)
    return ok({"task_id": task.task_id, "status": "queued", "model": task.model, "created_at": int(task.created_at)})


@api.get(GET_PATH, provide_automatic_options=False)
def get_video(task_id: str) -> Response:
    """GET query: the caller's task as it is now (404 for unknown and other tokens' tasks)."""
    st, owner, directives, dropped = admitted("get")
    if dropped is not None:
        return dropped
    task = st.backend.get(owner, task_id)
    g.task_id = task.task_id
    if directives.complete or directives.fail:
        apply_outcome(st, task.task_id, directives)
        task = st.backend.get(owner, task_id)
    data = task_answer(st, task)
    note_task(task, data["status"])
    return ok(data)
