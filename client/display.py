"""The ``seedance`` command's progress display on stderr: a live line on a terminal, plain lines otherwise."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TextIO

from client.models import Task

__all__ = ["TICK_SECONDS", "Display"]

TICK_SECONDS = 0.2  # how often the live status line redraws its elapsed time while waiting between polls


class Display:
    """Progress on stderr: a live line on a terminal, plain lines when stderr is a file or pipe.

    On a terminal the task line's elapsed time keeps ticking between polls: the client sleeps through
    `sleep`, which redraws the line every `TICK_SECONDS`. `clock` and `sleep` are injectable for tests.
    """

    def __init__(self, stream: TextIO, *, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.stream = stream
        self.live = stream.isatty()
        self._clock = clock
        self._sleep = sleep
        self.started = clock()
        self._last_task: Task | None = None
        self._dirty = False  # a live line is on screen and not ended yet
        self._ticking = False  # that line is the task line (not download progress)

    def task(self, task: Task) -> None:
        """Show a task snapshot with the time elapsed since the command started."""
        elapsed = self._clock() - self.started
        if self.live:
            self._line(f"{task.task_id}  {task.status:<10}  {elapsed:6.1f} s")
            self._ticking = True
        elif self._last_task is None or task.status != self._last_task.status:
            self.stream.write(f"{task.task_id} {task.status} ({elapsed:.1f} s)\n")
            self.stream.flush()
        self._last_task = task

    def sleep(self, seconds: float) -> None:
        """Wait `seconds`; on a terminal, redraw the task line every `TICK_SECONDS` so its time moves."""
        last = self._last_task
        if not (self._ticking and last is not None):
            self._sleep(seconds)
            return
        deadline = self._clock() + seconds
        while (remaining := deadline - self._clock()) > 0:
            self._sleep(min(TICK_SECONDS, remaining))
            self.task(last)

    def progress(self, done: int, total: int | None) -> None:
        """Show download progress (live line only: a log file does not need every chunk)."""
        if not self.live:
            return
        self._ticking = False
        if total:
            self._line(f"downloading {_size(done)} / {_size(total)}  {100 * done // total:3d}%")
        else:
            self._line(f"downloading {_size(done)}")

    def end_line(self) -> None:
        """Finish the live line so the next output starts on a fresh line."""
        if self._dirty:
            self.stream.write("\n")
            self.stream.flush()
            self._dirty = False
        self._ticking = False

    def _line(self, text: str) -> None:
        self.stream.write("\r\x1b[K" + text)
        self.stream.flush()
        self._dirty = True


def _size(count: int) -> str:
    return f"{count / 1_000_000:.1f} MB" if count >= 100_000 else f"{count / 1000:.1f} kB"
