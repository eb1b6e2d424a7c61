"""`open_store`: a store address (`memory`, `sqlite:PATH`, `redis://...`) -> the store (kept apart from the
interface in `store.py`, as moto keeps its backend registry apart from the base backend). Each
implementation is imported only when asked for: `redis` is needed only for a Redis store."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from mockserver.state.store import Store

STORE_KINDS = "'memory', 'sqlite:PATH' or 'redis://HOST:PORT/DB[?prefix=NAME]'"


def open_store(spec: str) -> Store:
    """`memory`, `sqlite:PATH` or `redis://HOST:PORT/DB?prefix=NAME` -> a store (ValueError when unknown)."""
    if spec in ("", "memory"):
        from mockserver.state.memory import MemoryStore

        return MemoryStore()
    if spec.startswith("sqlite:") and len(spec) > len("sqlite:"):
        from mockserver.state.sqlite import SqliteStore

        return SqliteStore(spec[len("sqlite:") :])
    if spec.startswith(("redis://", "rediss://", "unix://")):
        from mockserver.state.redis_store import RedisStore

        query = parse_qs(urlsplit(spec).query)
        prefix = query.get("prefix", ["seedance-mock"])[0]
        return RedisStore(spec, prefix)
    raise ValueError(f"unknown store {spec!r}: use {STORE_KINDS}")


def allows_workers(spec: str) -> bool:
    """Can several processes share this store (every kind but memory)?"""
    return spec not in ("", "memory")
