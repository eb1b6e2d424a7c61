"""Task storage: an in-memory dict (default) or a SQLite file shared by worker processes."""

from __future__ import annotations

import dataclasses
import heapq
import sqlite3
import threading
from dataclasses import dataclass
from typing import Protocol


@dataclass(slots=True)  # not frozen: a frozen init costs a setattr call per field on the hot path
class Task:
    """A task and its whole timeline; its status is derived from the timeline at read time.
    Treat it as immutable: changes go through `replace` and `TaskStore.put`."""

    task_id: str
    token: str
    model: str
    created_at: float
    processing_at: float
    finished_at: float
    outcome: str  # "completed" | "failed"
    width: int
    height: int
    duration: int
    error_code: str = ""
    error_message: str = ""
    # A task failed "at queue" never shows processing.
    skip_processing: bool = False

    def status_at(self, now: float) -> str:
        """queued -> processing -> completed|failed, purely from the timeline."""
        if now >= self.finished_at:
            return self.outcome
        if now >= self.processing_at and not self.skip_processing:
            return "processing"
        return "queued"

    def evict_at(self, retention: float) -> float:
        """When the task may be forgotten: its result has expired."""
        return self.finished_at + retention

    def replace(self, **changes: object) -> Task:
        """A copy with `changes` applied."""
        return dataclasses.replace(self, **changes)  # type: ignore[arg-type]


class TaskStore(Protocol):
    """What the backend needs from a store; every method is thread-safe."""

    def add(self, task: Task) -> bool:
        """Insert; False when the id is taken."""

    def get(self, task_id: str) -> Task | None:
        """The task, or None."""

    def put(self, task: Task) -> None:
        """Replace an existing task."""

    def evict(self, before: float, retention: float) -> int:
        """Drop tasks whose result expired before `before`; return how many."""

    def unfinished_finish_times(self, token: str, now: float) -> list[float]:
        """finished_at of this token's tasks still in flight at `now`."""

    def count(self) -> int:
        """Number of stored tasks."""

    def clock_offset(self) -> float:
        """Seconds the simulated clock was advanced (shared by every process using the store)."""

    def set_clock_offset(self, offset: float) -> None:
        """Persist the simulated clock offset."""

    def clear(self) -> None:
        """Forget every task and the clock offset."""

    def close(self) -> None:
        """Release resources."""


class MemoryStore:
    """A dict plus a heap of (evict_at, task_id) popped on writes, so memory stays flat."""

    def __init__(self) -> None:
        self._tasks: dict[str, Task] = {}
        self._by_token: dict[str, set[str]] = {}
        self._expiry: list[tuple[float, str]] = []
        self._offset = 0.0
        self._lock = threading.Lock()

    def add(self, task: Task) -> bool:
        with self._lock:
            if task.task_id in self._tasks:
                return False
            self._tasks[task.task_id] = task
            self._by_token.setdefault(task.token, set()).add(task.task_id)
            heapq.heappush(self._expiry, (task.finished_at, task.task_id))
            return True

    def get(self, task_id: str) -> Task | None:
        return self._tasks.get(task_id)

    def put(self, task: Task) -> None:
        with self._lock:
            if task.task_id in self._tasks:
                self._tasks[task.task_id] = task
                heapq.heappush(self._expiry, (task.finished_at, task.task_id))

    def evict(self, before: float, retention: float) -> int:
        dropped = 0
        with self._lock:
            # The heap holds finished_at; an entry is stale when the task was re-timed (forced) since.
            while self._expiry and self._expiry[0][0] + retention < before:
                finished_at, task_id = heapq.heappop(self._expiry)
                task = self._tasks.get(task_id)
                if task is None or task.finished_at != finished_at:
                    continue
                del self._tasks[task_id]
                owned = self._by_token.get(task.token)
                if owned is not None:
                    owned.discard(task_id)
                    if not owned:
                        del self._by_token[task.token]
                dropped += 1
        return dropped

    def unfinished_finish_times(self, token: str, now: float) -> list[float]:
        with self._lock:
            ids = list(self._by_token.get(token, ()))
            return [t.finished_at for t in (self._tasks[i] for i in ids) if t.finished_at > now]

    def count(self) -> int:
        return len(self._tasks)

    def clock_offset(self) -> float:
        return self._offset

    def set_clock_offset(self, offset: float) -> None:
        self._offset = offset

    def clear(self) -> None:
        with self._lock:
            self._tasks.clear()
            self._by_token.clear()
            self._expiry.clear()
            self._offset = 0.0

    def close(self) -> None:
        """Nothing to release."""


