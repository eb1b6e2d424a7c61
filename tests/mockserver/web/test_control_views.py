"""The control API (web/control_views.py): forced outcomes, the clock, reset, fault queues, limits, the journal,
task timelines, health, the spec and usage."""

from __future__ import annotations

import pytest
import requests
from flask import Flask
from flask.testing import FlaskClient

from mockserver import create_app
from mockserver.server import EmbeddedServer
from tests.mockserver.conftest import (
    AUTH,
    CREATE,
    FakeClock,
    assert_envelope,
    control,
    create_task,
    dropped,
    get_path,
    query,
    std_body,
)


def test_control_complete_and_fail(http: FlaskClient) -> None:
    done = create_task(http)
    control(http, "POST", f"/tasks/{done}/complete")
    assert query(http, done)["status"] == "completed"
    failed = create_task(http)
    timeline = control(http, "POST", f"/tasks/{failed}/fail", {"reason": "nsfw prompt", "at": "queue"})
    assert timeline["outcome"] == "failed"
    control(http, "POST", "/clock/advance", {"seconds": 3600})
    data = query(http, failed)
    assert data["status"] == "failed" and data["error"] == {"code": "GENERATION_FAILED", "message": "nsfw prompt"}


def test_control_errors_use_the_envelope(http: FlaskClient) -> None:
    assert_envelope(http.post("/_mock/tasks/vid_nope/complete"), 404, "TASK_NOT_FOUND")
    task_id = create_task(http)
    assert_envelope(http.post(f"/_mock/tasks/{task_id}/fail", json={"at": "never"}), 400, "VALIDATION_FAILED")
    control(http, "POST", f"/tasks/{task_id}/complete")
    assert_envelope(http.post(f"/_mock/tasks/{task_id}/complete"), 409, "CONFLICT")
    assert_envelope(http.post("/_mock/clock/advance", json={"seconds": -5}), 400, "VALIDATION_FAILED")
    assert_envelope(http.post("/_mock/clock/advance", json={}), 400, "VALIDATION_FAILED")
    assert_envelope(http.post("/_mock/faults", json={"kind": "418"}), 400, "VALIDATION_FAILED")
    assert_envelope(http.post("/_mock/faults", json={"kind": "500", "count": 0}), 400, "VALIDATION_FAILED")
    assert_envelope(http.post("/_mock/faults", data=b"{", content_type="application/json"), 400, "INVALID_JSON")
    assert_envelope(http.post("/_mock/faults", json=[1]), 400, "VALIDATION_FAILED")
    assert_envelope(http.post("/_mock/assets", json={"asset_id": "a", "state": "meh"}), 400, "VALIDATION_FAILED")
    assert_envelope(http.post("/_mock/media", json={"duration": 3}), 400, "VALIDATION_FAILED")
    assert_envelope(http.get("/_mock/reset"), 405, "METHOD_NOT_ALLOWED")


def test_advance_moves_tasks(http: FlaskClient) -> None:
    task_id = create_task(http)
    before = control(http, "GET", "/clock")["now"]
    after = control(http, "POST", "/clock/advance", {"seconds": 10_000})["now"]
    assert after == pytest.approx(before + 10_000)
    assert query(http, task_id)["status"] == "completed"


def test_reset_forgets_everything(http: FlaskClient) -> None:
    task_id = create_task(http)
    control(http, "POST", "/faults", {"kind": "500", "count": 5})
    control(http, "POST", "/reset")
    assert control(http, "GET", "/faults")["faults"] == []
    assert control(http, "GET", "/journal")["entries"] == []
    assert_envelope(http.get(get_path(task_id), headers=AUTH), 404, "TASK_NOT_FOUND")


@pytest.mark.parametrize(
    ("kind", "status", "error_id", "retry"),
    [
        ("429", 429, "RATE_LIMITED", "3"),
        ("500", 500, "INTERNAL_ERROR", None),
        ("502", 502, "BAD_GATEWAY", None),
        ("503", 503, "SERVICE_UNAVAILABLE", "3"),
    ],
)
def test_fault_queue(http: FlaskClient, kind: str, status: int, error_id: str, retry: str | None) -> None:
    control(http, "POST", "/faults", {"kind": kind, "count": 2, "operation": "create", "retry_after": 3})
    for _ in range(2):
        answer = http.post(CREATE, json=std_body(), headers=AUTH)
        body = assert_envelope(answer, status, error_id)
        assert answer.headers.get("Retry-After") == retry
        assert body["data"].get("retry_after") == (int(retry) if retry else None)
    assert http.post(CREATE, json=std_body(), headers=AUTH).status_code == 200


def test_fault_matches_operation_and_token(http: FlaskClient) -> None:
    task_id = create_task(http)
    control(http, "POST", "/faults", {"kind": "503", "operation": "get", "token": "sk_test"})
    other = {"Authorization": "Bearer sk_other"}
    assert http.post(CREATE, json=std_body(), headers=AUTH).status_code == 200  # create is not "get"
    assert http.get(get_path(task_id), headers=other).status_code == 404  # other token: no fault
    assert_envelope(http.get(get_path(task_id), headers=AUTH), 503, "SERVICE_UNAVAILABLE")
    assert query(http, task_id)["task_id"] == task_id
    assert control(http, "GET", "/faults")["faults"] == []


def test_delay_fault_sleeps_then_answers(http: FlaskClient, monkeypatch: pytest.MonkeyPatch) -> None:
    slept: list[float] = []
    monkeypatch.setattr("mockserver.web.api_views.time.sleep", slept.append)
    control(http, "POST", "/faults", {"kind": "delay", "delay": 2.5})
    assert http.post(CREATE, json=std_body(), headers=AUTH).status_code == 200
    assert slept == [2.5]


