"""Event loops for tests, each in a thread of its own.

Playwright's sync API (the dashboard's browser tests) keeps an event loop running in the main thread for the
whole session, and asyncio refuses to start a second loop in a thread that runs one: in a random test order, an
async test after a browser test would fail for that reason alone. A loop in its own thread has no such neighbour.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


class LoopThread:
    """`run(coro)` like `asyncio.Runner.run`, on one event loop that lives in its own thread until `close()`."""

    def __init__(self) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="test-event-loop", daemon=True)
        self._thread.start()

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        """Run `coro` to its end on the loop and return its result (or raise its exception)."""
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result()

    def close(self) -> None:
        """Finish async generators and the default executor, then stop and close the loop."""
        self.run(self._loop.shutdown_asyncgens())
        self.run(self._loop.shutdown_default_executor())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=30)
        self._loop.close()

    def __enter__(self) -> LoopThread:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def run(coro: Coroutine[Any, Any, T]) -> T:
    """`asyncio.run(coro)`, on a fresh loop in a thread of its own."""
    with LoopThread() as loop:
        return loop.run(coro)
