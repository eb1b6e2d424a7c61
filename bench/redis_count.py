"""Counting the commands clients send to Redis (round trips), with Redis' own MONITOR: a command that a
script ran is marked `lua` and is not a round trip; `INFO commandstats` counts those too, so it cannot tell.
Used by bench_server.py (round trips per request per store) and the round-trip tests."""

from __future__ import annotations

import threading
import uuid
from typing import Any

import redis


class CommandCounter:
    """Counts the commands clients send between two `mark`s (MONITOR in a thread of its own)."""

    def __init__(self, url: str) -> None:
        self._client = redis.Redis.from_url(url)
        self._monitor = self._client.monitor()
        self._monitor.__enter__()
        self._token = f"count-{uuid.uuid4().hex}"
        self._lock = threading.Condition()
        self._counts: list[int] = []  # commands seen before each mark
        self._seen = 0
        self.last: list[str] = []  # the commands counted (first 60 characters), for a look
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()
        self.mark()

    def _read(self) -> None:
        while True:
            try:
                command: dict[str, Any] = self._monitor.next_command()
            except (redis.ConnectionError, ValueError, AttributeError):
                return
            text = str(command.get("command", ""))
            if text.startswith(f"ECHO {self._token}"):
                with self._lock:
                    self._counts.append(self._seen)
                    self._seen = 0
                    self._lock.notify_all()
                if text.endswith("stop"):
                    return
            elif command.get("client_type") != "lua":
                self._seen += 1
                self.last.append(text[:60])

    def mark(self, last: bool = False) -> int:
        """Commands sent since the previous mark (waits until MONITOR has shown them all)."""
        with self._lock:
            before = len(self._counts)
            self._client.echo(f"{self._token}{' stop' if last else ''}")
            if not self._lock.wait_for(lambda: len(self._counts) > before, timeout=30):
                raise RuntimeError("MONITOR did not show the mark")
            return self._counts[-1]

    def close(self) -> None:
        """Stop monitoring."""
        self.mark(last=True)
        self._thread.join(timeout=10)
        self._monitor.__exit__()
        self._client.close()
