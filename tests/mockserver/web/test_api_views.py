"""The public API through the Flask test client: every status code and every bad input."""

from __future__ import annotations

import json
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from mockserver import create_app
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


def post_raw(http: FlaskClient, data: bytes, content_type: str = "application/json", **headers: str) -> Any:
    return http.post(CREATE, data=data, content_type=content_type, headers={**AUTH, **headers})


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


@pytest.mark.parametrize(
    "header",
    [None, "", "Bearer", "Bearer ", "Basic c2s6eA==", "Token sk_test", "sk_test"],
)
def test_missing_or_malformed_auth_is_401(http: FlaskClient, header: str | None) -> None:
    headers = {} if header is None else {"Authorization": header}
    assert_envelope(http.post(CREATE, json=std_body(), headers=headers), 401, "UNAUTHORIZED")
    assert_envelope(http.get(get_path("vid_x"), headers=headers), 401, "UNAUTHORIZED")


def test_bearer_scheme_is_case_insensitive(http: FlaskClient) -> None:
    assert http.post(CREATE, json=std_body(), headers={"Authorization": "bearer sk_x"}).status_code == 200


def test_api_keys_restrict_tokens(clock: FakeClock) -> None:
    app = create_app({"CLOCK": clock, "API_KEYS": ["sk_one", "sk_two"]})
    http = app.test_client()
    assert http.post(CREATE, json=std_body(), headers={"Authorization": "Bearer sk_two"}).status_code == 200
    answer = http.post(CREATE, json=std_body(), headers={"Authorization": "Bearer sk_other"})
    assert_envelope(answer, 401, "UNAUTHORIZED")


def test_api_keys_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SEEDANCE_MOCK_API_KEYS", "sk_env")
    http = create_app().test_client()
    assert http.post(CREATE, json=std_body(), headers={"Authorization": "Bearer sk_env"}).status_code == 200
    assert http.post(CREATE, json=std_body(), headers=AUTH).status_code == 401


def test_tenancy_other_token_gets_404_like_a_missing_task(http: FlaskClient) -> None:
    task_id = create_task(http, token="sk_alice")
    other = http.get(get_path(task_id), headers={"Authorization": "Bearer sk_bob"})
    missing = http.get(get_path("vid_000000000000000000000000"), headers={"Authorization": "Bearer sk_bob"})
    body = assert_envelope(other, 404, "TASK_NOT_FOUND")
    assert assert_envelope(missing, 404, "TASK_NOT_FOUND")["data"] == body["data"]
    assert query(http, task_id, token="sk_alice")["task_id"] == task_id


@pytest.mark.parametrize(
    ("data", "why"),
    [
        (b"{", "truncated"),
        (b"", "empty"),
        (b"{'model': 1}", "single quotes"),
        (b'{"a": 1} x', "trailing garbage"),
        (b'{"duration": NaN}', "NaN"),
        (b'{"duration": Infinity}', "Infinity"),
        (b'{"duration": -Infinity}', "-Infinity"),
        (b'{"prompt": "\xff\xfe"}', "invalid UTF-8"),
        (b'{"prompt": "\xed\xa0\x80"}', "UTF-8 encoded surrogate"),
        (b'{"prompt": "\\ud800"}', "lone high surrogate"),
        (b'{"prompt": "x\\udc00y"}', "lone low surrogate"),
        (b'{"\\ud800": 1}', "lone surrogate in a key"),
        (b"[" * 100_000, "deep nesting"),
        (b"\xef\xbb\xbf{}", "BOM"),
    ],
)
def test_invalid_json_is_400_invalid_json(http: FlaskClient, data: bytes, why: str) -> None:
    body = assert_envelope(post_raw(http, data), 400, "INVALID_JSON")
    assert body["data"]["rules"] == []


def test_a_valid_surrogate_pair_is_fine(http: FlaskClient) -> None:
    body = json.dumps(std_body(prompt="a cat \ud83d\ude00")).encode()  # ensure_ascii writes the escaped pair
    assert b"\\ud83d" in body
    assert post_raw(http, body).status_code == 200


