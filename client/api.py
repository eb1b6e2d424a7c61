"""``SeedanceClient``: create a video task, poll it, wait for it, download its result."""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import IO, Any
from urllib.parse import quote, urlsplit

import requests

from client.errors import (
    APIConnectionError,
    AuthenticationError,
    SeedanceError,
    ServerError,
    TaskFailedError,
    ValidationError,
    WaitTimeout,
    error_from_envelope,
    error_from_response,
    snippet,
)
from client.models import Task
from client.transport import DEFAULT_TIMEOUT, RetryPolicy, Timeout, Transport
from client.validation import validate_body

__all__ = ["CREATE_PATH", "DEFAULT_BASE_URL", "TASK_PATH", "SeedanceClient"]

DEFAULT_BASE_URL = "https://www.jimmyai.cn"
CREATE_PATH = "/api/open-api/v1/seedance/videos"
TASK_PATH = "/api/open-api/v1/videos/{task_id}"
# The field reference types code as the string "20000"; one documented example shows the number 0.
_SUCCESS_CODES = frozenset({"20000", "0"})
_MAX_POLL_INTERVAL = 10.0
_POLL_BACKOFF = 1.5
_CHUNK = 64 * 1024

ProgressCallback = Callable[[int, int | None], None]


class SeedanceClient:
    """A thin client for the Seedance video API (the real service or the ``seedance-mock`` emulator).

    ``api_key`` and ``base_url`` default to ``SEEDANCE_API_KEY`` / ``SEEDANCE_BASE_URL`` (read here, never at
    import), then to no key / the real service. ``validate`` turns pre-flight checks on create on or off.
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
        self.api_key = api_key if api_key is not None else (os.environ.get("SEEDANCE_API_KEY") or None)
        self.base_url = (base_url or os.environ.get("SEEDANCE_BASE_URL") or DEFAULT_BASE_URL).rstrip("/")
        self.validate = validate
        policy = retry_policy or RetryPolicy(max_retries=max_retries)
        self._transport = Transport(session, timeout=timeout, policy=policy, sleep=sleep)
        self._sleep = sleep
        self._clock = clock

    def __enter__(self) -> SeedanceClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Release pooled connections."""
        self._transport.close()

    # -- the two API operations -------------------------------------------------------------------------

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
        fields: dict[str, Any] = {
            "model": model, "prompt": prompt, "duration": duration, "ratio": ratio, "resolution": resolution,
            "orientation": orientation, "images": images, "first_image": first_image, "last_image": last_image,
            "reference_videos": reference_videos, "reference_audios": reference_audios,
        }
        body = {key: list(value) if key in _LIST_ARGS and value is not None else value
                for key, value in fields.items() if value is not None}
        body.update(extra or {})
        if self.validate if validate is None else validate:
            violations = validate_body(body)
            if violations:
                raise ValidationError.from_violations(violations)
        data = self._call("POST", CREATE_PATH, body=body, headers=headers)
        return _task_from(data)

    def get_task(self, task_id: str, *, headers: Mapping[str, str] | None = None) -> Task:
        """Fetch a fresh snapshot of a task (``NotFoundError`` if unknown or another key's)."""
        if not isinstance(task_id, str) or not task_id:
            raise ValueError("task_id must be a non-empty string")
        data = self._call("GET", TASK_PATH.format(task_id=quote(task_id, safe="")), headers=headers)
        return _task_from(data)

    # -- helpers built on them ----------------------------------------------------------------------------

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
        deadline = self._clock() + timeout
        interval = max(0.0, poll_interval)
        cap = max(interval, _MAX_POLL_INTERVAL)
        while True:
            task = self.get_task(task_id)
            if on_update is not None:
                on_update(task)
            if task.status == "completed":
                return task
            if task.status == "failed":
                raise TaskFailedError(task)
            remaining = deadline - self._clock()
            if remaining <= 0:
                raise WaitTimeout(task, timeout)
            if interval > 0:
                self._sleep(min(interval, remaining))
            interval = min(cap, interval * _POLL_BACKOFF)

    def download(
        self,
        task_or_url: Task | str,
        path: str | os.PathLike[str],
        *,
        on_progress: ProgressCallback | None = None,
    ) -> Path:
        """Stream a task's video (a ``Task``, a task id, or the result URL) to ``path`` and return the path.

        The bytes go to a temporary file next to the target, renamed over it only when complete, so a
        failed download never leaves a partial target file. ``path`` may be a directory (the file is then
        named after the task). An expired result raises ``ResultExpiredError``.
        """
        url, name = self._result_url(task_or_url)
        target = Path(path)
        # "videos/" names a directory even before it exists.
        if target.is_dir() or str(path).endswith(("/", os.sep)):
            target = target / name
        headers = {"Authorization": f"Bearer {self.api_key}"} if self.api_key and self._same_origin(url) else {}
        response = self._transport.open(url, headers=headers)
        try:
            if not 200 <= response.status_code < 300:
                raise error_from_response(response.status_code, _read_all(response), response.headers)
            _stream_to(response, target, on_progress)
        finally:
            response.close()
        return target

    def generate(
        self,
        *,
        output: str | os.PathLike[str],
        timeout: float = 600.0,
        poll_interval: float = 2.0,
        on_update: Callable[[Task], None] | None = None,
        on_progress: ProgressCallback | None = None,
        **fields: Any,
    ) -> Path:
        """Create a task from ``fields`` (the ``create_video`` arguments), wait for it, download it to ``output``."""
        task = self.create_video(**fields)
        done = self.wait(task, timeout=timeout, poll_interval=poll_interval, on_update=on_update)
        return self.download(done, output, on_progress=on_progress)

    # -- plumbing -----------------------------------------------------------------------------------------

    def _call(self, method: str, path: str, *, body: object = None,
              headers: Mapping[str, str] | None = None) -> Mapping[str, Any]:
        if not self.api_key:
            raise AuthenticationError("no API key: pass api_key= or set SEEDANCE_API_KEY")
        sent = {"Authorization": f"Bearer {self.api_key}", "Accept": "application/json", **(headers or {})}
        answer = self._transport.send(method, self.base_url + path, json_body=body, headers=sent)
        raw, status = answer.body, answer.status
        if not 200 <= status < 300:
            raise error_from_response(status, raw, answer.headers)
        try:
            envelope = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            raise ServerError(f"answer is not valid JSON: {snippet(raw)!r}", status=status,
                              body=snippet(raw)) from None
        if not isinstance(envelope, Mapping):
            raise ServerError("answer is not a JSON object", status=status, body=snippet(raw))
        code = envelope.get("code")
        if isinstance(code, bool) or str(code) not in _SUCCESS_CODES:
            # A 2xx carrying an error code: use the code's status (code = status x 100) when it has one.
            code_status = _status_of_code(code)
            if code_status is not None:
                raise error_from_envelope(code_status, envelope, raw, answer.headers)
            raise ServerError(f"unexpected envelope code {code!r}", status=status, body=snippet(raw))
        data = envelope.get("data")
        if not isinstance(data, Mapping):
            raise ServerError("answer has no data object", status=status, body=snippet(raw))
        return data

    def _result_url(self, task_or_url: Task | str) -> tuple[str, str]:
        """The URL to fetch and a default file name for it."""
        if isinstance(task_or_url, str) and task_or_url.startswith(("http://", "https://", "/")):
            url = self.base_url + task_or_url if task_or_url.startswith("/") else task_or_url
            base = urlsplit(url).path.rsplit("/", 1)[-1]
            return url, base or "video.mp4"
        task = task_or_url if isinstance(task_or_url, Task) else self.get_task(task_or_url)
        if task.video_url is None:
            raise SeedanceError(f"task {task.task_id} has no result to download (status {task.status})")
        url = self.base_url + task.video_url if task.video_url.startswith("/") else task.video_url
        return url, f"{task.task_id}.mp4"

    def _same_origin(self, url: str) -> bool:
        # Never send the API key to another host (result URLs may live on a CDN).
        mine, theirs = urlsplit(self.base_url), urlsplit(url)
        return (mine.scheme, mine.netloc) == (theirs.scheme, theirs.netloc)


