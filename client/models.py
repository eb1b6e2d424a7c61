"""The task snapshot the client returns: an immutable view of one query (or create) answer."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

__all__ = ["TERMINAL_STATUSES", "Task", "TaskError"]

TERMINAL_STATUSES = frozenset({"completed", "failed"})


@dataclass(frozen=True)
class TaskError:
    """Why a task failed: the server's ``data.error`` (``code`` and ``message``)."""

    code: str
    message: str


@dataclass(frozen=True)
class Task:
    """A snapshot of a video task; fetch a fresh one with ``SeedanceClient.get_task`` or ``wait``."""

    task_id: str
    status: str
    model: str
    created_at: int
    video_url: str | None = None
    expires_at: int | None = None
    error: TaskError | None = None

    @property
    def is_terminal(self) -> bool:
        """True once the task is ``completed`` or ``failed`` (it never changes again)."""
        return self.status in TERMINAL_STATUSES

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> Task:
        """Build a snapshot from an envelope's ``data``; raises ``ValueError`` if required fields are bad."""
        task_id, status = data.get("task_id"), data.get("status")
        if not isinstance(task_id, str) or not task_id or not isinstance(status, str):
            raise ValueError("data lacks a task_id or status string")
        model = data.get("model")
        created_at = data.get("created_at")
        result = data.get("result")
        result_map: Mapping[str, Any] = result if isinstance(result, Mapping) else {}
        video_url = result_map.get("video_url")
        expires_at = result_map.get("expires_at")
        error = data.get("error")
        task_error = None
        if isinstance(error, Mapping):
            task_error = TaskError(code=str(error.get("code", "")), message=str(error.get("message", "")))
        elif isinstance(error, str):
            task_error = TaskError(code="", message=error)
        return cls(
            task_id=task_id,
            status=status,
            model=model if isinstance(model, str) else "",
            created_at=_as_int(created_at) or 0,
            video_url=video_url if isinstance(video_url, str) else None,
            expires_at=_as_int(expires_at),
            error=task_error,
        )

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict of the snapshot (what ``seedance --json`` prints)."""
        out = asdict(self)
        out["is_terminal"] = self.is_terminal
        return out


def _as_int(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None
