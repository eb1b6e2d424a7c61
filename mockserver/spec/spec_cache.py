"""The parsed spec kept on disk as JSON, found by the YAML's bytes: a start-up that reads a spec seen before
skips PyYAML (its import and the parse, ~30 ms of each start), as Python skips compiling with `.pyc` files.

Where: `$XDG_CACHE_HOME/seedance-mock/` (else `~/.cache/seedance-mock/`), at most `MAX_FILES` files (the
oldest go first). A spec is kept only when JSON gives back exactly what YAML read (not one with integer keys,
dates or NaN). Anything wrong with the cache (missing, unreadable, read-only, damaged) means the YAML is
parsed as before: the cache makes a start faster, never different.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any

FORMAT = b"seedance-mock spec cache 1"
MAX_FILES = 16
MAX_BYTES = 16 * 1024 * 1024  # a cached spec larger than this is not read (nor written)


def cache_dir() -> Path | None:
    """The cache's folder (not created here), or None when there is no home to put it in."""
    base = os.environ.get("XDG_CACHE_HOME") or ""
    if not os.path.isabs(base):  # the XDG rule: a relative path is invalid and ignored
        base = ""
    if not base:
        home = os.path.expanduser("~")
        if home == "~":
            return None
        base = os.path.join(home, ".cache")
    return Path(base) / "seedance-mock"


def _parser_id() -> bytes:
    # A PyYAML upgrade could read the same text differently: its installed files are part of the key.
    found = importlib.util.find_spec("yaml")
    origin = found.origin if found is not None else None
    if not origin:
        return b"no-yaml"
    st = os.stat(origin)
    return f"{origin}:{st.st_size}:{st.st_mtime_ns}".encode()


def _entry(raw: bytes) -> Path | None:
    folder = cache_dir()
    if folder is None:
        return None
    digest = hashlib.sha256(FORMAT + b"\0" + _parser_id() + b"\0" + raw).hexdigest()
    return folder / f"spec-{digest[:40]}.json"


def read(raw: bytes) -> dict[str, Any] | None:
    """The spec parsed from `raw` before, or None (never raises)."""
    try:
        entry = _entry(raw)
        if entry is None or entry.stat().st_size > MAX_BYTES:
            return None
        found = json.loads(entry.read_bytes())
    except (OSError, ValueError):
        return None
    return found if isinstance(found, dict) else None


def write(raw: bytes, spec: dict[str, Any]) -> None:
    """Keep `spec` (parsed from `raw`) for the next start, when JSON holds it exactly (never raises)."""
    try:
        text = json.dumps(spec, ensure_ascii=False, separators=(",", ":"))
        if len(text) > MAX_BYTES or json.loads(text) != spec:
            return
        entry = _entry(raw)
        if entry is None:
            return
        entry.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=entry.parent, prefix=".spec-", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(text)
            os.replace(temporary, entry)  # atomic: a reader sees the whole file or none
        finally:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
        _prune(entry.parent)
    except (OSError, ValueError, TypeError, RecursionError):
        return


def _prune(folder: Path) -> None:
    """Keep the newest MAX_FILES entries (and no temporary file a crashed writer left for an hour)."""
    entries: list[tuple[float, Path]] = []
    for path in folder.iterdir():
        with contextlib.suppress(OSError):
            if path.name.startswith("spec-") and path.suffix == ".json":
                entries.append((path.stat().st_mtime, path))
            elif path.name.startswith(".spec-") and path.stat().st_mtime < time.time() - 3600:
                path.unlink()
    entries.sort(reverse=True)
    for _, path in entries[MAX_FILES:]:
        with contextlib.suppress(OSError):
            path.unlink()
