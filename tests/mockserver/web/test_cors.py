"""Opt-in CORS (web/cors.py): off by default; for one origin, preflights and headers on the API, never on
the control API; `--cors` reaches a live server."""

from __future__ import annotations

import pytest
import requests
from flask.testing import FlaskClient

from mockserver import create_app
from tests.mockserver.conftest import AUTH, CREATE, std_body
from tests.mockserver.hostile.processes import running

ORIGIN = "http://app.test"
ASKING = {"Origin": ORIGIN, "Access-Control-Request-Method": "POST"}


@pytest.fixture
def cors_http() -> FlaskClient:
    return create_app({"CORS_ORIGIN": ORIGIN}).test_client()


def test_cors_is_off_by_default() -> None:
    plain = create_app().test_client()
    assert plain.open(CREATE, method="OPTIONS", headers=ASKING).status_code == 405
    assert "Access-Control-Allow-Origin" not in plain.post(CREATE, json=std_body(), headers={**AUTH, **ASKING}).headers


def test_a_preflight_from_the_origin_is_answered(cors_http: FlaskClient) -> None:
    preflight = cors_http.open(CREATE, method="OPTIONS", headers=ASKING)
    assert preflight.status_code == 204 and preflight.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert "Authorization" in preflight.headers["Access-Control-Allow-Headers"]


def test_answers_to_the_origin_carry_the_header_errors_too(cors_http: FlaskClient) -> None:
    answer = cors_http.post(CREATE, json=std_body(duration=99), headers={**AUTH, "Origin": ORIGIN})
    assert answer.status_code == 400 and answer.headers["Access-Control-Allow-Origin"] == ORIGIN


def test_another_origin_gets_no_header(cors_http: FlaskClient) -> None:
    other = cors_http.post(CREATE, json=std_body(), headers={**AUTH, "Origin": "http://evil.test"})
    assert "Access-Control-Allow-Origin" not in other.headers


def test_never_on_the_control_api(cors_http: FlaskClient) -> None:
    assert cors_http.open("/_mock/reset", method="OPTIONS", headers=ASKING).status_code == 405


@pytest.mark.slow  # starts an emulator process and waits for its console output
def test_cors_preflight_and_headers_but_never_on_the_control_api() -> None:
    origin = "http://localhost:3000"
    with running(["--server", "waitress", "--quiet", "--cors", origin]) as emu:
        asking = {"Origin": origin, "Access-Control-Request-Method": "POST",
                  "Access-Control-Request-Headers": "authorization"}
        pre = requests.options(emu.url + CREATE, headers=asking, timeout=10)
        assert pre.status_code == 204 and pre.headers["Access-Control-Allow-Origin"] == origin
        assert "authorization" in pre.headers["Access-Control-Allow-Headers"].lower()
        made = requests.post(emu.url + CREATE, json=std_body(), headers={**AUTH, "Origin": origin}, timeout=10)
        assert made.headers["Access-Control-Allow-Origin"] == origin
        other = requests.post(emu.url + CREATE, json=std_body(), headers={**AUTH, "Origin": "http://evil"}, timeout=10)
        assert "Access-Control-Allow-Origin" not in other.headers
        control = requests.get(emu.url + "/_mock/health", headers={"Origin": origin}, timeout=10)
        assert "Access-Control-Allow-Origin" not in control.headers
