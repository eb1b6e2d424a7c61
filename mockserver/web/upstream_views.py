"""The upstream features over HTTP: `--upstream` (forward create, query and result download to the real
service, judging both ways), `GET /_mock/fidelity`, and the wiring of `--record`, `--replay` and
`--timings-from`. With none of them set, only the fidelity route is added: the emulator's paths are unchanged."""

from __future__ import annotations

import contextlib
import json
import random
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flask import Blueprint, Flask, Response, current_app, g, request
from werkzeug.exceptions import RequestEntityTooLarge

from mockserver.spec.validation import rule_ids
from mockserver.state.errors import ApiError
from mockserver.state.tasks import fingerprint
from mockserver.state.timings import TIMINGS, documented_sizes, output_size, plan_timings
from mockserver.upstream import QUERY_PREFIX, RESULTS_PATH
from mockserver.web.control_access import guard
from mockserver.web.jsonbody import InvalidJson, parse_json_body
from mockserver.web.shared import host_url, media_type, ok, read_raw_body, state

if TYPE_CHECKING:  # imported when used: requests, jsonschema and the judges cost a plain emulator's start-up
    from mockserver.upstream.answers import Expected
    from mockserver.upstream.proxy import Proxy
    from mockserver.upstream.replay import ReplayPlanner

upstream = Blueprint("upstream", __name__)
fidelity = Blueprint("fidelity", __name__, url_prefix="/_mock")
fidelity.before_request(guard)
PROXY_KEY = "seedance_mock.proxy"
SPEC_KEY = "seedance_mock.spec"
REPLAY_KEY = "seedance_mock.replay"
CREATE_PATH = "/api/open-api/v1/seedance/videos"
HEAD_BYTES = 8 * 1024 * 1024  # the part of a result kept to read its MP4 header


def _proxy() -> Proxy:
    found: Proxy = current_app.extensions[PROXY_KEY]
    return found


def _owner() -> str:
    _, _, token = str(request.environ.get("HTTP_AUTHORIZATION", "")).partition(" ")
    return fingerprint(token.strip()) if token.strip() else ""


def _headers() -> dict[str, str]:
    return {k: v for k, v in request.headers.items()}


def _expected(raw: bytes) -> tuple[Any, Expected]:
    """The parsed body (None when unreadable) and the spec's verdict on the request, as the emulator's."""
    from mockserver.upstream.answers import Expected

    if media_type(request.environ) != "application/json":
        return None, Expected(error="UNSUPPORTED_MEDIA_TYPE")
    try:
        body = parse_json_body(raw)
    except InvalidJson:
        return None, Expected(error="INVALID_JSON")
    violations = state().validator.violations(body)
    return body, Expected(rules=frozenset(rule_ids(violations)))


def _answer(exchange_status: int, headers: Mapping[str, str], body: bytes) -> Response:
    response = Response(body, status=exchange_status)
    for name, value in headers.items():
        response.headers[name] = value
    return response


@upstream.before_app_request
def forward() -> Response | None:
    """Create and query go to the real service; everything else (control API, dashboard) stays local."""
    environ = request.environ
    path, method = environ.get("PATH_INFO", ""), environ["REQUEST_METHOD"]
    if method == "POST" and path == CREATE_PATH:
        return _create()
    if method == "GET" and path.startswith(QUERY_PREFIX) and len(path) > len(QUERY_PREFIX):
        return _query(path[len(QUERY_PREFIX):])
    return None


def _create() -> Response:
    from mockserver.upstream.forward import UpstreamError

    px, st = _proxy(), state()
    px.book.count("requests")
    try:
        raw = read_raw_body(request.environ, int(current_app.config["MAX_CONTENT_LENGTH"]))
    except RequestEntityTooLarge:
        limit = current_app.config["MAX_CONTENT_LENGTH"]
        raise ApiError("BODY_TOO_LARGE", f"request body exceeds {limit} bytes") from None
    body, expected = _expected(raw)
    if px.refuse_invalid and not expected.accepted:
        px.book.count("refused_locally")
        if expected.error is not None:
            raise ApiError(expected.error, f"not sent to the service: {expected.error} (--upstream-refuse-invalid)")
        violations = st.validator.violations(body)
        g.rules = rule_ids(violations)
        raise ApiError("VALIDATION_FAILED", "not sent to the service: " + ", ".join(g.rules),
                       violations=[v.as_dict() for v in violations])
    try:
        exchange = px.create(_owner(), _headers(), raw, body, expected, st.backend.now())
    except UpstreamError as exc:
        px.book.count("upstream_errors")
        raise ApiError("BAD_GATEWAY", f"upstream: {exc}") from None
    g.rules, g.mismatch, g.error_id = exchange.rules, exchange.mismatch, exchange.error
    return _answer(exchange.status, exchange.headers, exchange.body)


def _query(task_id: str) -> Response:
    from mockserver.upstream.forward import UpstreamError

    px = _proxy()
    px.book.count("requests")
    g.task_id = task_id[:200]
    try:
        exchange = px.query(_owner(), task_id, _headers(), state().backend.now(), host_url(request.environ))
    except UpstreamError as exc:
        px.book.count("upstream_errors")
        raise ApiError("BAD_GATEWAY", f"upstream: {exc}") from None
    g.mismatch, g.error_id = exchange.mismatch, exchange.error
    return _answer(exchange.status, exchange.headers, exchange.body)


