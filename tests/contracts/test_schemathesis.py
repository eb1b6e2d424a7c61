"""Schemathesis with every check, positive, negative and stateful, against the emulator in-process."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

from contracts.schemathesis_run import run_schemathesis
from mockserver import create_app
from tests.contracts.conftest import STRICT_CONFIG
from tests.contracts.helpers import CreateCounter

EXAMPLES = 25


def test_every_check_passes_in_process() -> None:
    report = run_schemathesis(app=create_app(STRICT_CONFIG), examples=EXAMPLES, seed=3)
    assert report.ok, report.summary()
    assert set(report.cases) == {"examples", "coverage", "fuzzing", "stateful"}
    assert report.cases["stateful"] > 0 and report.total_cases > 150


def test_negative_only_never_creates_a_task() -> None:
    counted = CreateCounter(create_app(STRICT_CONFIG))
    report = run_schemathesis(app=counted, examples=EXAMPLES, negative_only=True)
    assert report.ok, report.summary()
    assert counted.posts > 20 and counted.created == 0
    assert "stateful" not in report.cases


def test_a_server_error_is_reported() -> None:
    app = create_app(STRICT_CONFIG)

    def crashing(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ["REQUEST_METHOD"] == "POST":
            out = json.dumps({"code": "50000", "msg": "boom", "data": {
                "error": "INTERNAL_ERROR", "rules": [], "violations": []}}).encode()
            start_response("500 INTERNAL SERVER ERROR", [("Content-Type", "application/json")])
            return [out]
        return app(environ, start_response)

    report = run_schemathesis(app=crashing, examples=5, phases=("examples", "fuzzing"))
    assert not report.ok
    assert any(f.check == "not_a_server_error" for f in report.failures)
