"""`GET /_mock/journal.har`: the journal as HTTP Archive 1.2, which browsers' developer tools import."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qsl

from flask import Response, request

from mockserver.version import VERSION
from mockserver.web.shared import host_url


def _status_text(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "connection dropped" if status == 0 else ""


def har_entry(entry: dict[str, Any], base: str) -> dict[str, Any]:
    """One journal entry as a HAR entry (our own fields kept under `_` names, as HAR allows)."""
    path = str(entry.get("path", ""))
    headers = entry.get("request", {}).get("headers", {})
    body = str(entry.get("request", {}).get("body", ""))
    answer = str(entry.get("response", {}).get("body", ""))
    millis = float(entry.get("duration_ms", 0.0))
    request_part: dict[str, Any] = {
        "method": entry.get("method", "GET"),
        "url": base.rstrip("/") + path,
        "httpVersion": "HTTP/1.1",
        "cookies": [],
        "headers": [{"name": k, "value": v} for k, v in headers.items()],
        "queryString": [{"name": k, "value": v} for k, v in parse_qsl(path.partition("?")[2])],
        "headersSize": -1,
        "bodySize": len(body.encode()),
    }
    if body:
        request_part["postData"] = {"mimeType": headers.get("Content-Type", "application/json"), "text": body}
    status = int(entry.get("status", 0))
    return {
        "startedDateTime": datetime.fromtimestamp(float(entry.get("time", 0.0)), UTC).isoformat(),
        "time": millis,
        "request": request_part,
        "response": {
            "status": status,
            "statusText": _status_text(status),
            "httpVersion": "HTTP/1.1",
            "cookies": [],
            "headers": [{"name": "Content-Type", "value": "application/json"}] if answer else [],
            "content": {"size": len(answer.encode()), "mimeType": "application/json", "text": answer},
            "redirectURL": "",
            "headersSize": -1,
            "bodySize": len(answer.encode()),
        },
        "cache": {},
        "timings": {"send": 0, "wait": millis, "receive": 0},
        "_seq": entry.get("seq"),
        "_instance": entry.get("instance", ""),
        "_rules": entry.get("rules", []),
        "_token": entry.get("token", ""),
        "_task_id": entry.get("task_id", ""),
    }


def har_response(entries: list[dict[str, Any]]) -> Response:
    """The HAR document of `entries`, as a download."""
    base = host_url(request.environ)
    document = {
        "log": {
            "version": "1.2",
            "creator": {"name": "seedance-mock", "version": VERSION},
            "pages": [],
            "entries": [har_entry(e, base) for e in entries],
        }
    }
    response = Response(json.dumps(document, ensure_ascii=False), status=200, mimetype="application/json")
    response.headers["Content-Disposition"] = 'attachment; filename="seedance-mock.har"'
    return response
