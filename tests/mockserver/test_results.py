"""Result files: a real MP4 of the task's size and duration, stateless URLs, and 410 after retention."""

from __future__ import annotations

import io
from urllib.parse import urlsplit

import av
import pytest
from flask.testing import FlaskClient

from mockserver import create_app
from mockserver.video import VideoCache, encode_mp4
from tests.mockserver.conftest import AUTH, CREATE, FakeClock, assert_envelope, query, std_body


def finished_url(http: FlaskClient, clock: FakeClock, body: dict[str, object]) -> tuple[str, dict[str, object]]:
    answer = http.post(CREATE, json=body, headers=AUTH)
    task_id = answer.get_json()["data"]["task_id"]
    assert http.post(f"/_mock/tasks/{task_id}/complete").status_code == 200
    data = query(http, task_id)
    url = urlsplit(data["result"]["video_url"])
    return f"{url.path}?{url.query}", data


def probe(data: bytes) -> tuple[int, int, float]:
    with av.open(io.BytesIO(data)) as container:
        stream = container.streams.video[0]
        assert stream.codec_context.name == "h264"
        return stream.codec_context.width, stream.codec_context.height, container.duration / 1_000_000


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


def test_result_urls_are_stateless(http: FlaskClient, clock: FakeClock) -> None:
    path, _ = finished_url(http, clock, std_body(duration=4))
    other = create_app({"CLOCK": clock}).test_client()  # another worker, no tasks at all
    assert other.get(path).status_code == 200


@pytest.mark.parametrize(
    "query_string",
    ["", "w=1280&h=720&d=4", "w=1281&h=720&d=4&exp=9999999999", "w=0&h=720&d=4&exp=9999999999",
     "w=99999&h=720&d=4&exp=9999999999", "w=1280&h=720&d=0&exp=9999999999", "w=a&h=720&d=4&exp=1"],
)
def test_bad_result_urls_are_400(http: FlaskClient, query_string: str) -> None:
    assert_envelope(http.get(f"/_mock/files/vid_x.mp4?{query_string}"), 400, "VALIDATION_FAILED")


def test_unknown_file_names_are_404(http: FlaskClient) -> None:
    assert_envelope(http.get("/_mock/files/x.avi?w=2&h=2&d=1&exp=9999999999"), 404, "NOT_FOUND")


def test_encode_4k_ultrawide_15s() -> None:
    width, height, duration = probe(encode_mp4(5040, 2160, 15))
    assert (width, height, duration) == (5040, 2160, 15.0)


def test_cache_encodes_once(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[int, int, int]] = []

    def fake(width: int, height: int, duration: int) -> bytes:
        calls.append((width, height, duration))
        return b"mp4"

    monkeypatch.setattr("mockserver.video.encode_mp4", fake)
    cache = VideoCache(size=2)
    for _ in range(3):
        assert cache.get(2, 2, 1) == b"mp4"
    cache.get(4, 4, 1)
    cache.get(6, 6, 1)
    cache.get(2, 2, 1)
    assert calls == [(2, 2, 1), (4, 4, 1), (6, 6, 1), (2, 2, 1)]
