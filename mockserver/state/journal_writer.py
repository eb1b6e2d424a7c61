"""Writing journal entries: at once into the memory store; in batches into a shared store.

A journal write per request would be one more round trip (Redis) or one more write transaction, serialised
across processes (SQLite). So for shared stores each instance queues its entries and a background thread
writes them together every FLUSH_SECONDS (or as soon as BATCH entries wait). Readers wait READ_DELAY first,
so a journal read shows every request answered before the read began, whichever instance answered it.

Who is there to wait for: each writer registers in the store's WRITERS_KEY document before it queues its first
entry, refreshes that every REFRESH_SECONDS from its thread and leaves at close; a reader alone in the document
(one instance, the usual case in a test) reads at once. A registration lapses after WRITER_TTL without refresh
(a crashed instance), so readers keep waiting for it until then: the safe side.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
import uuid
from typing import Any

from mockserver.state.errors import StoreError
from mockserver.state.journal_entry import Entry
from mockserver.state.ledger import LedgerBatch
from mockserver.state.store import Store

FLUSH_SECONDS = 0.02
READ_DELAY = 0.06  # > FLUSH_SECONDS, with room for a flush that is under way
BATCH = 64
MAX_PENDING = 10_000  # if the store is down, the oldest queued entries are dropped past this
WRITERS_KEY = "journal-writers"  # {writer id: wall-clock expiry}; kept across resets
REFRESH_SECONDS = 20.0
WRITER_TTL = 60.0

log = logging.getLogger(__name__)


class JournalWriter:
    """Queues entries and writes them to the store (see the module docstring)."""

    def __init__(self, store: Store, max_entries: int, max_bytes: int) -> None:
        self._store = store
        self._max_entries = max_entries
        self._max_bytes = max_bytes
        self.batched = store.kind != "memory"
        self._pending: list[tuple[Entry, int]] = []
        self._ledger = LedgerBatch()  # the coverage ledger's changes, written with the next batch
        self._lock = threading.Lock()
        self._flushing = threading.Lock()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._owner_pid = 0
        self._id = ""  # this writer's name in WRITERS_KEY (new after a fork), "" until registered
        self._refreshed = 0.0
        self._closed = threading.Event()

    def add(self, entry: Entry, size: int) -> None:
        """Record one entry (written at once, or within FLUSH_SECONDS)."""
        if not self.batched:
            self._store.journal_append([(entry, size)], self._max_entries, self._max_bytes)
            return
        with self._lock:
            self._pending.append((entry, size))
            if len(self._pending) > MAX_PENDING:
                del self._pending[: len(self._pending) - MAX_PENDING]
            waiting = len(self._pending)
        self._ensure_thread()
        if waiting >= BATCH:
            self._wake.set()

    def flush(self) -> None:
        """Write every queued entry now."""
        with self._flushing:
            with self._lock:
                batch, self._pending = self._pending, []
                ledger, self._ledger = self._ledger, LedgerBatch()
            if ledger:
                # The ledger rides in the journal's write: still one round trip per batch.
                try:
                    self._store.journal_append_ledger(batch, self._max_entries, self._max_bytes, ledger)
                except StoreError as exc:
                    log.warning("%d journal entries and a ledger batch lost: %s", len(batch), exc)
            elif batch:
                try:
                    self._store.journal_append(batch, self._max_entries, self._max_bytes)
                except StoreError as exc:
                    log.warning("%d journal entries lost: %s", len(batch), exc)

    def settle(self) -> None:
        """Before a read: write ours, then give every other instance time to write theirs (none: no wait)."""
        self.flush()
        if self.batched and self._others_write():
            time.sleep(READ_DELAY)

    # -- who else writes to this store --------------------------------------------------------------
    def _register(self, leaving: bool = False) -> None:
        me, now = self._id, time.time()

        def change(doc: Any) -> tuple[dict[str, float], None]:
            writers = {k: float(v) for k, v in (doc or {}).items() if float(v) > now and k != me}
            if not leaving:
                writers[me] = now + WRITER_TTL
            return writers, None

        self._store.update(WRITERS_KEY, change)
        self._refreshed = now

    def _others_write(self) -> bool:
        try:
            writers = self._store.read(WRITERS_KEY) or {}
        except StoreError:
            return True  # cannot tell: wait, as for another instance
        now = time.time()
        return any(k != self._id and float(v) > now for k, v in writers.items())

    def drop_pending(self) -> None:
        """Forget queued entries (a reset or a journal clear happened after them)."""
        with self._lock:
            self._pending = []

    # -- the coverage ledger (state/ledger.py) rides along ------------------------------------------
    def add_with_ledger(self, entry: Entry | None, size: int, items: tuple[str, ...], token: str,
                        event: list[Any] | None) -> None:
        """Record a journal entry (None: none) and the ledger items and conduct event of one request,
        written together: at once (memory store) or in the next batch (shared stores)."""
        if not self.batched:
            note = getattr(self._store, "ledger_note", None)  # the memory store's path: one lock, no batch
            if note is not None:
                note(items, token, event, None if entry is None else (entry, size, self._max_entries,
                                                                       self._max_bytes))
            else:
                if entry is not None:
                    self._store.journal_append([(entry, size)], self._max_entries, self._max_bytes)
                single = LedgerBatch()
                single.add(items, token, event)
                self._store.ledger_add(single)
            return
        with self._lock:
            if entry is not None:
                self._pending.append((entry, size))
                if len(self._pending) > MAX_PENDING:
                    del self._pending[: len(self._pending) - MAX_PENDING]
            ledger = self._ledger
            ledger.add(items, token, event)
            if len(ledger.events) > MAX_PENDING:
                del ledger.events[: len(ledger.events) - MAX_PENDING]
            waiting = len(self._pending) + len(ledger.events)
        self._ensure_thread()
        if waiting >= BATCH:
            self._wake.set()

    def drop_ledger(self) -> None:
        """Forget the queued ledger changes (a reset happened after them)."""
        with self._lock:
            self._ledger = LedgerBatch()

    def _ensure_thread(self) -> None:
        # Started lazily, and again after a fork: a prefork server's workers each need their own thread.
        if self._thread is not None and self._owner_pid == os.getpid():
            return
        with self._lock:
            if self._thread is not None and self._owner_pid == os.getpid():
                return
            self._id = uuid.uuid4().hex[:16]
            try:
                self._register()  # before the first entry waits in the queue (the module docstring)
            except StoreError as exc:
                log.warning("journal writer not registered (readers elsewhere may miss entries): %s", exc)
            self._owner_pid = os.getpid()
            self._thread = threading.Thread(target=self._run, name="seedance-mock-journal", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        while not self._closed.is_set():
            self._wake.wait(FLUSH_SECONDS)
            self._wake.clear()
            self.flush()
            if time.time() - self._refreshed >= REFRESH_SECONDS and not self._closed.is_set():
                try:
                    self._register()
                except Exception as exc:  # the writer thread must outlive any store trouble
                    log.warning("journal writer registration not refreshed: %s", exc)

    def close(self) -> None:
        """Write what is queued, leave the writers' document and stop the thread (at shutdown)."""
        self._closed.set()
        self._wake.set()
        self.flush()
        if self._id and self._owner_pid == os.getpid():
            with contextlib.suppress(StoreError):  # else it lapses after WRITER_TTL
                self._register(leaving=True)
