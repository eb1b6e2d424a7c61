"""Helpers of the hostile suites: both servers, raw HTTP with a Host of our choosing, health."""

from __future__ import annotations

import http.client
import json
from typing import Any
from urllib.parse import urlsplit

SERVERS = ("waitress", "granian")
AUTH = {"Authorization": "Bearer sk_hostile"}
CREATE = "/api/open-api/v1/seedance/videos"
VALID = {"model": "seedance2.0-std", "prompt": "a cat on a roof", "duration": 5}


def address(url: str) -> tuple[str, int]:
    """(host, port) of a base URL."""
    parts = urlsplit(url)
    assert parts.hostname is not None and parts.port is not None
    return parts.hostname, parts.port


def call(url: str, method: str, path: str, body: bytes | None = None, headers: dict[str, str] | None = None,
         timeout: float = 30.0) -> tuple[int, dict[str, str], bytes]:
    """One request through http.client (which sends the whole body before it reads): status, headers, body."""
    host, port = address(url)
    conn = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        answer = conn.getresponse()
        return answer.status, {k.lower(): v for k, v in answer.getheaders()}, answer.read()
    finally:
        conn.close()


def error_id(body: bytes) -> str:
    """The envelope's error id."""
    found: str = json.loads(body)["data"]["error"]
    return found


def health(url: str) -> dict[str, Any]:
    """GET /_mock/health's data."""
    status, _, body = call(url, "GET", "/_mock/health")
    assert status == 200, body
    data: dict[str, Any] = json.loads(body)["data"]
    return data
