"""Every request, once: the shared journal entry (API traffic) and one console line (all traffic).

The journal keeps what an integrator needs to see what their code sent and what the emulator answered:
headers (tokens fingerprinted), bodies and answers, each capped with a marker, rule ids, time taken and
the instance that served it.
"""

from __future__ import annotations

import functools
import logging
import time
from typing import Any

from flask import Blueprint, Response, g, request

from mockserver.state.backend import cap
from mockserver.state.errors import StoreError
from mockserver.state.journal_entry import LazyEntry
from mockserver.state.tasks import fingerprint
from mockserver.web.ledger_hooks import Notes, api_event, api_items, ledger_on
from mockserver.web.shared import DROP_HEADER, state

request_log = Blueprint("request_log", __name__)
log = logging.getLogger("seedance_mock.requests")

BODY_CAP = 2048
HEADER_CAP = 256
PATH_CAP = 512
MAX_HEADERS = 30
_SECRET_HEADERS = ("HTTP_AUTHORIZATION", "HTTP_COOKIE", "HTTP_X_CONTROL_TOKEN")


@functools.lru_cache(maxsize=512)
def _header_name(key: str) -> str:
    return key[5:].replace("_", "-").title()


def _headers(environ: dict[str, Any]) -> dict[str, str]:
    found: dict[str, str] = {}
    for key, value in environ.items():
        if not key.startswith("HTTP_") or len(found) >= MAX_HEADERS:
            continue
        text = value if isinstance(value, str) else str(value)
        if key in _SECRET_HEADERS:
            scheme, _, secret = text.partition(" ")
            text = f"{scheme} {fingerprint(secret.strip())}" if secret else fingerprint(text)
        elif len(text) > HEADER_CAP:
            text = cap(text, HEADER_CAP)
        found[_header_name(key)] = text
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


class PendingEntry(LazyEntry):
    """The raw pieces of one request and its answer, captured cheaply on the request path; the journal's
    dict (headers, capped bodies) is built only when somebody reads it."""

    __slots__ = ("answer", "body", "error", "headers", "method", "millis", "mismatch", "path", "rules", "status",
                 "task_id", "token")

    def __init__(self, response: Response, path: str, millis: float) -> None:
        super().__init__()
        environ = request.environ
        self.status = 0 if DROP_HEADER in response.headers else response.status_code
        token = g.get("token")
        if token is None:
            _, _, raw = str(environ.get("HTTP_AUTHORIZATION", "")).partition(" ")
            token = fingerprint(raw.strip()) if raw.strip() else ""
        self.token: str = token
        query = environ.get("QUERY_STRING")
        self.method: str = environ["REQUEST_METHOD"]
        self.path = cap(f"{path}?{query}" if query else path, PATH_CAP)
        self.millis = millis
        self.rules: list[str] = list(g.get("rules", ()))
        self.error: str = g.get("error_id", "") if self.status >= 400 else ""
        self.task_id: str = g.get("task_id", "")
        self.mismatch: list[str] = list(g.get("mismatch", ()))  # --upstream: how the real answer differs
        # Copies of what the request owned (the environ and buffers go away with it), bounded in size.
        self.headers = [(k, v) for k, v in environ.items() if k.startswith("HTTP_") or k == "CONTENT_TYPE"]
        self.body: bytes = g.get("raw_body", b"")[: BODY_CAP * 4]
        answer = b"" if response.direct_passthrough or self.status == 0 else response.get_data()
        self.answer = answer[: BODY_CAP * 4]

    def size(self) -> int:
        """About how many bytes the built entry holds (every header value is capped at HEADER_CAP)."""
        return 400 + len(self.path) + min(len(self.body), BODY_CAP) + min(len(self.answer), BODY_CAP) + sum(
            min(len(str(v)), HEADER_CAP) for _, v in self.headers
        )

    def build(self) -> dict[str, Any]:
        """The journal entry's fields."""
        return {
            "method": self.method,
            "path": self.path,
            "status": self.status,
            "duration_ms": round(self.millis, 2),
            "rules": self.rules,
            "error": self.error,
            "token": self.token,
            "task_id": self.task_id,
            "request": {"headers": _headers(dict(self.headers)), "body": _body_text(self.body)},
            "response": {"status": self.status, "body": _body_text(self.answer)},
            **({"mismatch": self.mismatch} if self.mismatch else {}),
        }

    def line(self) -> str:
        """`POST /api/open-api/v1/seedance/videos 400 3.1ms PROMPT_REQUIRED tok=sk_a~1f2e`."""
        parts = [self.method, self.path, str(self.status), f"{self.millis:.1f}ms"]
        detail = ",".join(self.rules) or self.error
        if detail:
            parts.append(detail)
        if self.task_id:
            parts.append(self.task_id)
        if self.mismatch:
            parts.append("mismatch=" + ",".join(self.mismatch)[:200])
        if self.token:
            parts.append(f"tok={self.token[:9]}")
        return " ".join(parts)

    def log_fields(self) -> dict[str, Any]:
        """The fields of a JSON console line."""
        fields = {"method": self.method, "path": self.path, "status": self.status,
                  "duration_ms": round(self.millis, 2), "rules": self.rules, "error": self.error,
                  "task_id": self.task_id, "token": self.token}
        return {k: v for k, v in fields.items() if v not in ("", [])}


@request_log.after_app_request
def finish(response: Response) -> Response:
    """Journal API traffic (not the control API or files) and log one line for every request."""
    millis = (time.perf_counter() - g.get("started", time.perf_counter())) * 1000
    path = request.environ.get("PATH_INFO", "")
    if not path.startswith("/_mock/") and path != "/_mock":
        entry = PendingEntry(response, path, millis)
        try:
            record_api_request(entry, entry.size(), response, path)
        except StoreError as exc:  # the answer is already decided: a journal write must not turn it into a 500
            log.warning("journal entry lost: %s", exc)
        if log.isEnabledFor(logging.INFO):
            log.info("%s", entry.line(), extra={"seedance": entry.log_fields()})
    elif log.isEnabledFor(logging.INFO):
        log.info("%s %s %d %.1fms", request.method, cap(path, PATH_CAP), response.status_code, millis)
    return response


def record_api_request(entry: PendingEntry, size: int, response: Response, path: str) -> None:
    """Journal an API request and, when the ledger is on, what it met: one write."""
    st = state()
    if not ledger_on(st):
        st.backend.record(entry, size)
        return
    notes: Notes | None = g.get("ledger_notes")
    items = api_items(entry.status, entry.error, entry.rules, notes)
    event = api_event(entry.method, path, entry.status, entry.error, entry.task_id, entry.body, response,
                      notes) if entry.token else None
    st.backend.record_with_ledger(entry, size, items, entry.token, event)
