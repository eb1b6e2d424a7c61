"""Deep and wide bodies: refused with 400 before schema validation, cheaply."""

from __future__ import annotations

import json
import time

import pytest
from flask.testing import FlaskClient

from mockserver.web.jsonbody import MAX_DEPTH, InvalidJson, parse_json_body
from tests.mockserver.conftest import AUTH, CREATE

JSON = {**AUTH, "Content-Type": "application/json"}


@pytest.fixture(scope="module")
def http(module_http: FlaskClient) -> FlaskClient:
    """One app for the module: every body here is refused, whatever came before."""
    return module_http


@pytest.mark.parametrize("depth", [400, 700, 950])
def test_deep_body_with_a_lone_surrogate_is_400_not_500(http: FlaskClient, depth: int) -> None:
    body = b'{"a":' * depth + b'"\\ud800"' + b"}" * depth
    answer = http.post(CREATE, data=body, headers=JSON)
    assert answer.status_code == 400 and answer.get_json()["data"]["error"] == "INVALID_JSON"


def test_depth_bound_is_exact() -> None:
    assert parse_json_body(b"[" * MAX_DEPTH + b"]" * MAX_DEPTH) is not None
    with pytest.raises(InvalidJson, match="deeper than"):
        parse_json_body(b"[" * (MAX_DEPTH + 1) + b"]" * (MAX_DEPTH + 1))


@pytest.mark.parametrize(
    ("field", "model", "rule"),
    [("images", "seedance2.0-std", "STD_IMAGES_MAX"), ("reference_videos", "seedance2.0-md", "MD_REFERENCE_VIDEOS_MAX"),
     ("reference_audios", "seedance2.0-std", "STD_AUDIOS_MAX")],
)
def test_huge_arrays_answer_the_rule_they_break(http: FlaskClient, field: str, model: str, rule: str) -> None:
    body = {"model": model, "prompt": "x", "duration": 5, field: ["https://a.test/x.mp4"] * 40_000}
    answer = http.post(CREATE, data=json.dumps(body), headers=JSON)
    assert answer.status_code == 400 and rule in answer.get_json()["data"]["rules"]


def test_brackets_and_commas_inside_strings_do_not_count() -> None:
    body = {"prompt": "[" * 5000 + "," * 5000}
    assert parse_json_body(json.dumps(body).encode()) == body


HUGE = 1_000_000
SLOW_BODIES = {
    "flat 262k numbers": (b"[" + b"0," * 262_000 + b"0]", "VALIDATION_FAILED"),
    "200k item image list": (
        json.dumps({"model": "seedance2.0-std", "prompt": "x", "images": ["a"] * 200_000}).encode(), "VALIDATION_FAILED"
    ),
    "524k numbers in images": (json.dumps({"model": "seedance2.0-std", "prompt": "x", "duration": 5,
                                           "images": [0] * 340_000}).encode(), "VALIDATION_FAILED"),
    "nested 500k": (b"[" * (HUGE // 2) + b"]" * (HUGE // 2), "INVALID_JSON"),
    "unclosed 1M": (b"[" * HUGE, "INVALID_JSON"),
    "deep then wide": (b"[" * 60 + b"0," * 400_000 + b"0" + b"]" * 60, "VALIDATION_FAILED"),
}


@pytest.mark.parametrize("name", SLOW_BODIES)
def test_rejected_megabyte_bodies_are_cheap(http: FlaskClient, name: str) -> None:
    body, error = SLOW_BODIES[name]
    assert len(body) <= 1_048_576
    best = float("inf")
    # CPU time of this thread (the test client runs the app in it), best of three: what the body costs the
    # emulator, not how busy the shared machine is (wall time failed under a parallel test run).
    for _ in range(3):
        started = time.thread_time()
        answer = http.post(CREATE, data=body, headers=JSON)
        best = min(best, time.thread_time() - started)
    assert answer.status_code == 400 and answer.get_json()["data"]["error"] == error
    assert best < 0.05, f"{name}: {best * 1000:.0f} ms of CPU"