def test_drop_fault_closes_without_an_answer(http: FlaskClient) -> None:
    control(http, "POST", "/faults", {"kind": "drop", "operation": "any"})
    assert dropped(http.post(CREATE, json=std_body(), headers=AUTH))
    assert http.post(CREATE, json=std_body(), headers=AUTH).status_code == 200
    statuses = [e["status"] for e in control(http, "GET", "/journal")["entries"]]
    assert statuses == [0, 200]


def test_rate_limit_via_control(http: FlaskClient, clock: FakeClock) -> None:
    control(http, "POST", "/limits", {"token": "sk_test", "rate_per_minute": 2})
    assert http.post(CREATE, json=std_body(), headers=AUTH).status_code == 200
    assert http.post(CREATE, json=std_body(), headers=AUTH).status_code == 200
    answer = http.post(CREATE, json=std_body(), headers=AUTH)
    assert_envelope(answer, 429, "RATE_LIMITED")
    assert int(answer.headers["Retry-After"]) >= 1
    clock.advance(61)
    assert http.post(CREATE, json=std_body(), headers=AUTH).status_code == 200


def test_in_flight_cap_via_control(http: FlaskClient) -> None:
    control(http, "POST", "/limits", {"max_in_flight": 1})
    task_id = create_task(http)
    answer = http.post(CREATE, json=std_body(), headers=AUTH)
    body = assert_envelope(answer, 429, "TOO_MANY_TASKS")
    assert body["data"]["retry_after"] == int(answer.headers["Retry-After"]) >= 1
    control(http, "POST", f"/tasks/{task_id}/complete")
    assert http.post(CREATE, json=std_body(), headers=AUTH).status_code == 200
    control(http, "POST", "/limits", {"max_in_flight": None})


def test_limits_are_off_by_default(http: FlaskClient) -> None:
    for _ in range(50):
        assert http.post(CREATE, json=std_body(), headers=AUTH).status_code == 200


def test_journal_records_and_clears(http: FlaskClient) -> None:
    create_task(http)
    http.post(CREATE, json=std_body(duration=99), headers={"Authorization": "Bearer sk_secret_123"})
    entries = control(http, "GET", "/journal")["entries"]
    assert [(e["method"], e["status"]) for e in entries] == [("POST", 200), ("POST", 400)]
    assert entries[1]["token"].startswith("sk_s~") and "secret" not in str(entries)
    assert entries[1]["request"]["headers"]["Authorization"].startswith("Bearer sk_s~")
    assert '"duration": 99' in entries[1]["request"]["body"]
    assert entries[1]["rules"] == ["STD_DURATION_RANGE"] and entries[1]["response"]["status"] == 400
    assert "STD_DURATION_RANGE" in entries[1]["response"]["body"]
    assert all(isinstance(e["time"], float) and e["path"] == CREATE for e in entries)
    assert entries[0]["seq"] < entries[1]["seq"] and all(e["duration_ms"] >= 0 for e in entries)
    control(http, "DELETE", "/journal")
    assert control(http, "GET", "/journal")["entries"] == []


def test_task_timeline_endpoint(http: FlaskClient, mock_app: Flask) -> None:
    task_id = create_task(http, ratio="9:16")
    data = control(http, "GET", f"/tasks/{task_id}")
    assert data["width"] == 720 and data["height"] == 1280
    assert data["created_at"] < data["processing_at"] < data["finished_at"]


def test_health_and_spec_endpoints() -> None:
    with EmbeddedServer() as server:
        health = requests.get(f"{server.url}/_mock/health", timeout=5).json()["data"]
        assert health["status"] == "ok" and health["store"] == "memory" and health["tasks"] == 0
        assert health["version"] and health["uptime"] >= 0
        spec = requests.get(f"{server.url}/_mock/openapi.yaml", timeout=5)
        assert spec.status_code == 200 and "\nopenapi: 3.1" in spec.text
        assert spec.headers["Content-Type"].startswith("application/yaml")


def test_usage_names_each_routes_billing_unit() -> None:
    http = create_app().test_client()
    for body in (std_body(duration=8), std_body(duration=5),
                 {"model": "seedance2.0-sp", "prompt": "x", "duration": 6, "resolution": "1080p"}):
        assert http.post(CREATE, json=body, headers=AUTH).status_code == 200
    rows = {r["model"]: r for r in http.get("/_mock/usage").get_json()["data"]["usage"]}
    assert rows["seedance2.0-std"]["billing_unit"] == "per_task" and rows["seedance2.0-std"]["billable_units"] == 2
    sp = rows["seedance2.0-sp"]
    assert sp["billing_unit"] == "per_second_by_resolution" and sp["resolution"] == "1080p"
    assert sp["billable_units"] == 6 == sp["billable_seconds"]


def test_usage_answers_the_specs_usage_summary() -> None:
    import jsonschema

    from mockserver.spec.loader import load_spec

    spec = load_spec()
    http = create_app().test_client()
    http.post(CREATE, json=std_body(), headers=AUTH)
    failed = http.post(CREATE, json=std_body(), headers={**AUTH, "X-Seedance-Mock": "fail"})
    assert failed.status_code == 200
    data = http.get("/_mock/usage").get_json()["data"]
    schema = {"$ref": "#/x-emulator-schemas/UsageSummary", "x-emulator-schemas": spec["x-emulator-schemas"]}
    jsonschema.validate(data, schema)
    (row,) = data["usage"]
    assert (row["tasks"], row["failed"], row["billable_tasks"], row["billable_units"]) == (2, 1, 1, 1)
