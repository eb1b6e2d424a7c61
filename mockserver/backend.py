"""The emulator's state apart from HTTP (never imports Flask): tasks, timelines, forcing, limits, journal."""

from __future__ import annotations

import math
import random
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from mockserver.apierror import ApiError
from mockserver.external_rules import AUDIT_STATES, MediaFacts, asset_id
from mockserver.forcing import FAIL_AT, FaultBook, Limits, RateWindow
from mockserver.models import output_size, plan_timings
from mockserver.store import Task, TaskStore, open_store

Clock = Callable[[], float]
IdFactory = Callable[[], str]
FAILED_CODE = "GENERATION_FAILED"
_EVICT_EVERY = 64  # writes between eviction sweeps (the heap makes each sweep cheap)


def seeded_ids(seed: int | None) -> IdFactory:
    """`vid_<24 hex>` ids: reproducible with a seed, random otherwise."""
    if seed is None:
        return lambda: "vid_" + secrets.token_hex(12)
    rng = random.Random(seed)
    lock = threading.Lock()

    def next_id() -> str:
        with lock:
            return f"vid_{rng.getrandbits(96):024x}"

    return next_id


def mask_token(token: str | None) -> str:
    """A journal-safe form of a token: its first 4 characters."""
    if not token:
        return ""
    return token[:4] + "…" if len(token) > 4 else "…"


@dataclass(frozen=True)
class BackendConfig:
    """Settings the backend reads (a subset of the app config)."""

    speed: float = 1.0
    seed: int | None = None
    store: str = "memory"
    retention_seconds: float = 259_200.0
    journal_size: int = 1000


