"""The memory store (default): one process, no dependency; a lock makes every operation atomic."""

from __future__ import annotations

import copy
import heapq
import math
import threading
from collections import Counter, OrderedDict, deque
from collections.abc import Callable
from typing import Any

from mockserver.state.journal_entry import Entry, as_dict
from mockserver.state.ledger import LedgerBatch, LedgerSnapshot, event_cap, max_tokens
from mockserver.state.store import VERSION_KEY, R, Update
from mockserver.state.tasks import Task


class MemoryStore:
    """Dicts plus a heap of (finished_at, task_id) popped on eviction, so memory stays flat."""

    kind = "memory"

    def __init__(self) -> None:
        self._docs: dict[str, Any] = {}
        self._tasks: dict[str, Task] = {}
        self._by_owner: dict[str, set[str]] = {}
        self._expiry: list[tuple[float, str]] = []
        self._journal: deque[tuple[int, int, Entry]] = deque()
        self._journal_bytes = 0
        self._journal_seq = 0
        self._lock = threading.Lock()

    # -- documents ---------------------------------------------------------------------------------
    def read(self, key: str) -> Any:
        return self._docs.get(key)

    def control_version(self) -> Any:
        return self._docs.get(VERSION_KEY)

    def update(self, key: str, fn: Update[R]) -> R:
        with self._lock:
            # A deep copy: `fn` may build its answer from the value, which must not change under a reader.
            new, result = fn(copy.deepcopy(self._docs.get(key)))
            if new is None:
                self._docs.pop(key, None)
            else:
                self._docs[key] = new
            return result

    def incr(self, key: str) -> int:
        with self._lock:
            value = int(self._docs.get(key) or 0) + 1
            self._docs[key] = value
            return value

    # -- tasks -------------------------------------------------------------------------------------
    def add_task(self, task: Task, max_in_flight: int | None, now: float) -> list[float] | None:
        with self._lock:
            if task.task_id in self._tasks:
                raise KeyError(task.task_id)
            owned = self._by_owner.get(task.owner)
            if max_in_flight is not None and owned:
                finishes = [f for f in (self._tasks[i].finished_at for i in owned) if f > now]
                if len(finishes) >= max_in_flight:
                    return finishes
            self._tasks[task.task_id] = task
            if owned is None:
                self._by_owner[task.owner] = owned = set()
            owned.add(task.task_id)
            heapq.heappush(self._expiry, (task.finished_at, task.task_id))
            return None

    def get_task(self, task_id: str) -> Task | None:
        return self._tasks.get(task_id)

    def swap_task(self, old: Task, new: Task) -> bool:
        with self._lock:
            current = self._tasks.get(old.task_id)
            if current is None or current.version != old.version:
                return False
            self._tasks[new.task_id] = new
            if new.finished_at != old.finished_at:
                heapq.heappush(self._expiry, (new.finished_at, new.task_id))
            return True

    def evict(self, before: float, retention: float) -> int:
        with self._lock:
            return self._drop_finished(lambda finished_at: finished_at + retention < before, math.inf)

    def _drop_finished(self, expired: Callable[[float], bool], limit: float) -> int:
        """Pop the expiry heap while its earliest entry is `expired`, dropping at most `limit` tasks (the
        caller holds the lock). The heap holds finished_at; an entry is stale when the task was re-timed
        (forced) since: its current entry is elsewhere in the heap."""
        dropped = 0
        while self._expiry and dropped < limit and expired(self._expiry[0][0]):
            finished_at, task_id = heapq.heappop(self._expiry)
            task = self._tasks.get(task_id)
            if task is None or task.finished_at != finished_at:
                continue
            del self._tasks[task_id]
            owned = self._by_owner.get(task.owner)
            if owned is not None:
                owned.discard(task_id)
                if not owned:
                    del self._by_owner[task.owner]
            dropped += 1
        return dropped

    def count_tasks(self) -> int:
        return len(self._tasks)

    def tasks_counted(self) -> int:
        return self.count_tasks()  # the exact count costs nothing here (as on SQLite: the same call)

    def recent_tasks(self, limit: int, owner: str | None = None) -> list[Task]:
        with self._lock:
            if owner is not None:
                pool = (self._tasks[i] for i in self._by_owner.get(owner, ()))
                return heapq.nlargest(limit, pool, key=lambda t: t.created_at)
            # Insertion order is creation order: walk the newest end only.
            found: list[Task] = []
            for task_id in reversed(self._tasks):
                found.append(self._tasks[task_id])
                if len(found) >= limit:
                    break
            return found

    # -- journal -----------------------------------------------------------------------------------
    def journal_append(self, entries: list[tuple[Entry, int]], max_entries: int, max_bytes: int) -> None:
        with self._lock:
            self._journal_append_locked(entries, max_entries, max_bytes)

    def _journal_append_locked(self, entries: list[tuple[Entry, int]], max_entries: int, max_bytes: int) -> None:
        for entry, size in entries:
            self._journal_seq += 1
            self._journal.append((self._journal_seq, size, entry))
            self._journal_bytes += size
        while self._journal and (len(self._journal) > max_entries or self._journal_bytes > max_bytes):
            self._journal_bytes -= self._journal.popleft()[1]

    def journal_after(self, after: int, limit: int) -> list[dict[str, Any]]:
        with self._lock:
            if not self._journal:
                return []
            # Sequence numbers are contiguous in the deque: index arithmetic instead of a scan.
            start = max(0, after - self._journal[0][0] + 1)
            picked = [self._journal[i] for i in range(start, min(len(self._journal), start + limit))]
        # Built outside the lock: a lazy entry becomes a dict on its first read and keeps it.
        return [{**as_dict(entry), "seq": seq} for seq, _, entry in picked]

    def journal_before(self, before: int | None, limit: int) -> list[dict[str, Any]]:
        with self._lock:
            if not self._journal:
                return []
            end = len(self._journal)
            if before is not None:  # contiguous sequence numbers, as in journal_after
                end = max(0, min(end, before - self._journal[0][0]))
            picked = [self._journal[i] for i in range(end - 1, max(-1, end - 1 - limit), -1)]
        return [{**as_dict(entry), "seq": seq} for seq, _, entry in picked]

    def journal_clear(self) -> None:
        with self._lock:
            self._journal.clear()
            self._journal_bytes = 0

    # -- lifecycle ---------------------------------------------------------------------------------
    def clear(self, keep: tuple[str, ...]) -> None:
        with self._lock:
            self._docs = {k: v for k, v in self._docs.items() if k in keep}
            self._tasks.clear()
            self._by_owner.clear()
            self._expiry.clear()
            self._journal.clear()
            self._journal_bytes = 0

    def close(self) -> None:
        """Nothing to release."""

    # -- the bound on stored tasks -------------------------------------------------------------------
    def evict_oldest_finished(self, now: float, count: int) -> int:
        """Drop up to `count` finished tasks, the earliest finished first (the expiry heap's order)."""
        with self._lock:
            return self._drop_finished(lambda finished_at: finished_at <= now, count)

    # -- coverage ledger (state/ledger.py) -----------------------------------------------------------
    def _ledger_state(self) -> tuple[Counter[str], OrderedDict[str, deque[list[Any]]]]:
        found: tuple[Counter[str], OrderedDict[str, deque[list[Any]]]] | None = self.__dict__.get("_ledger")
        if found is None:
            found = (Counter(), OrderedDict())
            self.__dict__["_ledger"] = found
        return found

    def ledger_add(self, batch: LedgerBatch) -> None:
        """Add a batch of item counts and events (each token's newest kept, least recent tokens dropped)."""
        with self._lock:
            self._ledger_state()[0].update(batch.counts)
        for token, event in batch.events:
            self.ledger_note((), token, event)

    def ledger_note(self, items: tuple[str, ...], token: str, event: list[Any] | None,
                    entry: tuple[Entry, int, int, int] | None = None) -> None:
        """One request's items and event without building a batch (the memory store's hot path), and its journal
        entry (entry, size, max entries, max bytes) under the same lock: one lock taken per request, not two
        (threads queue on a lock whose holder lost the GIL)."""
        with self._lock:
            if entry is not None:
                self._journal_append_locked([entry[:2]], entry[2], entry[3])
            counts, events = self._ledger_state()
            for item in items:
                counts[item] += 1
            if event is None:
                return
            kept = events.get(token)
            if kept is None:
                kept = events[token] = deque(maxlen=event_cap(token))
                while len(events) > max_tokens() + 1:
                    events.popitem(last=False)
            elif len(events) > 1:
                events.move_to_end(token)
            kept.append(event)

    def journal_append_ledger(self, entries: list[tuple[Entry, int]], max_entries: int, max_bytes: int,
                              batch: LedgerBatch) -> None:
        """`journal_append` and `ledger_add` together."""
        self.journal_append(entries, max_entries, max_bytes)
        self.ledger_add(batch)

    def ledger_read(self) -> LedgerSnapshot:
        """Everything the ledger holds."""
        with self._lock:
            counts, events = self._ledger_state()
            raw = {token: list(kept) for token, kept in events.items()}
            total = dict(counts)
        return LedgerSnapshot.from_raw(total, raw)

    def ledger_clear(self) -> None:
        """Forget the ledger."""
        with self._lock:
            self.__dict__["_ledger"] = (Counter(), OrderedDict())