@upstream.get(RESULTS_PATH + "<nonce>.mp4", provide_automatic_options=False)
def result(nonce: str) -> Response:
    """A result file of the real service, streamed through (its size and MP4 header recorded)."""
    from mockserver.upstream.forward import UpstreamError

    px = _proxy()
    source = px.result_source(nonce)
    if source is None:
        raise ApiError("NOT_FOUND", "no such result (this proxy did not hand out this URL, or forgot it)")
    task_id, url = source
    try:
        status, headers, chunks = px.forwarder.download(url)
    except UpstreamError as exc:
        raise ApiError("BAD_GATEWAY", f"upstream: {exc}") from None
    backend = state().backend
    if status != 200:
        raw = b"".join(chunks)[:65536]
        with contextlib.suppress(ValueError):
            px.note_download_error(status, json.loads(raw))
        px.downloaded(task_id, status, len(raw), b"", backend.now())
        return _answer(status, headers, raw)

    def relay() -> Iterator[bytes]:
        size, head = 0, bytearray()
        try:
            for chunk in chunks:
                size += len(chunk)
                if len(head) < HEAD_BYTES:
                    head += chunk[: HEAD_BYTES - len(head)]
                yield chunk
        finally:
            px.downloaded(task_id, status, size, bytes(head), backend.now())

    return Response(relay(), status=200, headers=headers, direct_passthrough=True)


def ours(families: Mapping[str, list[str]], models: list[str]) -> dict[str, Any]:
    """The emulator's own timings for `models` (a 720p 5 s body, 200 seeded draws, speed 1): median and p90."""
    from mockserver.upstream.book import timing_row

    family_of = {m: fam for fam, ms in families.items() for m in ms}
    found: dict[str, Any] = {}
    for model in models:
        family = family_of.get(model)
        if family is None or family not in TIMINGS:
            continue
        rng = random.Random(0)
        width, height = output_size(family, model, {})
        draws = [plan_timings(family, model, 5, width, height, 1.0, rng) for _ in range(200)]
        found[model] = timing_row({"queue": [q for q, _ in draws], "processing": [p for _, p in draws]})
    return found


@fidelity.get("/fidelity", provide_automatic_options=False)
def fidelity_report() -> Response:
    """What the real service confirmed or contradicted so far (proxy), and drifted recordings (replay)."""
    from mockserver.upstream.evidence import assumptions_of

    st = state()
    px: Proxy | None = current_app.extensions.get(PROXY_KEY)
    planner: ReplayPlanner | None = current_app.extensions.get(REPLAY_KEY)
    assumptions = st.assumptions
    if assumptions is None:
        assumptions = st.assumptions = assumptions_of(current_app.extensions[SPEC_KEY])
    if px is not None:
        data = px.book.report(assumptions, ours(st.families, list(px.book.timings)))
    else:
        data = {"counts": {}, "mismatches": [], "rules": [], "timings": {}, "drift": [],
                "assumptions": [{"id": a.id, "kind": a.kind, "verdict": "not seen", "seen": 0, "contradicted": 0}
                                for a in assumptions]}
    data["upstream"] = px.forwarder.base_url if px is not None else None
    if planner is not None:
        data["drift"] = data["drift"] + planner.drift
        data["replay"] = planner.report()
    return ok(data)


def install(app: Flask, cfg: Mapping[str, Any], spec: Mapping[str, Any]) -> None:
    """Add the fidelity route, and the proxy / recorder / replay planner the configuration asks for."""
    from mockserver.web.shared import EXTENSION

    st = app.extensions[EXTENSION]
    app.extensions[SPEC_KEY] = spec
    if cfg.get("UPSTREAM") and (cfg.get("REPLAY") or cfg.get("TIMINGS_FROM")):
        raise ValueError("--replay and --timings-from shape the emulator's own tasks, and with --upstream every "
                         "task is the real service's: use one or the other")
    app.register_blueprint(fidelity)
    if cfg.get("REPLAY") or cfg.get("TIMINGS_FROM"):
        from mockserver.upstream.replay import ReplayPlanner

        planner = ReplayPlanner(spec, _paths(cfg.get("REPLAY")), _paths(cfg.get("TIMINGS_FROM")),
                                strict=bool(cfg.get("REPLAY_STRICT")), sizes=documented_sizes(st.families))
        app.extensions[REPLAY_KEY] = planner
        st.backend.planner = planner
    elif cfg.get("REPLAY_STRICT"):
        raise ValueError("--replay-strict needs --replay PATH")
    if cfg.get("UPSTREAM"):
        from mockserver.upstream.forward import Forwarder
        from mockserver.upstream.proxy import Proxy
        from mockserver.upstream.recording import Recorder

        recorder = Recorder(cfg["RECORD"]) if cfg.get("RECORD") else None
        forwarder = Forwarder(str(cfg["UPSTREAM"]), read_timeout=float(cfg.get("UPSTREAM_TIMEOUT") or 60.0))
        app.extensions[PROXY_KEY] = Proxy(spec, forwarder, recorder, bool(cfg.get("UPSTREAM_REFUSE_INVALID")))
        app.register_blueprint(upstream)
    elif cfg.get("RECORD") or cfg.get("UPSTREAM_REFUSE_INVALID"):
        raise ValueError("--record and --upstream-refuse-invalid need --upstream URL (they record the real service)")


def _paths(value: Any) -> list[Path]:
    if not value:
        return []
    items = value if isinstance(value, list | tuple) else str(value).split(",")
    paths = [Path(str(p)) for p in items if str(p)]
    for path in paths:
        if not path.is_file():
            raise ValueError(f"recording not found: {path}")
    return paths