class Backend:
    """Tasks and every forcing mechanism; status is computed from each task's timeline when read."""

    def __init__(
        self,
        config: BackendConfig,
        families: Mapping[str, list[str]],
        clock: Clock = time.time,
        id_factory: IdFactory | None = None,
        store: TaskStore | None = None,
    ) -> None:
        self.config = config
        self._clock = clock
        self._ids = id_factory or seeded_ids(config.seed)
        self._rng = random.Random(config.seed)
        self._family_of = {m: fam for fam, models in families.items() for m in models}
        self.store = store or open_store(config.store)
        self.faults = FaultBook()
        self.limits: dict[str | None, Limits] = {}
        self._windows: dict[str, RateWindow] = {}
        self.media: dict[str, MediaFacts] = {}
        self.audits: dict[str, str] = {}
        self.journal: deque[dict[str, Any]] = deque(maxlen=config.journal_size)
        self._lock = threading.Lock()
        self._writes = 0

    # -- clock -------------------------------------------------------------------------------------
    def now(self) -> float:
        """The emulator clock: the injected clock plus every `advance`."""
        return self._clock() + self.store.clock_offset()

    def advance(self, seconds: float) -> float:
        """Move the simulated clock forward (never backward); return the new time."""
        if not math.isfinite(seconds) or seconds < 0:
            raise ApiError("VALIDATION_FAILED", "seconds must be a finite number >= 0")
        with self._lock:
            self.store.set_clock_offset(self.store.clock_offset() + seconds)
        return self.now()

    # -- tasks -------------------------------------------------------------------------------------
    def knows_model(self, model: object) -> bool:
        """Is `model` one of the spec's model ids?"""
        return isinstance(model, str) and model in self._family_of

    def family(self, model: str) -> str:
        """The family of a known model id."""
        return self._family_of[model]

    def create(self, token: str, body: Mapping[str, Any]) -> Task:
        """Store a new task for a valid body; its timeline is planned now."""
        model = str(body["model"])
        duration = int(body["duration"])
        family = self.family(model)
        width, height = output_size(family, model, dict(body))
        now = self.now()
        with self._lock:
            queued, processing = plan_timings(
                family, model, duration, width, height, self.config.speed, self._rng
            )
        for _ in range(100):
            task = Task(
                task_id=self._ids(),
                token=token,
                model=model,
                created_at=now,
                processing_at=now + queued,
                finished_at=now + queued + processing,
                outcome="completed",
                width=width,
                height=height,
                duration=duration,
            )
            if self.store.add(task):
                break
        else:  # pragma: no cover - only with a broken id factory
            raise RuntimeError("the id factory keeps returning taken ids")
        self._after_write(now)
        return task

    def _after_write(self, now: float) -> None:
        with self._lock:
            self._writes += 1
            due = self._writes % _EVICT_EVERY == 0
        if due:
            self.store.evict(now, self.config.retention_seconds)

    def get(self, token: str, task_id: str) -> Task:
        """The caller's task; another token's task is reported exactly like a missing one."""
        task = self.lookup(task_id)
        if task.token != token:
            raise ApiError("TASK_NOT_FOUND", f"task {task_id[:100]} not found")
        return task

    def _expired(self, task: Task) -> bool:
        return task.evict_at(self.config.retention_seconds) < self.now()

    def lookup(self, task_id: str) -> Task:
        """Any token's task (control API); 404 when unknown or evicted."""
        task = self.store.get(task_id)
        if task is None or self._expired(task):
            raise ApiError("TASK_NOT_FOUND", f"task {task_id[:100]} not found")
        return task

    def fail_task(self, task_id: str, reason: str = "generation failed", at: str = "processing") -> Task:
        """Make a task fail with `reason`; at="queue": without ever processing, when it would have left the
        queue; at="processing": at the end of its processing. A finished task cannot be changed."""
        if at not in FAIL_AT:
            raise ApiError("VALIDATION_FAILED", "at must be 'queue' or 'processing'")
        with self._lock:
            task = self.lookup(task_id)
            status = task.status_at(self.now())
            if status in ("completed", "failed"):
                raise ApiError("CONFLICT", f"task {task_id} is already {status}")
            if at == "queue" and status != "queued":
                raise ApiError("CONFLICT", f"task {task_id} is already processing")
            changes: dict[str, object] = {
                "outcome": "failed",
                "error_code": FAILED_CODE,
                "error_message": reason or "generation failed",
            }
            if at == "queue":
                changes.update(finished_at=task.processing_at, skip_processing=True)
            updated = task.replace(**changes)
            self.store.put(updated)
            return updated

    def complete_task(self, task_id: str) -> Task:
        """Finish a task successfully now (a task already finished is left as is)."""
        with self._lock:
            task = self.lookup(task_id)
            now = self.now()
            status = task.status_at(now)
            if status in ("completed", "failed"):
                raise ApiError("CONFLICT", f"task {task_id} is already {status}")
            updated = task.replace(
                outcome="completed", processing_at=min(task.processing_at, now), finished_at=now
            )
            self.store.put(updated)
            return updated

    def task_view(self, task: Task, host_url: str) -> dict[str, Any]:
        """The `data` of a query answer, as seen now."""
        status = task.status_at(self.now())
        data: dict[str, Any] = {
            "task_id": task.task_id,
            "status": status,
            "model": task.model,
            "created_at": int(task.created_at),
        }
        if status == "completed":
            expires_at = math.ceil(task.finished_at + self.config.retention_seconds)
            data["result"] = {
                "video_url": (
                    f"{host_url}_mock/files/{task.task_id}.mp4"
                    f"?w={task.width}&h={task.height}&d={task.duration}&exp={expires_at}"
                ),
                "expires_at": expires_at,
            }
        elif status == "failed":
            data["error"] = {"code": task.error_code or FAILED_CODE, "message": task.error_message}
        return data

    # -- limits ------------------------------------------------------------------------------------
    def set_limits(self, token: str | None, rate_per_minute: int | None, max_in_flight: int | None) -> None:
        """Per-token limits (token None = every token); both None switches them off."""
        for name, value in (("rate_per_minute", rate_per_minute), ("max_in_flight", max_in_flight)):
            if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 1):
                raise ApiError("VALIDATION_FAILED", f"{name} must be a positive integer or null")
        with self._lock:
            self.limits[token] = Limits(rate_per_minute, max_in_flight)
            self._windows.clear()

    def _limits_for(self, token: str) -> Limits | None:
        return self.limits.get(token) or self.limits.get(None)

    def admit(self, token: str) -> None:
        """Apply the token's rate limit (429 RATE_LIMITED with Retry-After when over)."""
        if not self.limits:
            return
        limits = self._limits_for(token)
        if limits is None or limits.rate_per_minute is None:
            return
        with self._lock:
            window = self._windows.setdefault(token, RateWindow())
            wait = window.admit(self.now(), limits.rate_per_minute)
        if wait is not None:
            raise ApiError("RATE_LIMITED", f"rate limit exceeded; retry after {wait} s", retry_after=wait)

    def check_in_flight(self, token: str) -> None:
        """Apply the token's cap on unfinished tasks (429 TOO_MANY_TASKS with Retry-After)."""
        limits = self._limits_for(token) if self.limits else None
        if limits is None or limits.max_in_flight is None:
            return
        now = self.now()
        finishes = sorted(self.store.unfinished_finish_times(token, now))
        if len(finishes) >= limits.max_in_flight:
            wait = max(1, math.ceil(finishes[len(finishes) - limits.max_in_flight] - now))
            msg = f"too many tasks in flight ({len(finishes)}); retry after {wait} s"
            raise ApiError("TOO_MANY_TASKS", msg, retry_after=wait)

    # -- media and assets --------------------------------------------------------------------------
    def declare_media(self, url: str, facts: MediaFacts) -> None:
        """Record what a media URL is (duration, size, resolution, reachability)."""
        with self._lock:
            self.media[url] = facts

    def set_asset_audit(self, asset: str, state: str) -> None:
        """Record a Full-route asset's audit state (approved|pending|rejected)."""
        if state not in AUDIT_STATES:
            raise ApiError("VALIDATION_FAILED", f"state must be one of {', '.join(AUDIT_STATES)}")
        with self._lock:
            self.audits[asset_id(asset)] = state

    # -- journal -----------------------------------------------------------------------------------
    def record(self, method: str, path: str, status: int, token: str | None, body: str) -> None:
        """Append one request/answer to the bounded journal."""
        self.journal.append(
            {
                "time": self.now(),
                "method": method,
                "path": path,
                "status": status,
                "token": mask_token(token),
                "body": body,
            }
        )

    def close(self) -> None:
        """Release the store."""
        self.store.close()
