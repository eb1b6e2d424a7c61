"""The in-process httpx transports of `SeedanceMock`: into the same app as `requests`, drops as httpx's own
error, and the async one never holds the event loop while the app works."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterable
from typing import Any

import httpx
import pytest

from mockserver.inprocess_httpx import AsyncInProcessTransport
from mockserver.testing import SeedanceMock
from tests import loops

CREATE = "/api/open-api/v1/seedance/videos"
BODY = {"model": "seedance2.0-std", "prompt": "a fox", "duration": 5}


def test_sync_and_async_transports_reach_the_same_app(seedance_mock_inprocess: SeedanceMock) -> None:
    mock = seedance_mock_inprocess
    with httpx.Client(transport=mock.httpx_transport(), base_url=mock.url, headers=mock.headers) as http:
        task_id = http.post(CREATE, json=BODY).json()["data"]["task_id"]

    async def query() -> dict[str, Any]:
        async with httpx.AsyncClient(transport=mock.async_transport(), base_url=mock.url,
                                     headers=mock.headers) as http:
            answer: dict[str, Any] = (await http.get(f"/api/open-api/v1/videos/{task_id}")).json()
            return answer

    assert loops.run(query())["data"]["task_id"] == task_id
    assert mock.control.task(task_id)["task_id"] == task_id  # and requests (the control client) sees it too


def test_a_drop_is_httpx_remote_protocol_error(seedance_mock_inprocess: SeedanceMock) -> None:
    mock = seedance_mock_inprocess
    mock.control.inject_fault("drop", count=2, operation="create")
    with httpx.Client(transport=mock.httpx_transport(), base_url=mock.url, headers=mock.headers) as http, \
            pytest.raises(httpx.RemoteProtocolError, match="drop fault"):
        http.post(CREATE, json=BODY)

    async def create() -> None:
        async with httpx.AsyncClient(transport=mock.async_transport(), base_url=mock.url,
                                     headers=mock.headers) as http:
            await http.post(CREATE, json=BODY)

    with pytest.raises(httpx.RemoteProtocolError):
        loops.run(create())


def test_the_event_loop_runs_while_the_app_works() -> None:
    """The app waits until a coroutine on the loop releases it: a transport holding the loop would never let
    that coroutine run (the app then gives up after 10 s and answers 504)."""
    released = threading.Event()

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        ok = released.wait(10)
        start_response("200 OK" if ok else "504 Gateway Timeout", [("Content-Type", "text/plain")])
        return [b"released" if ok else b"the loop was blocked"]

    async def main() -> httpx.Response:
        async with httpx.AsyncClient(transport=AsyncInProcessTransport(app), base_url="http://x.test") as http:
            request = asyncio.create_task(http.get("/"))
            await asyncio.sleep(0.05)  # the request is in the app by now, or the loop is blocked
            released.set()
            return await request

    answer = loops.run(main())
    assert (answer.status_code, answer.text) == (200, "released")
