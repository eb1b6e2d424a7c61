"""Console logging of the serving processes: the per-request line (logger `seedance_mock.requests`),
`--quiet`, `--log-format json`, and waitress' task-queue warnings always off."""

from __future__ import annotations

import atexit
import json
import logging
import os
import sys
import threading
import time
from typing import Any, TextIO

REQUEST_LOGGER = "seedance_mock.requests"
LOG_FORMATS = ("text", "json")
ENTRY_ATTRIBUTE = "seedance"
"""A log record may carry a dict under this attribute (`extra={"seedance": {...}}`): the JSON line holds it."""


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message (and the record's `seedance` fields)."""

    def format(self, record: logging.LogRecord) -> str:
        """The record as a JSON line."""
        line: dict[str, Any] = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        fields = getattr(record, ENTRY_ATTRIBUTE, None)
        if isinstance(fields, dict):
            line.update(fields)
        if record.exc_info:
            line["exc"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


FLUSH_SECONDS = 0.1


class BufferedLineHandler(logging.Handler):
    """The per-request lines, written to a buffer that a thread flushes every FLUSH_SECONDS.

    stderr is line-buffered: one system call per request, taken under the handler's lock by every serving
    thread in turn, cost a third of the throughput. Lines now reach the console at most a tenth of a second
    late; `flush()` (at shutdown, and from the thread) writes what is buffered."""

    def __init__(self, stream: TextIO) -> None:
        super().__init__()
        self.stream = stream
        self._lines: list[str] = []
        self._owner_pid = 0

    def emit(self, record: logging.LogRecord) -> None:
        """Buffer one formatted line (the GIL makes the append atomic; no handler lock needed)."""
        try:
            self._lines.append(self.format(record))
        except Exception:  # a logging failure must never fail the request
            self.handleError(record)
        if self._owner_pid != os.getpid():
            self._start_flusher()

    def handle(self, record: logging.LogRecord) -> bool:
        """Filter and emit without taking the handler's lock (emit only appends to a list)."""
        if not self.filter(record):
            return False
        self.emit(record)
        return True

    def flush(self) -> None:
        """Write the buffered lines now."""
        lines, self._lines = self._lines, []
        if lines:
            try:
                self.stream.write("\n".join(lines) + "\n")
                self.stream.flush()
            except (OSError, ValueError):  # the console went away: keep serving
                pass

    def _start_flusher(self) -> None:
        # Started lazily, and again after a fork (granian's workers each need their own).
        self._owner_pid = os.getpid()
        threading.Thread(target=self._flush_forever, name="seedance-mock-log", daemon=True).start()
        atexit.register(self.flush)

    def _flush_forever(self) -> None:
        while True:
            time.sleep(FLUSH_SECONDS)
            self.flush()


def configure_logging(quiet: bool = False, log_format: str = "text") -> None:
    """Log to stderr: INFO (one line per request) unless `quiet`, as text or JSON lines."""
    if log_format not in LOG_FORMATS:
        raise ValueError(f"log format must be one of {', '.join(LOG_FORMATS)}")
    handler = logging.StreamHandler(sys.stderr)
    if log_format == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(levelname)s:%(name)s:%(message)s"))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(logging.WARNING if quiet else logging.INFO)
    # The per-request line is INFO: --quiet silences it with everything else below WARNING. As text it is
    # the bare line (`POST /api/... 400 3.1ms PROMPT_REQUIRED tok=sk_a~1f2e`), as JSON the entry's fields.
    requests_log = logging.getLogger(REQUEST_LOGGER)
    requests_log.setLevel(logging.WARNING if quiet else logging.INFO)
    for old in list(requests_log.handlers):
        requests_log.removeHandler(old)
    line_handler = BufferedLineHandler(sys.stderr)
    line_handler.setFormatter(JsonFormatter() if log_format == "json" else logging.Formatter("%(message)s"))
    requests_log.addHandler(line_handler)
    requests_log.propagate = False
    # "Task queue depth is N" only says the threads are busy (a forced delay does that on purpose).
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)
