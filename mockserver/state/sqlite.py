"""The SQLite store: several processes on one machine share one file (WAL); writes take `BEGIN IMMEDIATE`."""

from __future__ import annotations

import json
import mmap
import os
import sqlite3
import struct
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from mockserver.state.errors import StoreError
from mockserver.state.journal_entry import Entry, as_dict
from mockserver.state.store import VERSION_KEY, R, Update
from mockserver.state.tasks import FIELDS, Task

T = TypeVar("T")
_SCHEMA = """
CREATE TABLE IF NOT EXISTS tasks (
    task_id TEXT PRIMARY KEY, owner TEXT NOT NULL, model TEXT NOT NULL, created_at REAL NOT NULL,
    processing_at REAL NOT NULL, finished_at REAL NOT NULL, outcome TEXT NOT NULL, width INTEGER NOT NULL,
    height INTEGER NOT NULL, duration INTEGER NOT NULL, ratio TEXT NOT NULL, resolution TEXT NOT NULL,
    error_code TEXT NOT NULL, error_message TEXT NOT NULL, skip_processing INTEGER NOT NULL,
    version INTEGER NOT NULL, body TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS tasks_finished ON tasks (finished_at);
CREATE INDEX IF NOT EXISTS tasks_owner ON tasks (owner, finished_at);
CREATE INDEX IF NOT EXISTS tasks_created ON tasks (created_at);
CREATE TABLE IF NOT EXISTS docs (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS journal (seq INTEGER PRIMARY KEY AUTOINCREMENT, size INTEGER NOT NULL,
    entry TEXT NOT NULL);
"""
_COLUMNS = ", ".join(FIELDS)
_PLACEHOLDERS = ", ".join("?" for _ in FIELDS)
_HINT = "remove the file (it holds only emulator state) or point --store at another path"
COUNTER_SUFFIX = "-version"


class SharedCounter:
    """The control version mirrored in an 8-byte file beside the database, mapped into every process's
    memory: checking it costs a memory read instead of a statement. It is written after the database's
    counter moved (and after the change it announces was committed), so a reader that sees a new value
    finds the change in the database; values only grow, so any change makes it differ from a reader's last."""

    def __init__(self, path: str) -> None:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            if os.fstat(fd).st_size < 8:
                os.ftruncate(fd, 8)
            self._map = mmap.mmap(fd, 8)
        finally:
            os.close(fd)

    def read(self) -> int:
        """The last value written by any process."""
        return int(struct.unpack_from("<q", self._map)[0])

    def write(self, value: int) -> None:
        """Publish a new value."""
        struct.pack_into("<q", self._map, 0, value)

    def close(self) -> None:
        """Unmap."""
        self._map.close()


