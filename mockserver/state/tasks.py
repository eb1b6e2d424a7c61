"""A task and its timeline; its status is computed from the timeline when read."""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
from dataclasses import dataclass
from typing import Any

TOKEN_PREFIX_SHOWN = 4
# One encoder for every row: json.dumps with options builds a new encoder per call (~3 us on each insert).
_ROW_JSON = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


@functools.lru_cache(maxsize=4096)
def fingerprint(token: str) -> str:
    """A short, stable stand-in for a token: its first characters and a hash (`sk_t~1a2b3c4d5e6f7a8b`).

    Stores and journals keep only this, so a 200 KB token costs 21 bytes, and tenants still never collide
    in practice (64 bits of SHA-256). Cached: a client sends the same token on every request."""
    digest = hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()[:16]
    shown = "".join(c if c.isascii() and c.isprintable() else "?" for c in token[:TOKEN_PREFIX_SHOWN])
    return f"{shown}~{digest}"


@dataclass(slots=True)  # not frozen: a frozen init costs a setattr call per field on the hot path
class Task:
    """A task and its whole timeline. Treat it as immutable: changes go through `replace` and the store's
    `swap_task`, which compares `version` so that two workers cannot both change one task."""

    task_id: str
    owner: str  # fingerprint() of the creating token
    model: str
    created_at: float
    processing_at: float
    finished_at: float
    outcome: str  # "completed" | "failed"
    width: int
    height: int
    duration: int
    ratio: str = ""
    resolution: str = ""
    error_code: str = ""
    error_message: str = ""
    skip_processing: bool = False  # a task failed "at queue" never shows processing
    version: int = 0
    body: str = ""  # the create body as JSON, capped (for the dashboard)

    def status_at(self, now: float) -> str:
        """queued -> processing -> completed|failed, purely from the timeline."""
        if now >= self.finished_at:
            return self.outcome
        if now >= self.processing_at and not self.skip_processing:
            return "processing"
        return "queued"

    def evict_at(self, retention: float) -> float:
        """When the task may be forgotten: its result has expired."""
        return self.finished_at + retention

    def replace(self, **changes: Any) -> Task:
        """A copy with `changes` applied and the version moved on."""
        changes.setdefault("version", self.version + 1)
        return dataclasses.replace(self, **changes)

    def to_row(self) -> tuple[Any, ...]:
        """The field values in declaration order (bools as ints), for SQL and Redis."""
        # getattr per field, not dataclasses.astuple (which deep-copies: 23 us -> 3 us per call).
        return tuple(int(v) if isinstance(v, bool) else v for v in map(self.__getattribute__, FIELDS))

    @classmethod
    def from_row(cls, row: tuple[Any, ...] | list[Any]) -> Task:
        """The inverse of `to_row`."""
        task = cls(*row)
        task.skip_processing = bool(task.skip_processing)
        return task

    def to_json(self) -> str:
        """Compact JSON of `to_row` (the Redis value)."""
        return _ROW_JSON.encode(self.to_row())

    @classmethod
    def from_json(cls, text: str | bytes) -> Task:
        """The inverse of `to_json`."""
        return cls.from_row(json.loads(text))


FIELDS: tuple[str, ...] = tuple(f.name for f in dataclasses.fields(Task))
