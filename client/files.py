"""Writing a download to disk, shared by both clients: a ``.part`` file next to the target, bounded in size,
removed on any failure (SIGINT and SIGTERM included), renamed over the target only when complete.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import FrameType, TracebackType
from typing import IO, Any

from client.core import Request
from client.errors import APIConnectionError, ProtocolError

__all__ = ["DownloadPlan", "PartFile", "ProgressCallback", "announced_length"]

ProgressCallback = Callable[[int, int | None], None]


@dataclass(frozen=True)
class DownloadPlan:
    """Where a result goes and how big it may be: ``request`` to send, ``target`` file, ``max_bytes``."""

    request: Request
    target: Path
    max_bytes: int
    overwrite: bool = False


class _Terminated(SystemExit):
    """SIGTERM arrived during a download (raised so the ``.part`` file is removed on the way out)."""


class PartFile:
    """A context manager: ``write`` chunks (bounded by ``plan.max_bytes``), then ``commit``; else nothing is left.

    ``total`` (the announced length, if any) is checked at commit so a body cut short is an error.
    """

    def __init__(self, plan: DownloadPlan, total: int | None, on_progress: ProgressCallback | None) -> None:
        self.plan = plan
        self.total = total
        self.written = 0
        self._on_progress = on_progress
        target = plan.target
        target.parent.mkdir(parents=True, exist_ok=True)
        # Same directory as the target so the final rename is atomic; created 0o666 so the umask applies as
        # for any new file (NamedTemporaryFile would leave the video readable by its owner only).
        self.part = target.parent / f".{target.name}.{secrets.token_hex(6)}.part"
        self._file: IO[bytes] = os.fdopen(os.open(self.part, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666), "wb")
        self._committed = False
        self._previous: Any = None

    def __enter__(self) -> PartFile:
        # SIGTERM's default action ends the process at once, leaving the .part behind: while downloading in the
        # main thread, turn it into an exception (only where nobody installed a handler of their own).
        if threading.current_thread() is threading.main_thread() \
                and signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
            self._previous = signal.signal(signal.SIGTERM, _raise_terminated)
        return self

    def write(self, chunk: bytes) -> None:
        """Append a chunk; ``ProtocolError`` past the size bound."""
        self.written += len(chunk)
        if self.written > self.plan.max_bytes:
            raise ProtocolError(f"the result is larger than the {self.plan.max_bytes} bytes a video of this "
                                f"model can have: stopped")
        self._file.write(chunk)
        if self._on_progress is not None:
            self._on_progress(self.written, self.total)

    def commit(self) -> Path:
        """Check the length, flush to disk and move the file into place (never over a file, unless asked)."""
        if self.total is not None and self.written != self.total:
            raise APIConnectionError(f"download cut short: {self.written} of {self.total} bytes")
        self._file.flush()
        os.fsync(self._file.fileno())
        self._file.close()
        target = self.plan.target
        if self.plan.overwrite:
            os.replace(self.part, target)
        else:
            os.link(self.part, target)  # fails if the target appeared meanwhile: never clobbered
            os.unlink(self.part)
        self._committed = True
        return target

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 _tb: TracebackType | None) -> None:
        if self._previous is not None:
            signal.signal(signal.SIGTERM, self._previous)
        if not self._committed:
            self._file.close()
            with contextlib.suppress(OSError):
                os.unlink(self.part)


def _raise_terminated(signum: int, frame: FrameType | None) -> None:
    raise _Terminated(128 + signum)


def announced_length(headers: Any) -> int | None:
    """Content-Length as an int when it counts the bytes written (no Content-Encoding), else None."""
    length = headers.get("Content-Length")
    return int(length) if length and length.isdigit() and "Content-Encoding" not in headers else None