_LIST_ARGS = frozenset({"images", "reference_videos", "reference_audios"})


def _task_from(data: Mapping[str, Any]) -> Task:
    try:
        return Task.from_data(data)
    except ValueError as exc:
        raise ServerError(f"malformed task in answer: {exc}", body=snippet(json.dumps(data)[:400])) from None


def _status_of_code(code: object) -> int | None:
    try:
        value = int(str(code))
    except ValueError:
        return None
    status = value // 100
    return status if 400 <= status <= 599 else None


def _read_all(response: requests.Response) -> bytes:
    """The whole body; a body cut short raises ``APIConnectionError``."""
    try:
        return response.content
    except requests.exceptions.RequestException as exc:
        raise APIConnectionError(f"answer cut short (HTTP {response.status_code}): {exc}",
                                 status=response.status_code) from exc


def _stream_to(response: requests.Response, target: Path, on_progress: ProgressCallback | None) -> None:
    length = response.headers.get("Content-Length")
    # With a Content-Encoding, Content-Length counts encoded bytes, not the ones written.
    total = int(length) if length and length.isdigit() and "Content-Encoding" not in response.headers else None
    target.parent.mkdir(parents=True, exist_ok=True)
    # Same directory as the target so the final rename is atomic; created 0o666 so the umask applies as
    # for any new file (NamedTemporaryFile would leave the video readable by its owner only).
    part = target.parent / f".{target.name}.{secrets.token_hex(6)}.part"
    tmp: IO[bytes] = os.fdopen(os.open(part, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666), "wb")
    written = 0
    try:
        with tmp:
            try:
                for chunk in response.iter_content(_CHUNK):
                    tmp.write(chunk)
                    written += len(chunk)
                    if on_progress is not None:
                        on_progress(written, total)
            except requests.exceptions.RequestException as exc:
                raise APIConnectionError(f"download cut short after {written} bytes: {exc}") from exc
            if total is not None and written != total:
                raise APIConnectionError(f"download cut short: {written} of {total} bytes")
            tmp.flush()
            os.fsync(tmp.fileno())
        os.replace(part, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(part)
        raise
