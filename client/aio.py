"""``AsyncSeedanceClient``: ``SeedanceClient``'s methods as coroutines, on ``httpx.AsyncClient``.

Every operation is ``client.operations``' (shared with the sync client); this module only drives it: it sends
with httpx and sleeps with ``await``. A request's total deadline is one ``anyio.fail_after`` around connect,
send and the whole answer.
"""

from __future__ import annotations

import os
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

import anyio
import httpx

from client.core import (
    DEFAULT_TIMEOUT,
    Answer,
    AnswerReader,
    ClientCore,
    Deadline,
    Failure,
    Request,
    RetryPolicy,
    Timeout,
    connect_failure,
)
from client.errors import APIConnectionError
from client.files import ProgressCallback
from client.models import Task
from client.operations import Operation, Operations, Sleep, part_file

__all__ = ["DEFAULT_LIMITS", "AsyncSeedanceClient", "failure_of"]

T = TypeVar("T")
DEFAULT_LIMITS = httpx.Limits(max_connections=20, max_keepalive_connections=10)
"""At most 20 connections to the API at once, however many coroutines wait on one client."""


def failure_of(exc: Exception) -> Failure:
    """Classify an httpx exception (see ``client.core.Failure``)."""
    if isinstance(exc, httpx.UnsupportedProtocol | httpx.InvalidURL):
        return Failure("invalid_url", str(exc))
    if isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout):
        return connect_failure(exc, not isinstance(exc, httpx.ConnectError))
    if isinstance(exc, httpx.TimeoutException):
        return Failure("timeout", f"read timed out ({exc})")
    return Failure("reset", f"connection failed ({exc or type(exc).__name__})")


