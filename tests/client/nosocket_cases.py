"""Cases run by test_no_socket.py under pytest-socket (`--disable-socket --allow-unix-socket`): the in-process
emulator reached through httpx (sync and async) and through both clients, with no TCP socket at all.

Not collected on its own (its name does not start with test_): only the subprocess runs it.
"""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path
from typing import Any

import httpx
import psutil
import pytest

from client import AsyncSeedanceClient, SeedanceClient

STD = "seedance2.0-std"
CREATE = "/api/open-api/v1/seedance/videos"
BODY = {"model": STD, "prompt": "a fox", "duration": 5}


def test_a_tcp_socket_is_refused_here() -> None:
    """The canary: pytest-socket is really on in this run."""
    with pytest.raises(Exception, match="socket"):
        socket.socket(socket.AF_INET, socket.SOCK_STREAM)


def test_httpx_sync_transport(seedance_mock_inprocess: Any) -> None:
    mock = seedance_mock_inprocess
    with httpx.Client(transport=mock.httpx_transport(), base_url=mock.url, headers=mock.headers) as http:
        created = http.post(CREATE, json=BODY)
        assert created.status_code == 200
        task_id = created.json()["data"]["task_id"]
        assert http.get(f"/api/open-api/v1/videos/{task_id}").json()["data"]["status"] == "queued"


def test_httpx_async_transport(seedance_mock_inprocess: Any) -> None:
    mock = seedance_mock_inprocess

    async def main() -> int:
        async with httpx.AsyncClient(transport=mock.async_transport(), base_url=mock.url,
                                     headers=mock.headers) as http:
            return (await http.post(CREATE, json=BODY)).status_code

    assert asyncio.run(main()) == 200


def test_both_clients_end_to_end(seedance_mock_inprocess: Any, tmp_path: Path) -> None:
    mock = seedance_mock_inprocess
    fields = {"model": STD, "prompt": "a fox [[seedance-mock: complete]]", "duration": 5, "poll_interval": 0}
    sync_path = SeedanceClient(mock.token, mock.url).generate(output=tmp_path / "sync.mp4", **fields)

    async def main() -> Path:
        async with AsyncSeedanceClient(mock.token, mock.url, transport=mock.async_transport()) as api:
            return await api.generate(output=tmp_path / "async.mp4", **fields)

    async_path = asyncio.run(main())
    assert sync_path.read_bytes()[4:8] == async_path.read_bytes()[4:8] == b"ftyp"


def tcp_connections() -> int:
    return len(psutil.Process().net_connections(kind="inet"))


def test_100_concurrent_waits_on_one_async_client(seedance_mock_inprocess: Any) -> None:
    mock = seedance_mock_inprocess
    seen: list[int] = []

    async def main() -> list[str]:
        async with AsyncSeedanceClient(mock.token, mock.url, transport=mock.async_transport()) as api:
            tasks = await asyncio.gather(*(api.create_video(**BODY) for _ in range(100)))
            done = asyncio.Event()

            async def move_the_clock() -> None:
                while not done.is_set():
                    await asyncio.sleep(0.02)
                    await asyncio.to_thread(mock.control.advance, 10)
                    seen.append(tcp_connections())

            mover = asyncio.create_task(move_the_clock())
            finished = await asyncio.gather(*(api.wait(t, timeout=60, poll_interval=0.01) for t in tasks))
            done.set()
            await mover
            return [t.status for t in finished]

    assert asyncio.run(main()) == ["completed"] * 100
    assert seen and max(seen) == 0
