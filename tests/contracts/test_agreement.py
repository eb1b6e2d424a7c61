"""The agreement property: the reference client and the emulator agree on every rule, and it has teeth."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from contracts.agreement import AgreementFailure, AgreementProperty, compare, run_agreement
from contracts.strategies import BodyStrategies
from contracts.verdicts import HttpServer, Verdict, WsgiServer
from mockserver import create_app
from mockserver.server import EmbeddedServer
from tests.contracts.helpers import EMULATOR, client_rules, ignoring_rule, std_max_16

# Generated examples per rule id; with every rule's fixed boundary bodies, the valid bodies and noise the run
# judges ~2300 cases in ~8-9 s on 2 cores (hence slow).
IN_PROCESS_EXAMPLES = 12
LIVE_EXAMPLES = 4


@pytest.mark.slow
def test_client_and_emulator_agree_in_process_on_every_rule(body_strategies: BodyStrategies) -> None:
    server = WsgiServer(create_app(EMULATOR))
    report = run_agreement(client_rules, server, body_strategies, examples=IN_PROCESS_EXAMPLES, seed=1)
    assert report.ok, report.summary(body_strategies.breakable_rules)
    missing = [r for r in body_strategies.breakable_rules if report.exercised[r] == 0]
    assert missing == [], f"rules never exercised: {missing}"
    assert len(report.exercised.keys() & set(body_strategies.breakable_rules)) == 64


@pytest.mark.slow
def test_client_and_live_emulator_agree(body_strategies: BodyStrategies) -> None:
    with EmbeddedServer(EMULATOR) as server:
        report = run_agreement(client_rules, HttpServer(server.url, "sk_test"), body_strategies,
                               examples=LIVE_EXAMPLES, seed=2)
    assert report.ok, report.summary(body_strategies.breakable_rules)
    assert all(report.exercised[r] for r in body_strategies.breakable_rules)


@pytest.mark.slow
def test_a_client_with_a_moved_boundary_is_caught(body_strategies: BodyStrategies) -> None:
    prop = AgreementProperty(std_max_16, WsgiServer(create_app(EMULATOR)), body_strategies.oracle)

    @settings(database=None, deadline=None, max_examples=60,
              suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow])
    @given(body=body_strategies.breaking("STD_DURATION_RANGE"))
    def agreement(body: Any) -> None:
        prop(body)

    with pytest.raises(AgreementFailure) as caught:
        agreement()
    found = caught.value.disagreement
    assert found.body["duration"] == 16 and found.rules == ["STD_DURATION_RANGE"]  # shrunk to the boundary
    assert found.client.accepted and found.server.rules == {"STD_DURATION_RANGE"}
    assert "STD_DURATION_RANGE" in str(caught.value)


def test_the_full_run_reports_the_moved_boundary_by_rule(body_strategies: BodyStrategies) -> None:
    report = run_agreement(std_max_16, WsgiServer(create_app(EMULATOR)), body_strategies, examples=30,
                           targets=["STD_DURATION_RANGE", "MD_DURATION_RANGE"])
    assert not report.ok
    assert report.disagreeing_rules() == {"STD_DURATION_RANGE": 1}
    assert '"duration": 16' in report.summary(["STD_DURATION_RANGE", "MD_DURATION_RANGE"])


@pytest.mark.parametrize("rule", ["MD_RATIO", "IMAGES_FRAMES_EXCLUSIVE"])
def test_an_emulator_that_ignores_a_rule_is_caught(body_strategies: BodyStrategies, rule: str) -> None:
    lenient = WsgiServer(ignoring_rule(create_app(EMULATOR), rule))
    report = run_agreement(client_rules, lenient, body_strategies, examples=20, targets=[rule, "STD_RATIO"])
    assert [d.rules for d in report.disagreements] == [[rule]]
    found = report.disagreements[0]
    assert found.server.accepted and found.client.rules == {rule}


def test_answers_other_than_200_or_400_never_agree() -> None:
    assert compare(Verdict.accept(), Verdict.accept(200))
    assert compare(Verdict.reject({"A"}), Verdict.reject({"A"}, 400, "VALIDATION_FAILED"))
    assert not compare(Verdict.reject({"A"}), Verdict.reject({"A", "B"}, 400, "VALIDATION_FAILED"))
    assert not compare(Verdict.accept(), Verdict.reject(set(), 500, "INTERNAL_ERROR"))
    assert not compare(Verdict.reject({"A"}), Verdict.reject(set(), 400, "INVALID_JSON"))
