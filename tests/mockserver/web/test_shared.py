"""What the views share (web/shared.py): bearer authentication and tenancy, the content type, the body limit."""

from __future__ import annotations

import json

import pytest
from flask.testing import FlaskClient

from mockserver import create_app
from tests.mockserver.conftest import (
    AUTH,
    CREATE,
    FakeClock,
    assert_envelope,
    create_task,
    get_path,
    post_raw,
    query,
    std_body,
)


@pytest.mark.parametrize(
    "header",
    [None, "", "Bearer", "Bearer ", "Basic c2s6eA==", "Token sk_test", "sk_test"],
)
def test_missing_or_malformed_auth_is_401(module_http: FlaskClient, header: str | None) -> None:
    headers = {} if header is None else {"Authorization": header}
    assert_envelope(module_http.post(CREATE, json=std_body(), headers=headers), 401, "UNAUTHORIZED")
    assert_envelope(module_http.get(get_path("vid_x"), headers=headers), 401, "UNAUTHORIZED")


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


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", "application/xml", ""])
def test_wrong_content_type_is_415(module_http: FlaskClient, content_type: str) -> None:
    answer = post_raw(module_http, json.dumps(std_body()).encode(), content_type=content_type)
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