class AsyncSeedanceClient(Operations):
    """The async twin of ``SeedanceClient``: the same arguments, methods (as coroutines), errors and retries.

    ``transport`` is any ``httpx.AsyncBaseTransport`` (e.g. ``seedance_mock_inprocess.async_transport()``);
    ``http_client`` an ``httpx.AsyncClient`` of your own (then ``limits`` and ``transport`` are its business).
    ``sleep`` (a coroutine function) and ``clock`` exist so tests can run waits without real time passing.
    """

    def __init__(
        self,
        api_key: str | None = None,
        base_url: str | None = None,
        *,
        timeout: Timeout = DEFAULT_TIMEOUT,
        max_retries: int = 3,
        validate: bool = True,
        transport: httpx.AsyncBaseTransport | None = None,
        http_client: httpx.AsyncClient | None = None,
        limits: httpx.Limits = DEFAULT_LIMITS,
        retry_policy: RetryPolicy | None = None,
        sleep: Callable[[float], Awaitable[None]] = anyio.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._core = ClientCore(api_key, base_url, validate, timeout, retry_policy or RetryPolicy(max_retries))
        # Redirects are followed as requests does (a result may move to a CDN; both drop the key on the way to
        # another host); the deadline is ours (per request), not httpx's per-phase timeouts.
        self._http = http_client or httpx.AsyncClient(transport=transport, limits=limits, timeout=None,
                                                      follow_redirects=True)
        self._sleep = sleep
        self._clock = clock

    async def __aenter__(self) -> AsyncSeedanceClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def close(self) -> None:
        """Release pooled connections."""
        await self._http.aclose()

    async def create_video(
        self,
        *,
        model: str | None = None,
        prompt: str | None = None,
        duration: int | None = None,
        ratio: str | None = None,
        resolution: str | None = None,
        orientation: str | None = None,
        images: Sequence[str] | None = None,
        first_image: str | None = None,
        last_image: str | None = None,
        reference_videos: Sequence[str] | None = None,
        reference_audios: Sequence[str] | None = None,
        extra: Mapping[str, Any] | None = None,
        validate: bool | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Task:
        """Create a video task and return its first snapshot (see ``SeedanceClient.create_video``)."""
        return await self._run(self._create(locals()))

    async def get_task(self, task_id: str, *, headers: Mapping[str, str] | None = None) -> Task:
        """Fetch a fresh snapshot of a task (``NotFoundError`` if unknown or another key's)."""
        return await self._run(self._get(task_id, headers))

    async def wait(self, task_or_id: Task | str, *, timeout: float = 600.0, poll_interval: float = 2.0,
                   on_update: Callable[[Task], None] | None = None) -> Task:
        """Poll until the task is completed and return that snapshot (see ``SeedanceClient.wait``)."""
        return await self._run(self._wait(task_or_id, timeout, poll_interval, on_update))

    async def download(self, task_or_url: Task | str, path: str | os.PathLike[str], *,
                       on_progress: ProgressCallback | None = None, overwrite: bool = False,
                       max_bytes: int | None = None) -> Path:
        """Stream a task's video to ``path`` and return the path (see ``SeedanceClient.download``)."""
        plan, answer = await self._run(self._download(task_or_url, path, overwrite, max_bytes))
        response, deadline = answer.stream
        try:
            with part_file(plan, answer, on_progress) as part:
                try:
                    with anyio.fail_after(deadline.remaining()):
                        async for chunk in response.aiter_bytes():
                            part.write(chunk)
                except TimeoutError:
                    raise APIConnectionError(f"download not finished within its deadline of {deadline.total:g} s "
                                             f"({part.written} bytes)") from None
                except httpx.HTTPError as exc:
                    raise APIConnectionError(f"download cut short after {part.written} bytes: {exc}") from exc
                return part.commit()
        finally:
            await response.aclose()

    async def generate(self, *, output: str | os.PathLike[str], timeout: float = 600.0, poll_interval: float = 2.0,
                       on_update: Callable[[Task], None] | None = None, on_progress: ProgressCallback | None = None,
                       overwrite: bool = False, **fields: Any) -> Path:
        """Create a task from ``fields`` (the ``create_video`` arguments), wait for it, download it to ``output``."""
        task = await self.create_video(**fields)
        done = await self.wait(task, timeout=timeout, poll_interval=poll_interval, on_update=on_update)
        return await self.download(done, output, on_progress=on_progress, overwrite=overwrite)

    async def _run(self, operation: Operation[T]) -> T:
        """Drive an operation: send its requests with httpx, sleep with ``sleep``."""
        result: Any = None
        while True:
            try:
                step = operation.send(result)
            except StopIteration as stop:
                return stop.value  # type: ignore[no-any-return]
            if isinstance(step, Sleep):
                await self._sleep(step.seconds)  # even 0: other coroutines get their turn
                result = None
            else:
                result = await self._send(step.request, step.stream)

    async def _send(self, request: Request, stream: bool) -> Answer | Failure:
        """One attempt within the total deadline; a 2xx download comes back unread (stream, deadline)."""
        deadline = Deadline(self._core.timeout)
        built = self._http.build_request(request.method, request.url, headers=dict(request.headers),
                                         content=request.content,
                                         timeout=httpx.Timeout(deadline.total, connect=deadline.connect))
        response: httpx.Response | None = None
        reader: AnswerReader | None = None
        try:
            with anyio.fail_after(deadline.total):
                response = await self._http.send(built, stream=True)
                if stream and 200 <= response.status_code < 300:
                    return Answer(response.status_code, response.headers, stream=(response, deadline))
                reader = AnswerReader(response.status_code, response.headers)
                if (refusal := reader.refused()) is not None:
                    return refusal
                async for chunk in response.aiter_bytes():
                    if (failure := reader.add(chunk)) is not None:
                        return failure
                return reader.answer()
        except (TimeoutError, httpx.HTTPError) as exc:
            if reader is not None:
                return reader.broken(None if isinstance(exc, TimeoutError) else exc, deadline)
            if isinstance(exc, TimeoutError):
                return Failure("timeout", f"deadline of {deadline.total:g} s passed before the answer")
            return failure_of(exc)
        finally:
            if response is not None and not (stream and 200 <= response.status_code < 300):
                await response.aclose()
