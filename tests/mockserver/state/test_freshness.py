"""The control version every request checks costs no round trip, and stays exact: a change made through one
store is seen through another at its very next read (Redis: client-side cache kept by invalidations;
SQLite: a shared memory map), also after the invalidation connection was lost."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
import redis

from mockserver.state.redis_store import RedisStore
from mockserver.state.sqlite import COUNTER_SUFFIX, SqliteStore
from mockserver.state.store import VERSION_KEY, Store
from mockserver.state.stores import open_store
from mockserver.state.tasks import Task


def pair(kind: str, tmp_path: Path, redis_server: str) -> tuple[Store, Store]:
    spec = f"sqlite:{tmp_path / 'fresh.db'}" if kind == "sqlite" else f"{redis_server}?prefix=f{uuid.uuid4().hex[:8]}"
    return open_store(spec), open_store(spec)


@pytest.mark.parametrize("kind", ["sqlite", "redis"])
def test_a_version_moved_by_one_store_is_read_at_once_by_the_other(kind: str, tmp_path: Path,
                                                                  redis_server: str) -> None:
    first, second = pair(kind, tmp_path, redis_server)
    for _ in range(300):
        seen = first.control_version()
        moved = second.incr(VERSION_KEY)
        assert first.control_version() == moved != seen
        assert second.control_version() == moved
    first.close()
    second.close()


def test_sqlite_mirrors_the_version_in_a_file_beside_the_database(tmp_path: Path) -> None:
    store = SqliteStore(str(tmp_path / "s.db"))
    assert store.incr(VERSION_KEY) == 1 and store.incr(VERSION_KEY) == 2
    assert (tmp_path / f"s.db{COUNTER_SUFFIX}").stat().st_size == 16  # the version and the task-change count
    assert store.control_version() == 2 == store.read(VERSION_KEY)
    store.close()


def test_redis_serves_repeated_reads_from_the_cache_and_sees_forced_tasks(redis_server: str) -> None:
    prefix = f"c{uuid.uuid4().hex[:8]}"
    first, second = RedisStore(redis_server, prefix), RedisStore(redis_server, prefix)
    task = Task("vid_c", "o", "seedance2.0-std", 0.0, 1.0, 9.0, "completed", 1280, 720, 5)
    assert first.add_task(task, None, 0.0) is None
    for _ in range(5):
        assert first.get_task("vid_c") == task
    assert first._cache.hits >= 4 and first._cache.misses == 1
    forced = task.replace(outcome="failed", finished_at=2.0)
    assert second.get_task("vid_c") == task and second.swap_task(task, forced)
    assert first.get_task("vid_c") == forced  # invalidated by Redis, not by a timer
    assert second.get_task("vid_c") == forced
    second.clear(keep=())
    assert first.get_task("vid_c") is None
    first.close()
    second.close()


def test_redis_starts_over_when_the_invalidation_connection_is_lost(redis_server: str) -> None:
    prefix = f"k{uuid.uuid4().hex[:8]}"
    first, second = RedisStore(redis_server, prefix), RedisStore(redis_server, prefix)
    first.control_version()
    raw = redis.Redis.from_url(redis_server)
    assert raw.client_kill_filter(_type="pubsub", skipme=True) >= 1  # every cache's listener, ours included
    moved = second.incr(VERSION_KEY)  # its invalidation has nobody to go to
    assert first.control_version() == moved
    assert second.control_version() == moved
    first.close()
    second.close()


def test_redis_without_client_tracking_reads_through(redis_server: str) -> None:
    # Some servers refuse CLIENT TRACKING (older or managed ones): modelled by a user that may not run it.
    raw = redis.Redis.from_url(redis_server)
    user = f"notrack{uuid.uuid4().hex[:6]}"
    raw.acl_setuser(user, enabled=True, nopass=True, keys=["*"], channels=["*"], commands=["+@all", "-client|tracking"])
    url = redis_server.replace("redis://", f"redis://{user}@")
    prefix = f"n{uuid.uuid4().hex[:8]}"
    first, second = RedisStore(url, prefix), RedisStore(url, prefix)
    for _ in range(3):
        moved = second.incr(VERSION_KEY)
        assert first.control_version() == moved
    assert not first._cache.tracking and first._cache.hits == 0
    first.close()
    second.close()
    raw.acl_deluser(user)
