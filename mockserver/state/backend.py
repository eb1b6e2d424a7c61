"""The emulator's state apart from HTTP (never imports Flask): tasks, timelines, forcing, limits (the journal
and the coverage ledger: state/journal_access.py, which `Backend` is built on).

Everything another worker needs lives in the store; this object keeps only a cached copy of the shared
control document (faults, limits, media facts, audits, clock offset, speed), refreshed by `sync()` when the
store's `version` counter moved. The web layer calls `sync()` once per request, so a change made through
any instance is seen by every instance on its next request.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import random
import secrets
import socket
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from mockserver.state.errors import ApiError
from mockserver.state.forcing import DEFAULT_FAIL_REASON
from mockserver.state.journal_access import JournalAccess
from mockserver.state.journal_writer import WRITERS_KEY
from mockserver.state.queries import TASK_SCAN, TaskFilter
from mockserver.state.store import VERSION_KEY, Store
from mockserver.state.tasks import Task
from mockserver.state.timings import applied_ratio, output_size, plan_timings, resolution_label

Clock = Callable[[], float]
IdFactory = Callable[[], str]
Planner = Callable[[Task, Mapping[str, Any], float], Task]
"""Rewrites a new task's simulated timeline and outcome (task, body, speed) -> task: replay of recordings."""
FAILED_CODE = "GENERATION_FAILED"
MAX_TEXT = 2048  # any string we keep from a caller (URLs, reasons, bodies) is cut to this
_EVICT_EVERY = 64  # writes between eviction sweeps
DEFAULT_MAX_TASKS = 100_000
"""Stored tasks at most (each store): ~70 MB of tasks on the memory store. Past it the oldest finished tasks
are forgotten first; when none has finished, a create is refused (503 TASK_STORE_FULL)."""


def seeded_id(seed: int, n: int) -> str:
    """The n-th task id of a seeded run: reproducible, and distinct for every n (whichever worker draws it)."""
    return "vid_" + hashlib.blake2b(f"{seed}:{n}".encode(), digest_size=12).hexdigest()


def cap(text: str, limit: int = MAX_TEXT) -> str:
    """`text` cut to `limit` characters, with a marker saying how much was dropped."""
    return text if len(text) <= limit else f"{text[:limit]}…[{len(text) - limit} more characters]"


def body_text(body: Mapping[str, Any]) -> str:
    """A create body as compact JSON for the dashboard, capped; unknown fields and long values are cut
    first, so a 1 MB body never gets serialised whole."""
    small = {k: (v[:MAX_TEXT] if isinstance(v, str | list) else v) for k, v in list(body.items())[:40]}
    try:
        text = json.dumps(small, ensure_ascii=False, separators=(",", ":"))
    except (TypeError, ValueError, RecursionError):
        text = repr(small)
    return cap(text)


def _changeable(task: Task, now: float) -> str:
    """The task's status, or 409 CONFLICT when it is finished or its outcome was already forced (a forced
    task's version has moved: the store's compare-and-swap makes the first force win on every worker)."""
    status = task.status_at(now)
    if status in ("completed", "failed"):
        raise ApiError("CONFLICT", f"task {task.task_id} is already {status}")
    if task.version:
        forced = "fail" if task.outcome == "failed" else "complete"
        raise ApiError("CONFLICT", f"task {task.task_id} is already forced to {forced}: a forced outcome is final")
    return status


def instance_name() -> str:
    """host:pid, shown in the journal so that several workers can be told apart."""
    return f"{socket.gethostname()}:{os.getpid()}"


@dataclass(frozen=True)
class BackendConfig:
    """Settings the backend reads (a subset of the app config)."""

    speed: float = 1.0
    seed: int | None = None
    retention_seconds: float = 259_200.0
    journal_size: int = 1000
    journal_bytes: int = 4 * 1024 * 1024
    instance: str = field(default_factory=instance_name)
    max_tasks: int = DEFAULT_MAX_TASKS


