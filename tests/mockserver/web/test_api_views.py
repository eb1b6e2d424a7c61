"""The public API through the Flask test client: every status code and every bad input."""

from __future__ import annotations

import json
from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.mockserver.conftest import (
    AUTH,
    CREATE,
    FakeClock,
    assert_envelope,
    create_task,
    post_raw,
    query,
    std_body,
)


def test_create_answers_the_success_envelope(http: FlaskClient, clock: FakeClock) -> None:
    answer = http.post(CREATE, json=std_body(), headers=AUTH)
    assert answer.status_code == 200 and answer.mimetype == "application/json"
    body = answer.get_json()
    assert body["code"] == "20000" and body["msg"] == "ok"
    data = body["data"]
    assert data["status"] == "queued" and data["model"] == "seedance2.0-std"
    assert data["task_id"].startswith("vid_") and data["created_at"] == int(clock.now)


def test_documented_examples_are_accepted(http: FlaskClient) -> None:
    from mockserver.spec.loader import load_spec

    examples = load_spec()["paths"][CREATE]["post"]["requestBody"]["content"]["application/json"]["examples"]
    for example in examples.values():
        assert http.post(CREATE, json=example["value"], headers=AUTH).status_code == 200


def test_lifecycle_to_completed_with_result(http: FlaskClient, clock: FakeClock) -> None:
    task_id = create_task(http)
    seen = []
    for _ in range(120):
        data = query(http, task_id)
        seen.append(data["status"])
        clock.advance(1)
    assert seen[0] == "queued" and "processing" in seen and seen[-1] == "completed"
    assert data["result"]["video_url"].startswith(f"http://localhost/_mock/files/{task_id}.mp4?w=1280&h=720&d=8")
    assert isinstance(data["result"]["expires_at"], int)
    assert "error" not in data


@pytest.mark.parametrize("body", [[], [1], "x", 5, 5.5, True, None])
def test_non_object_body_yields_only_body_object(module_http: FlaskClient, body: Any) -> None:
    answer = assert_envelope(post_raw(module_http, json.dumps(body).encode()), 400, "VALIDATION_FAILED")
    assert answer["data"]["rules"] == ["BODY_OBJECT"]
    assert answer["data"]["violations"][0]["field"] == ""


def test_violation_names_rule_and_field(http: FlaskClient) -> None:
    answer = http.post(CREATE, json=std_body(duration=40, ratio="5:4"), headers=AUTH)
    body = assert_envelope(answer, 400, "VALIDATION_FAILED")
    assert body["data"]["rules"] == ["STD_DURATION_RANGE", "STD_RATIO"]
    fields = {v["rule"]: v["field"] for v in body["data"]["violations"]}
    assert fields == {"STD_DURATION_RANGE": "duration", "STD_RATIO": "ratio"}
    assert all(v["message"] for v in body["data"]["violations"])
    assert "STD_DURATION_RANGE" in body["msg"]


def test_missing_required_fields_name_the_missing_property(http: FlaskClient) -> None:
    body = assert_envelope(http.post(CREATE, json={}, headers=AUTH), 400, "VALIDATION_FAILED")
    assert {(v["rule"], v["field"]) for v in body["data"]["violations"]} == {
        ("MODEL_REQUIRED", "model"),
        ("PROMPT_REQUIRED", "prompt"),
        ("DURATION_REQUIRED", "duration"),
    }
