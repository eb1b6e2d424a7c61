"""Through real sockets: EmbeddedServer (waitress), concurrency, dropped connections, and the command line."""

from __future__ import annotations

import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import requests

from mockserver.control_client import ControlClient, ControlError
from mockserver.server import EmbeddedServer
from tests.mockserver.conftest import AUTH, CREATE, get_path, std_body


@pytest.fixture(scope="module")
def live() -> Any:
    with EmbeddedServer({"SEED": 3}, threads=8) as server:
        yield server


def test_embedded_server_serves_and_stops() -> None:
    server = EmbeddedServer().start()
    url = server.url
    assert url.startswith("http://127.0.0.1:")
    assert requests.post(url + CREATE, json=std_body(), headers=AUTH, timeout=10).status_code == 200
    server.stop()
    with pytest.raises(requests.ConnectionError):
        requests.get(url + "/", timeout=2)
    with pytest.raises(RuntimeError):
        _ = server.url


def test_concurrent_creates_and_reads_lose_nothing(live: EmbeddedServer) -> None:
    def worker(n: int) -> list[str]:
        session = requests.Session()
        headers = {"Authorization": f"Bearer sk_worker_{n % 4}"}
        ids = []
        for _ in range(25):
            answer = session.post(live.url + CREATE, json=std_body(), headers=headers, timeout=10)
            assert answer.status_code == 200
            task_id = answer.json()["data"]["task_id"]
            got = session.get(live.url + get_path(task_id), headers=headers, timeout=10)
            assert got.status_code == 200 and got.json()["data"]["task_id"] == task_id
            ids.append(task_id)
        return ids

    with ThreadPoolExecutor(max_workers=16) as pool:
        results = list(pool.map(worker, range(16)))
    all_ids = [i for ids in results for i in ids]
    assert len(all_ids) == 400 and len(set(all_ids)) == 400
    for n, ids in enumerate(results):
        headers = {"Authorization": f"Bearer sk_worker_{n % 4}"}
        assert all(requests.get(live.url + get_path(i), headers=headers, timeout=10).ok for i in ids[:3])


def test_drop_closes_the_socket_without_an_answer(live: EmbeddedServer) -> None:
    control = ControlClient(live.url)
    control.reset()
    control.inject_fault("drop", operation="create")
    with pytest.raises(requests.ConnectionError):
        requests.post(live.url + CREATE, json=std_body(), headers=AUTH, timeout=10)
    assert requests.post(live.url + CREATE, json=std_body(), headers=AUTH, timeout=10).status_code == 200


def test_control_client_round_trip(live: EmbeddedServer) -> None:
    control = ControlClient(live.url)
    control.reset()
    task_id = requests.post(live.url + CREATE, json=std_body(), headers=AUTH, timeout=10).json()["data"]["task_id"]
    control.complete_task(task_id)
    assert control.task(task_id)["status"] == "completed"
    other = requests.post(live.url + CREATE, json=std_body(), headers=AUTH, timeout=10).json()["data"]["task_id"]
    control.fail_task(other, reason="nope", at="queue")
    before = control.now()
    assert control.advance(60) >= before + 60
    data = requests.get(live.url + get_path(other), headers=AUTH, timeout=10).json()["data"]
    assert data["status"] == "failed" and data["error"]["message"] == "nope"
    control.inject_fault("503", count=1, retry_after=7)
    answer = requests.get(live.url + get_path(other), headers=AUTH, timeout=10)
    assert answer.status_code == 503 and answer.headers["Retry-After"] == "7"
    control.inject_fault("500", count=3)
    control.clear_faults()
    control.set_limits(rate_per_minute=1)
    assert requests.get(live.url + get_path(other), headers=AUTH, timeout=10).status_code == 200
    assert requests.get(live.url + get_path(other), headers=AUTH, timeout=10).status_code == 429
    control.set_limits()
    control.declare_media("https://x.example/v.mp4", duration=30)
    md = {"model": "seedance2.0-md", "prompt": "x", "duration": 5, "reference_videos": ["https://x.example/v.mp4"]}
    rejected = requests.post(live.url + CREATE, json=md, headers=AUTH, timeout=10).json()
    assert rejected["data"]["rules"] == ["MD_REFERENCE_VIDEOS_DURATION"]
    control.set_asset_audit("a1", "rejected")
    full = {"model": "sd2_mx_720p", "prompt": "x", "duration": 5, "images": ["asset://a1"]}
    assert requests.post(live.url + CREATE, json=full, headers=AUTH, timeout=10).status_code == 400
    assert len(control.journal()) >= 5
    control.clear_journal()
    assert control.journal() == []
    with pytest.raises(ControlError) as err:
        control.complete_task("vid_missing")
    assert err.value.status == 404


def test_result_download_over_http(live: EmbeddedServer) -> None:
    task_id = requests.post(
        live.url + CREATE, json=std_body(duration=4), headers={**AUTH, "X-Seedance-Mock": "complete"}, timeout=10
    ).json()["data"]["task_id"]
    data = requests.get(live.url + get_path(task_id), headers=AUTH, timeout=10).json()["data"]
    assert data["result"]["video_url"].startswith(live.url + "/_mock/files/")
    video = requests.get(data["result"]["video_url"], timeout=30)
    assert video.status_code == 200 and video.headers["Content-Type"] == "video/mp4"


@pytest.mark.parametrize("module", [["-m", "mockserver"]])
def test_command_line_prints_url_first_and_serves(module: list[str]) -> None:
    process = subprocess.Popen(
        [sys.executable, *module, "--port", "0", "--seed", "1", "--api-key", "sk_a", "--api-key", "sk_b",
         "--speed", "50", "--quiet"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        assert process.stdout is not None
        timer = threading.Timer(30, process.kill)
        timer.start()
        url = process.stdout.readline().strip()
        timer.cancel()
        assert url.startswith("http://127.0.0.1:")
        ok = requests.post(url + CREATE, json=std_body(), headers={"Authorization": "Bearer sk_b"}, timeout=10)
        assert ok.status_code == 200
        assert requests.post(url + CREATE, json=std_body(), headers=AUTH, timeout=10).status_code == 401
        assert requests.get(url + "/nope", timeout=10).headers["Server"] == "seedance-mock"
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_command_line_rejects_a_bad_store() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "mockserver", "--port", "0", "--store", "redis:x"],
        capture_output=True, text=True, timeout=60,
    )
    assert done.returncode == 2 and "unknown store" in done.stderr
