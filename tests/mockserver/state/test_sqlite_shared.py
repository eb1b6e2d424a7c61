"""SQLite's shared counters and task cache: a task read through one store and changed through another (a
forced outcome, an eviction, a reset) is read fresh at once; counters only grow."""

from __future__ import annotations

from pathlib import Path

from mockserver.state.sqlite import COUNTER_SUFFIX, SqliteStore
from mockserver.state.sqlite_shared import TASKS_SLOT, VERSION_SLOT, SharedCounters
from mockserver.state.tasks import Task


def make_task(task_id: str, finished_at: float = 9.0) -> Task:
    return Task(task_id, "o", "seedance2.0-std", 0.0, 1.0, finished_at, "completed", 1280, 720, 5)


def test_a_cached_task_forced_through_another_store_is_read_fresh(tmp_path: Path) -> None:
    first, second = SqliteStore(str(tmp_path / "s.db")), SqliteStore(str(tmp_path / "s.db"))
    task = make_task("vid_a")
    assert first.add_task(task, None, 0.0) is None
    assert first.get_task("vid_a") == task == first.get_task("vid_a")  # the second read is a cache hit
    forced = task.replace(outcome="failed", finished_at=2.0)
    assert second.swap_task(task, forced)
    assert first.get_task("vid_a") == forced
    assert not second.swap_task(task, forced)  # the version moved: a stale swap changes nothing
    first.close()
    second.close()


def test_evictions_and_resets_through_another_store_are_seen_at_once(tmp_path: Path) -> None:
    first, second = SqliteStore(str(tmp_path / "s.db")), SqliteStore(str(tmp_path / "s.db"))
    for name, finished in (("vid_old", 1.0), ("vid_new", 50.0)):
        assert first.add_task(make_task(name, finished), None, 0.0) is None
        assert first.get_task(name) is not None
    assert second.evict_oldest_finished(10.0, 5) == 1
    assert first.get_task("vid_old") is None and first.get_task("vid_new") is not None
    second.clear(keep=())
    assert first.get_task("vid_new") is None
    first.close()
    second.close()


def test_a_new_task_does_not_empty_the_cache_and_an_absent_one_is_not_cached(tmp_path: Path) -> None:
    store = SqliteStore(str(tmp_path / "s.db"))
    assert store.get_task("vid_later") is None
    assert store.add_task(make_task("vid_later"), None, 0.0) is None
    assert store.get_task("vid_later") == make_task("vid_later")  # absent was not remembered
    changes = store._counter.read(TASKS_SLOT) if store._counter else -1
    assert store.add_task(make_task("vid_other"), None, 0.0) is None
    assert store._counter is not None and store._counter.read(TASKS_SLOT) == changes  # creates move nothing
    store.close()


def test_counters_only_grow_whatever_order_processes_publish_in(tmp_path: Path) -> None:
    path = str(tmp_path / f"c.db{COUNTER_SUFFIX}")
    one, two = SharedCounters(path), SharedCounters(path)
    one.publish(VERSION_SLOT, 7)
    two.publish(VERSION_SLOT, 6)  # a slower process publishing an older value: no ABA for readers
    assert one.read(VERSION_SLOT) == two.read(VERSION_SLOT) == 7
    one.bump(TASKS_SLOT)
    two.bump(TASKS_SLOT)
    assert one.read(TASKS_SLOT) == 2
    one.close()
    two.close()
