"""100 concurrent wait()s on one AsyncSeedanceClient against a live emulator: never more TCP connections to it
than the client's pool allows (counted with psutil while they run)."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import psutil
import pytest

from client import AsyncSeedanceClient
from mockserver.web.shared import EXTENSION
from tests import loops

BODY = {"model": "seedance2.0-std", "prompt": "a fox", "duration": 5}


def connections_to(port: int) -> set[int]:
    """The local ports of this process's open TCP connections whose remote end is ``port`` (the client side)."""
    return {c.laddr.port for c in psutil.Process().net_connections(kind="tcp")
            if c.raddr and c.raddr.port == port and c.status == psutil.CONN_ESTABLISHED}


@pytest.mark.slow
@pytest.mark.parametrize("pool", [4, 20])
def test_100_concurrent_waits_stay_within_the_pool(seedance_mock: Any, pool: int) -> None:
    port = int(seedance_mock.url.rsplit(":", 1)[1])
    counts: list[int] = []
    # Other tests on the session's emulator may leave keep-alive sockets of their own clients open in this process;
    # only the sockets this client opens count.
    before = connections_to(port)

    async def main() -> list[str]:
        limits = httpx.Limits(max_connections=pool, max_keepalive_connections=pool)
        async with AsyncSeedanceClient(seedance_mock.token, seedance_mock.url, limits=limits) as api:
            tasks = await asyncio.gather(*(api.create_video(**BODY) for _ in range(100)))
            done = asyncio.Event()

            async def watch_and_move_the_clock() -> None:
                while not done.is_set():
                    counts.append(len(connections_to(port) - before))
                    await asyncio.sleep(0.01)
                    if len(counts) % 5 == 0:  # through the app, not HTTP: only the client's sockets count
                        seedance_mock.app.extensions[EXTENSION].backend.advance(10)

            watcher = asyncio.create_task(watch_and_move_the_clock())
            finished = await asyncio.gather(*(api.wait(t, timeout=60, poll_interval=0.01) for t in tasks))
            done.set()
            await watcher
            return [t.status for t in finished]

    assert loops.run(main()) == ["completed"] * 100
    print(f"pool {pool}: at most {max(counts)} connections open ({len(counts)} samples)")
    assert 1 <= max(counts) <= pool, counts
