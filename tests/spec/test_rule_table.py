"""Every x-rule id has a row; each row's bad body breaks exactly that rule and its twin is accepted."""

from __future__ import annotations

import pytest

from tests.rule_table import ROWS, RULE_IDS, RuleRow
from tests.spec.schema_tools import broken_rules, spec, spec_rule_ids


def test_table_and_spec_name_the_same_rule_ids() -> None:
    in_spec = spec_rule_ids()
    assert sorted(in_spec - RULE_IDS) == [], "rule ids in the spec without a row in tests/rule_table.py"
    assert sorted(RULE_IDS - in_spec) == [], "rows naming rule ids the spec lacks"
    assert len(ROWS) == len(RULE_IDS), "one row per rule id"


def test_external_rules_have_ids_and_never_clash_with_body_rules() -> None:
    external = {r["x-rule"] for r in spec()["x-external-rules"]}
    assert external == {"MEDIA_REACHABLE", "MD_REFERENCE_VIDEOS_DURATION", "MD_REFERENCE_VIDEOS_SIZE",
                        "MD_REFERENCE_VIDEO_RESOLUTION", "FULL_ASSET_AUDIT"}
    assert not external & spec_rule_ids()


@pytest.mark.parametrize("row", ROWS, ids=[r.rule for r in ROWS])
def test_bad_body_breaks_only_its_rule(row: RuleRow) -> None:
    assert broken_rules(row.bad) == {row.rule}


@pytest.mark.parametrize("row", ROWS, ids=[r.rule for r in ROWS])
def test_nearest_valid_twin_is_accepted(row: RuleRow) -> None:
    assert broken_rules(row.good) == set()


def test_the_documents_three_examples_are_accepted() -> None:
    examples = spec()["paths"]["/api/open-api/v1/seedance/videos"]["post"]["requestBody"]["content"][
        "application/json"]["examples"]
    assert len(examples) == 3
    for example in examples.values():
        assert broken_rules(example["value"]) == set()
