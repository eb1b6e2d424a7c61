"""Who may use the control API (web/control_access.py): loopback only, no proxied requests unless trusted,
no cross-site writes, the control token when set; OPTIONS answers in the envelope."""
from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from mockserver import create_app
from tests.mockserver.conftest import (
    AUTH,
    CREATE,
    FakeClock,
    assert_envelope,
    std_body,
)


@pytest.mark.parametrize("header", ["Forwarded", "X-Forwarded-For", "X-Real-Ip"])
def test_proxied_control_requests_are_refused(header: str) -> None:
    http = create_app().test_client()
    answer = http.post("/_mock/reset", headers={header: "for=203.0.113.9"})
    assert_envelope(answer, 403, "FORBIDDEN")
    trusting = create_app({"TRUST_PROXY": True}).test_client()
    assert trusting.post("/_mock/reset", headers={header: "for=203.0.113.9"}).status_code == 200


def test_non_loopback_callers_are_refused() -> None:
    http = create_app().test_client()
    answer = http.post("/_mock/reset", environ_base={"REMOTE_ADDR": "10.1.2.3"})
    assert_envelope(answer, 403, "FORBIDDEN")


def test_the_control_token_is_required_when_set() -> None:
    http = create_app({"CONTROL_TOKEN": "s3cret"}).test_client()
    assert_envelope(http.post("/_mock/reset"), 403, "FORBIDDEN")
    assert_envelope(http.post("/_mock/reset", headers={"X-Control-Token": "wrong"}), 403, "FORBIDDEN")
    assert http.post("/_mock/reset", headers={"X-Control-Token": "s3cret"}).status_code == 200
    http.set_cookie("seedance_control", "s3cret")
    assert http.get("/_mock/health").status_code == 200
    # The API itself does not need it.
    api = create_app({"CONTROL_TOKEN": "s3cret"}).test_client()
    assert api.post(CREATE, json=std_body(), headers=AUTH).status_code == 200


def test_options_answers_in_the_envelope() -> None:
    http = create_app().test_client()
    for path in ("/_mock/reset", "/_mock/journal", CREATE, "/api/open-api/v1/videos/vid_x"):
        answer = http.open(path, method="OPTIONS")
        assert_envelope(answer, 405, "METHOD_NOT_ALLOWED")
        assert answer.headers["Allow"]


@pytest.mark.parametrize(
    ("headers", "allowed"),
    [
        ({"Origin": "http://evil.test"}, False),
        ({"Origin": "null"}, False),
        ({"Sec-Fetch-Site": "cross-site"}, False),
        ({"Sec-Fetch-Site": "same-site"}, False),
        ({"Origin": "http://localhost"}, True),
        ({"Sec-Fetch-Site": "same-origin", "Origin": "http://localhost"}, True),
        ({}, True),
    ],
)
def test_cross_site_writes_are_refused(module_http: FlaskClient, headers: dict[str, str], allowed: bool) -> None:
    answer = module_http.post("/_mock/reset", headers=headers)
    if allowed:
        assert answer.status_code == 200
    else:
        assert_envelope(answer, 403, "FORBIDDEN")
    assert module_http.get("/_mock/health", headers=headers).status_code == 200  # reads stay open


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
