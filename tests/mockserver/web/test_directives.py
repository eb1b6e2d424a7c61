"""In-band directives (web/api_views.py, state/forcing.py): the X-Seedance-Mock header and the prompt marker."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from tests.mockserver.conftest import (
    AUTH,
    CREATE,
    FakeClock,
    assert_envelope,
    create_task,
    dropped,
    get_path,
    query,
    std_body,
)


@pytest.mark.parametrize(
    ("directive", "status", "error_id"),
    [("fault=429", 429, "RATE_LIMITED"), ("fault=500", 500, "INTERNAL_ERROR"),
     ("fault=502", 502, "BAD_GATEWAY"), ("fault=503", 503, "SERVICE_UNAVAILABLE")],
)
def test_header_fault(module_http: FlaskClient, directive: str, status: int, error_id: str) -> None:
    answer = module_http.post(CREATE, json=std_body(), headers={**AUTH, "X-Seedance-Mock": directive})
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
def test_bad_header_directive_is_400(module_http: FlaskClient, header: str) -> None:
    answer = module_http.post(CREATE, json=std_body(), headers={**AUTH, "X-Seedance-Mock": header})
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


def test_header_and_prompt_that_contradict_are_400(http: FlaskClient) -> None:
    body = std_body(prompt="[[seedance-mock: complete]] a cat")
    answer = http.post(CREATE, json=body, headers={**AUTH, "X-Seedance-Mock": "fail=quota"})
    assert_envelope(answer, 400, "INVALID_DIRECTIVE")
