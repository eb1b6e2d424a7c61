"""Conduct: patterns in a token's traffic that a careful integration avoids, derived from ledger events.

Derived when the ledger is read (never on the request path), from each token's newest events
(`ledger.EVENTS_PER_TOKEN`), in time order whichever worker answered them. Times are real seconds.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from typing import Any

from mockserver.state.ledger import (
    BODY,
    BODY_HASH,
    DOWNLOADS_KEY,
    ERROR,
    OP,
    RETRY_AFTER,
    STATUS,
    TASK,
    TASK_STATUS,
    LedgerSnapshot,
    T,
)

DEFAULT_POLL_THRESHOLD = 1.0
TERMINAL = ("completed", "failed")
# A Retry-After is whole seconds; a client that waits exactly that long lands a few ms past it.
_RETRY_SLACK = 0.05
_REJECTED = ("VALIDATION_FAILED", "INVALID_JSON", "UNSUPPORTED_MEDIA_TYPE", "BODY_TOO_LARGE")
CREATE_PATH = "/api/open-api/v1/seedance/videos"
TASK_PATH = "/api/open-api/v1/videos/"


@dataclass(frozen=True)
class ConductRule:
    """One conduct id: what it means and what to do instead."""

    id: str
    title: str
    advice: str


CONDUCT_RULES: tuple[ConductRule, ...] = (
    ConductRule("retry-after-ignored", "a request to the same operation before the Retry-After of a 429/503 ran out",
                "wait at least Retry-After seconds (header, else data.retry_after) before the next request to "
                "that operation; a retry sooner is refused again and counts against the rate limit"),
    ConductRule("create-repeated-after-error", "a create with the same body after a 5xx or a dropped connection",
                "the real service may have created (and billed) the first task before failing: do not resend a "
                "create blindly; surface the error, or check your own records of created task ids first, and "
                "retry creates only on 429 or when the connection certainly never opened"),
    ConductRule("poll-too-fast", "polls of one task closer together than the threshold",
                "poll every few seconds with a growing interval (the reference client starts at 2 s, x1.5, "
                "capped at 10 s): tasks take tens of seconds to minutes"),
    ConductRule("polled-after-finished", "polls of a task after it was seen completed or failed, past the first "
                "(one more read, e.g. to fetch a fresh result URL, is fine)",
                "stop polling once a task is completed or failed: keep that snapshot (it holds the result URL "
                "and its expires_at) instead of asking again"),
    ConductRule("result-not-downloaded", "a completed task whose result was never fetched (reported, not an error)",
                "download the video before data.result.expires_at (results are kept about 3 days); if the "
                "result is not needed, the task need not be created"),
    ConductRule("invalid-after-rejection", "the same rejected body sent again unchanged",
                "a 400/413/415 is final for that body: fix it using data.rules and data.violations (or show "
                "them to the user); resending it unchanged fails the same way"),
)
CONDUCT_IDS = tuple(rule.id for rule in CONDUCT_RULES)
_RULES = {rule.id: rule for rule in CONDUCT_RULES}


def example_request(event: list[Any]) -> dict[str, Any]:
    """The request an event stands for, as a finding shows it."""
    op, task_id = event[OP], event[TASK]
    if op == "create":
        method, path = "POST", CREATE_PATH
    elif op == "get":
        method, path = "GET", TASK_PATH + task_id
    else:
        method, path = "GET", f"/_mock/files/{task_id}.mp4"
    found: dict[str, Any] = {"method": method, "path": path, "status": event[STATUS], "time": event[T]}
    if event[ERROR]:
        found["error"] = event[ERROR]
    if event[BODY]:
        found["body"] = event[BODY]
    return found


class _Findings:
    def __init__(self, token: str) -> None:
        self.token = token
        self.found: dict[str, dict[str, Any]] = {}

    def add(self, conduct_id: str, event: list[Any], detail: str = "") -> None:
        entry = self.found.get(conduct_id)
        if entry is None:
            rule = _RULES[conduct_id]
            self.found[conduct_id] = {"id": conduct_id, "token": self.token, "count": 1, "title": rule.title,
                                      "example": example_request(event), "advice": rule.advice, "detail": detail}
        else:
            entry["count"] += 1


def _retry_after_ignored(events: list[list[Any]], out: _Findings) -> None:
    waiting: dict[tuple[str, str], float] = {}  # operation -> time before which it must not be sent again
    for event in events:
        key = (event[OP], event[TASK] if event[OP] == "get" else "")
        until = waiting.pop(key, None)
        if until is not None and event[T] < until - _RETRY_SLACK:
            out.add("retry-after-ignored", event, f"sent {until - event[T]:.2f} s before Retry-After ran out")
        if event[STATUS] in (429, 503) and event[RETRY_AFTER]:
            waiting[key] = event[T] + float(event[RETRY_AFTER])


def _repeated_creates(events: list[list[Any]], out: _Findings) -> None:
    after_error: set[str] = set()
    rejected: set[str] = set()
    for event in events:
        body = event[BODY_HASH]
        if event[OP] != "create" or not body:
            continue
        if body in after_error:
            out.add("create-repeated-after-error", event, "same body as a create answered 5xx or dropped")
            after_error.discard(body)
        elif body in rejected:
            out.add("invalid-after-rejection", event, "same body as a create answered 400/413/415")
            rejected.discard(body)
        status = event[STATUS]
        if status == 0 or status >= 500:
            after_error.add(body)
        elif 400 <= status < 500 and event[ERROR] in _REJECTED:
            rejected.add(body)


def _polls(events: list[list[Any]], downloaded: set[str], threshold: float, out: _Findings) -> None:
    last: dict[str, list[Any]] = {}
    finished_seen: set[str] = set()
    reread: set[str] = set()  # finished tasks read once more already (tolerated: a fresh result URL)
    gaps: list[float] = []
    fast: list[list[Any]] = []
    for event in events:
        if event[OP] != "get" or event[STATUS] != 200:
            continue
        task_id = event[TASK]
        before = last.get(task_id)
        if task_id in finished_seen and task_id not in reread:
            reread.add(task_id)
        elif task_id in finished_seen:
            out.add("polled-after-finished", event, "the task was already seen "
                    f"{before[TASK_STATUS] if before else 'finished'} and read once more")
        elif before is not None:
            gap = event[T] - before[T]
            gaps.append(gap)
            if gap < threshold:
                fast.append(event)
        if event[TASK_STATUS] in TERMINAL:
            if event[TASK_STATUS] == "completed" and task_id not in finished_seen and task_id not in downloaded:
                out.add("result-not-downloaded", event, "no download of this task's video_url was seen")
            finished_seen.add(task_id)
        last[task_id] = event
    if fast:
        median = statistics.median(gaps)
        detail = f"median gap between polls {median:.2f} s (threshold {threshold:g} s)"
        for event in fast:
            out.add("poll-too-fast", event, detail)


def find_conduct(snapshot: LedgerSnapshot, poll_threshold: float = DEFAULT_POLL_THRESHOLD) -> list[dict[str, Any]]:
    """Every finding (one per conduct id and token, with a count and the first example), by id then token."""
    downloads = snapshot.events.get(DOWNLOADS_KEY, [])
    downloaded = {e[TASK] for e in downloads if e[STATUS] == 200}
    findings: list[dict[str, Any]] = []
    for token, events in sorted(snapshot.events.items()):
        if token == DOWNLOADS_KEY:
            continue
        out = _Findings(token)
        _retry_after_ignored(events, out)
        _repeated_creates(events, out)
        _polls(events, downloaded, poll_threshold, out)
        findings.extend(out.found.values())
    order = {cid: i for i, cid in enumerate(CONDUCT_IDS)}
    return sorted(findings, key=lambda f: (order[f["id"]], f["token"]))
