"""The one store interface behind every piece of mutable emulator state (it names no implementation:
`stores.open_store` picks one).

A store holds tasks, a bounded journal and small JSON documents (control state, clock, counters, secret).
Every method is atomic across every thread, process and machine that shares the store: memory (one
process), SQLite (`BEGIN IMMEDIATE`, one machine) or Redis (one Lua script or WATCH/MULTI, many machines).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol, TypeVar

from mockserver.state.journal_entry import Entry
from mockserver.state.ledger import LedgerBatch, LedgerSnapshot
from mockserver.state.tasks import Task

R = TypeVar("R")
Update = Callable[[Any], tuple[Any, R]]
"""A pure function: current JSON value (None when absent) -> (new value or None to delete, result)."""

VERSION_KEY = "version"
"""The counter document every change of the control document moves (`control_version` reads it cheaply)."""


class Store(Protocol):
    """What the backend needs from a store."""

    kind: str

    # -- small JSON documents and counters -------------------------------------------------------
    def read(self, key: str) -> Any:
        """The JSON value under `key`, or None."""

    def update(self, key: str, fn: Update[R]) -> R:
        """Apply `fn` to the value under `key` atomically (retried on conflict: `fn` must be pure)."""

    def incr(self, key: str) -> int:
        """Add one to the counter under `key` and return the new value."""

    def control_version(self) -> Any:
        """The counter under VERSION_KEY, read the cheapest way the store has (every request asks): a
        dict read (memory), a shared memory map (SQLite), a client-side cache kept by invalidations (Redis).
        A change made through any instance is seen by the next call that starts after it."""

    # -- tasks -------------------------------------------------------------------------------------
    def add_task(self, task: Task, max_in_flight: int | None, now: float) -> list[float] | None:
        """Insert `task` unless its owner already has `max_in_flight` unfinished tasks at `now`.

        Returns None when inserted, else the finish times of the owner's tasks in flight. Raises
        KeyError when the id is taken."""

    def get_task(self, task_id: str) -> Task | None:
        """The task, or None."""

    def swap_task(self, old: Task, new: Task) -> bool:
        """Replace `old` by `new` if the stored task still has `old.version`."""

    def evict(self, before: float, retention: float) -> int:
        """Drop tasks whose result expired before `before`; return how many."""

    def count_tasks(self) -> int:
        """Number of stored tasks."""

    def tasks_counted(self) -> int:
        """The task count for the task bound: what this instance's last insert learned with it when the
        store answers it for free (Redis), else `count_tasks()`. May be stale; the bound recounts before
        it acts on a full store."""

    def recent_tasks(self, limit: int, owner: str | None = None) -> list[Task]:
        """Up to `limit` tasks, newest first (of one owner when given); reads about `limit` tasks, not every
        task of the owner."""

    # -- journal -----------------------------------------------------------------------------------
    def journal_append(self, entries: list[tuple[Entry, int]], max_entries: int, max_bytes: int) -> None:
        """Append (entry, approximate bytes) pairs in order (a lazy entry is built when first read, or when
        a shared store serialises it), numbering them, then drop the oldest entries past
        either bound (SQLite and Redis may overshoot the byte bound by a few entries between trims)."""

    def journal_after(self, after: int, limit: int) -> list[dict[str, Any]]:
        """Up to `limit` entries with a sequence number above `after`, oldest first (each with its `seq`)."""

    def journal_before(self, before: int | None, limit: int) -> list[dict[str, Any]]:
        """Up to `limit` entries with a sequence number below `before` (None: the newest), newest first."""

    def journal_clear(self) -> None:
        """Drop every journal entry (sequence numbers keep counting)."""

    # -- lifecycle ---------------------------------------------------------------------------------
    def clear(self, keep: tuple[str, ...]) -> None:
        """Forget everything but the documents named in `keep`."""

    def close(self) -> None:
        """Release connections."""

    # -- the bound on stored tasks -------------------------------------------------------------------
    def evict_oldest_finished(self, now: float, count: int) -> int:
        """Drop up to `count` tasks finished at `now`, the earliest finished first; return how many."""

    # -- coverage ledger (state/ledger.py) -----------------------------------------------------------
    def ledger_add(self, batch: LedgerBatch) -> None:
        """Add item counts and (token, event) pairs; keep each token's newest events and the most recently
        seen tokens (`ledger.EVENTS_PER_TOKEN`, `ledger.MAX_TOKENS`)."""

    def journal_append_ledger(self, entries: list[tuple[Entry, int]], max_entries: int, max_bytes: int,
                              batch: LedgerBatch) -> None:
        """`journal_append` and `ledger_add` in one atomic write (one round trip on a shared store)."""

    def ledger_read(self) -> LedgerSnapshot:
        """Everything the ledger holds."""

    def ledger_clear(self) -> None:
        """Forget the ledger."""
