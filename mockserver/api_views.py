"""The two public endpoints: parse, call the backend, render. Plus the journal of API traffic."""

from __future__ import annotations

import json
import time
from typing import Any

from flask import Blueprint, Response, current_app, g, request
from werkzeug.exceptions import RequestEntityTooLarge

from mockserver.apierror import ApiError
from mockserver.app import DROP_KEY, EXTENSION, MockState
from mockserver.forcing import DirectiveError, Directives, parse_directives, prompt_directives
from mockserver.jsonbody import InvalidJson, parse_json_body
from mockserver.validation import rule_ids

api = Blueprint("api", __name__)

CREATE_PATH = "/api/open-api/v1/seedance/videos"
GET_PATH = "/api/open-api/v1/videos/<path:task_id>"
DIRECTIVE_HEADER = "X-Seedance-Mock"
_FAULT_ERRORS = {
    "429": ("RATE_LIMITED", "rate limit exceeded (forced)"),
    "500": ("INTERNAL_ERROR", "internal server error (forced)"),
    "502": ("BAD_GATEWAY", "bad gateway (forced)"),
    "503": ("SERVICE_UNAVAILABLE", "service unavailable (forced)"),
}


def state() -> MockState:
    """The emulator state of the current app."""
    st: MockState = current_app.extensions[EXTENSION]
    return st


def ok(data: dict[str, Any]) -> Response:
    """The success envelope."""
    body = json.dumps({"code": "20000", "msg": "ok", "data": data}, ensure_ascii=False)
    return Response(body, status=200, mimetype="application/json")


def authenticate(st: MockState, environ: dict[str, Any]) -> str:
    """The bearer token of the request (401 when missing, another scheme, empty or not an allowed key)."""
    header = str(environ.get("HTTP_AUTHORIZATION", ""))
    scheme, _, token = header.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise ApiError("UNAUTHORIZED", "missing or invalid bearer token")
    keys = st.config["API_KEYS"]
    if keys and token not in keys:
        raise ApiError("UNAUTHORIZED", "unknown API key")
    g.token = token
    return token


def header_directives(environ: dict[str, Any]) -> Directives:
    """Directives of the `X-Seedance-Mock` header (400 when malformed)."""
    raw = environ.get("HTTP_X_SEEDANCE_MOCK")
    if not raw:
        return Directives()
    try:
        return parse_directives(raw)
    except DirectiveError as exc:
        raise ApiError("VALIDATION_FAILED", f"{DIRECTIVE_HEADER}: {exc}") from None


def apply_fault(kind: str | None, retry_after: int = 1, delay: float = 0.0) -> Response | None:
    """Sleep for a delay, raise the forced error, or mark the connection to be dropped."""
    if delay > 0:
        time.sleep(delay)
    if kind is None or kind == "delay":
        return None
    if kind == "drop":
        request.environ[DROP_KEY] = True
        return Response(b"", status=500)
    error_id, msg = _FAULT_ERRORS[kind]
    wait = retry_after if kind in ("429", "503") else None
    raise ApiError(error_id, msg, retry_after=wait)


def forced(st: MockState, operation: str, token: str, directives: Directives) -> Response | None:
    """Apply a queued fault for (token, operation), then the request's own fault directive."""
    fault = st.backend.faults.take(token, operation)
    if fault is not None:
        dropped = apply_fault(fault.kind, fault.retry_after, fault.delay)
        if dropped is not None:
            return dropped
    return apply_fault(directives.fault, 1, directives.delay)


def media_type(environ: dict[str, Any]) -> str:
    """The Content-Type without parameters, lower case (cheaper than `request.mimetype`)."""
    return str(environ.get("CONTENT_TYPE", "")).split(";", 1)[0].strip().lower()


def host_url(environ: dict[str, Any]) -> str:
    """`scheme://host/` of the request (what `request.host_url` gives, without its IRI round trip)."""
    host = environ.get("HTTP_HOST")
    if not host:
        host = environ.get("SERVER_NAME", "localhost")
        port = str(environ.get("SERVER_PORT", ""))
        if port and port not in ("80", "443"):
            host = f"{host}:{port}"
    return f"{environ.get('wsgi.url_scheme', 'http')}://{host}/"


def read_json_body() -> Any:
    """The parsed body: 415 unless application/json, 413 when too large, 400 INVALID_JSON when not JSON."""
    if media_type(request.environ) != "application/json":
        raise ApiError("UNSUPPORTED_MEDIA_TYPE", "Content-Type must be application/json")
    try:
        raw = request.get_data(cache=True)
    except RequestEntityTooLarge:
        limit = current_app.config["MAX_CONTENT_LENGTH"]
        raise ApiError("BODY_TOO_LARGE", f"request body exceeds {limit} bytes") from None
    try:
        body = parse_json_body(raw)
    except InvalidJson as exc:
        raise ApiError("INVALID_JSON", str(exc)) from None
    g.journal_body = _summary(body)
    return body


