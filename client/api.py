"""``SeedanceClient``: create a video task, poll it, wait for it, download its result (on ``requests``).

Every decision is ``client.core``'s (shared with ``AsyncSeedanceClient``); this module only sends and sleeps.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import requests

from client.core import (
    CREATE_PATH,
    DEFAULT_BASE_URL,
    DEFAULT_TIMEOUT,
    TASK_PATH,
    Answer,
    ClientCore,
    Request,
    Retrying,
    RetryPolicy,
    Timeout,
    WaitSchedule,
)
from client.errors import APIConnectionError, error_from_response
from client.files import PartFile, ProgressCallback, announced_length
from client.models import Task
from client.transport import WIRE_ERRORS, DeadlinePassed, Transport, stream_chunks

__all__ = ["CREATE_PATH", "DEFAULT_BASE_URL", "TASK_PATH", "SeedanceClient"]


class SeedanceClient:
    """A thin client for the Seedance video API (the real service or the ``seedance-mock`` emulator).

    ``api_key`` and ``base_url`` default to ``SEEDANCE_API_KEY`` / ``SEEDANCE_BASE_URL`` (read here, never at
    import), then to no key / the real service. ``timeout`` is each request's total deadline (a pair: connect,
    total). ``validate`` turns pre-flight checks on create on or off. ``session`` is any ``requests.Session``
    (e.g. one routed into an in-process emulator). ``sleep`` and ``clock`` exist so tests can run waits and
    retries without real time passing.
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

    @property
    def api_key(self) -> str | None:
        """The API key sent as a bearer token."""
        return self._core.api_key

    @property
    def base_url(self) -> str:
        """The API's base URL."""
        return self._core.origin

    @property
    def validate(self) -> bool:
        """Whether ``create_video`` checks bodies before sending them."""
        return self._core.validate

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
        fields = {"model": model, "prompt": prompt, "duration": duration, "ratio": ratio, "resolution": resolution,
                  "orientation": orientation, "images": images, "first_image": first_image,
                  "last_image": last_image, "reference_videos": reference_videos,
                  "reference_audios": reference_audios}
        request = self._core.create_request(fields, extra, validate, headers)
        return self._core.task_from(self._exchange(request))

    def get_task(self, task_id: str, *, headers: Mapping[str, str] | None = None) -> Task:
        """Fetch a fresh snapshot of a task (``NotFoundError`` if unknown or another key's)."""
        return self._core.task_from(self._exchange(self._core.task_request(task_id, headers)))

    def wait(
        self,
        task_or_id: Task | str,
        *,
        timeout: float = 600.0,
        poll_interval: float = 2.0,
        on_update: Callable[[Task], None] | None = None,
    ) -> Task:
        """Poll until the task is completed and return that fresh snapshot.

        Raises ``TaskFailedError`` (with ``.task``) when it failed and ``WaitTimeout`` (with the last
        snapshot) when ``timeout`` seconds pass first. The interval grows by half each poll up to 10 s (or
        ``poll_interval`` if larger); ``poll_interval=0`` polls back to back. ``on_update`` sees every
        snapshot.
        """
        task_id = task_or_id.task_id if isinstance(task_or_id, Task) else task_or_id
        schedule = WaitSchedule(timeout, poll_interval, self._clock)
        while True:
            task = self.get_task(task_id)
            if on_update is not None:
                on_update(task)
            delay = schedule.after(task)
            if delay is None:
                return task
            if delay > 0:
                self._sleep(delay)

    def download(
        self,
        task_or_url: Task | str,
        path: str | os.PathLike[str],
        *,
        on_progress: ProgressCallback | None = None,
        overwrite: bool = False,
        max_bytes: int | None = None,
    ) -> Path:
        """Stream a task's video (a ``Task``, a task id, or the result URL) to ``path`` and return the path.

        The bytes go to a ``.part`` file next to the target, moved into place only when complete, so a failed
        or interrupted download never leaves a partial file. ``path`` may be a directory: the file is then
        named after the task id given (reduced to ``[A-Za-z0-9_-]``), never after a path the server sent. An
        existing file is ``FileExistsError`` unless ``overwrite``. At most ``max_bytes`` are written (default:
        the model's largest documented video, with margin; ``ProtocolError`` past it). An expired result
        raises ``ResultExpiredError``.
        """
        given = self._core.given_id(task_or_url)
        if given is not None:
            self._core.target_path(path, given, overwrite)  # an existing file fails before any request
            task_or_url = self.get_task(given)
        plan = self._core.download_plan(task_or_url, path, given_id=given, overwrite=overwrite,
                                        max_bytes=max_bytes)
        answer = self._exchange(plan.request, stream=True)
        if answer.stream is None:
            raise error_from_response(answer.status, answer.body, answer.headers)
        response: requests.Response = answer.stream
        try:
            refusal = self._core.download_refusal(plan, answer)
            if refusal is not None:
                raise refusal
            with PartFile(plan, announced_length(answer.headers), on_progress) as part:
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

    def generate(
        self,
        *,
        output: str | os.PathLike[str],
        timeout: float = 600.0,
        poll_interval: float = 2.0,
        on_update: Callable[[Task], None] | None = None,
        on_progress: ProgressCallback | None = None,
        overwrite: bool = False,
        **fields: Any,
    ) -> Path:
        """Create a task from ``fields`` (the ``create_video`` arguments), wait for it, download it to ``output``."""
        task = self.create_video(**fields)
        done = self.wait(task, timeout=timeout, poll_interval=poll_interval, on_update=on_update)
        return self.download(done, output, on_progress=on_progress, overwrite=overwrite)

    def _exchange(self, request: Request, *, stream: bool = False) -> Answer:
        """Send with the core's retry decisions; the final answer (errors for final failures)."""
        retrying = Retrying(self._core.policy, request)
        while True:
            outcome = self._transport.send(request, stream=stream)
            delay = retrying.after(outcome)
            if delay is None:
                assert isinstance(outcome, Answer)  # after() raises for a final Failure
                return outcome
            self._sleep(delay)

