"""In-process async transports compared side by side: the emulator's own (the WSGI call in a worker thread),
a2wsgi's (WSGI wrapped as ASGI, under httpx.ASGITransport) and, as the baseline, calling the WSGI app on the
event loop itself (what a naive transport would do).

Two figures per transport, both on one event loop:
- lag: the worst delay of a 1 ms ticker while `--concurrency` requests run into an app that takes `--app-ms`
  per request (a stand-in for a slow emulator call): a transport that blocks the loop shows ~app-ms;
- throughput: GETs per second at `--concurrency` into the real emulator, for `--seconds` each.

Run: `python bench/bench_async_transport.py --seconds 3` (needs httpx and a2wsgi: the [test] extra).
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections.abc import Callable, Iterable
from typing import Any

import httpx
from a2wsgi import WSGIMiddleware

from mockserver import create_app
from mockserver.inprocess_httpx import AsyncInProcessTransport, InProcessTransport
from mockserver.testing import FIXTURE_CONFIG, INPROCESS_URL

WsgiApp = Callable[..., Iterable[bytes]]
HEADERS = {"Authorization": "Bearer sk_test"}
BODY = {"model": "seedance2.0-std", "prompt": "a fox", "duration": 5}


class OnTheLoop(httpx.AsyncBaseTransport):
    """The baseline: the WSGI call made right on the event loop."""

    def __init__(self, app: WsgiApp) -> None:
        self._sync = InProcessTransport(app)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        body = await request.aread()
        return self._sync.handle_request(httpx.Request(request.method, request.url, headers=request.headers,
                                                       content=body))


def slow(app: WsgiApp, seconds: float) -> WsgiApp:
    def wrapped(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        time.sleep(seconds)
        return app(environ, start_response)

    return wrapped


TRANSPORTS: dict[str, Callable[[WsgiApp], httpx.AsyncBaseTransport]] = {
    "on-the-loop (baseline)": OnTheLoop,
    "thread (mockserver)": AsyncInProcessTransport,
    "a2wsgi": lambda app: httpx.ASGITransport(app=WSGIMiddleware(app)),  # type: ignore[arg-type]
}


async def lag(make: Callable[[WsgiApp], httpx.AsyncBaseTransport], app_ms: float, concurrency: int) -> float:
    app = slow(create_app(FIXTURE_CONFIG), app_ms / 1000)
    worst = 0.0
    done = False

    async def ticker() -> None:
        nonlocal worst
        while not done:
            before = time.perf_counter()
            await asyncio.sleep(0.001)
            worst = max(worst, time.perf_counter() - before - 0.001)

    async with httpx.AsyncClient(transport=make(app), base_url=INPROCESS_URL, headers=HEADERS) as http:
        await http.get("/api/open-api/v1/videos/vid_x")  # warm up: the app's first request compiles its schemas
        tick = asyncio.create_task(ticker())
        await asyncio.sleep(0.01)
        await asyncio.gather(*(http.get("/api/open-api/v1/videos/vid_x") for _ in range(concurrency * 2)))
        done = True
        await tick
    return worst * 1000


async def throughput(make: Callable[[WsgiApp], httpx.AsyncBaseTransport], seconds: float,
                     concurrency: int) -> float:
    app = create_app(FIXTURE_CONFIG)
    count = 0
    async with httpx.AsyncClient(transport=make(app), base_url=INPROCESS_URL, headers=HEADERS) as http:
        task_id = (await http.post("/api/open-api/v1/seedance/videos", json=BODY)).json()["data"]["task_id"]
        end = time.perf_counter() + seconds

        async def worker() -> None:
            nonlocal count
            while time.perf_counter() < end:
                answer = await http.get(f"/api/open-api/v1/videos/{task_id}")
                assert answer.status_code == 200
                count += 1

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    return count / seconds


def main() -> None:
    """Print one line per transport."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--concurrency", type=int, default=10)
    parser.add_argument("--app-ms", type=float, default=50.0)
    args = parser.parse_args()
    print(f"{'transport':<24} {'worst loop lag (ms)':>20} {'GET/s':>8}")
    for name, make in TRANSPORTS.items():
        worst = asyncio.run(lag(make, args.app_ms, args.concurrency))
        rate = asyncio.run(throughput(make, args.seconds, args.concurrency))
        print(f"{name:<24} {worst:>20.1f} {rate:>8.0f}")


if __name__ == "__main__":
    main()
