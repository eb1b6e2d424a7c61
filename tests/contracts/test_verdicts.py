"""Verdicts: the spec oracle against the hand-written rule table, and server answers read correctly."""

from __future__ import annotations

import pytest

from contracts.verdicts import HttpServer, SpecOracle, Verdict, WsgiServer, client_verdict, verdict_from_response
from mockserver import create_app
from mockserver.server import EmbeddedServer
from tests.rule_table import ROWS, valid_body

ORACLE = SpecOracle()


@pytest.mark.parametrize("row", ROWS, ids=lambda row: row.rule)
def test_the_spec_oracle_agrees_with_the_rule_table(row: object) -> None:
    assert ORACLE.rule_ids(row.bad) == {row.rule}  # type: ignore[attr-defined]
    assert ORACLE.rule_ids(row.good) == frozenset()  # type: ignore[attr-defined]


def test_non_objects_break_only_body_object() -> None:
    for body in ([], "x", 5, None, [valid_body()]):
        assert ORACLE.rule_ids(body) == {"BODY_OBJECT"}


def test_reading_server_answers() -> None:
    assert verdict_from_response(200, {"code": "20000"}).accepted
    rejected = verdict_from_response(400, {"data": {"error": "VALIDATION_FAILED", "rules": ["A", "B"]}})
    assert (rejected.accepted, rejected.rules, rejected.is_rule_verdict) == (False, frozenset({"A", "B"}), True)
    for status, payload in ((500, {"data": {"error": "INTERNAL_ERROR", "rules": []}}), (401, None),
                            (400, {"data": {"error": "INVALID_JSON", "rules": []}})):
        verdict = verdict_from_response(status, payload)
        assert not verdict.accepted and not verdict.is_rule_verdict


def test_client_verdicts_accept_ids_or_violations() -> None:
    class V:
        rule = "STD_RATIO"

    assert client_verdict(lambda b: [V()], {}) == Verdict.reject({"STD_RATIO"})
    assert client_verdict(lambda b: iter(["A"]), {}).rules == {"A"}
    assert client_verdict(lambda b: [], {}).accepted


def test_server_verdicts_in_process_and_over_http() -> None:
    bad = {**valid_body("seedance2.0-std"), "duration": 16}
    wsgi = WsgiServer(create_app({"SEED": 0}))
    assert wsgi.verdict(valid_body()).status == 200
    assert wsgi.verdict(bad) == Verdict.reject({"STD_DURATION_RANGE"}, 400, "VALIDATION_FAILED")
    with EmbeddedServer({"SEED": 0}) as server:
        http = HttpServer(server.url, "sk_test")
        assert http.verdict(valid_body("seedance2.0-md")).accepted
        assert http.verdict([1]).rules == {"BODY_OBJECT"}
        assert not HttpServer(server.url, "").verdict(valid_body()).is_rule_verdict  # 401
