"""Every request, once: the shared journal entry (API traffic) and one console line (all traffic).

The journal keeps what an integrator needs to see what their code sent and what the emulator answered:
headers (tokens fingerprinted), bodies and answers, each capped with a marker, rule ids, time taken and
the instance that served it.
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any

from flask import Blueprint, Response, g, request

from mockserver.state.backend import cap
from mockserver.state.errors import StoreError
from mockserver.state.tasks import fingerprint
from mockserver.web.shared import DROP_KEY, state

request_log = Blueprint("request_log", __name__)
log = logging.getLogger("seedance_mock.requests")

BODY_CAP = 2048
HEADER_CAP = 256
PATH_CAP = 512
MAX_HEADERS = 30
_SECRET_HEADERS = ("HTTP_AUTHORIZATION", "HTTP_COOKIE", "HTTP_X_CONTROL_TOKEN")


def _headers(environ: dict[str, Any]) -> dict[str, str]:
    found: dict[str, str] = {}
    for key, value in environ.items():
        if not key.startswith("HTTP_") or len(found) >= MAX_HEADERS:
            continue
        name = key[5:].replace("_", "-").title()
        text = str(value)
        if key in _SECRET_HEADERS:
            scheme, _, secret = text.partition(" ")
            text = f"{scheme} {fingerprint(secret.strip())}" if secret else fingerprint(text)
        found[name] = cap(text, HEADER_CAP)
    if environ.get("CONTENT_TYPE"):
        found["Content-Type"] = cap(str(environ["CONTENT_TYPE"]), HEADER_CAP)
    return found


def _body_text(raw: bytes) -> str:
    return cap(raw[: BODY_CAP * 4].decode("utf-8", "replace"), BODY_CAP) if raw else ""


@request_log.before_app_request
def begin() -> None:
    """Start the clock of this request and pick up changes other instances made to the shared state."""
    g.started = time.perf_counter()
    state().backend.sync()


def journal_entry(response: Response, path: str, millis: float) -> dict[str, Any]:
    """The journal entry of the current request and its answer."""
    environ = request.environ
    status = 0 if environ.get(DROP_KEY) else response.status_code
    token = g.get("token")
    if token is None:
        _, _, raw = str(environ.get("HTTP_AUTHORIZATION", "")).partition(" ")
        token = fingerprint(raw.strip()) if raw.strip() else ""
    query = environ.get("QUERY_STRING")
    answer = b"" if response.direct_passthrough or status == 0 else response.get_data()
    error = ""
    if status >= 400 and answer[:1] == b"{":
        try:
            error = str(json.loads(answer)["data"]["error"])
        except (ValueError, KeyError, TypeError):
            error = ""
    return {
        "method": environ["REQUEST_METHOD"],
        "path": cap(f"{path}?{query}" if query else path, PATH_CAP),
        "status": status,
        "duration_ms": round(millis, 2),
        "rules": list(g.get("rules", [])),
        "error": error,
        "token": token,
        "task_id": g.get("task_id", ""),
        "request": {"headers": _headers(environ), "body": _body_text(g.get("raw_body", b""))},
        "response": {"status": status, "body": _body_text(answer)},
    }


@request_log.after_app_request
def finish(response: Response) -> Response:
    """Journal API traffic (not the control API or files) and log one line for every request."""
    millis = (time.perf_counter() - g.get("started", time.perf_counter())) * 1000
    path = request.environ.get("PATH_INFO", "")
    st = state()
    if not path.startswith("/_mock/") and path != "/_mock":
        entry = journal_entry(response, path, millis)
        try:
            st.backend.record(entry)
        except StoreError as exc:  # the answer is already decided: a journal write must not turn it into a 500
            log.warning("journal entry lost: %s", exc)
        if log.isEnabledFor(logging.INFO):
            log.info("%s", format_line(entry), extra={"seedance": _log_fields(entry)})
    elif log.isEnabledFor(logging.INFO):
        log.info("%s %s %d %.1fms", request.method, cap(path, PATH_CAP), response.status_code, millis)
    return response


def _log_fields(entry: dict[str, Any]) -> dict[str, Any]:
    keys = ("method", "path", "status", "duration_ms", "rules", "error", "task_id", "token")
    return {k: entry[k] for k in keys if entry.get(k) not in (None, "", [])}


def format_line(entry: dict[str, Any]) -> str:
    """`POST /api/open-api/v1/seedance/videos 400 3.1ms PROMPT_REQUIRED tok=sk_a~1f2e...`."""
    parts = [entry["method"], entry["path"], str(entry["status"]), f"{entry['duration_ms']:.1f}ms"]
    detail = ",".join(entry["rules"]) or entry["error"]
    if detail:
        parts.append(detail)
    if entry["task_id"]:
        parts.append(entry["task_id"])
    if entry["token"]:
        parts.append(f"tok={entry['token'][:9]}")
    return " ".join(parts)
