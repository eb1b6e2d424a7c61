"""Verdicts: the spec oracle against the hand-written rule table, and server answers read correctly."""

from __future__ import annotations

import pytest

from client.validation import validate_body
from contracts.agreement import compare, is_directive_answer
from contracts.verdicts import (
    HttpServer,
    SpecOracle,
    Verdict,
    WsgiServer,
    client_verdict,
    verdict_from_answer,
    verdict_from_response,
)
from mockserver import create_app
from mockserver.server import EmbeddedServer
from tests.contracts.helpers import EMULATOR
from tests.rule_table import ROWS, valid_body

ORACLE = SpecOracle()


@pytest.mark.parametrize("row", ROWS, ids=lambda row: row.rule)
def test_the_spec_oracle_agrees_with_the_rule_table(row: object) -> None:
    assert ORACLE.broken_rules(row.bad) == {row.rule}  # type: ignore[attr-defined]
    assert ORACLE.broken_rules(row.good) == frozenset()  # type: ignore[attr-defined]


def test_non_objects_break_only_body_object() -> None:
    for body in ([], "x", 5, None, [valid_body()]):
        assert ORACLE.broken_rules(body) == {"BODY_OBJECT"}


def test_reading_raw_answers() -> None:
    rejected = verdict_from_answer(400, b'{"data": {"error": "VALIDATION_FAILED", "rules": ["A"]}}')
    assert rejected == Verdict(frozenset({"A"}), 400, "VALIDATION_FAILED")
    for raw in (b"<html>bad gateway</html>", b"\xff\xfe\x00", b""):  # not JSON, not UTF-8, empty
        assert verdict_from_answer(502, raw) == Verdict(frozenset(), 502, None)


def test_reading_server_answers() -> None:
    assert verdict_from_response(200, {"code": "20000"}).accepted
    rejected = verdict_from_response(400, {"data": {"error": "VALIDATION_FAILED", "rules": ["A", "B"]}})
    assert (rejected.accepted, rejected.rules, rejected.is_rule_verdict) == (False, frozenset({"A", "B"}), True)
    for status, payload in ((500, {"data": {"error": "INTERNAL_ERROR", "rules": []}}), (401, None),
                            (400, {"data": {"error": "INVALID_DIRECTIVE", "rules": []}})):
        verdict = verdict_from_response(status, payload)
        assert not verdict.accepted and not verdict.is_rule_verdict
    refused = verdict_from_response(400, {"data": {"error": "INVALID_JSON", "rules": []}})
    assert not refused.accepted and refused.is_rule_verdict  # comparable: a client can refuse the same body


def test_a_body_json_cannot_carry_is_refused_by_spec_and_client() -> None:
    for body in (valid_body(prompt="fox \ud800"), valid_body(**{"x\udc00": 1}), valid_body(duration=float("nan"))):
        assert ORACLE.verdict(body) == Verdict(frozenset(), None, "INVALID_JSON")
        assert client_verdict(validate_body, body) == Verdict(frozenset(), None, "INVALID_JSON")
        assert ORACLE(body) == {"INVALID_JSON"}
    server = Verdict.reject((), 400, "INVALID_JSON")
    assert compare(Verdict(frozenset(), None, "INVALID_JSON"), server)
    assert not compare(Verdict.accept(), server)  # the client that crashed or sent it anyway disagrees
    assert not compare(Verdict(frozenset(), None, "INVALID_JSON"), Verdict.accept(200))


def test_a_directive_marker_is_an_emulator_answer_not_a_disagreement() -> None:
    marker = valid_body(prompt="fox [[seedance-mock:bogus]]")
    directive = Verdict.reject((), 400, "INVALID_DIRECTIVE")
    assert is_directive_answer(marker, directive)
    assert not is_directive_answer(valid_body(), directive)  # without a marker it is a plain disagreement
    assert not is_directive_answer(marker, Verdict.reject((), 400, "VALIDATION_FAILED"))


def test_client_verdicts_accept_ids_or_violations() -> None:
    class V:
        rule = "STD_RATIO"

    assert client_verdict(lambda b: [V()], {}) == Verdict.reject({"STD_RATIO"})
    assert client_verdict(lambda b: iter(["A"]), {}).rules == {"A"}
    assert client_verdict(lambda b: [], {}).accepted


def test_server_verdicts_in_process_and_over_http() -> None:
    bad = {**valid_body("seedance2.0-std"), "duration": 16}
    wsgi = WsgiServer(create_app(EMULATOR))
    assert wsgi.verdict(valid_body()).status == 200
    assert wsgi.verdict(bad) == Verdict.reject({"STD_DURATION_RANGE"}, 400, "VALIDATION_FAILED")
    with EmbeddedServer(EMULATOR) as server:
        http = HttpServer(server.url, "sk_test")
        assert http.verdict(valid_body("seedance2.0-md")).accepted
        assert http.verdict([1]).rules == {"BODY_OBJECT"}
        assert not HttpServer(server.url, "").verdict(valid_body()).is_rule_verdict  # 401
