"""SeedanceClient methods against scripted answers: configuration, wait, download, generate."""

from __future__ import annotations

import json
import socket
import struct
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import responses

from client import (
    DEFAULT_BASE_URL,
    APIConnectionError,
    NotFoundError,
    ResultExpiredError,
    SeedanceClient,
    SeedanceError,
    Task,
    TaskFailedError,
    WaitTimeout,
)

BASE = "http://api.test"
CREATE = BASE + "/api/open-api/v1/seedance/videos"
QUERY = BASE + "/api/open-api/v1/videos/vid_1"
VIDEO_URL = "https://cdn.test/files/vid_1.mp4?sig=abc"
STD = "seedance2.0-std"
VIDEO = b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 400


def snapshot(status: str, **extra: Any) -> dict[str, Any]:
    data: dict[str, Any] = {"task_id": "vid_1", "status": status, "model": STD, "created_at": 1_700_000_000}
    if status == "completed":
        data["result"] = {"video_url": VIDEO_URL, "expires_at": 1_700_259_200}
    if status == "failed":
        data["error"] = {"code": "GENERATION_FAILED", "message": "the model refused"}
    data.update(extra)
    return {"code": "20000", "msg": "ok", "data": data}


class FakeTime:
    """A clock that only moves when the client sleeps."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    def clock(self) -> float:
        return self.now


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


@pytest.fixture
def api(fake_time: FakeTime) -> SeedanceClient:
    return SeedanceClient("sk_test", BASE, sleep=fake_time.sleep, clock=fake_time.clock)


@pytest.fixture
def mocked() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


def test_configuration_from_environment_at_init(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SEEDANCE_API_KEY", "sk_env")
    monkeypatch.setenv("SEEDANCE_BASE_URL", "http://env.test/")
    api = SeedanceClient()
    assert (api.api_key, api.base_url) == ("sk_env", "http://env.test")
    assert SeedanceClient("sk_arg", "http://arg.test").base_url == "http://arg.test"
    monkeypatch.delenv("SEEDANCE_BASE_URL")
    assert SeedanceClient().base_url == DEFAULT_BASE_URL == "https://www.jimmyai.cn"


def test_create_sends_bearer_json_and_returns_task(api: SeedanceClient, mocked: responses.RequestsMock) -> None:
    mocked.add(responses.POST, CREATE, json=snapshot("queued"))
    task = api.create_video(model=STD, prompt="a fox", duration=5, extra={"seed": 7},
                            headers={"X-Seedance-Mock": "complete"})
    assert task == Task("vid_1", "queued", STD, 1_700_000_000)
    assert not task.is_terminal
    sent = mocked.calls[0].request
    assert sent.headers["Authorization"] == "Bearer sk_test"
    assert sent.headers["Content-Type"] == "application/json"
    assert sent.headers["X-Seedance-Mock"] == "complete"
    assert sent.body is not None and json.loads(sent.body)["seed"] == 7


def test_get_task_quotes_the_id(api: SeedanceClient, mocked: responses.RequestsMock) -> None:
    mocked.add(responses.GET, BASE + "/api/open-api/v1/videos/a%2Fb", json=snapshot("queued"))
    api.get_task("a/b")
    with pytest.raises(ValueError, match="task_id must be a non-empty string"):
        api.get_task("")


def test_wait_polls_with_backoff_until_completed(api: SeedanceClient, mocked: responses.RequestsMock,
                                                 fake_time: FakeTime) -> None:
    for status in ("queued", "processing", "processing", "processing", "completed"):
        mocked.add(responses.GET, QUERY, json=snapshot(status))
    seen: list[str] = []
    done = api.wait("vid_1", timeout=100, poll_interval=2.0, on_update=lambda t: seen.append(t.status))
    assert done.status == "completed" and done.video_url == VIDEO_URL
    assert seen == ["queued", "processing", "processing", "processing", "completed"]
    assert fake_time.sleeps == [2.0, 3.0, 4.5, 6.75]


def test_wait_interval_is_capped(api: SeedanceClient, mocked: responses.RequestsMock,
                                 fake_time: FakeTime) -> None:
    for _ in range(8):
        mocked.add(responses.GET, QUERY, json=snapshot("processing"))
    mocked.add(responses.GET, QUERY, json=snapshot("completed"))
    api.wait("vid_1", timeout=1000, poll_interval=4.0)
    assert max(fake_time.sleeps) == 10.0


def test_wait_accepts_a_task_and_returns_a_fresh_snapshot(api: SeedanceClient,
                                                          mocked: responses.RequestsMock) -> None:
    mocked.add(responses.GET, QUERY, json=snapshot("completed"))
    stale = Task("vid_1", "completed", STD, 1)  # even a terminal snapshot is refreshed
    assert api.wait(stale, timeout=5, poll_interval=0).video_url == VIDEO_URL
    assert len(mocked.calls) == 1


def test_wait_poll_interval_zero_never_sleeps(api: SeedanceClient, mocked: responses.RequestsMock,
                                              fake_time: FakeTime) -> None:
    mocked.add(responses.GET, QUERY, json=snapshot("queued"))
    mocked.add(responses.GET, QUERY, json=snapshot("completed"))
    api.wait("vid_1", timeout=5, poll_interval=0)
    assert fake_time.sleeps == []


def test_wait_raises_task_failed_with_the_task(api: SeedanceClient, mocked: responses.RequestsMock) -> None:
    mocked.add(responses.GET, QUERY, json=snapshot("failed"))
    with pytest.raises(TaskFailedError) as info:
        api.wait("vid_1", timeout=5, poll_interval=0)
    assert info.value.task.error is not None and info.value.task.error.message == "the model refused"


def test_wait_timeout_carries_the_last_snapshot_and_respects_the_deadline(
        api: SeedanceClient, mocked: responses.RequestsMock, fake_time: FakeTime) -> None:
    mocked.add(responses.GET, QUERY, json=snapshot("processing"))
    with pytest.raises(WaitTimeout) as info:
        api.wait("vid_1", timeout=7, poll_interval=2)
    assert info.value.task.status == "processing"
    assert fake_time.now == 7  # the last sleep was trimmed to the deadline
    assert fake_time.sleeps == [2, 3, 2]


def test_download_streams_to_target(api: SeedanceClient, mocked: responses.RequestsMock, tmp_path: Path) -> None:
    mocked.add(responses.GET, VIDEO_URL, body=VIDEO, content_type="video/mp4",
               headers={"Content-Length": str(len(VIDEO))})
    progress: list[tuple[int, int | None]] = []
    target = api.download(VIDEO_URL, tmp_path / "out" / "fox.mp4", on_progress=lambda n, t: progress.append((n, t)))
    assert target.read_bytes() == VIDEO
    assert progress[-1] == (len(VIDEO), len(VIDEO))
    assert list((tmp_path / "out").iterdir()) == [target]  # no temporary file left
    # The API key is not sent to another host.
    assert "Authorization" not in mocked.calls[0].request.headers


def test_download_from_task_and_task_id_into_directory(api: SeedanceClient, mocked: responses.RequestsMock,
                                                       tmp_path: Path) -> None:
    mocked.add(responses.GET, VIDEO_URL, body=VIDEO)
    mocked.add(responses.GET, QUERY, json=snapshot("completed"))
    assert api.download("vid_1", tmp_path) == tmp_path / "vid_1.mp4"
    done = Task("vid_1", "completed", STD, 1, video_url=VIDEO_URL)
    assert api.download(done, tmp_path / "again.mp4").read_bytes() == VIDEO


def test_download_of_unfinished_task_is_refused(api: SeedanceClient, tmp_path: Path) -> None:
    with pytest.raises(SeedanceError, match="no result"):
        api.download(Task("vid_1", "processing", STD, 1), tmp_path / "x.mp4")


def test_download_relative_url_uses_base_and_sends_key(api: SeedanceClient, mocked: responses.RequestsMock,
                                                       tmp_path: Path) -> None:
    mocked.add(responses.GET, BASE + "/_mock/files/vid_1.mp4", body=VIDEO)
    api.download("/_mock/files/vid_1.mp4", tmp_path)
    assert (tmp_path / "vid_1.mp4").read_bytes() == VIDEO
    assert mocked.calls[0].request.headers["Authorization"] == "Bearer sk_test"


def test_download_expired_raises_result_expired(api: SeedanceClient, mocked: responses.RequestsMock,
                                                tmp_path: Path) -> None:
    mocked.add(responses.GET, VIDEO_URL, status=410, json={"code": "41000", "msg": "expired",
                                                           "data": {"error": "RESULT_EXPIRED"}})
    target = tmp_path / "fox.mp4"
    with pytest.raises(ResultExpiredError) as info:
        api.download(VIDEO_URL, target)
    assert info.value.error_id == "RESULT_EXPIRED"
    assert list(tmp_path.iterdir()) == []


def test_download_404_raises_not_found(api: SeedanceClient, mocked: responses.RequestsMock,
                                       tmp_path: Path) -> None:
    mocked.add(responses.GET, VIDEO_URL, status=404, body="gone")
    with pytest.raises(NotFoundError, match="unexpected non-JSON answer: 'gone'") as info:
        api.download(VIDEO_URL, tmp_path / "x.mp4")
    assert info.value.status == 404


def serve_once(raw: bytes) -> tuple[str, threading.Thread]:
    """A loopback server answering one request with raw bytes, then closing the connection abruptly."""
    listener = socket.create_server(("127.0.0.1", 0))

    def run() -> None:
        with listener:
            conn, _ = listener.accept()
            with conn:
                conn.recv(65536)
                conn.sendall(raw)
                conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # RST on close

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return f"http://127.0.0.1:{listener.getsockname()[1]}/v.mp4", thread


@pytest.mark.parametrize("fault", ["short", "chunked-reset"])
def test_partial_download_never_leaves_or_clobbers_the_target(fake_time: FakeTime, tmp_path: Path,
                                                              fault: str) -> None:
    api = SeedanceClient("sk_test", BASE, sleep=fake_time.sleep, max_retries=0, timeout=5.0)
    target = tmp_path / "fox.mp4"
    target.write_bytes(b"previous good file")
    head = b"HTTP/1.1 200 OK\r\nContent-Type: video/mp4\r\n"
    if fault == "short":
        raw = head + f"Content-Length: {len(VIDEO)}\r\n\r\n".encode() + VIDEO[:1000]
    else:
        raw = head + b"Transfer-Encoding: chunked\r\n\r\n" + b"%x\r\n" % 2000 + VIDEO[:700]
    url, thread = serve_once(raw)
    with pytest.raises(APIConnectionError, match="cut short"):
        api.download(url, target, overwrite=True)
    thread.join(5)
    assert target.read_bytes() == b"previous good file"
    assert [p.name for p in tmp_path.iterdir()] == ["fox.mp4"]


def test_download_retries_a_503_before_the_body(api: SeedanceClient, mocked: responses.RequestsMock,
                                                tmp_path: Path) -> None:
    mocked.add(responses.GET, VIDEO_URL, status=503, headers={"Retry-After": "1"}, body="")
    mocked.add(responses.GET, VIDEO_URL, body=VIDEO)
    assert api.download(VIDEO_URL, tmp_path / "v.mp4").stat().st_size == len(VIDEO)


def test_generate_creates_waits_and_downloads(api: SeedanceClient, mocked: responses.RequestsMock,
                                              tmp_path: Path) -> None:
    mocked.add(responses.POST, CREATE, json=snapshot("queued"))
    mocked.add(responses.GET, QUERY, json=snapshot("processing"))
    mocked.add(responses.GET, QUERY, json=snapshot("completed"))
    mocked.add(responses.GET, VIDEO_URL, body=VIDEO)
    updates: list[str] = []
    path = api.generate(model=STD, prompt="a fox", duration=5, output=tmp_path / "fox.mp4",
                        poll_interval=0, on_update=lambda t: updates.append(t.status))
    assert path.read_bytes() == VIDEO and updates == ["processing", "completed"]


def test_generate_propagates_failure(api: SeedanceClient, mocked: responses.RequestsMock, tmp_path: Path) -> None:
    mocked.add(responses.POST, CREATE, json=snapshot("queued"))
    mocked.add(responses.GET, QUERY, json=snapshot("failed"))
    with pytest.raises(TaskFailedError, match=r"^task vid_1 failed: "):
        api.generate(model=STD, prompt="a fox", duration=5, output=tmp_path / "fox.mp4", poll_interval=0)
    assert list(tmp_path.iterdir()) == []


def test_task_to_dict_is_json_ready() -> None:
    task = Task.from_data(snapshot("failed")["data"])
    out = task.to_dict()
    assert json.loads(json.dumps(out))["error"] == {"code": "GENERATION_FAILED", "message": "the model refused"}
    assert out["is_terminal"] is True


def test_downloaded_file_gets_normal_permissions(api: SeedanceClient, mocked: responses.RequestsMock,
                                                 tmp_path: Path) -> None:
    import os

    mocked.add(responses.GET, VIDEO_URL, body=VIDEO)
    umask = os.umask(0o022)
    try:
        path = api.download(VIDEO_URL, tmp_path / "v.mp4")
    finally:
        os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o644


def test_download_into_a_new_directory_named_with_a_slash(api: SeedanceClient, mocked: responses.RequestsMock,
                                                          tmp_path: Path) -> None:
    mocked.add(responses.GET, VIDEO_URL, body=VIDEO)
    path = api.download(VIDEO_URL, f"{tmp_path}/videos/")
    assert path == tmp_path / "videos" / "vid_1.mp4" and path.read_bytes() == VIDEO
