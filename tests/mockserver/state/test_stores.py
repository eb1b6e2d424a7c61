"""Stores: each kind's own contract (atomic documents, tasks, eviction, journal), SQLite across restarts,
damaged SQLite files, and an unreachable Redis answering 503 in the envelope."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from mockserver import create_app
from mockserver.state.errors import StoreError
from mockserver.state.store import Store
from mockserver.state.stores import allows_workers, open_store
from mockserver.state.tasks import Task
from tests.conftest import free_port
from tests.mockserver.conftest import AUTH, CREATE, FakeClock, assert_envelope, get_path, std_body


def make_task(task_id: str, finished_at: float, owner: str = "t", created_at: float = 0.0) -> Task:
    return Task(task_id, owner, "seedance2.0-std", created_at, 1.0, finished_at, "completed", 1280, 720, 5)


@pytest.fixture
def store(store_spec: str) -> Store:
    opened = open_store(store_spec)
    opened.clear(keep=())
    return opened


def fill(store: Store, count: int) -> None:
    for i in range(count):
        assert store.add_task(make_task(f"vid_{i}", finished_at=float(i), created_at=float(i)), None, 0.0) is None


def test_a_taken_id_is_refused(store: Store) -> None:
    fill(store, 1)
    with pytest.raises(KeyError):
        store.add_task(make_task("vid_0", finished_at=0.0), None, 0.0)
    store.close()


def test_eviction_drops_tasks_whose_result_expired(store: Store) -> None:
    fill(store, 100)
    assert store.evict(before=60.0, retention=10.0) == 50
    assert store.count_tasks() == 50 and store.get_task("vid_49") is None and store.get_task("vid_50") is not None
    store.close()


def test_the_count_for_the_task_bound_comes_with_an_insert_and_is_used_once(store: Store, store_spec: str) -> None:
    fill(store, 3)
    assert store.tasks_counted() == 3
    other = store if store_spec == "memory" else open_store(store_spec)  # a second instance on the same state
    other.add_task(make_task("vid_other", finished_at=9.0), None, 0.0)  # another instance's insert
    assert store.tasks_counted() == 4  # counted again: the free count is never served twice
    store.add_task(make_task("vid_9", finished_at=9.0), None, 0.0)
    store.clear(keep=())
    assert store.tasks_counted() in (0, 5)  # may predate the reset: the bound recounts before acting on it
    assert store.count_tasks() == 0
    if other is not store:
        other.close()
    store.close()


def test_the_newest_tasks_come_first(store: Store) -> None:
    fill(store, 100)
    assert [t.task_id for t in store.recent_tasks(3)] == ["vid_99", "vid_98", "vid_97"]
    store.close()


def test_a_swap_needs_the_current_version_and_retimes_eviction(store: Store) -> None:
    fill(store, 100)
    old = store.get_task("vid_50")
    assert old is not None
    assert store.swap_task(old, old.replace(finished_at=1000.0))
    assert not store.swap_task(old, old.replace(finished_at=5.0))  # stale version: refused
    assert store.evict(before=100.0, retention=10.0) == 89  # a task re-timed later is judged on its new timeline
    assert store.get_task("vid_50") is not None
    store.close()


def test_in_flight_cap_is_checked_with_the_insert(store: Store) -> None:
    assert store.add_task(make_task("vid_a", finished_at=100.0, owner="o"), 2, now=0.0) is None
    assert store.add_task(make_task("vid_b", finished_at=200.0, owner="o"), 2, now=0.0) is None
    assert sorted(store.add_task(make_task("vid_c", finished_at=300.0, owner="o"), 2, now=0.0) or []) == [100.0, 200.0]
    assert store.add_task(make_task("vid_c", finished_at=300.0, owner="o"), 2, now=150.0) is None
    assert store.add_task(make_task("vid_d", finished_at=300.0, owner="p"), 1, now=0.0) is None
    store.close()


def test_documents_are_atomic_under_threads(store: Store) -> None:
    def bump() -> None:
        for _ in range(50):
            store.update("counter", lambda v: ((v or 0) + 1, None))
            store.incr("seq")

    threads = [threading.Thread(target=bump) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert store.read("counter") == 200 and store.read("seq") == 200
    store.clear(keep=("seq",))
    assert store.read("counter") is None and store.read("seq") == 200
    store.close()


def test_sqlite_survives_a_restart(tmp_path: Path, clock: FakeClock) -> None:
    spec = f"sqlite:{tmp_path / 'tasks.db'}"
    app = create_app({"STORE": spec, "CLOCK": clock})
    task_id = app.test_client().post(CREATE, json=std_body(), headers=AUTH).get_json()["data"]["task_id"]
    app.extensions["seedance_mock"].backend.close()
    again = create_app({"STORE": spec, "CLOCK": clock}).test_client()
    assert again.get(get_path(task_id), headers=AUTH).status_code == 200


def test_two_apps_share_one_store(shared_store_spec: str, clock: FakeClock) -> None:
    first = create_app({"STORE": shared_store_spec, "CLOCK": clock}).test_client()
    second = create_app({"STORE": shared_store_spec, "CLOCK": clock}).test_client()
    ids = [first.post(CREATE, json=std_body(), headers=AUTH).get_json()["data"]["task_id"] for _ in range(5)]
    for task_id in ids:
        assert second.get(get_path(task_id), headers=AUTH).get_json()["data"]["task_id"] == task_id
    assert second.post(f"/_mock/tasks/{ids[0]}/complete").status_code == 200
    assert first.get(get_path(ids[0]), headers=AUTH).get_json()["data"]["status"] == "completed"
    second.post("/_mock/clock/advance", json={"seconds": 10_000})
    assert first.get(get_path(ids[1]), headers=AUTH).get_json()["data"]["status"] == "completed"
    assert_envelope(second.get(get_path(ids[2]), headers={"Authorization": "Bearer sk_other"}), 404, "TASK_NOT_FOUND")
    # A fault queued through one fires on the other; the journal holds both apps' requests.
    second.post("/_mock/faults", json={"kind": "503", "count": 2})
    assert [first.get(get_path(ids[3]), headers=AUTH).status_code for _ in range(3)] == [503, 503, 200]
    journal = second.get("/_mock/journal?limit=1000").get_json()["data"]["entries"]
    assert len(journal) == 5 + 5 + 1 + 1 + 1 + 3 and len({e["seq"] for e in journal}) == len(journal)
    assert first.post("/_mock/reset").status_code == 200
    assert_envelope(second.get(get_path(ids[4]), headers=AUTH), 404, "TASK_NOT_FOUND")
    after_reset = second.get("/_mock/journal").get_json()["data"]["entries"]
    assert [(e["method"], e["status"]) for e in after_reset] == [("GET", 404)]


def test_memory_stays_flat_under_load(clock: FakeClock) -> None:
    app = create_app({"CLOCK": clock, "RETENTION_SECONDS": 60})
    http = app.test_client()
    backend = app.extensions["seedance_mock"].backend
    for _ in range(1000):
        http.post(CREATE, json=std_body(), headers={**AUTH, "X-Seedance-Mock": "complete"})
        clock.advance(1)
    assert backend.store.count_tasks() <= 60 + 64 + 1


def test_open_store_rejects_unknown_kinds() -> None:
    assert open_store("memory").kind == "memory"
    for bad in ("redis:x", "sqlite:", "disk", "postgres://x"):
        with pytest.raises(ValueError, match="unknown store"):
            open_store(bad)
    assert not allows_workers("memory") and allows_workers("sqlite:/x") and allows_workers("redis://h:1/0")


def test_a_damaged_sqlite_file_is_one_line_naming_it(tmp_path: Path) -> None:
    damaged = tmp_path / "damaged.db"
    damaged.write_bytes(b"this is not a database" * 100)
    with pytest.raises(StoreError, match=str(damaged)) as error:
        open_store(f"sqlite:{damaged}")
    assert "\n" not in str(error.value) and "remove the file" in str(error.value)


def test_a_store_that_breaks_while_serving_answers_503(tmp_path: Path, clock: FakeClock) -> None:
    path = tmp_path / "tasks.db"
    app = create_app({"STORE": f"sqlite:{path}", "CLOCK": clock})
    http = app.test_client()
    task_id = http.post(CREATE, json=std_body(), headers=AUTH).get_json()["data"]["task_id"]
    backend = app.extensions["seedance_mock"].backend
    backend.close()
    path.write_bytes(b"garbage" * 10_000)
    for _ in range(5):
        answer = http.get(get_path(task_id), headers=AUTH)
        assert_envelope(answer, 503, "STORE_UNAVAILABLE")
        assert str(path) in answer.get_json()["msg"]


def test_an_unreachable_redis_is_one_line() -> None:
    with pytest.raises(StoreError, match="cannot reach") as error:
        open_store(f"redis://127.0.0.1:{free_port()}/0")
    assert "\n" not in str(error.value)
