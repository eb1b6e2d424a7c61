"""Schemathesis with every check, positive, negative and stateful, against the emulator in-process."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pytest
import yaml

from contracts.mutate import derive_mutants
from contracts.schemathesis_run import negative_guard, run_schemathesis
from contracts.spec import load_spec
from mockserver import create_app
from tests.contracts.conftest import STRICT_CONFIG
from tests.contracts.helpers import CreateCounter

EXAMPLES = 25
STD_16 = {"model": "seedance2.0-std", "prompt": "A fox in snow", "duration": 16}


@pytest.mark.slow
def test_every_check_passes_in_process() -> None:
    report = run_schemathesis(app=create_app(STRICT_CONFIG), examples=EXAMPLES, seed=3)
    assert report.ok, report.summary()
    assert set(report.cases) == {"examples", "coverage", "fuzzing", "stateful"}
    assert report.cases["stateful"] > 0 and report.total_cases > 150


@pytest.mark.slow
def test_negative_only_never_creates_a_task() -> None:
    counted = CreateCounter(create_app(STRICT_CONFIG))
    report = run_schemathesis(app=counted, examples=EXAMPLES, negative_only=True)
    assert report.ok, report.summary()
    assert counted.posts > 20 and counted.created == 0
    assert "stateful" not in report.cases


@pytest.mark.slow  # a Schemathesis run (examples and fuzzing)
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


def test_the_negative_only_guard_judges_with_the_given_spec(tmp_path: Path) -> None:
    spec = load_spec()
    moved = next(m for m in derive_mutants(spec) if m.name == "STD_DURATION_RANGE: maximum 15 -> 16")
    path = tmp_path / "openapi.yaml"
    path.write_text(yaml.safe_dump(moved.apply(spec), allow_unicode=True), encoding="utf-8")
    assert negative_guard(None)(None, STD_16)  # the installed spec rejects duration 16: it may be sent
    assert not negative_guard(path)(None, STD_16)  # the given spec accepts it: it must never be sent