@pytest.mark.parametrize("body", [[], [1], "x", 5, 5.5, True, None])
def test_non_object_body_yields_only_body_object(http: FlaskClient, body: Any) -> None:
    answer = assert_envelope(post_raw(http, json.dumps(body).encode()), 400, "VALIDATION_FAILED")
    assert answer["data"]["rules"] == ["BODY_OBJECT"]
    assert answer["data"]["violations"][0]["field"] == ""


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", "application/xml", ""])
def test_wrong_content_type_is_415(http: FlaskClient, content_type: str) -> None:
    answer = post_raw(http, json.dumps(std_body()).encode(), content_type=content_type)
    assert_envelope(answer, 415, "UNSUPPORTED_MEDIA_TYPE")


def test_json_with_charset_is_accepted(http: FlaskClient) -> None:
    answer = post_raw(http, json.dumps(std_body()).encode(), content_type="application/json; charset=utf-8")
    assert answer.status_code == 200


def test_too_large_body_is_413(http: FlaskClient) -> None:
    big = json.dumps(std_body(prompt="x" * 1_100_000)).encode()
    assert_envelope(post_raw(http, big), 413, "BODY_TOO_LARGE")


def test_body_limit_is_configurable(clock: FakeClock) -> None:
    http = create_app({"CLOCK": clock, "MAX_BODY_BYTES": 200}).test_client()
    assert_envelope(post_raw(http, json.dumps(std_body(prompt="x" * 300)).encode()), 413, "BODY_TOO_LARGE")
    assert post_raw(http, json.dumps(std_body()).encode()).status_code == 200


@pytest.mark.parametrize("path", ["/", "/api", "/api/open-api/v1/videos/", "/api/open-api/v2/seedance/videos"])
def test_unknown_route_is_404_envelope(http: FlaskClient, path: str) -> None:
    assert_envelope(http.get(path, headers=AUTH), 404, "NOT_FOUND")


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("GET", CREATE, "POST"),
        ("PUT", CREATE, "POST"),
        ("DELETE", CREATE, "POST"),
        ("OPTIONS", CREATE, "POST"),
        ("POST", get_path("vid_x"), "GET, HEAD"),
        ("DELETE", get_path("vid_x"), "GET, HEAD"),
        ("PATCH", get_path("vid_x"), "GET, HEAD"),
    ],
)
def test_wrong_method_is_405_with_allow(http: FlaskClient, method: str, path: str, allow: str) -> None:
    answer = http.open(path, method=method, headers=AUTH)
    assert_envelope(answer, 405, "METHOD_NOT_ALLOWED")
    assert answer.headers["Allow"] == allow


def test_unexpected_exception_is_500_and_server_keeps_serving(mock_app: Flask, http: FlaskClient) -> None:
    state = mock_app.extensions["seedance_mock"]

    def broken(*_args: Any) -> None:
        raise RuntimeError("boom")

    original = state.backend.create
    state.backend.create = broken
    body = assert_envelope(http.post(CREATE, json=std_body(), headers=AUTH), 500, "INTERNAL_ERROR")
    assert "boom" not in json.dumps(body) and "Traceback" not in json.dumps(body)
    state.backend.create = original
    assert http.post(CREATE, json=std_body(), headers=AUTH).status_code == 200


def test_no_html_ever(http: FlaskClient) -> None:
    for answer in (
        http.get("/nope"),
        http.post("/nope"),
        http.put(CREATE, headers=AUTH),
        http.get("/_mock/nope"),
        http.get("/_mock/files/x.mp4"),
    ):
        assert answer.mimetype == "application/json"
        assert b"<html" not in answer.get_data().lower()


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


def test_huge_and_odd_numbers_do_not_crash(http: FlaskClient) -> None:
    for duration in ("1e400", "123456789012345678901234567890", "-0", "5.0", "1E1"):
        data = b'{"model": "seedance2.0-std", "prompt": "x", "duration": ' + duration.encode() + b"}"
        assert post_raw(http, data).status_code in (200, 400)
    ok = post_raw(http, b'{"model": "seedance2.0-std", "prompt": "x", "duration": 5.0}')
    assert ok.status_code == 200


def test_nul_and_control_characters_are_judged_not_crashed(http: FlaskClient) -> None:
    assert http.post(CREATE, json=std_body(prompt="\x00"), headers=AUTH).status_code == 200
    answer = http.post(CREATE, json=std_body(prompt="\t\n"), headers=AUTH)
    assert assert_envelope(answer, 400, "VALIDATION_FAILED")["data"]["rules"] == ["PROMPT_NOT_BLANK"]
