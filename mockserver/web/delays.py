"""Forced delays (`delay=S` directives and queued `delay` faults) without letting one token stall the rest.

A delay sleeps in the worker thread that serves the request (WSGI has no other way to answer later), so
each token may hold at most DELAYS_PER_TOKEN sleeping threads of a process at once, and every token together
at most DELAYS_TOTAL (the CLI sets half of --threads and all but two); a delayed request past either is
answered at once 429 TOO_MANY_DELAYS, so other tokens and /_mock/health keep threads.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from mockserver.state.errors import ApiError


class DelaySlots:
    """How many requests of each token are sleeping for a forced delay in this process."""

    def __init__(self, per_token: int, total: int | None = None) -> None:
        self.per_token = max(1, per_token)
        self.total = max(1, total if total is not None else self.per_token)
        self._held: dict[str, int] = {}
        self._all = 0
        self._lock = threading.Lock()

    @contextmanager
    def hold(self, owner: str, seconds: float) -> Iterator[None]:
        """Hold one of `owner`'s slots while the body sleeps `seconds`, or raise 429 TOO_MANY_DELAYS when
        all of them are held."""
        with self._lock:
            held = self._held.get(owner, 0)
            if held >= self.per_token:
                raise ApiError("TOO_MANY_DELAYS", f"this token already has {held} requests sleeping for forced delays "
                               f"(at most {self.per_token} at once, so that other tokens keep their threads)",
                               retry_after=max(1, math.ceil(seconds)))
            if self._all >= self.total:
                raise ApiError("TOO_MANY_DELAYS", f"{self._all} requests are sleeping for forced delays already (at "
                               f"most {self.total} at once, so that other requests keep threads)",
                               retry_after=max(1, math.ceil(seconds)))
            self._held[owner] = held + 1
            self._all += 1
        try:
            yield
        finally:
            with self._lock:
                self._all -= 1
                left = self._held[owner] - 1
                if left:
                    self._held[owner] = left
                else:
                    del self._held[owner]

    def sleeping(self) -> int:
        """Requests sleeping for a delay now, every token together."""
        with self._lock:
            return self._all
