"""Result files: a real MP4 of the task's size and duration, stateless URLs, and 410 after retention."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import pytest
from flask.testing import FlaskClient

from mockserver import create_app
from tests.mockserver.conftest import AUTH, CREATE, FakeClock, assert_envelope, probe, query, std_body


def finished_url(http: FlaskClient, clock: FakeClock, body: dict[str, object]) -> tuple[str, dict[str, object]]:
    answer = http.post(CREATE, json=body, headers=AUTH)
    task_id = answer.get_json()["data"]["task_id"]
    assert http.post(f"/_mock/tasks/{task_id}/complete").status_code == 200
    data = query(http, task_id)
    url = urlsplit(data["result"]["video_url"])
    return f"{url.path}?{url.query}", data


@pytest.mark.parametrize(
    ("body", "size"),
    [
        (std_body(duration=5), (1280, 720)),
        (std_body(duration=4, ratio="9:16"), (720, 1280)),
        ({"model": "seedance2.0-sp", "prompt": "x", "duration": 6, "resolution": "480p", "ratio": "4:3"}, (640, 480)),
        ({"model": "sd2_mx_1080p", "prompt": "x", "duration": 4, "ratio": "1:1"}, (1080, 1080)),
    ],
)
def test_result_is_a_playable_mp4_of_the_right_size(
    http: FlaskClient, clock: FakeClock, body: dict[str, object], size: tuple[int, int]
) -> None:
    path, data = finished_url(http, clock, body)
    answer = http.get(path)
    assert answer.status_code == 200 and answer.mimetype == "video/mp4"
    payload = answer.get_data()
    assert payload[4:8] == b"ftyp" and b"moov" in payload
    width, height, duration = probe(payload)
    assert (width, height) == size
    assert duration == pytest.approx(float(body["duration"]), abs=0.01)  # type: ignore[arg-type]
    assert data["result"]["expires_at"] == int(clock.now) + 259_200


def test_result_expires_with_410(http: FlaskClient, clock: FakeClock) -> None:
    path, data = finished_url(http, clock, std_body(duration=4))
    clock.now = float(data["result"]["expires_at"])  # type: ignore[index]
    assert http.get(path).status_code == 200
    clock.advance(1)
    assert_envelope(http.get(path), 410, "RESULT_EXPIRED")


def test_result_urls_survive_eviction_and_work_on_every_worker(tmp_path: Path, clock: FakeClock) -> None:
    store = f"sqlite:{tmp_path / 'shared.db'}"
    first = create_app({"CLOCK": clock, "STORE": store}).test_client()
    path, _ = finished_url(first, clock, std_body(duration=4))
    first.post("/_mock/reset")  # the task is gone; its signed URL still works until it expires
    other = create_app({"CLOCK": clock, "STORE": store}).test_client()  # another worker, a restart
    assert other.get(path).status_code == 200


def test_result_urls_of_another_emulator_are_refused(http: FlaskClient, clock: FakeClock) -> None:
    path, _ = finished_url(http, clock, std_body(duration=4))
    stranger = create_app({"CLOCK": clock}).test_client()  # its own memory store, its own secret
    assert_envelope(stranger.get(path), 404, "NOT_FOUND")


@pytest.mark.parametrize(
    ("change", "status"),
    [
        (("w", "1920"), 404), (("h", "1080"), 404), (("d", "5"), 404), (("exp", "9999999999"), 404),
        (("sig", "0" * 32), 404), (("sig", ""), 404), (("w", "8192"), 404), (("d", "60"), 404),
        (("w", "%C2%B2"), 400), (("exp", "¹"), 400), (("exp", "9" * 5000), 400), (("w", "-2"), 400),
        (("d", "a"), 400),
    ],
)
def test_forged_or_malformed_result_urls_are_refused(
    http: FlaskClient, clock: FakeClock, change: tuple[str, str], status: int
) -> None:
    path, _ = finished_url(http, clock, std_body(duration=4))
    base, _, query_string = path.partition("?")
    params = dict(item.split("=", 1) for item in query_string.split("&"))
    params[change[0]] = change[1]
    forged = base + "?" + "&".join(f"{k}={v}" for k, v in params.items())
    for method in (http.get, http.head):
        answer = method(forged)
        assert answer.status_code == status
    assert_envelope(http.get(forged), status, "NOT_FOUND" if status == 404 else "VALIDATION_FAILED")


def test_head_answers_from_metadata_without_encoding(
    http: FlaskClient, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    path, _ = finished_url(http, clock, std_body(duration=7))
    monkeypatch.setattr("mockserver.media.video.encode_mp4", lambda *a: pytest.fail("HEAD encoded"))
    answer = http.head(path)
    assert answer.status_code == 200 and answer.mimetype == "video/mp4"
    assert "Content-Length" not in answer.headers or answer.headers["Content-Length"] != "0"


def test_unknown_file_names_are_404(http: FlaskClient) -> None:
    assert_envelope(http.get("/_mock/files/x.avi?w=2&h=2&d=1&exp=9999999999"), 404, "NOT_FOUND")
