"""GET /_mock/coverage (JSON) and /_mock/coverage.xml (JUnit): the ledger against the catalogue.

`?poll_threshold=S` judges `poll-too-fast` with another threshold than the configured one (POLL_THRESHOLD,
1 s by default): conduct is derived when read, so any threshold applies to the traffic already seen."""

from __future__ import annotations

import json
import math
from typing import TYPE_CHECKING, Any

from flask import Blueprint, Response, request

from mockserver.spec.loader import spec_path
from mockserver.state.errors import ApiError
from mockserver.web.control_access import guard
from mockserver.web.ledger_hooks import ledger_on
from mockserver.web.shared import MockState, ok, state

if TYPE_CHECKING:
    from mockserver.spec.catalogue import Item

# The catalogue and the coverage document (spec/catalogue.py, spec/coverage.py) are imported when the ledger
# is first read, not at start-up: most runs never ask, and the modules cost ~20 ms of every start.

coverage = Blueprint("coverage", __name__, url_prefix="/_mock")
coverage.before_request(guard)


def items_of(st: MockState) -> tuple[Item, ...]:
    """The catalogue of this emulator's spec and settings (built on first use, then cached)."""
    from mockserver.spec.catalogue import catalogue

    path = str(st.config.get("SPEC_PATH") or spec_path())
    return catalogue(path, int(st.config["MAX_BODY_BYTES"]), float(st.config["RETENTION_SECONDS"]))


def poll_threshold(st: MockState) -> float:
    """`?poll_threshold=` or the configured POLL_THRESHOLD."""
    raw = request.args.get("poll_threshold", "")
    if not raw:
        return float(st.config.get("POLL_THRESHOLD", 1.0))
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not math.isfinite(value) or not 0 <= value <= 3600:
        raise ApiError("VALIDATION_FAILED", "poll_threshold must be a number of seconds from 0 to 3600")
    return value


def document(st: MockState) -> dict[str, Any]:
    """The coverage document of every instance's traffic since the last reset."""
    from mockserver.spec.coverage import coverage_document

    if not ledger_on(st):
        raise ApiError("CONFLICT", "the coverage ledger is off (started with --no-ledger / SEEDANCE_MOCK_LEDGER=0)")
    return coverage_document(items_of(st), st.backend.ledger(), poll_threshold(st))


def report_bytes(st: MockState, junit: bool) -> bytes:
    """The whole coverage document outside a request (`--coverage-report` at stop): JSON, or JUnit XML."""
    from mockserver.spec.coverage import coverage_document, junit_xml

    document = coverage_document(items_of(st), st.backend.ledger(), float(st.config.get("POLL_THRESHOLD", 1.0)))
    return junit_xml(document) if junit else json.dumps(document, ensure_ascii=False, indent=1).encode("utf-8")


@coverage.get("/coverage")
def coverage_json() -> Response:
    """Items (id, kind, met, quote, advice, provoke), summary (met, total, percent) and conduct findings."""
    return ok(document(state()))


@coverage.get("/coverage.xml")
def coverage_junit() -> Response:
    """The same as JUnit XML: one test case per item (failed when unmet) and per conduct finding."""
    from mockserver.spec.coverage import junit_xml

    return Response(junit_xml(document(state())), status=200, mimetype="application/xml")
