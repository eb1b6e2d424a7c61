"""`open_store`: a store address (`memory`, `sqlite:PATH`, `redis://...`) -> the store (kept apart from the
interface in `store.py`, as moto keeps its backend registry apart from the base backend). Each
implementation is imported only when asked for: `redis` is needed only for a Redis store."""

from __future__ import annotations

from mockserver.state.store import Store
from mockserver.state.store_urls import DEFAULT_PREFIX, url_options

STORE_KINDS = ("'memory', 'sqlite:PATH', 'redis://HOST:PORT/DB[?prefix=NAME]', 'unix:///PATH[?db=N&prefix=NAME]' or "
               "'redis-cluster://HOST:PORT[,HOST:PORT...][?prefix=NAME]'")


def open_store(spec: str) -> Store:
    """`memory`, `sqlite:PATH`, `redis://HOST:PORT/DB?prefix=NAME`, `unix:///PATH?db=N&prefix=NAME` or
    `redis-cluster://HOST:PORT,...?prefix=NAME` -> a store (ValueError when unknown, or for an option or a prefix
    that is not allowed)."""
    if spec in ("", "memory"):
        from mockserver.state.memory import MemoryStore

        return MemoryStore()
    if spec.startswith("sqlite:") and len(spec) > len("sqlite:"):
        from mockserver.state.sqlite import SqliteStore

        return SqliteStore(spec[len("sqlite:") :])
    if spec.startswith(("redis://", "rediss://", "unix://", "redis-cluster://")):
        prefix = url_options(spec).get("prefix", DEFAULT_PREFIX)
        if spec.startswith("redis-cluster://"):
            from mockserver.state.redis_cluster import RedisClusterStore

            return RedisClusterStore(spec, prefix)
        from mockserver.state.redis_store import RedisStore

        return RedisStore(spec, prefix)
    raise ValueError(f"unknown store {spec!r}: use {STORE_KINDS}")


def allows_workers(spec: str) -> bool:
    """Can several processes share this store (every kind but memory)?"""
    return spec not in ("", "memory")
