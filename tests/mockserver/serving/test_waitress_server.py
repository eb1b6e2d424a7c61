"""waitress through real sockets (serving/waitress_server.py): EmbeddedServer starts and stops, concurrent
creates and reads lose nothing, results download (the drop fault: test_drop.py)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import requests

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


@pytest.mark.slow  # 16 threads, 800 requests over HTTP: a small load test
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


def test_result_download_over_http(live: EmbeddedServer) -> None:
    task_id = requests.post(
        live.url + CREATE, json=std_body(duration=4), headers={**AUTH, "X-Seedance-Mock": "complete"}, timeout=10
    ).json()["data"]["task_id"]
    data = requests.get(live.url + get_path(task_id), headers=AUTH, timeout=10).json()["data"]
    assert data["result"]["video_url"].startswith(live.url + "/_mock/files/")
    video = requests.get(data["result"]["video_url"], timeout=30)
    assert video.status_code == 200 and video.headers["Content-Type"] == "video/mp4"
