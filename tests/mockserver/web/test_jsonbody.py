"""Request bodies that are not JSON, or JSON that breaks parsers: 400 INVALID_JSON, never a crash (web/jsonbody.py)."""

from __future__ import annotations

import json

import pytest
from flask.testing import FlaskClient

from tests.mockserver.conftest import (
    AUTH,
    CREATE,
    assert_envelope,
    post_raw,
    std_body,
)


@pytest.fixture(scope="module")
def http(module_http: FlaskClient) -> FlaskClient:
    """One app for the module: each answer here depends on its body alone."""
    return module_http


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
