"""The SQLite store's direct INSERT (state/sqlite_direct.py): it keeps the GIL, changes nothing when it cannot
finish (busy, a taken id), and the store then takes the ordinary path; a forked child opens its own
connection."""

from __future__ import annotations

import os
import sqlite3
import sys
import threading
import time
from pathlib import Path

import pytest

from mockserver.state.sqlite import SqliteStore
from mockserver.state.sqlite_direct import DirectStatement
from mockserver.state.tasks import Task

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="the direct path is Linux-only")


def test_the_direct_path_is_available_here() -> None:
    # Debian's Python loads the system's libsqlite3.so.0: the bench's figures assume this path.
    assert DirectStatement.available("x.db")
    assert not DirectStatement.available(":memory:") and not DirectStatement.available("")


def database(tmp_path: Path) -> str:
    path = str(tmp_path / "direct.db")
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("CREATE TABLE t (id TEXT PRIMARY KEY, n INTEGER, x REAL, s TEXT)")
    conn.close()
    return path


def rows(path: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(path) as conn:
        return conn.execute("SELECT id, n, x, s FROM t ORDER BY id").fetchall()


def test_a_statement_runs_and_its_values_come_back_as_bound(tmp_path: Path) -> None:
    path = database(tmp_path)
    direct = DirectStatement(path, "INSERT INTO t VALUES (?, ?, ?, ?)")
    assert direct.run(("a", 2**40, 0.5, "renard 狐 🦊"))
    assert direct.run(("b", -1, 1e300, ""))
    assert rows(path) == [("a", 2**40, 0.5, "renard 狐 🦊"), ("b", -1, 1e300, "")]
    assert direct.runs == 2
    direct.close()


def test_what_cannot_finish_answers_false_and_changes_nothing(tmp_path: Path) -> None:
    path = database(tmp_path)
    direct = DirectStatement(path, "INSERT INTO t VALUES (?, ?, ?, ?)")
    assert direct.run(("a", 1, 1.0, "first"))
    assert not direct.run(("a", 2, 2.0, "taken id"))
    assert not direct.run(("b", None, 1.0, "a type it does not bind"))
    assert not direct.run(("c", 1, 1.0, "lone surrogate \udc80"))
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another connection holds the write lock
    started = time.monotonic()
    assert not direct.run(("d", 1, 1.0, "busy"))
    assert time.monotonic() - started < 1.0  # no busy wait with the GIL held
    holder.execute("ROLLBACK")
    holder.close()
    assert direct.run(("e", 1, 1.0, "the statement works again"))  # reset after every failure
    assert [r[0] for r in rows(path)] == ["a", "e"]
    assert direct.runs == 2
    direct.close()


def test_the_gil_is_kept_while_the_statement_runs(tmp_path: Path) -> None:
    # A statement of ~100 ms: a thread counting in a loop advances while Python's sqlite3 runs it (the GIL is
    # released around the step), and not at all while the direct statement does.
    path = database(tmp_path)
    sql = ("INSERT INTO t SELECT ? || v, ?, ?, ? FROM (WITH RECURSIVE c(v) AS (SELECT 1 UNION ALL "
           "SELECT v + 1 FROM c WHERE v < 300000) SELECT v FROM c)")
    ticks = [0]
    stop = threading.Event()

    def count() -> None:
        while not stop.is_set():
            ticks[0] += 1

    counter = threading.Thread(target=count)
    counter.start()
    try:
        time.sleep(0.01)
        before = ticks[0]
        direct = DirectStatement(path, sql)
        assert direct.run(("direct-", 1, 1.0, "x"))
        during_direct = ticks[0] - before
        conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        before = ticks[0]
        conn.execute(sql, ("python-", 1, 1.0, "x"))
        during_python = ticks[0] - before
    finally:
        stop.set()
        counter.join()
    print(f"ticks while Python's sqlite3 ran it: {during_python}; while the direct statement did: {during_direct}")
    assert during_python > 1000
    assert during_direct < during_python / 20  # at most the ticks of the Python lines around the call
    conn.close()
    direct.close()


@pytest.mark.skipif(not hasattr(os, "fork"), reason="fork")
def test_a_forked_child_opens_its_own_connection(tmp_path: Path) -> None:
    path = database(tmp_path)
    direct = DirectStatement(path, "INSERT INTO t VALUES (?, ?, ?, ?)")
    assert direct.run(("parent", 1, 1.0, ""))
    pid = os.fork()
    if pid == 0:  # pragma: no cover (the child)
        os._exit(0 if direct.run(("child", 2, 2.0, "")) else 1)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert direct.run(("parent-again", 3, 3.0, ""))  # the parent's connection still works
    assert [r[0] for r in rows(path)] == ["child", "parent", "parent-again"]
    direct.close()


def make_task(task_id: str) -> Task:
    return Task(task_id, "owner", "seedance2.0-std", 0.0, 1.0, 2.0, "completed", 1280, 720, 5, body='{"prompt":"狐"}')


def test_the_store_creates_directly_and_waits_its_turn_when_busy(tmp_path: Path) -> None:
    store = SqliteStore(str(tmp_path / "store.db"))
    assert store._direct is not None
    assert store.add_task(make_task("vid_1"), None, 0.0) is None
    assert store._direct.runs == 1
    with pytest.raises(KeyError):
        store.add_task(make_task("vid_1"), None, 0.0)  # a taken id: the ordinary path says so
    holder = sqlite3.connect(store.path, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")
    done = threading.Event()
    worker = threading.Thread(target=lambda: (store.add_task(make_task("vid_2"), None, 0.0), done.set()))
    worker.start()
    assert not done.wait(0.3)  # the ordinary path waits for the lock (without the GIL)
    holder.execute("COMMIT")
    worker.join(timeout=10)
    assert done.is_set()
    assert store.get_task("vid_2") == make_task("vid_2") and store.get_task("vid_1") == make_task("vid_1")
    assert store._direct.runs == 1
    holder.close()
    store.close()
