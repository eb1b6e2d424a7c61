"""Journal entries: a plain dict, or a `LazyEntry` that becomes one only when somebody reads it.

Building an entry (headers, capped bodies, the error id) costs about a quarter of a create. Most entries of a
busy emulator are pushed out of the bounded journal before anyone reads them, so the web layer hands over
the raw pieces and the dict is built on the first read (memory store) or on the writer thread (shared stores).
"""

from __future__ import annotations

import json
from typing import Any

# One encoder for every entry the shared stores write (json.dumps with options builds one per call).
_ENTRY_JSON = json.JSONEncoder(ensure_ascii=False)


class LazyEntry:
    """Base of deferred entries: `materialize()` builds the dict once; `time` and `instance` are stamped
    by the backend when the entry is recorded."""

    __slots__ = ("_built", "instance", "time")

    def __init__(self) -> None:
        self._built: dict[str, Any] | None = None
        self.time = 0.0
        self.instance = ""

    def build(self) -> dict[str, Any]:
        """The entry's fields (subclasses; called at most once)."""
        raise NotImplementedError

    def materialize(self) -> dict[str, Any]:
        """The entry as a dict, with its time and instance (built on first use, then kept)."""
        if self._built is None:
            self._built = {"time": self.time, "instance": self.instance, **self.build()}
        return self._built


Entry = dict[str, Any] | LazyEntry
"""What the backend records."""


def as_dict(entry: Entry) -> dict[str, Any]:
    """The entry as a dict (materialising a lazy one)."""
    return entry.materialize() if isinstance(entry, LazyEntry) else entry


def entry_json(entry: Entry) -> str:
    """The entry as the JSON text a shared store keeps (UTF-8 as is, not escaped)."""
    return _ENTRY_JSON.encode(as_dict(entry))
