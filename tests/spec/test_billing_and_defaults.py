"""Item 4 of issue 11 in the spec: billing per family, documented defaults, the values a task applied."""

from __future__ import annotations

import jsonschema
import pytest

from tests.rule_table import FAMILIES
from tests.spec.schema_tools import DOCS_DIR, schema_for, spec

BILLING = {"FULL": "per_second", "SP": "per_second_by_resolution", "SP_OFFICIAL": "per_second_by_resolution",
           "MINI": "per_second_by_resolution", "MINI_SP": "per_task", "MD": "per_task", "FAST_I2V": "per_task",
           "STD": "per_task"}  # from the model list of the documents, read by hand


def _families() -> dict[str, dict[str, object]]:
    return {s["x-family"]: s for s in spec()["components"]["schemas"].values()
            if isinstance(s, dict) and "x-family" in s}


def test_every_family_has_its_documented_billing_unit() -> None:
    families = _families()
    assert set(families) == set(FAMILIES)
    units = spec()["x-emulator-schemas"]["BillingUnit"]["enum"]
    for fam, schema in families.items():
        billing = schema["x-billing"]
        assert isinstance(billing, dict)
        assert billing["unit"] == BILLING[fam], fam
        assert billing["unit"] in units
        assert billing["x-source"] == "documented"


@pytest.mark.skipif(not DOCS_DIR.is_dir(), reason="the API documents are not beside this checkout")
def test_billing_quotes_are_in_the_documents() -> None:
    docs = " ".join(" ".join(p.read_text(encoding="utf-8") for p in sorted(DOCS_DIR.glob("*.txt"))).split())
    for fam, schema in _families().items():
        quote = " ".join(str(schema["x-billing"]["x-quote"]).split())  # type: ignore[index]
        assert quote in docs, fam


def test_documented_defaults_are_schema_defaults_and_duration_has_none() -> None:
    props = spec()["components"]["schemas"]["CreateVideoRequest"]["properties"]
    assert props["ratio"]["default"] == "16:9"
    assert props["resolution"]["default"] == "720p"
    assert "default" not in props["duration"]
    ids = {a["id"] for a in spec()["x-assumptions"]}
    assert {"DURATION_REQUIRED", "DEFAULTS_APPLIED", "TASK_GONE_AFTER_EXPIRY", "REFERENCE_AUDIOS_SP_LIKE",
            "ADAPTIVE_SPELLING", "FAST_I2V_FRAMES", "PROMPT_CODE_POINTS", "USAGE_BILLING"} <= ids


def test_a_task_may_show_the_values_it_applied() -> None:
    validator = jsonschema.Draft202012Validator(schema_for("Task"))
    task = {"task_id": "vid_1", "status": "queued", "model": "seedance2.0-std", "created_at": 1}
    assert validator.is_valid(task)  # optional: the documents' own answers do not carry them
    assert validator.is_valid({**task, "ratio": "16:9", "resolution": "720p", "duration": 5})
    assert not validator.is_valid({**task, "duration": "5"})
    assert not validator.is_valid({**task, "ratio": 1.5})


def test_usage_summary_schema() -> None:
    root = {"$ref": "#/x-emulator-schemas/UsageSummary", "x-emulator-schemas": spec()["x-emulator-schemas"]}
    validator = jsonschema.Draft202012Validator(root)
    row = {"token": "sk_t~0123456789abcdef", "model": "sd2_mx_720p", "resolution": "720p", "tasks": 3, "failed": 1,
           "billable_tasks": 2, "billable_seconds": 10, "billing_unit": "per_second", "billable_units": 10}
    assert validator.is_valid({"usage": [row]})
    assert not validator.is_valid({"usage": [{**row, "billing_unit": "per_minute"}]})
    assert not validator.is_valid({"usage": [{k: v for k, v in row.items() if k != "billable_units"}]})
    assert not validator.is_valid({"rows": []})
