"""One place per query: `Backend.find_tasks` / `find_journal` / `newest_journal`, and the bounded store
reads under them (an owner's newest tasks, the journal read backwards) on every store kind."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from mockserver.state.backend import Backend
from mockserver.state.queries import JournalFilter, TaskFilter
from mockserver.state.redis_store import RedisStore
from mockserver.state.store import Store
from mockserver.state.stores import open_store
from mockserver.state.tasks import Task
from tests.mockserver.conftest import FakeClock, MakeBackend, std_body


def task(task_id: str, created: float, finished: float, owner: str = "o") -> Task:
    return Task(task_id, owner, "seedance2.0-std", created, created, finished, "completed", 1280, 720, 5)


@pytest.fixture
def store(store_spec: str) -> Iterator[Store]:
    opened = open_store(store_spec)
    opened.clear(keep=())
    yield opened
    opened.close()


def test_an_owners_newest_tasks_by_creation_even_when_they_finish_out_of_order(store: Store) -> None:
    # Created 0..59; every third one finishes very late, so finish order is not creation order.
    for i in range(60):
        store.add_task(task(f"vid_{i:02}", float(i), float(i) + (1000.0 if i % 3 == 0 else 1.0)), None, 0.0)
    store.add_task(task("vid_other", 100.0, 101.0, owner="p"), None, 0.0)
    assert [t.task_id for t in store.recent_tasks(4, "o")] == ["vid_59", "vid_58", "vid_57", "vid_56"]
    assert [t.task_id for t in store.recent_tasks(1, "p")] == ["vid_other"]
    assert len(store.recent_tasks(100, "o")) == 60
    assert store.recent_tasks(5, "nobody") == []


def test_journal_read_backwards(store: Store) -> None:
    assert store.journal_before(None, 5) == []
    store.journal_append([({"path": f"/p{i}"}, 10) for i in range(10)], 1000, 1_000_000)
    newest = store.journal_before(None, 3)
    assert [e["path"] for e in newest] == ["/p9", "/p8", "/p7"]
    assert [e["path"] for e in store.journal_before(newest[-1]["seq"], 2)] == ["/p6", "/p5"]
    assert store.journal_before(store.journal_after(0, 1)[0]["seq"], 5) == []


def test_redis_reads_about_limit_tasks_of_a_big_owner(redis_server: str) -> None:
    store = RedisStore(f"{redis_server}?prefix=bounded-owner", "bounded-owner")
    store.clear(keep=())
    for i in range(3000):
        store.add_task(task(f"vid_{i:05}", float(i), float(i) + 5.0), None, 0.0)
    read: list[int] = []
    fetch = store._tasks

    def counting(ids: list[Any]) -> list[Task]:
        read.append(len(ids))
        return fetch(ids)

    store._tasks = counting  # type: ignore[method-assign]
    assert [t.task_id for t in store.recent_tasks(1, "o")] == ["vid_02999"]
    assert sum(read) <= 100  # not the owner's 3000 tasks
    store.clear(keep=())
    store.close()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def backend(make_backend: MakeBackend, clock: FakeClock) -> Backend:
    return make_backend(clock)


def test_find_tasks_filters_by_owner_status_and_model(backend: Backend, clock: FakeClock) -> None:
    made = []
    for i in range(10):
        made.append(backend.create("a" if i % 2 else "b", std_body()))
        clock.advance(0.5)
    backend.complete_task(made[-1].task_id)
    newest_a = [t.task_id for t in reversed(made) if t.owner == "a"]
    assert [t.task_id for t in backend.find_tasks(TaskFilter(owner="a"), 3)] == newest_a[:3]
    assert [t.task_id for t in backend.find_tasks(TaskFilter(status="completed"))] == [made[-1].task_id]
    assert backend.find_tasks(TaskFilter(model="no-such-model")) == []
    assert len(backend.find_tasks(TaskFilter(), 1000)) == 10
    assert backend.find_tasks(TaskFilter(), 0) == backend.find_tasks(TaskFilter(status="queued"), 0) == []


def test_journal_filters_and_the_newest_entries(backend: Backend) -> None:
    for i in range(30):
        backend.record({"method": "GET", "path": f"/p{i}", "status": 429 if i % 3 else 200, "token": "a",
                        "rules": [], "task_id": f"vid_{i % 2}"})
    assert [e["path"] for e in backend.find_journal(JournalFilter(status="200"), limit=2)] == ["/p0", "/p3"]
    assert len(backend.find_journal(JournalFilter(status="4xx"), limit=100)) == 20
    assert backend.find_journal(JournalFilter(owner="b")) == []
    assert len(backend.find_journal(JournalFilter(task_id="vid_1"))) == 15
    entries, cursor = backend.newest_journal(JournalFilter(status="200"), 2)
    assert [e["path"] for e in entries] == ["/p24", "/p27"]
    assert cursor == backend.journal(limit=1000)[-1]["seq"]
    nothing, still = backend.newest_journal(JournalFilter(rule="NO_RULE"), 5)
    assert nothing == [] and still == cursor  # poll from now on, not from 0
