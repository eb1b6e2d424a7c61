"""The SQLite store: several processes on one machine share one file (WAL); writes take `BEGIN IMMEDIATE`."""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from mockserver.state.errors import StoreError
from mockserver.state.journal_entry import Entry, entry_json
from mockserver.state.ledger import LedgerBatch, LedgerSnapshot, event_cap, max_tokens
from mockserver.state.sqlite_direct import DirectStatement
from mockserver.state.sqlite_shared import TASKS_SLOT, VERSION_SLOT, SharedCounters, TaskCache
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
CREATE INDEX IF NOT EXISTS tasks_owner_created ON tasks (owner, created_at);
CREATE TABLE IF NOT EXISTS docs (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS journal (seq INTEGER PRIMARY KEY AUTOINCREMENT, size INTEGER NOT NULL,
    entry TEXT NOT NULL);
"""
_COLUMNS = ", ".join(FIELDS)
_PLACEHOLDERS = ", ".join("?" for _ in FIELDS)
_INSERT = f"INSERT INTO tasks ({_COLUMNS}) VALUES ({_PLACEHOLDERS})"
_HINT = "remove the file (it holds only emulator state) or point --store at another path"
COUNTER_SUFFIX = "-version"


class SqliteStore:
    """Tasks, documents and the journal in one SQLite file; one connection per thread."""

    kind = "sqlite"

    def __init__(self, path: str) -> None:
        self.path = path
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        # One writer at a time within this process on the ordinary paths (updates, evictions, journal batches,
        # a create the direct INSERT could not finish): SQLite would make the others nap whole milliseconds in
        # its busy handler. Creates do not take it: a thread granted it may wait for the GIL while holding it
        # (sqlite_direct.py).
        self._writing = threading.Lock()
        with self._errors("open"):
            self._conn().executescript(_SCHEMA)
        self._counter: SharedCounters | None = None
        self._tasks = TaskCache()
        # A create's INSERT with the GIL kept when it can (sqlite_direct's docstring says why).
        self._direct = DirectStatement(path, _INSERT) if DirectStatement.available(path) else None
        if path not in ("", ":memory:"):
            try:
                self._counter = SharedCounters(path + COUNTER_SUFFIX)
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

    def _write(self, doing: str, sql: str, args: tuple[Any, ...] = ()) -> sqlite3.Cursor:
        conn = self._conn()
        with self._errors(doing), self._writing:
            return conn.execute(sql, args)

    def _atomic(self, doing: str, fn: Callable[[sqlite3.Connection], T]) -> T:
        conn = self._conn()
        with self._errors(doing), self._writing:
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
        return self._counter.read(VERSION_SLOT)

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
        rows = self._write(
            "count",
            "INSERT INTO docs (key, value) VALUES (?, '1') "
            "ON CONFLICT (key) DO UPDATE SET value = CAST(value AS INTEGER) + 1 RETURNING value",
            (key,),
        ).fetchall()
        value = int(rows[0][0])
        if key == VERSION_KEY and self._counter is not None:
            self._counter.publish(VERSION_SLOT, value)
        return value

    # -- tasks -------------------------------------------------------------------------------------
    def add_task(self, task: Task, max_in_flight: int | None, now: float) -> list[float] | None:
        if max_in_flight is None:
            row = task.to_row()
            if self._direct is not None and self._direct.run(row):
                return None
            conn = self._conn()  # busy, a taken id, or no direct path: the ordinary way
            with self._errors("insert"), self._writing:
                try:
                    conn.execute(_INSERT, row)
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
                conn.execute(_INSERT, task.to_row())
            except sqlite3.IntegrityError:
                raise KeyError(task.task_id) from None
            return None

        return self._atomic("insert", run)

    def get_task(self, task_id: str) -> Task | None:
        counter = self._counter  # None (an in-memory database): nothing is cached
        changes = counter.read(TASKS_SLOT) if counter is not None else None
        if changes is not None:
            cached: Task | None = self._tasks.get(task_id, changes)
            if cached is not None:
                return cached
        rows = self._query("read", f"SELECT {_COLUMNS} FROM tasks WHERE task_id = ?", (task_id,))
        if not rows:
            return None
        task = Task.from_row(rows[0])
        if changes is not None:
            self._tasks.put(task_id, changes, task)
        return task

    def _tasks_changed(self) -> None:
        # After the commit, before the caller is answered (sqlite_shared's docstring).
        if self._counter is not None:
            self._counter.bump(TASKS_SLOT)
        self._tasks.clear()

    def swap_task(self, old: Task, new: Task) -> bool:
        assignments = ", ".join(f"{name} = ?" for name in FIELDS)
        cursor = self._write("update", f"UPDATE tasks SET {assignments} WHERE task_id = ? AND version = ?",
                             (*new.to_row(), old.task_id, old.version))
        if cursor.rowcount == 1:
            self._tasks_changed()
        return cursor.rowcount == 1

    def evict(self, before: float, retention: float) -> int:
        cursor = self._write("evict", "DELETE FROM tasks WHERE finished_at < ?", (before - retention,))
        if cursor.rowcount:
            self._tasks_changed()
        return cursor.rowcount

    def count_tasks(self) -> int:
        return int(self._query("count", "SELECT COUNT(*) FROM tasks")[0][0])

    def tasks_counted(self) -> int:
        return self.count_tasks()

    def recent_tasks(self, limit: int, owner: str | None = None) -> list[Task]:
        where, args = ("WHERE owner = ?", (owner, limit)) if owner is not None else ("", (limit,))
        sql = f"SELECT {_COLUMNS} FROM tasks {where} ORDER BY created_at DESC LIMIT ?"
        return [Task.from_row(r) for r in self._query("read", sql, args)]

    # -- journal -----------------------------------------------------------------------------------
    def journal_append(self, entries: list[tuple[Entry, int]], max_entries: int, max_bytes: int) -> None:
        rows = [(size, entry_json(entry)) for entry, size in entries]

        self._atomic("journal", lambda conn: _journal_rows(conn, rows, max_entries, max_bytes))

    def journal_after(self, after: int, limit: int) -> list[dict[str, Any]]:
        rows = self._query("read", "SELECT seq, entry FROM journal WHERE seq > ? ORDER BY seq LIMIT ?", (after, limit))
        return [{**json.loads(entry), "seq": seq} for seq, entry in rows]

    def journal_before(self, before: int | None, limit: int) -> list[dict[str, Any]]:
        rows = self._query("read", "SELECT seq, entry FROM journal WHERE seq < ? ORDER BY seq DESC LIMIT ?",
                           (2**63 - 1 if before is None else before, limit))
        return [{**json.loads(entry), "seq": seq} for seq, entry in rows]

    def journal_clear(self) -> None:
        self._write("clear", "DELETE FROM journal")

    # -- lifecycle ---------------------------------------------------------------------------------
    def clear(self, keep: tuple[str, ...]) -> None:
        def run(conn: sqlite3.Connection) -> None:
            conn.execute("DELETE FROM tasks")
            conn.execute("DELETE FROM journal")
            marks = ", ".join("?" for _ in keep) or "''"
            conn.execute(f"DELETE FROM docs WHERE key NOT IN ({marks})", keep)

        self._atomic("reset", run)
        self._tasks_changed()

    def close(self) -> None:
        if self._direct is not None:
            self._direct.close()
        with self._lock:
            for conn in self._connections:
                conn.close()
            self._connections.clear()
        self._local = threading.local()
        if self._counter is not None:
            self._counter.close()
            self._counter = None

    # -- the bound on stored tasks -------------------------------------------------------------------
    def evict_oldest_finished(self, now: float, count: int) -> int:
        """Drop up to `count` finished tasks, the earliest finished first (one statement: atomic)."""
        cursor = self._write(
            "evict",
            "DELETE FROM tasks WHERE task_id IN "
            "(SELECT task_id FROM tasks WHERE finished_at <= ? ORDER BY finished_at LIMIT ?)",
            (now, count),
        )
        if cursor.rowcount:
            self._tasks_changed()
        return cursor.rowcount

    # -- coverage ledger (state/ledger.py) -----------------------------------------------------------
    def _ledger_tables(self, conn: sqlite3.Connection) -> None:
        # Created on first use (not in _SCHEMA): an older file gains them without a migration step.
        if getattr(self._local, "ledger_ready", False):
            return
        for statement in _LEDGER_SCHEMA.split(";"):
            if statement.strip():
                conn.execute(statement)  # inside the caller's transaction when there is one
        self._local.ledger_ready = True

    def _ledger_write(self, conn: sqlite3.Connection, batch: LedgerBatch) -> None:
        self._ledger_tables(conn)
        if batch.counts:
            conn.executemany("INSERT INTO ledger_counts (item, n) VALUES (?, ?) "
                             "ON CONFLICT (item) DO UPDATE SET n = n + excluded.n", list(batch.counts.items()))
        if not batch.events:
            return
        conn.executemany("INSERT INTO ledger_events (token, event) VALUES (?, ?)", batch.texts())
        for token in dict.fromkeys(t for t, _ in batch.events):
            conn.execute(
                "DELETE FROM ledger_events WHERE token = ? AND seq < (SELECT MIN(seq) FROM (SELECT seq FROM "
                "ledger_events WHERE token = ? ORDER BY seq DESC LIMIT ?))", (token, token, event_cap(token)))
        stale = conn.execute("SELECT token FROM ledger_events GROUP BY token ORDER BY MAX(seq) DESC LIMIT -1 "
                             "OFFSET ?", (max_tokens() + 1,)).fetchall()
        conn.executemany("DELETE FROM ledger_events WHERE token = ?", stale)

    def ledger_add(self, batch: LedgerBatch) -> None:
        """Add a batch of item counts and events (each token's newest kept, least recent tokens dropped)."""
        self._atomic("ledger", lambda conn: self._ledger_write(conn, batch))

    def journal_append_ledger(self, entries: list[tuple[Entry, int]], max_entries: int, max_bytes: int,
                              batch: LedgerBatch) -> None:
        """`journal_append` and `ledger_add` in one transaction."""
        rows = [(size, entry_json(entry)) for entry, size in entries]

        def run(conn: sqlite3.Connection) -> None:
            if rows:
                _journal_rows(conn, rows, max_entries, max_bytes)
            self._ledger_write(conn, batch)

        self._atomic("journal", run)

    def ledger_read(self) -> LedgerSnapshot:
        """Everything the ledger holds."""
        self._ledger_tables(self._conn())
        counts = self._query("read", "SELECT item, n FROM ledger_counts")
        events: dict[str, list[str]] = {}
        for token, event in self._query("read", "SELECT token, event FROM ledger_events ORDER BY seq"):
            events.setdefault(token, []).append(event)
        return LedgerSnapshot.from_raw(dict(counts), events)

    def ledger_clear(self) -> None:
        """Forget the ledger."""
        def run(conn: sqlite3.Connection) -> None:
            self._ledger_tables(conn)
            conn.execute("DELETE FROM ledger_counts")
            conn.execute("DELETE FROM ledger_events")

        self._atomic("reset", run)


_LEDGER_SCHEMA = """
CREATE TABLE IF NOT EXISTS ledger_counts (item TEXT PRIMARY KEY, n INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS ledger_events (seq INTEGER PRIMARY KEY AUTOINCREMENT, token TEXT NOT NULL,
    event TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS ledger_events_token ON ledger_events (token, seq);
"""


def _journal_rows(conn: sqlite3.Connection, rows: list[tuple[int, str]], max_entries: int, max_bytes: int) -> None:
    """The journal part of `journal_append`, inside a transaction already open (the ledger's batched write)."""
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
