"""Every error in the one envelope (web/envelope.py): unknown routes, wrong methods, exceptions, never HTML."""

from __future__ import annotations

import json
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.mockserver.conftest import (
    AUTH,
    CREATE,
    assert_envelope,
    get_path,
    std_body,
)


@pytest.mark.parametrize("path", ["/nothing", "/api", "/api/open-api/v1/videos/", "/api/open-api/v2/seedance/videos"])
def test_unknown_route_is_404_envelope(module_http: FlaskClient, path: str) -> None:
    assert_envelope(module_http.get(path, headers=AUTH), 404, "NOT_FOUND")


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
def test_wrong_method_is_405_with_allow(module_http: FlaskClient, method: str, path: str, allow: str) -> None:
    answer = module_http.open(path, method=method, headers=AUTH)
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


def test_the_error_id_table_is_the_specs() -> None:
    from mockserver.spec.loader import load_spec
    from mockserver.state.errors import ERROR_STATUS

    spec = load_spec()
    assert {entry["id"]: entry["status"] for entry in spec["x-error-ids"]} == ERROR_STATUS
