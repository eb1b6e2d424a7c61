"""What the views share (as `db.py` in Flask's tutorial): the emulator state of the app, the success
envelope, authentication and body reading. The factory module imports the views, never the reverse."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from flask import Response, current_app, g, request
from werkzeug.exceptions import RequestEntityTooLarge

from mockserver.media.video import VideoCache
from mockserver.spec.external_rules import ExternalRules
from mockserver.spec.validation import CreateValidator
from mockserver.state.backend import Backend
from mockserver.state.errors import ApiError
from mockserver.state.tasks import fingerprint
from mockserver.web.delays import DelaySlots
from mockserver.web.jsonbody import InvalidJson, parse_json_body

if TYPE_CHECKING:
    from mockserver.upstream.evidence import Assumption

EXTENSION = "seedance_mock"
DROP_HEADER = "X-Seedance-Mock-Drop"
"""Carried by the empty 500 a `drop` fault answers: the server closes the connection instead of sending it
(each server's way: `serving/drop.py`); a server that cannot sends it, and the header says why."""
TOKEN_PREFIX = "sk_"


@dataclass
class MockState:
    """Everything the views need, hung on `app.extensions[EXTENSION]`."""

    config: dict[str, Any]
    validator: CreateValidator
    external: ExternalRules
    families: dict[str, list[str]]
    backend: Backend
    spec_text: bytes = b""
    started_at: float = 0.0
    billing: dict[str, str] = field(default_factory=dict)
    """Model id -> its billing unit (`x-billing`), for /_mock/usage."""
    quotes: dict[str, str] = field(default_factory=dict)
    """Rule id -> its documented quote or assumed reason, for the dashboard."""
    sizes: frozenset[tuple[int, int]] = frozenset()
    """Every (width, height) a result file may have."""
    videos: VideoCache = field(default_factory=VideoCache)
    """Encoded result MP4s, bounded in bytes."""
    delays: DelaySlots = field(default_factory=lambda: DelaySlots(4, 6))
    """This process' forced-delay slots (per token and in all)."""
    assumptions: list[Assumption] | None = None
    """The spec's assumptions, by id, for /_mock/fidelity (read from the spec on its first call)."""

    def reset(self) -> None:
        """Forget every task, fault, limit, media fact, audit state and journal entry, on every instance."""
        self.backend.reset()


def state() -> MockState:
    """The emulator state of the current app."""
    st: MockState = current_app.extensions[EXTENSION]
    return st


def ok(data: dict[str, Any]) -> Response:
    """The success envelope."""
    body = json.dumps({"code": "20000", "msg": "ok", "data": data}, ensure_ascii=False)
    return Response(body, status=200, mimetype="application/json")


def authenticate(st: MockState, environ: dict[str, Any]) -> str:
    """The caller's token fingerprint. 401 when the header is missing, not Bearer, or the token is not
    accepted: an exact `API_KEYS` entry when set, else any token of the documented shape `sk_...`."""
    header = str(environ.get("HTTP_AUTHORIZATION", ""))
    scheme, _, token = header.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise ApiError("UNAUTHORIZED", "missing or invalid bearer token: send 'Authorization: Bearer sk_...'")
    keys = st.config["API_KEYS"]
    if keys:
        if token not in keys:
            raise ApiError("UNAUTHORIZED", "unknown API key (this emulator accepts only its configured keys)")
    elif not token.startswith(TOKEN_PREFIX) or len(token) <= len(TOKEN_PREFIX) or not token.isprintable():
        raise ApiError("UNAUTHORIZED", "invalid API key: keys look like 'sk_' followed by at least one character")
    owner = fingerprint(token)
    g.token = owner
    return owner


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


def read_raw_body(environ: dict[str, Any], limit: int) -> bytes:
    """The request body. With a Content-Length, straight from the WSGI stream (werkzeug's stream wrappers
    cost more than the rest of a create); otherwise (chunked) read here up to the limit when the server ends
    the stream, else through werkzeug."""
    cached: bytes | None = g.get("raw_body")
    if cached is not None:
        return cached
    length = str(environ.get("CONTENT_LENGTH") or "")
    if length.isascii() and length.isdigit() and not environ.get("HTTP_TRANSFER_ENCODING"):
        if int(length) > limit:
            raise RequestEntityTooLarge()
        raw: bytes = environ["wsgi.input"].read(int(length)) if int(length) else b""
    elif environ.get("wsgi.input_terminated"):
        # A server that ends the stream itself (chunked): werkzeug would cut the body at the limit and pass
        # the cut body on, so read one byte past the limit here and refuse.
        parts: list[bytes] = []
        size = 0
        while size <= limit:
            chunk = environ["wsgi.input"].read(limit + 1 - size)
            if not chunk:
                break
            parts.append(chunk)
            size += len(chunk)
        if size > limit:
            raise RequestEntityTooLarge()
        raw = b"".join(parts)
    else:
        raw = request.get_data(cache=True)
    g.raw_body = raw
    return raw


def read_json_body() -> Any:
    """The parsed body: 415 unless application/json, 413 when too large, 400 INVALID_JSON when not JSON."""
    environ = request.environ
    if media_type(environ) != "application/json":
        raise ApiError("UNSUPPORTED_MEDIA_TYPE", "Content-Type must be application/json")
    limit = int(current_app.config["MAX_CONTENT_LENGTH"])
    try:
        raw = read_raw_body(environ, limit)
    except RequestEntityTooLarge:
        raise ApiError("BODY_TOO_LARGE", f"request body exceeds {limit} bytes") from None
    try:
        return parse_json_body(raw)
    except InvalidJson as exc:
        raise ApiError("INVALID_JSON", str(exc)) from None
