"""Rules on facts a body cannot show (spec/external_rules.py): declared media and Full-route asset audits."""

from __future__ import annotations

import json
from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.mockserver.conftest import AUTH, CREATE, assert_envelope
from tests.rule_table import valid_body

MD = "seedance2.0-md"
VIDEO_A = "https://cdn.example.com/a.mp4"
VIDEO_B = "https://cdn.example.com/b.mp4"


def post(http: FlaskClient, body: Any) -> Any:
    return http.post(CREATE, data=json.dumps(body), content_type="application/json", headers=AUTH)


def declare(http: FlaskClient, **facts: Any) -> None:
    assert http.post("/_mock/media", json=facts).status_code == 200


def rules_of(http: FlaskClient, body: dict[str, Any]) -> list[str]:
    answer = post(http, body)
    if answer.status_code == 200:
        return []
    rules: list[str] = assert_envelope(answer, 400, "VALIDATION_FAILED")["data"]["rules"]
    return rules


def test_unknown_media_is_valid(http: FlaskClient) -> None:
    assert rules_of(http, valid_body(MD, reference_videos=[VIDEO_A, VIDEO_B])) == []


def test_md_combined_duration(http: FlaskClient) -> None:
    declare(http, url=VIDEO_A, duration=8)
    declare(http, url=VIDEO_B, duration=7)
    assert rules_of(http, valid_body(MD, reference_videos=[VIDEO_A, VIDEO_B])) == []
    declare(http, url=VIDEO_B, duration=7.5)
    assert rules_of(http, valid_body(MD, reference_videos=[VIDEO_A, VIDEO_B])) == ["MD_REFERENCE_VIDEOS_DURATION"]
    # STD has no such rule.
    assert rules_of(http, valid_body("seedance2.0-std", reference_videos=[VIDEO_A, VIDEO_B])) == []


def test_md_combined_size(http: FlaskClient) -> None:
    declare(http, url=VIDEO_A, size=100_000_000)
    declare(http, url=VIDEO_B, size=100_000_000)
    assert rules_of(http, valid_body(MD, reference_videos=[VIDEO_A, VIDEO_B])) == []
    declare(http, url=VIDEO_B, size=100_000_001)
    assert rules_of(http, valid_body(MD, reference_videos=[VIDEO_A, VIDEO_B])) == ["MD_REFERENCE_VIDEOS_SIZE"]


@pytest.mark.parametrize(
    ("width", "height", "ok"),
    [(1280, 720, True), (3840, 2160, True), (1280, 719, False), (4096, 2176, False), (720, 1280, True),
     (640, 360, False)],
)
def test_md_video_resolution(http: FlaskClient, width: int, height: int, ok: bool) -> None:
    declare(http, url=VIDEO_A, width=width, height=height)
    expected = [] if ok else ["MD_REFERENCE_VIDEO_RESOLUTION"]
    assert rules_of(http, valid_body(MD, reference_videos=[VIDEO_A])) == expected


def test_unreachable_media(http: FlaskClient) -> None:
    image = "https://cdn.example.com/gone.png"
    declare(http, url=image, reachable=False)
    assert rules_of(http, valid_body("seedance2.0-std", images=[image])) == ["MEDIA_REACHABLE"]
    body = assert_envelope(post(http, valid_body("seedance2.0-std", first_image=image)), 400, "VALIDATION_FAILED")
    assert body["data"]["violations"][0]["field"] == "first_image"
    declare(http, url=image, reachable=True)
    assert rules_of(http, valid_body("seedance2.0-std", images=[image])) == []


@pytest.mark.parametrize(("state", "ok"), [("approved", True), ("pending", False), ("rejected", False)])
def test_full_asset_audit(http: FlaskClient, state: str, ok: bool) -> None:
    assert http.post("/_mock/assets", json={"asset_id": "asset://img42", "state": state}).status_code == 200
    body = valid_body("sd2_mx_720p", images=["asset://img42"])
    assert rules_of(http, body) == ([] if ok else ["FULL_ASSET_AUDIT"])
    # A bare id declares the same asset.
    assert http.post("/_mock/assets", json={"asset_id": "img43", "state": state}).status_code == 200
    assert rules_of(http, valid_body("sd2_mx_720p", first_image="asset://img43")) == (
        [] if ok else ["FULL_ASSET_AUDIT"]
    )
    assert rules_of(http, valid_body("sd2_mx_720p", images=["asset://other"])) == []


def test_external_and_body_rules_together(http: FlaskClient) -> None:
    declare(http, url=VIDEO_A, duration=20)
    body = valid_body(MD, duration=99, reference_videos=[VIDEO_A])
    assert rules_of(http, body) == ["MD_DURATION_RANGE", "MD_REFERENCE_VIDEOS_DURATION"]