class SqliteStore:
    """Tasks, documents and the journal in one SQLite file; one connection per thread."""

    kind = "sqlite"

    def __init__(self, path: str) -> None:
        self.path = path
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        with self._errors("open"):
            self._conn().executescript(_SCHEMA)
        self._counter: SharedCounter | None = None
        if path not in ("", ":memory:"):
            try:
                self._counter = SharedCounter(path + COUNTER_SUFFIX)
            except (OSError, ValueError) as exc:
                raise StoreError(f"SQLite store {path}: cannot open {path}{COUNTER_SUFFIX} ({exc}); {_HINT}") from None

    @contextmanager
    def _errors(self, doing: str) -> Iterator[None]:
        # One line naming the file and what to do, instead of a traceback (the web layer answers 503).
        try:
            yield
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"SQLite store {self.path}: cannot {doing} ({exc}); {_HINT}") from None

    def _conn(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            try:
                conn = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
                conn.execute("PRAGMA journal_mode=WAL")
                # The file holds only emulator state: a commit need not survive a power cut (a crashed
                # process loses nothing in WAL mode), and a create is one statement whose cost is the commit.
                conn.execute("PRAGMA synchronous=OFF")
            except sqlite3.DatabaseError as exc:
                raise StoreError(f"SQLite store {self.path}: cannot open ({exc}); {_HINT}") from None
            self._local.conn = conn
            with self._lock:
                self._connections.append(conn)
        return conn

    def _query(self, doing: str, sql: str, args: tuple[Any, ...] = ()) -> list[Any]:
        with self._errors(doing):
            return self._conn().execute(sql, args).fetchall()

    def _atomic(self, doing: str, fn: Callable[[sqlite3.Connection], T]) -> T:
        conn = self._conn()
        with self._errors(doing):
            conn.execute("BEGIN IMMEDIATE")
            try:
                result = fn(conn)
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
            return result

    # -- documents ---------------------------------------------------------------------------------
    def read(self, key: str) -> Any:
        rows = self._query("read", "SELECT value FROM docs WHERE key = ?", (key,))
        return json.loads(rows[0][0]) if rows else None

    def control_version(self) -> Any:
        if self._counter is None:
            return self.read(VERSION_KEY)
        return self._counter.read()

    def update(self, key: str, fn: Update[R]) -> R:
        def run(conn: sqlite3.Connection) -> R:
            row = conn.execute("SELECT value FROM docs WHERE key = ?", (key,)).fetchone()
            new, result = fn(json.loads(row[0]) if row else None)
            if new is None:
                conn.execute("DELETE FROM docs WHERE key = ?", (key,))
            else:
                conn.execute("REPLACE INTO docs (key, value) VALUES (?, ?)", (key, json.dumps(new)))
            return result

        return self._atomic("update", run)

    def incr(self, key: str) -> int:
        rows = self._query(
            "count",
            "INSERT INTO docs (key, value) VALUES (?, '1') "
            "ON CONFLICT (key) DO UPDATE SET value = CAST(value AS INTEGER) + 1 RETURNING value",
            (key,),
        )
        value = int(rows[0][0])
        if key == VERSION_KEY and self._counter is not None:
            self._counter.write(value)
        return value

    # -- tasks -------------------------------------------------------------------------------------
    def add_task(self, task: Task, max_in_flight: int | None, now: float) -> list[float] | None:
        insert = f"INSERT INTO tasks ({_COLUMNS}) VALUES ({_PLACEHOLDERS})"
        if max_in_flight is None:
            with self._errors("insert"):
                try:
                    self._conn().execute(insert, task.to_row())
                except sqlite3.IntegrityError:
                    raise KeyError(task.task_id) from None
            return None

        def run(conn: sqlite3.Connection) -> list[float] | None:
            rows = conn.execute(
                "SELECT finished_at FROM tasks WHERE owner = ? AND finished_at > ?", (task.owner, now)
            ).fetchall()
            if len(rows) >= max_in_flight:
                return [float(r[0]) for r in rows]
            try:
                conn.execute(insert, task.to_row())
            except sqlite3.IntegrityError:
                raise KeyError(task.task_id) from None
            return None

        return self._atomic("insert", run)

    def get_task(self, task_id: str) -> Task | None:
        rows = self._query("read", f"SELECT {_COLUMNS} FROM tasks WHERE task_id = ?", (task_id,))
        return Task.from_row(rows[0]) if rows else None

    def swap_task(self, old: Task, new: Task) -> bool:
        assignments = ", ".join(f"{name} = ?" for name in FIELDS)
        with self._errors("update"):
            cursor = self._conn().execute(
                f"UPDATE tasks SET {assignments} WHERE task_id = ? AND version = ?",
                (*new.to_row(), old.task_id, old.version),
            )
        return cursor.rowcount == 1

    def evict(self, before: float, retention: float) -> int:
        with self._errors("evict"):
            cursor = self._conn().execute("DELETE FROM tasks WHERE finished_at < ?", (before - retention,))
        return cursor.rowcount

    def count_tasks(self) -> int:
        return int(self._query("count", "SELECT COUNT(*) FROM tasks")[0][0])

    def recent_tasks(self, limit: int, owner: str | None = None) -> list[Task]:
        where, args = ("WHERE owner = ?", (owner, limit)) if owner is not None else ("", (limit,))
        sql = f"SELECT {_COLUMNS} FROM tasks {where} ORDER BY created_at DESC LIMIT ?"
        return [Task.from_row(r) for r in self._query("read", sql, args)]

    # -- journal -----------------------------------------------------------------------------------
    def journal_append(self, entries: list[tuple[Entry, int]], max_entries: int, max_bytes: int) -> None:
        rows = [(size, json.dumps(as_dict(entry), ensure_ascii=False)) for entry, size in entries]

        def run(conn: sqlite3.Connection) -> None:
            conn.executemany("INSERT INTO journal (size, entry) VALUES (?, ?)", rows)
            last = int(conn.execute("SELECT MAX(seq) FROM journal").fetchone()[0] or 0)
            conn.execute("DELETE FROM journal WHERE seq <= ?", (last - max_entries,))
            total = conn.execute("SELECT SUM(size) FROM journal").fetchone()[0] or 0
            if total > max_bytes:
                conn.execute(
                    "DELETE FROM journal WHERE seq IN (SELECT seq FROM (SELECT seq, SUM(size) OVER "
                    "(ORDER BY seq DESC) AS running FROM journal) WHERE running > ?)",
                    (max_bytes,),
                )

        self._atomic("journal", run)

    def journal_after(self, after: int, limit: int) -> list[dict[str, Any]]:
        rows = self._query("read", "SELECT seq, entry FROM journal WHERE seq > ? ORDER BY seq LIMIT ?", (after, limit))
        return [{**json.loads(entry), "seq": seq} for seq, entry in rows]

    def journal_clear(self) -> None:
        self._query("clear", "DELETE FROM journal")

    # -- lifecycle ---------------------------------------------------------------------------------
    def clear(self, keep: tuple[str, ...]) -> None:
        def run(conn: sqlite3.Connection) -> None:
            conn.execute("DELETE FROM tasks")
            conn.execute("DELETE FROM journal")
            marks = ", ".join("?" for _ in keep) or "''"
            conn.execute(f"DELETE FROM docs WHERE key NOT IN ({marks})", keep)

        self._atomic("reset", run)

    def close(self) -> None:
        with self._lock:
            for conn in self._connections:
                conn.close()
            self._connections.clear()
        self._local = threading.local()
        if self._counter is not None:
            self._counter.close()
            self._counter = None
