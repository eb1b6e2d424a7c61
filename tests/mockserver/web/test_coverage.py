"""GET /_mock/coverage: the catalogue (read against the spec here), the ledger's counts on every store, reset,
the JUnit form, and every item's recipe meeting its item on a fresh emulator."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from junitparser import JUnitXml

from mockserver import create_app
from mockserver.recipes import run_steps
from mockserver.web.shared import EXTENSION

SPEC = Path(__file__).resolve().parents[3] / "openapi.yaml"
AUTH = {"Authorization": "Bearer sk_cov"}
CREATE = "/api/open-api/v1/seedance/videos"


def _spec_rule_ids() -> set[str]:
    # Independent of the emulator's walker: every `x-rule: ID` line of the YAML text.
    return set(re.findall(r"x-rule: (\w+)", SPEC.read_text(encoding="utf-8")))


def _document(mock: Any) -> dict[str, Any]:
    data: dict[str, Any] = mock.control._call("GET", "/coverage")
    return data


@pytest.fixture(scope="module")
def catalogue_items() -> list[dict[str, Any]]:
    app = create_app({"SEED": 0})
    client = app.test_client()
    items: list[dict[str, Any]] = client.get("/_mock/coverage").get_json()["data"]["items"]
    app.extensions[EXTENSION].backend.close()
    return items


def test_rule_items_are_the_spec_x_rule_ids(catalogue_items: list[dict[str, Any]]) -> None:
    rules = {i["id"].removeprefix("rule:") for i in catalogue_items if i["kind"] == "rule"}
    assert rules == _spec_rule_ids()
    assert len(rules) == len([i for i in catalogue_items if i["kind"] == "rule"])


def test_error_items_are_the_public_error_ids(catalogue_items: list[dict[str, Any]]) -> None:
    spec = yaml.safe_load(SPEC.read_text(encoding="utf-8"))
    public = {e["id"] for e in spec["x-error-ids"] if e["x-surface"] in ("api", "result")}
    assert {i["id"].removeprefix("error:") for i in catalogue_items if i["kind"] == "error"} == public
    assert "FORBIDDEN" not in public and "RATE_LIMITED" in public and "RESULT_EXPIRED" in public


def test_faults_lifecycle_and_results(catalogue_items: list[dict[str, Any]]) -> None:
    ids = {i["id"] for i in catalogue_items}
    assert {f"fault:{k}" for k in ("429", "500", "502", "503", "delay", "drop")} <= ids
    assert {"lifecycle:completed", "lifecycle:failed-in-queue", "lifecycle:failed-in-processing",
            "lifecycle:expired", "result:downloaded", "result:expired"} <= ids


def test_every_item_says_how_to_provoke_it(catalogue_items: list[dict[str, Any]]) -> None:
    for item in catalogue_items:
        provoke = item["provoke"]
        assert provoke["steps"], item["id"]
        assert provoke["pytest"].count("def test_") == 1
        compile(provoke["pytest"], item["id"], "exec")
        assert item["advice"], item["id"]
    documented = [i for i in catalogue_items if i["kind"] == "rule" and i["quote"].startswith("documented: ")]
    assert len(documented) > 40


@pytest.mark.slow
def test_each_recipe_meets_its_item_on_a_fresh_emulator(seedance_mock: Any,
                                                        catalogue_items: list[dict[str, Any]]) -> None:
    missed = []
    for item in catalogue_items:
        seedance_mock.control.reset()
        run_steps(item["provoke"]["steps"], seedance_mock.url, seedance_mock.token, seedance_mock.control)
        met = {row["id"]: row["met"] for row in _document(seedance_mock)["items"]}
        if not met[item["id"]]:
            missed.append(item["id"])
    assert missed == []


def test_a_pytest_snippet_runs_as_written(seedance_mock: Any, catalogue_items: list[dict[str, Any]]) -> None:
    for item_id in ("fault:drop", "error:TOO_MANY_TASKS", "result:downloaded", "rule:MEDIA_REACHABLE"):
        seedance_mock.control.reset()
        snippet = next(i for i in catalogue_items if i["id"] == item_id)["provoke"]["pytest"]
        scope: dict[str, Any] = {}
        exec(compile(snippet, item_id, "exec"), scope)  # the catalogue's own text, run as a test
        scope["test_" + re.sub(r"\W", "_", item_id)](seedance_mock)
        assert next(r for r in _document(seedance_mock)["items"] if r["id"] == item_id)["met"] >= 1


def test_counts_on_every_store_and_reset(store_spec: str) -> None:
    app = create_app({"STORE": store_spec, "SEED": 0})
    client = app.test_client()
    try:
        for _ in range(5):
            client.post(CREATE, json={}, headers={**AUTH, "X-Seedance-Mock": "fault=503"})
        client.post(CREATE, json={"model": "seedance2.0-std", "duration": 5}, headers=AUTH)
        data = client.get("/_mock/coverage").get_json()["data"]
        met = {i["id"]: i["met"] for i in data["items"] if i["met"]}
        assert met == {"fault:503": 5, "error:SERVICE_UNAVAILABLE": 5, "rule:PROMPT_REQUIRED": 1,
                       "error:VALIDATION_FAILED": 1}
        assert data["summary"]["met"] == 4 and data["summary"]["total"] == len(data["items"])
        assert data["summary"]["percent"] == round(400 / len(data["items"]), 1)
        client.post("/_mock/reset")
        assert client.get("/_mock/coverage").get_json()["data"]["summary"]["met"] == 0
    finally:
        app.extensions[EXTENSION].backend.close()


def test_junit_form_has_a_case_per_item_and_per_finding(tmp_path: Path) -> None:
    app = create_app({"SEED": 0})
    client = app.test_client()
    client.post(CREATE, json={"model": "seedance2.0-std", "duration": 5}, headers=AUTH)
    client.post(CREATE, json={"model": "seedance2.0-std", "duration": 5}, headers=AUTH)  # invalid-after-rejection
    target = tmp_path / "coverage.xml"
    target.write_bytes(client.get("/_mock/coverage.xml").get_data())
    items = client.get("/_mock/coverage").get_json()["data"]["items"]
    suite = next(iter(JUnitXml.fromfile(str(target))))
    cases = {case.name: case for case in suite}
    assert len(cases) == len(items) + 1
    assert cases["rule:PROMPT_REQUIRED"].is_passed
    assert not cases["rule:MODEL_REQUIRED"].is_passed
    conduct = [c for name, c in cases.items() if name.startswith("invalid-after-rejection")]
    assert len(conduct) == 1 and not conduct[0].is_passed


def test_ledger_off_is_refused_not_empty() -> None:
    app = create_app({"LEDGER": False})
    client = app.test_client()
    client.post(CREATE, json={}, headers={**AUTH, "X-Seedance-Mock": "fault=503"})
    answer = client.get("/_mock/coverage")
    assert answer.status_code == 409 and "ledger is off" in answer.get_json()["msg"]
    assert app.extensions[EXTENSION].backend.store.ledger_read().counts == {}


def test_a_bad_poll_threshold_is_refused() -> None:
    client = create_app({}).test_client()
    assert client.get("/_mock/coverage?poll_threshold=nan").status_code == 400
    assert client.get("/_mock/coverage?poll_threshold=-1").status_code == 400
