"""Every operation of both clients as an I/O-free generator (sans-I/O): it yields ``Send`` and ``Sleep`` steps
and receives what came back; ``SeedanceClient`` drives it with ``requests`` and ``time.sleep``,
``AsyncSeedanceClient`` with httpx and ``await``. Also the wait schedule and the download's name and size bound.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Generator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

from client.core import Answer, ClientCore, Failure, Request, Retrying
from client.errors import ProtocolError, SeedanceError, TaskFailedError, WaitTimeout, error_from_response
from client.files import DownloadPlan, PartFile, ProgressCallback, announced_length
from client.models import Task
from client.validation import MODEL_FAMILY

__all__ = ["DownloadPlan", "Operation", "Operations", "Send", "Sleep", "WaitSchedule", "max_video_bytes",
           "safe_name"]

T = TypeVar("T")
_MAX_POLL_INTERVAL = 10.0
_POLL_BACKOFF = 1.5
# Download bound (assumption: the documents give neither frame rate nor bit rate). 30 fps and 1 bit per pixel
# per frame is ~10x what H.264 needs for these videos; the pixels and seconds are the model's documented
# maximum (Full's id names its resolution; Mini special goes to 720p, the others to 1080p at most).
_PIXELS = {"480p": 854 * 480, "720p": 1280 * 720, "1080p": 1920 * 1080, "2k": 2560 * 1440, "4k": 3840 * 2160}
_FPS, _BITS_PER_PIXEL, _FLOOR_BYTES = 30, 1, 8 * 1024 * 1024
_FAMILY_SECONDS = {"FULL": 12}
_DEFAULT_SECONDS = 15


@dataclass(frozen=True)
class Send:
    """Send ``request`` once; the driver answers with an ``Answer`` or a ``Failure``."""

    request: Request
    stream: bool = False


@dataclass(frozen=True)
class Sleep:
    """Wait ``seconds`` (the driver answers None)."""

    seconds: float


Operation = Generator[Send | Sleep, Any, T]
"""An operation: yields steps, receives their results, returns its value (or raises the client's error)."""


def safe_name(text: str) -> str:
    """A file name stem made of ``[A-Za-z0-9_-]`` only (never a path); "video" if nothing is left."""
    reduced = re.sub(r"[^A-Za-z0-9_-]+", "_", text).strip("_")[:100]
    return reduced or "video"


def max_video_bytes(model: str | None) -> int:
    """The most bytes a result of ``model`` may have: its top resolution x its longest duration, with margin."""
    family = MODEL_FAMILY.get(model or "")
    if family is None:
        pixels, seconds = _PIXELS["4k"], _DEFAULT_SECONDS
    else:
        named = [p for r, p in _PIXELS.items() if family == "FULL" and (model or "").endswith("_" + r)]
        pixels = named[0] if named else _PIXELS["720p" if family == "MINI_SP" else "1080p"]
        seconds = _FAMILY_SECONDS.get(family, _DEFAULT_SECONDS)
    return max(_FLOOR_BYTES, pixels * _FPS * seconds * _BITS_PER_PIXEL // 8)


class WaitSchedule:
    """When to poll again while waiting for a task (intervals grow by half, up to 10 s), and when to stop."""

    def __init__(self, timeout: float, poll_interval: float, clock: Callable[[], float]) -> None:
        self.timeout = timeout
        self._clock = clock
        self._deadline = clock() + timeout
        self._interval = max(0.0, poll_interval)
        self._cap = max(self._interval, _MAX_POLL_INTERVAL)

    def after(self, task: Task) -> float | None:
        """None when ``task`` is completed; seconds to sleep before the next poll otherwise.

        Raises ``TaskFailedError`` for a failed task and ``WaitTimeout`` once the deadline has passed.
        """
        if task.status == "completed":
            return None
        if task.status == "failed":
            raise TaskFailedError(task)
        remaining = self._deadline - self._clock()
        if remaining <= 0:
            raise WaitTimeout(task, self.timeout)
        delay = min(self._interval, remaining)
        self._interval = min(self._cap, self._interval * _POLL_BACKOFF)
        return delay


class Operations:
    """What both clients are, minus sending: their configuration and every operation, as generators."""

    _core: ClientCore
    _clock: Callable[[], float]

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

    def _exchange(self, request: Request, stream: bool = False) -> Operation[Answer]:
        """Send with the retry decisions; the final answer (a final failure raises its error)."""
        retrying = Retrying(self._core.policy, request)
        while True:
            outcome: Answer | Failure = yield Send(request, stream)
            delay = retrying.after(outcome)
            if delay is None:
                assert isinstance(outcome, Answer)  # after() raises for a final Failure
                return outcome
            yield Sleep(delay)

    def _create(self, args: dict[str, Any]) -> Operation[Task]:
        """``create_video`` from its arguments (its ``locals()``)."""
        fields = {name: value for name, value in args.items() if name not in ("self", "extra", "validate", "headers")}
        request = self._core.create_request(fields, args["extra"], args["validate"], args["headers"])
        return self._core.task_from((yield from self._exchange(request)))

    def _get(self, task_id: str, headers: Any = None) -> Operation[Task]:
        return self._core.task_from((yield from self._exchange(self._core.task_request(task_id, headers))))

    def _wait(self, task_or_id: Task | str, timeout: float, poll_interval: float,
              on_update: Callable[[Task], None] | None) -> Operation[Task]:
        task_id = task_or_id.task_id if isinstance(task_or_id, Task) else task_or_id
        schedule = WaitSchedule(timeout, poll_interval, self._clock)
        while True:
            task = yield from self._get(task_id)
            if on_update is not None:
                on_update(task)
            delay = schedule.after(task)
            if delay is None:
                return task
            yield Sleep(delay)  # even 0: an async driver lets other coroutines run

    def _download(self, task_or_url: Task | str, path: str | os.PathLike[str], overwrite: bool,
                  max_bytes: int | None) -> Operation[tuple[DownloadPlan, Answer]]:
        """Everything up to the body: the task (for a bare id), the plan, a 2xx answer whose body is unread."""
        given = task_or_url if isinstance(task_or_url, str) and not _is_url(task_or_url) else None
        if given is not None:
            target_path(path, given, overwrite)  # an existing file fails before any request
            task_or_url = yield from self._get(given)
        plan = self._plan(task_or_url, path, given, overwrite, max_bytes)
        answer = yield from self._exchange(plan.request, stream=True)
        if answer.stream is None:
            raise error_from_response(answer.status, answer.body, answer.headers)
        return plan, answer

    def _plan(self, task_or_url: Task | str, path: str | os.PathLike[str], given_id: str | None, overwrite: bool,
              max_bytes: int | None) -> DownloadPlan:
        if isinstance(task_or_url, Task):
            if task_or_url.video_url is None:
                raise SeedanceError(f"task {task_or_url.task_id} has no result to download "
                                    f"(status {task_or_url.status})")
            url, stem, model = task_or_url.video_url, given_id or task_or_url.task_id, task_or_url.model
        else:
            url, model = task_or_url, None
            stem = urlsplit(url).path.rsplit("/", 1)[-1].removesuffix(".mp4")
        origin = self._core.origin
        url = origin + url if url.startswith("/") else url
        mine, theirs = urlsplit(origin), urlsplit(url)
        # Never send the API key to another host (result URLs may live on a CDN).
        same_origin = (mine.scheme, mine.netloc) == (theirs.scheme, theirs.netloc)
        key = self._core.api_key
        headers = {"Authorization": f"Bearer {key}"} if key and same_origin else {}
        limit = max_bytes if max_bytes is not None else max_video_bytes(model)
        return DownloadPlan(Request("GET", url, headers), target_path(path, stem, overwrite), limit, overwrite)


def _is_url(text: str) -> bool:
    return text.startswith(("http://", "https://", "/"))


def target_path(path: str | os.PathLike[str], stem: str, overwrite: bool) -> Path:
    """The file to write: ``path``, or in the directory ``path`` a file named from ``stem`` made safe.

    An existing file is ``FileExistsError`` unless ``overwrite``.
    """
    target = Path(path)
    # "videos/" names a directory even before it exists.
    if target.is_dir() or str(path).endswith(("/", os.sep)):
        target = target / f"{safe_name(stem)}.mp4"
    if target.exists() and not overwrite:
        raise FileExistsError(f"{target} exists (pass overwrite=True, or --force, to replace it)")
    return target


def part_file(plan: DownloadPlan, answer: Answer, on_progress: ProgressCallback | None) -> PartFile:
    """The ``.part`` file for a download answer, or ``ProtocolError`` if it announces more than the bound."""
    length = answer.headers.get("Content-Length", "")
    if length.isdigit() and int(length) > plan.max_bytes:
        raise ProtocolError(f"the result announces {int(length)} bytes, more than the {plan.max_bytes} "
                            f"a video of this model can have", status=answer.status)
    return PartFile(plan, announced_length(answer.headers), on_progress)
