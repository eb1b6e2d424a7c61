"""How the pages show times and timelines (the JavaScript in static/dashboard.js mirrors these)."""

from __future__ import annotations

import time
from typing import Any


def clock_text(seconds: float) -> str:
    """`HH:MM:SS` (UTC) of an emulator time."""
    return time.strftime("%H:%M:%S", time.gmtime(seconds))


def full_time(seconds: float) -> str:
    """`YYYY-MM-DD HH:MM:SS UTC` of an emulator time."""
    return time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(seconds))


def num(value: float) -> str:
    """A number as JavaScript's String() shows it for everyday values: `1`, `2.5`."""
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def span(seconds: float) -> str:
    """A short duration: `42 s`, `3 min`, `2 h`, `5 d`."""
    s = abs(seconds)
    if s < 90:
        return f"{round(s)} s"
    if s < 5400:
        return f"{round(s / 60)} min"
    if s < 129_600:
        return f"{round(s / 3600)} h"
    return f"{round(s / 86_400)} d"


def timeline(task: dict[str, Any], now: float) -> dict[str, Any]:
    """Where a task is in its life, as percentages of created -> finished (for the SVG bar) and a label."""
    created, processing, finished = task["created_at"], task["processing_at"], task["finished_at"]
    total = max(finished - created, 1e-9)
    queue_end = 100.0 if task["skip_processing"] else min(100.0, max(0.0, (processing - created) / total * 100))
    elapsed = min(100.0, max(0.0, (now - created) / total * 100))
    status = task["status"]
    ends = "fails" if task["outcome"] == "failed" else "ends"
    if status == "queued" and task["skip_processing"]:
        label = f"fails in the queue in {span(finished - now)}"
    elif status == "queued":
        label = f"starts in {span(processing - now)} · {ends} in {span(finished - now)}"
    elif status == "processing":
        label = f"{ends} in {span(finished - now)}"
    else:
        label = f"{status} {span(now - finished)} ago"
    return {
        "q": round(queue_end, 2),
        "n": round(elapsed, 2),
        "done": round(max(0.0, elapsed - queue_end), 2),
        "label": label,
        "title": f"queued {full_time(created)} · processing {full_time(processing)} · ends {full_time(finished)}",
    }
