"""One SQLite statement run through libsqlite3 with the GIL kept: the SQLite store's create path.

Why: Python's `sqlite3` releases the GIL around every step. The thread that ran the INSERT then waits to get
the GIL back (up to the switch interval while other threads run Python), and while it waits it still holds the
store's writer lock: the next creates queue behind it. Counted under the bench's create load: 88-95% of the
lock's acquisitions had to wait, 4-6 ms on average, even with an empty statement. An INSERT here runs whole
(~30 us) without letting the GIL go, so no thread is ever stuck holding the lock; creates went from
~0.55x to ~0.7x of memory.

Only a statement that can fail cleanly runs here: the connection's busy timeout is 0, so when another
connection (a journal batch, another process) holds the write lock the call answers False at once and the
caller takes the ordinary path, which waits without the GIL. Any other failure answers False as well; in
autocommit mode a failed statement changed nothing, so running it again on the ordinary path is safe.

Used only where it is safe to: on Linux, when the libsqlite3 that Python's `sqlite3` module loaded is
already in the process (`RTLD_NOLOAD`: never a second copy of SQLite, whose POSIX locks would clash with
the first's) and reports the same version. Each thread has its own connection, reopened after a fork.
"""

from __future__ import annotations

import ctypes
import os
import sqlite3
import sys
import threading
from typing import Any

_SQLITE_OPEN_READWRITE = 0x2
_SQLITE_OPEN_NOMUTEX = 0x8000  # one connection per thread: SQLite's own mutex is not needed
_SQLITE_DONE = 101
_TRANSIENT = ctypes.c_void_p(-1)  # SQLite copies bound text before the call returns
_LIBRARY = "libsqlite3.so.0"


def _load() -> Any:
    """libsqlite3 as Python's sqlite3 module loaded it, called without releasing the GIL (None: unavailable)."""
    if sys.platform != "linux" or not hasattr(os, "RTLD_NOLOAD"):
        return None
    try:
        lib = ctypes.PyDLL(_LIBRARY, mode=os.RTLD_NOLOAD | os.RTLD_LAZY)
    except OSError:  # not loaded: this Python's sqlite3 module carries its own copy of SQLite
        return None
    vp, text, num = ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int
    signatures: dict[str, tuple[Any, tuple[Any, ...]]] = {
        "sqlite3_libversion": (text, ()),
        "sqlite3_open_v2": (num, (text, ctypes.POINTER(vp), num, text)),
        "sqlite3_prepare_v2": (num, (vp, text, num, ctypes.POINTER(vp), ctypes.POINTER(vp))),
        "sqlite3_bind_text": (num, (vp, num, text, num, vp)),
        "sqlite3_bind_double": (num, (vp, num, ctypes.c_double)),
        "sqlite3_bind_int64": (num, (vp, num, ctypes.c_int64)),
        "sqlite3_step": (num, (vp,)),
        "sqlite3_reset": (num, (vp,)),
        "sqlite3_clear_bindings": (num, (vp,)),
        "sqlite3_exec": (num, (vp, text, vp, vp, vp)),
        "sqlite3_busy_timeout": (num, (vp, num)),
        "sqlite3_finalize": (num, (vp,)),
        "sqlite3_close_v2": (num, (vp,)),
    }
    try:
        for name, (restype, argtypes) in signatures.items():
            function = getattr(lib, name)
            function.restype, function.argtypes = restype, argtypes
    except AttributeError:
        return None
    if lib.sqlite3_libversion().decode() != sqlite3.sqlite_version:
        return None
    return lib


_LIB = _load()


class DirectStatement:
    """One prepared statement per thread on `path`, run with the GIL kept (`run`)."""

    def __init__(self, path: str, sql: str) -> None:
        self._path, self._sql = os.fsencode(path), sql.encode()
        self._local = threading.local()
        self._opened: list[tuple[int, Any, Any]] = []  # (pid, connection, statement) of every thread
        self._lock = threading.Lock()
        self.runs = 0  # statements this object completed (counted by tests and the bench's round trips)

    @staticmethod
    def available(path: str) -> bool:
        """Whether statements on `path` can run here (a file, and a usable libsqlite3)."""
        return _LIB is not None and path not in ("", ":memory:") and not path.startswith("file:")

    def _statement(self) -> Any:
        found = getattr(self._local, "statement", None)
        if found is not None and self._local.pid == os.getpid():
            return found
        db, statement = ctypes.c_void_p(), ctypes.c_void_p()
        if _LIB.sqlite3_open_v2(self._path, ctypes.byref(db), _SQLITE_OPEN_READWRITE | _SQLITE_OPEN_NOMUTEX,
                                None) != 0:
            _LIB.sqlite3_close_v2(db)
            return None
        # Like the store's own connections: a commit need not survive a power cut (sqlite.py).
        _LIB.sqlite3_exec(db, b"PRAGMA synchronous=OFF", None, None, None)
        _LIB.sqlite3_busy_timeout(db, 0)  # never wait here: the caller's ordinary path waits without the GIL
        if _LIB.sqlite3_prepare_v2(db, self._sql, -1, ctypes.byref(statement), None) != 0:
            _LIB.sqlite3_close_v2(db)
            return None
        self._local.statement, self._local.pid = statement, os.getpid()
        with self._lock:
            self._opened.append((os.getpid(), db, statement))
        return statement

    def run(self, values: tuple[Any, ...]) -> bool:
        """Bind `values` (str, float, int) and run the statement; False when it did not complete (busy,
        a constraint, a value of another type, no connection): nothing was changed, use the ordinary path."""
        statement = self._statement()
        if statement is None:
            return False
        lib = _LIB
        try:
            for index, value in enumerate(values, 1):
                if isinstance(value, str):
                    data = value.encode()
                    lib.sqlite3_bind_text(statement, index, data, len(data), _TRANSIENT)
                elif isinstance(value, float):
                    lib.sqlite3_bind_double(statement, index, value)
                elif isinstance(value, int):
                    lib.sqlite3_bind_int64(statement, index, value)
                else:
                    return False
            done = bool(lib.sqlite3_step(statement) == _SQLITE_DONE)
        except (UnicodeEncodeError, OverflowError, ctypes.ArgumentError):
            return False
        finally:
            lib.sqlite3_reset(statement)
            lib.sqlite3_clear_bindings(statement)
        if done:
            self.runs += 1
        return done

    def close(self) -> None:
        """Close this process's connections (a thread that runs again opens a new one)."""
        with self._lock:
            opened, self._opened = self._opened, []
        for pid, db, statement in opened:
            if pid == os.getpid():  # a parent's handles belong to the parent
                _LIB.sqlite3_finalize(statement)
                _LIB.sqlite3_close_v2(db)
        self._local = threading.local()
