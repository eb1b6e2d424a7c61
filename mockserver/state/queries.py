"""What the control API and the dashboard ask of tasks and the journal, written once: the filters and the
bounds on how much a listing reads (`Backend.find_tasks`, `Backend.find_journal`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mockserver.state.tasks import Task

TASK_SCAN = 5000  # a filtered task listing looks at the newest 5000 tasks (of its owner) at most
JOURNAL_PAGE = 500  # entries read from the store at a time


@dataclass(frozen=True)
class TaskFilter:
    """Which tasks a listing shows: one owner's (a fingerprint), in one status now, of one model."""

    owner: str | None = None
    status: str = ""
    model: str = ""

    def narrows(self) -> bool:
        """Does it look inside tasks (status or model), so that more than `limit` tasks must be read?"""
        return bool(self.status or self.model)

    def matches(self, task: Task, now: float) -> bool:
        """Does `task` pass, as seen at `now`?"""
        return (not self.status or task.status_at(now) == self.status) and (not self.model or task.model == self.model)


@dataclass(frozen=True)
class JournalFilter:
    """Which journal entries a listing shows: an HTTP status (`429`) or class (`4xx`), a rule id or error
    id, one owner (a fingerprint), one task."""

    status: str = ""
    rule: str = ""
    owner: str | None = None
    task_id: str = ""

    def __bool__(self) -> bool:
        return bool(self.status or self.rule or self.owner or self.task_id)

    def matches(self, entry: dict[str, Any]) -> bool:
        """Does `entry` pass every filter that is set?"""
        if self.status:
            code = str(entry.get("status"))
            in_class = len(self.status) == 3 and self.status.endswith("xx") and code[:1] == self.status[0]
            if code != self.status and not in_class:
                return False
        if self.rule and self.rule not in entry.get("rules", []) and entry.get("error") != self.rule:
            return False
        if self.owner and entry.get("token") != self.owner:
            return False
        return not self.task_id or entry.get("task_id") == self.task_id