class Backend(JournalAccess):
    """Tasks and every forcing mechanism over one shared store; status is computed when read. The journal
    and the coverage ledger come from `JournalAccess` (state/journal_access.py)."""

    def __init__(
        self,
        config: BackendConfig,
        families: Mapping[str, list[str]],
        store: Store,
        clock: Clock = time.time,
        id_factory: IdFactory | None = None,
    ) -> None:
        super().__init__(store, clock, config.speed, config.instance, config.journal_size, config.journal_bytes)
        self.config = config
        self._ids = id_factory
        self._rng = random.Random()
        self._rng_pid = 0
        self._family_of = {m: fam for fam, models in families.items() for m in models}
        self._lock = threading.Lock()
        self._writes = 0
        self._known_tasks = 0  # the store's task count when last counted, plus this instance's creates since
        self._creates_since_count = _EVICT_EVERY  # count on the first create
        self.planner: Planner | None = None  # set by the upstream features (--replay, --timings-from)

    # -- tasks -------------------------------------------------------------------------------------
    def knows_model(self, model: object) -> bool:
        """Is `model` one of the spec's model ids?"""
        return isinstance(model, str) and model in self._family_of

    def family(self, model: str) -> str:
        """The family of a known model id."""
        return self._family_of[model]

    def _next_id(self) -> tuple[str, random.Random]:
        seed = self.config.seed
        if self._ids is not None:
            return self._ids(), self._rng
        if seed is not None:
            n = self.store.incr("seq")
            return seeded_id(seed, n), random.Random(f"{seed}:{n}")
        if self._rng_pid != os.getpid():
            # Seeded from the OS once per process (and again after a fork, so workers never share a stream):
            # 96 random bits per id, without a system call per id.
            self._rng, self._rng_pid = random.Random(secrets.randbits(128)), os.getpid()
        return f"vid_{self._rng.getrandbits(96):024x}", self._rng

    def create(self, owner: str, body: Mapping[str, Any], raw: str | None = None) -> Task:
        """Store a new task for a valid body (429 TOO_MANY_TASKS past the owner's in-flight cap); `raw` is
        the body as the caller sent it, kept (capped) for the dashboard instead of serialising `body`."""
        model = str(body["model"])
        duration = int(body["duration"])
        family = self.family(model)
        width, height = output_size(family, model, dict(body))
        now = self.now()
        limits = self._limits_for(owner)
        cap_in_flight = limits.get("max_in_flight") if limits else None
        text = cap(raw) if raw is not None else body_text(body)
        self._make_room(now)
        for _ in range(100):
            task_id, rng = self._next_id()
            with self._lock:
                queued, processing = plan_timings(family, model, duration, width, height, self.speed(), rng)
            task = Task(
                task_id, owner, model, now, now + queued, now + queued + processing, "completed",
                width, height, duration, applied_ratio(body), resolution_label(family, model, body), body=text,
            )
            if self.planner is not None:
                task = self.planner(task, body, self.speed())
            try:
                in_flight = self.store.add_task(task, cap_in_flight, now)
            except KeyError:
                continue
            if in_flight is not None:
                finishes = sorted(in_flight)
                wait = max(1, math.ceil(finishes[len(finishes) - int(cap_in_flight or 1)] - now))
                raise ApiError("TOO_MANY_TASKS", f"too many tasks in flight ({len(finishes)}); retry after {wait} s",
                               retry_after=wait)
            self._after_write(now)
            return task
        raise RuntimeError("the id factory keeps returning taken ids")  # pragma: no cover

    def _make_room(self, now: float) -> None:
        """Keep the store under `max_tasks`: forget the oldest finished tasks (a hundredth of the bound at a
        time), or refuse the create (503 TASK_STORE_FULL) when none has finished. The store is counted on
        every create near the bound and every 64 creates otherwise (counting is a scan on SQLite), so with
        several instances the bound may be passed by about 64 tasks per instance."""
        bound = self.config.max_tasks
        with self._lock:
            self._creates_since_count += 1
            self._known_tasks += 1
            due = self._creates_since_count >= _EVICT_EVERY or self._known_tasks >= bound - _EVICT_EVERY
        if not due:
            return
        count = self.store.tasks_counted()
        if count >= bound:
            count = self.store.count_tasks()  # the free count may predate a reset or another instance's eviction
        if count >= bound:
            count -= self.store.evict_oldest_finished(now, count - bound + 1 + bound // 100)
        with self._lock:
            self._known_tasks, self._creates_since_count = count, 0
        if count >= bound:
            raise ApiError("TASK_STORE_FULL", f"the emulator holds {count} tasks (--max-tasks {bound}) and none has "
                           "finished yet: retry later, or raise --max-tasks", retry_after=1)

    def _after_write(self, now: float) -> None:
        with self._lock:
            self._writes += 1
            due = self._writes % _EVICT_EVERY == 0
        if due:
            self.store.evict(now, self.config.retention_seconds)

    def get(self, owner: str, task_id: str) -> Task:
        """The caller's task; another token's task is reported exactly like a missing one."""
        task = self.lookup(task_id)
        if task.owner != owner:
            raise ApiError("TASK_NOT_FOUND", f"task {task_id[:100]} not found")
        return task

    def lookup(self, task_id: str) -> Task:
        """Any token's task (control API); 404 when unknown or its result expired."""
        task = self.store.get_task(task_id[:200])
        if task is None:
            raise ApiError("TASK_NOT_FOUND", f"task {task_id[:100]} not found")
        if task.evict_at(self.config.retention_seconds) < self.now():
            raise ApiError("TASK_NOT_FOUND", f"task {task_id[:100]} not found", detail="expired")
        return task

    def _change_task(self, task_id: str, fn: Callable[[Task, float], Task]) -> Task:
        # Compare-and-swap on the task's version: two instances forcing one task cannot both win.
        for _ in range(50):
            task = self.lookup(task_id)
            updated = fn(task, self.now())
            if updated is task or self.store.swap_task(task, updated):
                return updated
        raise ApiError("CONFLICT", f"task {task_id[:100]} kept changing; try again")

    def fail_task(self, task_id: str, reason: str = DEFAULT_FAIL_REASON, at: str = "processing",
                  repeat_ok: bool = False) -> Task:
        """Make a task fail with `reason`; at="now": at once; at="queue": without ever processing, when it
        would have left the queue; at="processing": at the end of its processing (`at` checked by
        `control_input.fail_request`). A finished task, or one whose outcome was already forced, cannot be
        changed (409); with `repeat_ok` (a directive sent on every poll) forcing the same outcome again
        answers the task as it is."""
        def fail(task: Task, now: float) -> Task:
            if repeat_ok and task.version and task.outcome == "failed":
                return task
            status = _changeable(task, now)
            if at == "queue" and status != "queued":
                raise ApiError("CONFLICT", f"task {task.task_id} is already processing")
            changes: dict[str, Any] = {
                "outcome": "failed", "error_code": FAILED_CODE, "error_message": cap(reason or DEFAULT_FAIL_REASON, 500)
            }
            if at == "queue":
                changes.update(finished_at=task.processing_at, skip_processing=True)
            elif at == "now":
                changes.update(finished_at=now, processing_at=min(task.processing_at, now),
                               skip_processing=now < task.processing_at)
            return task.replace(**changes)

        return self._change_task(task_id, fail)

    def complete_task(self, task_id: str, repeat_ok: bool = False) -> Task:
        """Finish a task successfully now (a finished or already forced task cannot be changed: 409)."""

        def complete(task: Task, now: float) -> Task:
            if repeat_ok and task.version and task.outcome == "completed":
                return task
            _changeable(task, now)
            return task.replace(outcome="completed", processing_at=min(task.processing_at, now), finished_at=now)

        return self._change_task(task_id, complete)

    def result_expires_at(self, task: Task) -> int:
        """When a completed task's result URL stops working (Unix seconds)."""
        return math.ceil(task.finished_at + self.config.retention_seconds)

    def task_data(self, task: Task) -> dict[str, Any]:
        """The `data` of a query answer as seen now, without the result URL (the web layer signs it)."""
        status = task.status_at(self.now())
        data: dict[str, Any] = {
            "task_id": task.task_id,
            "status": status,
            "model": task.model,
            "created_at": int(task.created_at),
        }
        if task.ratio:
            data["ratio"] = task.ratio
        if task.resolution:
            data["resolution"] = task.resolution
        data["duration"] = task.duration
        if status == "failed":
            data["error"] = {"code": task.error_code or FAILED_CODE, "message": task.error_message}
        return data

    def timeline(self, task: Task) -> dict[str, Any]:
        """A task's whole timeline as seen now, as the control API and the dashboard show it."""
        return {
            "task_id": task.task_id,
            "token": task.owner,
            "status": task.status_at(self.now()),
            "model": task.model,
            "created_at": task.created_at,
            "processing_at": task.processing_at,
            "finished_at": task.finished_at,
            "outcome": task.outcome,
            "width": task.width,
            "height": task.height,
            "duration": task.duration,
            "ratio": task.ratio,
            "resolution": task.resolution,
            "error": {"code": task.error_code, "message": task.error_message} if task.outcome == "failed" else None,
            "skip_processing": task.skip_processing,
            "forced": task.version > 0,
            "body": task.body,
        }

    def find_tasks(self, query: TaskFilter, limit: int = 100) -> list[Task]:
        """The newest `limit` tasks that pass `query`, newest first. Reads `limit` tasks of the owner's index
        when only the owner is asked for; a status or model filter reads ever larger windows of the newest
        tasks, TASK_SCAN at most."""
        if limit < 1:
            return []
        limit = min(limit, TASK_SCAN)
        if not query.narrows():
            return self.store.recent_tasks(limit, query.owner)
        now, window = self.now(), min(TASK_SCAN, max(100, 4 * limit))
        while True:
            newest = self.store.recent_tasks(window, query.owner)
            found = [t for t in newest if query.matches(t, now)]
            if len(found) >= limit or len(newest) < window or window >= TASK_SCAN:
                return found[:limit]
            window = min(TASK_SCAN, window * 4)

    @property
    def store_kind(self) -> str:
        """memory, sqlite or redis."""
        return self.store.kind

    def count_tasks(self) -> int:
        """How many tasks the store holds (every token)."""
        return self.store.count_tasks()

    def usage(self, owner: str | None = None) -> list[dict[str, Any]]:
        """Tasks and billable seconds by owner, model and resolution (failed tasks are not billed)."""
        rows: dict[tuple[str, str, str], dict[str, Any]] = {}
        for task in self.store.recent_tasks(100_000, owner):
            key = (task.owner, task.model, task.resolution)
            row = rows.setdefault(key, {"token": key[0], "model": key[1], "resolution": key[2], "tasks": 0,
                                        "failed": 0, "billable_tasks": 0, "billable_seconds": 0})
            row["tasks"] += 1
            if task.outcome == "failed":
                row["failed"] += 1
            else:
                row["billable_tasks"] += 1
                row["billable_seconds"] += task.duration
        return sorted(rows.values(), key=lambda r: (r["token"], r["model"], r["resolution"]))

    # -- lifecycle ---------------------------------------------------------------------------------
    def reset(self) -> None:
        """Forget every task, fault, limit, media fact, audit, rate window and journal entry; clock offset 0.
        Seen by every instance on its next request (the version counter keeps counting)."""
        self._journal.drop_pending()
        self._journal.drop_ledger()
        if self._journal.batched:
            self._journal.settle()  # entries other instances queued before the reset land before it
        self.store.clear(keep=(VERSION_KEY, "secret", WRITERS_KEY))
        self.store.ledger_clear()
        self.store.incr(VERSION_KEY)
        self.sync()
