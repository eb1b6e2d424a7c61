"""Task lifecycles as JSON lines: one event per line (session, create, poll, final, result), appended with
one `write` each on an O_APPEND descriptor, so a kill -9 loses at most the line being written.

Nothing secret is written: no header at all (the caller is a token fingerprint), and the query string of
every URL (signed result URLs, presigned media links) is replaced by `?redacted`.
"""

from __future__ import annotations

import json
import os
import re
import struct
import threading
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

FORMAT = 1
MAX_LINE = 1024 * 1024
MAX_BODY_CHARS = 64 * 1024
MAX_EVENTS = 1_000_000  # lines read from one recording
REDACTED = "redacted"
_URL_QUERY = re.compile(r"^(https?://[^?#\s]*)\?[^#\s]*", re.IGNORECASE)
TERMINAL = frozenset({"completed", "failed"})


def redact(value: Any, depth: int = 0) -> Any:
    """`value` with the query string of every http(s) URL in it replaced (recursively, bounded depth)."""
    if isinstance(value, str):
        return _URL_QUERY.sub(rf"\1?{REDACTED}", value) if "?" in value else value
    if depth > 32:
        return None
    if isinstance(value, list):
        return [redact(v, depth + 1) for v in value]
    if isinstance(value, dict):
        return {str(k): redact(v, depth + 1) for k, v in value.items()}
    return value


def number(value: Any) -> float:
    """A recorded number, 0.0 when the field is missing or not a finite number (recordings are input)."""
    if isinstance(value, int | float) and not isinstance(value, bool) and abs(value) < 1e12:
        return float(value)
    return 0.0


def http_status(event: Mapping[str, Any]) -> int:
    """A recorded HTTP status, 0 when missing or malformed."""
    status = event.get("status")
    return status if isinstance(status, int) and not isinstance(status, bool) and 0 < status < 1000 else 0


class Recorder:
    """Appends events to one file; safe to share between threads."""

    def __init__(self, path: str | Path) -> None:
        """Open (create) `path` for appending; OSError when it cannot be written."""
        self.path = Path(path)
        self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        self._lock = threading.Lock()

    def write(self, event: dict[str, Any]) -> None:
        """One line, one write (unbuffered: nothing waits in a user-space buffer for a kill -9)."""
        line = json.dumps({"v": FORMAT, **event}, ensure_ascii=False, separators=(",", ":"), default=str)
        data = (line + "\n").encode("utf-8", "replace")
        if len(data) > MAX_LINE:
            data = (json.dumps({"v": FORMAT, "kind": event.get("kind"), "task": event.get("task"),
                                "truncated": len(data)}) + "\n").encode()
        with self._lock:
            if self._fd >= 0:
                os.write(self._fd, data)

    def close(self) -> None:
        """Close the file."""
        with self._lock:
            if self._fd >= 0:
                os.close(self._fd)
                self._fd = -1


@dataclass
class Lifecycle:
    """One task as a client saw it, rebuilt from a recording's events."""

    task: str
    create: dict[str, Any]
    polls: list[dict[str, Any]] = field(default_factory=list)
    final: dict[str, Any] | None = None
    result: dict[str, Any] | None = None
    source: str = ""

    @property
    def body(self) -> Any:
        """The create body as recorded."""
        return self.create.get("body")

    @property
    def model(self) -> str:
        """The model of the create body ('' when unknown)."""
        body = self.body
        return str(body.get("model", "")) if isinstance(body, dict) else ""

    def observations(self) -> list[tuple[float, str]]:
        """(seconds since create, status) of every observed status: the create answer's, then each poll's."""
        seen: list[tuple[float, str]] = []
        data = (self.create.get("answer") or {}).get("data") if isinstance(self.create.get("answer"), dict) else None
        if isinstance(data, dict) and isinstance(data.get("status"), str):
            seen.append((0.0, data["status"]))
        for poll in self.polls:
            status = poll.get("task_status")
            if isinstance(status, str):
                seen.append((number(poll.get("since")), status))
        return seen

    def phases(self) -> tuple[float | None, float | None, str | None]:
        """(first time processing was seen, first time a final status was seen, that final status)."""
        processing = finished = None
        outcome = None
        for since, status in self.observations():
            if status == "processing" and processing is None:
                processing = since
            if status in TERMINAL:
                finished, outcome = since, status
                break
        return processing, finished, outcome


def read_events(paths: Iterable[str | Path]) -> Iterator[tuple[str, int, dict[str, Any]]]:
    """(file, line number, event) of every readable line; a torn last line (kill -9) is skipped."""
    count = 0
    for path in paths:
        with open(path, encoding="utf-8", errors="replace") as handle:
            for number, line in enumerate(handle, 1):
                count += 1
                if count > MAX_EVENTS:
                    raise ValueError(f"{path}: more than {MAX_EVENTS} events")
                try:
                    event = json.loads(line)
                except ValueError:
                    continue
                if isinstance(event, dict):
                    yield str(path), number, event


def lifecycles(paths: Iterable[str | Path]) -> list[Lifecycle]:
    """The tasks of one or more recordings, in order of creation (creates without a task are left out)."""
    found: dict[str, Lifecycle] = {}
    for path, number, event in read_events(paths):
        kind, task = event.get("kind"), event.get("task")
        if not isinstance(task, str):
            continue
        if kind == "create":
            found[task] = Lifecycle(task, event, source=f"{path}:{number}")
        elif task in found:
            life = found[task]
            if kind == "poll":
                life.polls.append(event)
            elif kind == "final":
                life.final = event
            elif kind == "result":
                life.result = event
    return list(found.values())


def mp4_facts(head: bytes) -> dict[str, Any]:
    """Duration (s) and frame size read from the `moov` box of an MP4's first bytes ({} when not found)."""
    facts: dict[str, Any] = {}
    moov = _box(head, b"moov")
    if moov is None:
        return facts
    mvhd = _box(moov, b"mvhd")
    if mvhd is not None and len(mvhd) >= 32:
        version = mvhd[0]
        if version == 1 and len(mvhd) >= 32:
            scale, length = struct.unpack(">IQ", mvhd[20:32])
        else:
            scale, length = struct.unpack(">II", mvhd[12:20])
        if scale:
            facts["duration"] = round(length / scale, 3)
    for trak in _boxes(moov, b"trak"):
        tkhd = _box(trak, b"tkhd")
        if tkhd is not None and len(tkhd) >= 84:
            width, height = struct.unpack(">II", tkhd[-8:])
            if width and height:
                facts["width"], facts["height"] = width >> 16, height >> 16
                break
    return facts


def _boxes(data: bytes, kind: bytes) -> Iterator[bytes]:
    offset = 0
    while offset + 8 <= len(data):
        size, name = struct.unpack(">I4s", data[offset:offset + 8])
        header = 8
        if size == 1 and offset + 16 <= len(data):
            size, header = struct.unpack(">Q", data[offset + 8:offset + 16])[0], 16
        elif size == 0:
            size = len(data) - offset
        if size < header:
            return
        if name == kind:
            yield data[offset + header:offset + size]
        offset += size


def _box(data: bytes, kind: bytes) -> bytes | None:
    return next(_boxes(data, kind), None)
