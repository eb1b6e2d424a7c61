"""What a task would be billed: the unit per route (read by hand from the documents), in the CLI's JSON output."""

from __future__ import annotations

import json

import pytest
import responses

from client.billing import BILLING_UNIT, usage_of
from client.cli import main
from tests.rule_table import FAMILIES

URL = "http://api.test/api/open-api/v1/seedance/videos"


@pytest.mark.parametrize(("model", "duration", "resolution", "unit", "applied", "billable"), [
    ("sd2_mx_4k", 8, "480p", "per_second", "4k", 8),                # Full: from the model id
    ("sd2_mx_video_fast_1080p", 6, None, "per_second", "1080p", 6),
    ("seedance2.0-sp", 10, "1080p", "per_second_by_resolution", "1080p", 10),
    ("seedance2.0-of-fast-sp", 5, None, "per_second_by_resolution", "720p", 5),  # documented default
    ("seedance2.0-mini", 4, "480p", "per_second_by_resolution", "480p", 4),
    ("seedance2.0-mini-sp", 15, "480p", "per_task", "480p", 0),
    ("seedance2.0-md", 1, "1080p", "per_task", "720p", 0),          # resolution ignored: fixed 720p
    ("seedance2.0-fast-i2v", 9, None, "per_task", "720p", 0),
    ("seedance2.0-std", 12, None, "per_task", "720p", 0),
])
def test_usage_of_each_route(model: str, duration: int, resolution: str | None, unit: str, applied: str,
                             billable: int) -> None:
    assert usage_of(model, duration, resolution) == {
        "model": model, "unit": unit, "resolution": applied, "tasks": 1, "seconds": duration,
        "billable_seconds": billable}


def test_every_family_has_a_unit_and_unknown_models_have_none() -> None:
    assert set(BILLING_UNIT) == set(FAMILIES)
    assert usage_of("seedance9", 5) is None
    assert usage_of("seedance2.0-sp", 5.0)["seconds"] == 5  # type: ignore[index]
    assert usage_of("seedance2.0-sp", True)["seconds"] == 0  # type: ignore[index]


def test_cli_json_output_shows_the_usage(capsys: pytest.CaptureFixture[str]) -> None:
    task = {"task_id": "vid_1", "status": "queued", "model": "sd2_mx_1080p", "created_at": 1}
    with responses.RequestsMock() as mocked:
        mocked.add(responses.POST, URL, json={"code": "20000", "msg": "ok", "data": task})
        code = main(["--json", "--api-key", "k", "--base-url", "http://api.test", "create", "--model",
                     "sd2_mx_1080p", "--prompt", "a fox", "--duration", "7", "--image", "asset://a1"])
    assert code == 0
    shown = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert shown["task_id"] == "vid_1"
    assert shown["usage"] == {"model": "sd2_mx_1080p", "unit": "per_second", "resolution": "1080p", "tasks": 1,
                              "seconds": 7, "billable_seconds": 7}
