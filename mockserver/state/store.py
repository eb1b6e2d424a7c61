"""The one store interface behind every piece of mutable emulator state, and `open_store` to pick one.

A store holds tasks, a bounded journal and small JSON documents (control state, clock, counters, secret).
Every method is atomic across every thread, process and machine that shares the store: memory (one
process), SQLite (`BEGIN IMMEDIATE`, one machine) or Redis (one Lua script or WATCH/MULTI, many machines).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol, TypeVar
from urllib.parse import parse_qs, urlsplit

from mockserver.state.journal_entry import Entry
from mockserver.state.tasks import Task

R = TypeVar("R")
Update = Callable[[Any], tuple[Any, R]]
"""A pure function: current JSON value (None when absent) -> (new value or None to delete, result)."""

STORE_KINDS = ("'memory', 'sqlite:PATH', 'redis://HOST:PORT/DB[?prefix=NAME]' or "
               "'redis-cluster://HOST:PORT[,HOST:PORT...][?prefix=NAME]'")
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

    def recent_tasks(self, limit: int, owner: str | None = None) -> list[Task]:
        """Up to `limit` tasks, newest first (of one owner when given)."""

    # -- journal -----------------------------------------------------------------------------------
    def journal_append(self, entries: list[tuple[Entry, int]], max_entries: int, max_bytes: int) -> None:
        """Append (entry, approximate bytes) pairs in order (a lazy entry is built when first read, or when
        a shared store serialises it), numbering them, then drop the oldest entries past
        either bound (SQLite and Redis may overshoot the byte bound by a few entries between trims)."""

    def journal_after(self, after: int, limit: int) -> list[dict[str, Any]]:
        """Up to `limit` entries with a sequence number above `after`, oldest first (each with its `seq`)."""

    def journal_clear(self) -> None:
        """Drop every journal entry (sequence numbers keep counting)."""

    # -- lifecycle ---------------------------------------------------------------------------------
    def clear(self, keep: tuple[str, ...]) -> None:
        """Forget everything but the documents named in `keep`."""

    def close(self) -> None:
        """Release connections."""


def open_store(spec: str) -> Store:
    """`memory`, `sqlite:PATH`, `redis://HOST:PORT/DB?prefix=NAME` or `redis-cluster://HOST:PORT,...?prefix=NAME`
    -> a store (ValueError when unknown or when the prefix is not allowed)."""
    if spec in ("", "memory"):
        from mockserver.state.memory import MemoryStore

        return MemoryStore()
    if spec.startswith("sqlite:") and len(spec) > len("sqlite:"):
        from mockserver.state.sqlite import SqliteStore

        return SqliteStore(spec[len("sqlite:") :])
    if spec.startswith(("redis://", "rediss://", "unix://", "redis-cluster://")):
        query = parse_qs(urlsplit(spec).query, keep_blank_values=True)
        prefix = query.get("prefix", ["seedance-mock"])[0]
        if spec.startswith("redis-cluster://"):
            from mockserver.state.redis_cluster import RedisClusterStore

            return RedisClusterStore(spec, prefix)
        from mockserver.state.redis_store import RedisStore

        return RedisStore(spec, prefix)
    raise ValueError(f"unknown store {spec!r}: use {STORE_KINDS}")


def allows_workers(spec: str) -> bool:
    """Can several processes share this store (every kind but memory)?"""
    return spec not in ("", "memory")
