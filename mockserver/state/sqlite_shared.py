"""What the processes of one SQLite store share beside the database: two counters in a memory-mapped file,
and the task cache they keep exact.

The file holds two 8-byte slots: the control version (every request checks it: a memory read instead of a
statement) and a count of task changes (a forced outcome, an eviction, a reset). A task read is served from
this process's cache while the task-change count has not moved since the task was read from the database;
a create does not move it (a cache holds only tasks that exist, and a new task changes none of them).
A writer commits first and publishes after, so a reader that sees the new count finds the change committed.
"""

from __future__ import annotations

import fcntl
import mmap
import os
import struct
import threading
from collections import OrderedDict
from typing import Any

VERSION_SLOT = 0
TASKS_SLOT = 1
_SLOTS = 2


class SharedCounters:
    """Counters in a file mapped into every process: a read is a memory read, a write takes the file's lock
    so that values only grow (two processes publishing out of order cannot bring an old value back)."""

    def __init__(self, path: str) -> None:
        self._fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            if os.fstat(self._fd).st_size < 8 * _SLOTS:
                os.ftruncate(self._fd, 8 * _SLOTS)
            self._map = mmap.mmap(self._fd, 8 * _SLOTS)
        except BaseException:
            os.close(self._fd)
            raise

    def read(self, slot: int) -> int:
        """The slot's last published value."""
        return int(struct.unpack_from("<q", self._map, 8 * slot)[0])

    def publish(self, slot: int, value: int) -> None:
        """Raise the slot to `value` (kept when it is already higher)."""
        with self._locked():
            if value > self.read(slot):
                struct.pack_into("<q", self._map, 8 * slot, value)

    def bump(self, slot: int) -> None:
        """Add one to the slot."""
        with self._locked():
            struct.pack_into("<q", self._map, 8 * slot, self.read(slot) + 1)

    def _locked(self) -> _FileLock:
        return _FileLock(self._fd)

    def close(self) -> None:
        """Unmap and close the file."""
        self._map.close()
        os.close(self._fd)


class _FileLock:
    def __init__(self, fd: int) -> None:
        self._fd = fd

    def __enter__(self) -> None:
        fcntl.flock(self._fd, fcntl.LOCK_EX)

    def __exit__(self, *exc: object) -> None:
        fcntl.flock(self._fd, fcntl.LOCK_UN)


class TaskCache:
    """Tasks read from the database, each kept with the task-change count read before it was read; a hit
    needs that count unchanged. At most `max_entries` (the oldest go first); reads take no lock."""

    def __init__(self, max_entries: int = 4096) -> None:
        self._max = max_entries
        self._values: OrderedDict[str, tuple[int, Any]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, task_id: str, changes: int) -> Any:
        """The cached task when nothing changed since it was read, else None."""
        found = self._values.get(task_id)
        return found[1] if found is not None and found[0] == changes else None

    def put(self, task_id: str, changes: int, task: Any) -> None:
        """Keep a task read while the task-change count was `changes`."""
        with self._lock:
            self._values[task_id] = (changes, task)
            if len(self._values) > self._max:
                self._values.popitem(last=False)

    def clear(self) -> None:
        """Forget every task."""
        with self._lock:
            self._values.clear()
