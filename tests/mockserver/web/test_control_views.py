"""Every forcing mechanism through HTTP: control API, fault queues, limits, in-band header and prompt marker."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from mockserver import create_app
from mockserver.serving.drop import is_dropped
from tests.mockserver.conftest import (
    AUTH,
    CREATE,
    FakeClock,
    assert_envelope,
    create_task,
    get_path,
    query,
    std_body,
)


def control(http: FlaskClient, method: str, path: str, payload: dict[str, Any] | None = None) -> Any:
    answer = http.open(f"/_mock{path}", method=method, json=payload)
    assert answer.status_code == 200, answer.get_json()
    return answer.get_json()["data"]


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


def test_control_is_loopback_only_by_default(clock: FakeClock) -> None:
    http = create_app({"CLOCK": clock}).test_client()
    remote = {"REMOTE_ADDR": "10.1.2.3"}
    assert_envelope(http.post("/_mock/reset", environ_base=remote), 403, "FORBIDDEN")
    # An API token grants nothing on the control API.
    assert_envelope(http.post("/_mock/reset", environ_base=remote, headers=AUTH), 403, "FORBIDDEN")
    assert http.post("/_mock/reset", environ_base={"REMOTE_ADDR": "::1"}).status_code == 200
    # The public API is not restricted.
    assert http.post(CREATE, json=std_body(), headers=AUTH, environ_base=remote).status_code == 200
    opened = create_app({"CLOCK": clock, "CONTROL_LOOPBACK_ONLY": False}).test_client()
    assert opened.post("/_mock/reset", environ_base=remote).status_code == 200


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


def dropped(answer: TestResponse) -> bool:
    """Did the app mark this request's connection to be dropped (each server's way: serving/drop.py)?"""
    return answer.status_code == 500 and is_dropped(answer.headers.items()) and not answer.data


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


@pytest.mark.parametrize(
    ("directive", "status", "error_id"),
    [("fault=429", 429, "RATE_LIMITED"), ("fault=500", 500, "INTERNAL_ERROR"),
     ("fault=502", 502, "BAD_GATEWAY"), ("fault=503", 503, "SERVICE_UNAVAILABLE")],
)
def test_header_fault(http: FlaskClient, directive: str, status: int, error_id: str) -> None:
    answer = http.post(CREATE, json=std_body(), headers={**AUTH, "X-Seedance-Mock": directive})
    assert_envelope(answer, status, error_id)


def test_header_drop_and_get_directives(http: FlaskClient) -> None:
    assert dropped(http.post(CREATE, json=std_body(), headers={**AUTH, "X-Seedance-Mock": "fault=drop"}))
    task_id = create_task(http)
    data = http.get(get_path(task_id), headers={**AUTH, "X-Seedance-Mock": "complete"}).get_json()["data"]
    assert data["status"] == "completed"


def test_header_outcomes(http: FlaskClient, clock: FakeClock) -> None:
    done = http.post(CREATE, json=std_body(), headers={**AUTH, "X-Seedance-Mock": "complete"})
    assert done.get_json()["data"]["status"] == "queued"  # the create answer is always "queued"
    assert query(http, done.get_json()["data"]["task_id"])["status"] == "completed"
    failed = http.post(CREATE, json=std_body(), headers={**AUTH, "X-Seedance-Mock": "fail=quota; fail-at=queue"})
    task_id = failed.get_json()["data"]["task_id"]
    statuses = set()
    for _ in range(60):
        statuses.add(query(http, task_id)["status"])
        clock.advance(1)
    assert statuses == {"queued", "failed"}
    assert query(http, task_id)["error"]["message"] == "quota"


@pytest.mark.parametrize("header", [
    "explode", "fault=418", "fail-at=later", "delay=abc", "delay=-1", "complete=1",
    "fail; complete", "complete; fail=x",
])
def test_bad_header_directive_is_400(http: FlaskClient, header: str) -> None:
    answer = http.post(CREATE, json=std_body(), headers={**AUTH, "X-Seedance-Mock": header})
    assert_envelope(answer, 400, "INVALID_DIRECTIVE")


def test_prompt_marker(http: FlaskClient, clock: FakeClock, monkeypatch: pytest.MonkeyPatch) -> None:
    answer = http.post(CREATE, json=std_body(prompt="[[seedance-mock: fault=503]] a cat"), headers=AUTH)
    assert_envelope(answer, 503, "SERVICE_UNAVAILABLE")
    assert dropped(http.post(CREATE, json=std_body(prompt="a cat [[seedance-mock: fault=drop]]"), headers=AUTH))
    marked = http.post(CREATE, json=std_body(prompt="a cat [[seedance-mock: fail=blocked]]"), headers=AUTH)
    task_id = marked.get_json()["data"]["task_id"]
    clock.advance(3600)
    assert query(http, task_id)["error"]["message"] == "blocked"
    quick = http.post(CREATE, json=std_body(prompt="[[seedance-mock: complete]] dog"), headers=AUTH)
    assert query(http, quick.get_json()["data"]["task_id"])["status"] == "completed"
    slept: list[float] = []
    monkeypatch.setattr("mockserver.web.api_views.time.sleep", slept.append)
    assert http.post(CREATE, json=std_body(prompt="[[seedance-mock: delay=0.5]] x"), headers=AUTH).status_code == 200
    assert slept == [0.5]
    bad = http.post(CREATE, json=std_body(prompt="[[seedance-mock: nope]] x"), headers=AUTH)
    assert_envelope(bad, 400, "INVALID_DIRECTIVE")


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


def test_header_and_prompt_that_contradict_are_400(http: FlaskClient) -> None:
    body = std_body(prompt="[[seedance-mock: complete]] a cat")
    answer = http.post(CREATE, json=body, headers={**AUTH, "X-Seedance-Mock": "fail=quota"})
    assert_envelope(answer, 400, "INVALID_DIRECTIVE")
