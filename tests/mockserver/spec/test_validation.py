"""Every row of the shared rule table through the API, and the schema-error -> rule id mapping (spec/validation.py)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from flask.testing import FlaskClient

from mockserver.spec.loader import load_spec
from mockserver.spec.validation import UNMAPPED_RULE, CreateValidator
from tests.mockserver.conftest import AUTH, CREATE, assert_envelope
from tests.rule_table import ROWS, RuleRow, valid_body

SPEC_RULES = sorted(
    {s["x-rule"] for s in load_spec()["components"]["schemas"].values() if isinstance(s, dict) and "x-rule" in s}
)


@pytest.fixture(scope="module")
def http(module_http: FlaskClient) -> FlaskClient:
    """One app for the whole table: each answer here depends on its body alone."""
    return module_http


def post(http: FlaskClient, body: Any) -> Any:
    return http.post(CREATE, data=json.dumps(body), content_type="application/json", headers=AUTH)


def test_every_spec_rule_has_a_row() -> None:
    assert {row.rule for row in ROWS} >= set(SPEC_RULES)


@pytest.mark.parametrize("row", ROWS, ids=[f"{i}-{r.rule}" for i, r in enumerate(ROWS)])
def test_rule_row(http: FlaskClient, row: RuleRow) -> None:
    bad = post(http, row.bad)
    body = assert_envelope(bad, 400, "VALIDATION_FAILED")
    assert body["data"]["rules"] == [row.rule]
    assert all(v["rule"] == row.rule for v in body["data"]["violations"])
    if row.rule != "BODY_OBJECT":
        fields = {v["field"] for v in body["data"]["violations"]}
        assert fields and "" not in fields
    good = post(http, row.good)
    assert good.status_code == 200, good.get_json()


def test_fast_and_full_validators_agree_on_the_table() -> None:
    validator = CreateValidator(load_spec())
    for row in ROWS:
        assert not validator.is_valid(row.bad) or not isinstance(row.bad, dict)
        assert validator.is_valid(row.good)
        assert UNMAPPED_RULE not in {v.rule for v in validator.violations(row.bad)}


def test_several_broken_rules_are_all_reported_once(http: FlaskClient) -> None:
    body = valid_body("seedance2.0-md", duration=0, ratio="21:9", reference_audios=["https://a/x.mp3"],
                      images=["https://a/1.png"] * 5)
    answer = assert_envelope(post(http, body), 400, "VALIDATION_FAILED")
    assert sorted(answer["data"]["rules"]) == sorted(
        ["MD_DURATION_RANGE", "MD_RATIO", "MD_NO_AUDIO", "MD_IMAGES_MAX"]
    )
    assert len(answer["data"]["rules"]) == len(set(answer["data"]["rules"]))