def _summary(body: Any) -> str:
    """A short, cheap description of a body for the journal (no re-serialisation of the whole body)."""
    if isinstance(body, dict):
        parts = [f"{k}={body[k]!r:.40}" for k in ("model", "duration", "ratio", "resolution") if k in body]
        prompt = body.get("prompt")
        if isinstance(prompt, str):
            parts.append(f"prompt={prompt[:80]!r}")
        if len(body) > len(parts):
            parts.append(f"fields={len(body)}")
        return " ".join(parts)
    return f"{type(body).__name__}: {body!r:.100}"


def apply_outcome(st: MockState, task_id: str, directives: Directives) -> None:
    """`fail` / `complete` directives applied to a task."""
    backend = st.backend
    if directives.complete:
        backend.complete_task(task_id)
    elif directives.fail:
        backend.fail_task(task_id, directives.fail, directives.fail_at)


def admitted(operation: str) -> tuple[MockState, str, Directives, Response | None]:
    """What both endpoints do first: auth, rate limits, header directives, and any forced fault."""
    st = state()
    environ = request.environ
    token = authenticate(st, environ)
    st.backend.admit(token)
    directives = header_directives(environ)
    return st, token, directives, forced(st, operation, token, directives)


def with_prompt_directives(body: Any, directives: Directives) -> tuple[Directives, Response | None]:
    """Merge a prompt marker's directives into the header's; a fault it names answers at once."""
    try:
        in_prompt = prompt_directives(body.get("prompt")) if isinstance(body, dict) else None
        merged = directives.merge(in_prompt) if in_prompt is not None else directives
    except DirectiveError as exc:
        raise ApiError("VALIDATION_FAILED", f"prompt marker: {exc}") from None
    if in_prompt is None:
        return directives, None
    return merged, apply_fault(in_prompt.fault, 1, in_prompt.delay)


def reject_if_invalid(st: MockState, body: Any) -> None:
    """Raise the 400 VALIDATION_FAILED envelope naming every broken rule: the spec's, then the external ones."""
    violations = st.validator.violations(body)
    backend = st.backend
    if (backend.media or backend.audits) and isinstance(body, dict) and backend.knows_model(body.get("model")):
        violations += st.external.check(body, backend.media, backend.audits)
    if violations:
        ids = rule_ids(violations)
        raise ApiError(
            "VALIDATION_FAILED", "request rejected: " + ", ".join(ids), violations=[v.as_dict() for v in violations]
        )


@api.post(CREATE_PATH, provide_automatic_options=False)
def create_video() -> Response:
    """POST create: auth, limits, forcing, body checks, then a new queued task."""
    st, token, directives, dropped = admitted("create")
    if dropped is not None:
        return dropped
    body = read_json_body()
    directives, dropped = with_prompt_directives(body, directives)
    if dropped is not None:
        return dropped
    reject_if_invalid(st, body)
    st.backend.check_in_flight(token)
    task = st.backend.create(token, body)
    if directives.complete or directives.fail:
        apply_outcome(st, task.task_id, directives)
    return ok({"task_id": task.task_id, "status": "queued", "model": task.model, "created_at": int(task.created_at)})


@api.get(GET_PATH, provide_automatic_options=False)
def get_video(task_id: str) -> Response:
    """GET query: the caller's task as it is now (404 for unknown and other tokens' tasks)."""
    st, token, directives, dropped = admitted("get")
    if dropped is not None:
        return dropped
    task = st.backend.get(token, task_id)
    if directives.complete or directives.fail:
        apply_outcome(st, task.task_id, directives)
        task = st.backend.get(token, task_id)
    return ok(st.backend.task_view(task, host_url(request.environ)))


@api.after_app_request
def journal(response: Response) -> Response:
    """Record every request outside the control API: what was asked and what was answered."""
    environ = request.environ
    path = environ.get("PATH_INFO", "")
    if not path.startswith("/_mock/"):
        status = 0 if environ.get(DROP_KEY) else response.status_code
        token = g.get("token")
        if token is None:
            _, _, raw = environ.get("HTTP_AUTHORIZATION", "").partition(" ")
            token = raw.strip() or None
        query = environ.get("QUERY_STRING")
        full_path = f"{path}?{query}" if query else path
        state().backend.record(environ["REQUEST_METHOD"], full_path, status, token, g.get("journal_body", ""))
    return response