_FIELDS = [f.name for f in dataclasses.fields(Task)]
_SCHEMA = """
CREATE TABLE IF NOT EXISTS tasks (
    task_id TEXT PRIMARY KEY, token TEXT NOT NULL, model TEXT NOT NULL, created_at REAL NOT NULL,
    processing_at REAL NOT NULL, finished_at REAL NOT NULL, outcome TEXT NOT NULL, width INTEGER NOT NULL,
    height INTEGER NOT NULL, duration INTEGER NOT NULL, error_code TEXT NOT NULL, error_message TEXT NOT NULL,
    skip_processing INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS tasks_finished ON tasks (finished_at);
CREATE INDEX IF NOT EXISTS tasks_token ON tasks (token, finished_at);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value REAL NOT NULL);
"""
_COLUMNS = ", ".join(_FIELDS)
_PLACEHOLDERS = ", ".join("?" for _ in _FIELDS)


class SqliteStore:
    """Tasks in a SQLite file (WAL): survives restarts and is shared by several worker processes."""

    def __init__(self, path: str) -> None:
        self._path = path
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        self._conn().executescript(_SCHEMA)

    def _conn(self) -> sqlite3.Connection:
        # One connection per thread: SQLite connections must not be shared across threads mid-statement.
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self._path, timeout=30, isolation_level=None, check_same_thread=False)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            self._local.conn = conn
            with self._lock:
                self._connections.append(conn)
        return conn

    @staticmethod
    def _row(row: tuple[object, ...]) -> Task:
        values = dict(zip(_FIELDS, row, strict=True))
        values["skip_processing"] = bool(values["skip_processing"])
        return Task(**values)  # type: ignore[arg-type]

    def _values(self, task: Task) -> tuple[object, ...]:
        return tuple(int(v) if isinstance(v, bool) else v for v in dataclasses.astuple(task))

    def add(self, task: Task) -> bool:
        try:
            self._conn().execute(f"INSERT INTO tasks ({_COLUMNS}) VALUES ({_PLACEHOLDERS})", self._values(task))
        except sqlite3.IntegrityError:
            return False
        return True

    def get(self, task_id: str) -> Task | None:
        row = self._conn().execute(f"SELECT {_COLUMNS} FROM tasks WHERE task_id = ?", (task_id,)).fetchone()
        return None if row is None else self._row(row)

    def put(self, task: Task) -> None:
        self._conn().execute(f"REPLACE INTO tasks ({_COLUMNS}) VALUES ({_PLACEHOLDERS})", self._values(task))

    def evict(self, before: float, retention: float) -> int:
        cursor = self._conn().execute("DELETE FROM tasks WHERE finished_at + ? < ?", (retention, before))
        return cursor.rowcount

    def unfinished_finish_times(self, token: str, now: float) -> list[float]:
        rows = self._conn().execute(
            "SELECT finished_at FROM tasks WHERE token = ? AND finished_at > ?", (token, now)
        ).fetchall()
        return [float(r[0]) for r in rows]

    def count(self) -> int:
        return int(self._conn().execute("SELECT COUNT(*) FROM tasks").fetchone()[0])

    def clock_offset(self) -> float:
        row = self._conn().execute("SELECT value FROM meta WHERE key = 'clock_offset'").fetchone()
        return 0.0 if row is None else float(row[0])

    def set_clock_offset(self, offset: float) -> None:
        self._conn().execute("REPLACE INTO meta (key, value) VALUES ('clock_offset', ?)", (offset,))

    def clear(self) -> None:
        conn = self._conn()
        conn.execute("DELETE FROM tasks")
        conn.execute("DELETE FROM meta")

    def close(self) -> None:
        with self._lock:
            for conn in self._connections:
                conn.close()
            self._connections.clear()
        self._local = threading.local()


def open_store(spec: str) -> TaskStore:
    """`memory` -> MemoryStore; `sqlite:PATH` -> SqliteStore."""
    if spec in ("", "memory"):
        return MemoryStore()
    if spec.startswith("sqlite:") and len(spec) > len("sqlite:"):
        return SqliteStore(spec[len("sqlite:") :])
    raise ValueError(f"unknown store {spec!r}: use 'memory' or 'sqlite:PATH'")
