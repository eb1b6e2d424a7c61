"""``SeedanceClient``: create a video task, poll it, wait for it, download its result (on ``requests``).

Every operation is ``client.operations``' (shared with ``AsyncSeedanceClient``); this module only drives it:
it sends with ``requests`` and sleeps with ``time.sleep``.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

import requests

from client.core import CREATE_PATH, DEFAULT_BASE_URL, DEFAULT_TIMEOUT, TASK_PATH, ClientCore, RetryPolicy, Timeout
from client.errors import APIConnectionError
from client.files import ProgressCallback
from client.models import Task
from client.operations import Operation, Operations, Sleep, part_file
from client.transport import WIRE_ERRORS, DeadlinePassed, Transport, stream_chunks

__all__ = ["CREATE_PATH", "DEFAULT_BASE_URL", "TASK_PATH", "SeedanceClient"]

T = TypeVar("T")


class SeedanceClient(Operations):
    """A thin client for the Seedance video API (the real service or the ``seedance-mock`` emulator).

    ``api_key`` and ``base_url`` default to ``SEEDANCE_API_KEY`` / ``SEEDANCE_BASE_URL`` (read here, never at
    import), then to no key / the real service. ``timeout`` is each request's total deadline (a pair: connect,
    total). ``validate`` turns pre-flight checks on create on or off. ``session`` is any ``requests.Session``.
    ``sleep`` and ``clock`` exist so tests can run waits and retries without real time passing.
    """

    def __init__(
        self,
        api_key: str | None = None,
        base_url: str | None = None,
        *,
        timeout: Timeout = DEFAULT_TIMEOUT,
        max_retries: int = 3,
        validate: bool = True,
        session: requests.Session | None = None,
        retry_policy: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._core = ClientCore(api_key, base_url, validate, timeout, retry_policy or RetryPolicy(max_retries))
        self._transport = Transport(session, timeout=timeout)
        self._sleep = sleep
        self._clock = clock

    def __enter__(self) -> SeedanceClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Release pooled connections."""
        self._transport.close()

    def create_video(
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
        """Create a video task and return its first snapshot (status ``queued``).

        Arguments left as None are not sent. ``extra`` adds fields as they are (e.g. ones this client does
        not know yet). With pre-flight validation on (the client's default, or ``validate=True``), a body
        breaking a documented rule raises ``ValidationError`` and nothing is sent.
        """
        return self._run(self._create(locals()))

    def get_task(self, task_id: str, *, headers: Mapping[str, str] | None = None) -> Task:
        """Fetch a fresh snapshot of a task (``NotFoundError`` if unknown or another key's)."""
        return self._run(self._get(task_id, headers))

    def wait(self, task_or_id: Task | str, *, timeout: float = 600.0, poll_interval: float = 2.0,
             on_update: Callable[[Task], None] | None = None) -> Task:
        """Poll until the task is completed and return that fresh snapshot.

        Raises ``TaskFailedError`` (with ``.task``) when it failed and ``WaitTimeout`` (with the last
        snapshot) when ``timeout`` seconds pass first. The interval grows by half each poll up to 10 s (or
        ``poll_interval`` if larger); ``poll_interval=0`` polls back to back. ``on_update`` sees every
        snapshot.
        """
        return self._run(self._wait(task_or_id, timeout, poll_interval, on_update))

    def download(self, task_or_url: Task | str, path: str | os.PathLike[str], *,
                 on_progress: ProgressCallback | None = None, overwrite: bool = False,
                 max_bytes: int | None = None) -> Path:
        """Stream a task's video (a ``Task``, a task id, or the result URL) to ``path`` and return the path.

        The bytes go to a ``.part`` file next to the target, moved into place only when complete, so a failed
        or interrupted download never leaves a partial file. ``path`` may be a directory: the file is then
        named after the task id given (reduced to ``[A-Za-z0-9_-]``), never after a path the server sent. An
        existing file is ``FileExistsError`` unless ``overwrite``. At most ``max_bytes`` are written (default:
        the model's largest documented video, with margin; ``ProtocolError`` past it). An expired result
        raises ``ResultExpiredError``.
        """
        plan, answer = self._run(self._download(task_or_url, path, overwrite, max_bytes))
        response: requests.Response = answer.stream
        try:
            with part_file(plan, answer, on_progress) as part:
                try:
                    for chunk in stream_chunks(response):
                        part.write(chunk)
                except DeadlinePassed as passed:
                    raise APIConnectionError(f"download not finished within its deadline of {passed} s "
                                             f"({part.written} bytes)") from None
                except WIRE_ERRORS as exc:
                    raise APIConnectionError(f"download cut short after {part.written} bytes: {exc}") from exc
                return part.commit()
        finally:
            response.close()

    def generate(self, *, output: str | os.PathLike[str], timeout: float = 600.0, poll_interval: float = 2.0,
                 on_update: Callable[[Task], None] | None = None, on_progress: ProgressCallback | None = None,
                 overwrite: bool = False, **fields: Any) -> Path:
        """Create a task from ``fields`` (the ``create_video`` arguments), wait for it, download it to ``output``."""
        task = self.create_video(**fields)
        done = self.wait(task, timeout=timeout, poll_interval=poll_interval, on_update=on_update)
        return self.download(done, output, on_progress=on_progress, overwrite=overwrite)

    def _run(self, operation: Operation[T]) -> T:
        """Drive an operation: send its requests with ``requests``, sleep with ``sleep``."""
        result: Any = None
        while True:
            try:
                step = operation.send(result)
            except StopIteration as stop:
                return stop.value  # type: ignore[no-any-return]
            if isinstance(step, Sleep):
                if step.seconds > 0:
                    self._sleep(step.seconds)
                result = None
            else:
                result = self._transport.send(step.request, stream=step.stream)
