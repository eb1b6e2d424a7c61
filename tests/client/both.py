"""Both clients behind one face: the async client driven from sync test code, and the fixture that hands
each test the sync and the async client against the live and the in-process emulator (four runs per test)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from client import SeedanceClient
from client.aio import AsyncSeedanceClient
from tests.loops import LoopThread


class Sleeps(list[float]):
    """Records the waits a client asks for instead of sleeping (sync and async callers)."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)

    async def asleep(self, seconds: float) -> None:
        """The coroutine the async client awaits."""
        self.append(seconds)
        await asyncio.sleep(0)


class Blocking:
    """An ``AsyncSeedanceClient`` whose coroutines are run to completion: the sync client's face."""

    def __init__(self, client: AsyncSeedanceClient, runner: LoopThread) -> None:
        self.client = client
        self._runner = runner

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self.client, name)
        if not callable(attr):
            return attr

        def call(*args: Any, **kwargs: Any) -> Any:
            result = attr(*args, **kwargs)
            return self._runner.run(result) if asyncio.iscoroutine(result) else result

        return call

    def __enter__(self) -> Blocking:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._runner.run(self.client.close())


Factory = Callable[..., Any]


def client_factory(kind: str, emulator: Any, runner: LoopThread, sleeps: Sleeps) -> Factory:
    """A function making a client of ``kind`` ("sync"/"async") for ``emulator`` (keywords as the clients')."""
    inprocess = emulator.url.startswith("http://seedance-mock.test")

    def make(api_key: str | None = None, base_url: str | None = None, **kwargs: Any) -> Any:
        key = emulator.token if api_key is None else api_key
        url = base_url or emulator.url
        if kind == "sync":
            kwargs.setdefault("sleep", sleeps)
            return SeedanceClient(key, url, **kwargs)
        kwargs.setdefault("sleep", sleeps.asleep)
        if inprocess:
            kwargs.setdefault("transport", emulator.async_transport())
        return Blocking(AsyncSeedanceClient(key, url, **kwargs), runner)

    return make



