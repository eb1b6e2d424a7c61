"""Stores: SQLite shared by two apps (workers) and across restarts; eviction keeps both stores flat."""

from __future__ import annotations

from pathlib import Path

import pytest

from mockserver import create_app
from mockserver.store import MemoryStore, SqliteStore, Task, open_store
from tests.mockserver.conftest import AUTH, CREATE, FakeClock, assert_envelope, get_path, std_body


def make_task(task_id: str, finished_at: float, token: str = "t") -> Task:
    return Task(task_id, token, "seedance2.0-std", 0.0, 1.0, finished_at, "completed", 1280, 720, 5)


def test_two_apps_share_one_sqlite_file(tmp_path: Path, clock: FakeClock) -> None:
    store = f"sqlite:{tmp_path / 'tasks.db'}"
    first = create_app({"STORE": store, "CLOCK": clock}).test_client()
    second = create_app({"STORE": store, "CLOCK": clock}).test_client()
    ids = [first.post(CREATE, json=std_body(), headers=AUTH).get_json()["data"]["task_id"] for _ in range(5)]
    for task_id in ids:
        assert second.get(get_path(task_id), headers=AUTH).get_json()["data"]["task_id"] == task_id
    # Forcing and the simulated clock are shared through the file as well.
    assert second.post(f"/_mock/tasks/{ids[0]}/complete").status_code == 200
    assert first.get(get_path(ids[0]), headers=AUTH).get_json()["data"]["status"] == "completed"
    second.post("/_mock/clock/advance", json={"seconds": 10_000})
    assert first.get(get_path(ids[1]), headers=AUTH).get_json()["data"]["status"] == "completed"
    # Tenancy holds across workers.
    assert_envelope(second.get(get_path(ids[2]), headers={"Authorization": "Bearer other"}), 404, "TASK_NOT_FOUND")


def test_sqlite_survives_a_restart(tmp_path: Path, clock: FakeClock) -> None:
    store = f"sqlite:{tmp_path / 'tasks.db'}"
    app = create_app({"STORE": store, "CLOCK": clock})
    task_id = app.test_client().post(CREATE, json=std_body(), headers=AUTH).get_json()["data"]["task_id"]
    app.extensions["seedance_mock"].backend.close()
    again = create_app({"STORE": store, "CLOCK": clock}).test_client()
    assert again.get(get_path(task_id), headers=AUTH).status_code == 200


def test_sqlite_reset_clears_the_file(tmp_path: Path, clock: FakeClock) -> None:
    store = f"sqlite:{tmp_path / 'tasks.db'}"
    http = create_app({"STORE": store, "CLOCK": clock}).test_client()
    task_id = http.post(CREATE, json=std_body(), headers=AUTH).get_json()["data"]["task_id"]
    assert http.post("/_mock/reset").status_code == 200
    assert_envelope(http.get(get_path(task_id), headers=AUTH), 404, "TASK_NOT_FOUND")


@pytest.mark.parametrize("kind", ["memory", "sqlite"])
def test_eviction(tmp_path: Path, kind: str) -> None:
    store = MemoryStore() if kind == "memory" else SqliteStore(str(tmp_path / "e.db"))
    for i in range(100):
        assert store.add(make_task(f"vid_{i}", finished_at=float(i)))
    assert not store.add(make_task("vid_0", finished_at=0.0))
    assert store.evict(before=60.0, retention=10.0) == 50
    assert store.count() == 50 and store.get("vid_49") is None and store.get("vid_50") is not None
    # A task re-timed later (forced) is judged on its new timeline.
    store.put(make_task("vid_50", finished_at=1000.0))
    assert store.evict(before=100.0, retention=10.0) == 39
    assert store.get("vid_50") is not None
    assert store.unfinished_finish_times("t", 500.0) == [1000.0]
    store.close()


def test_memory_stays_flat_under_load(clock: FakeClock) -> None:
    app = create_app({"CLOCK": clock, "RETENTION_SECONDS": 60})
    http = app.test_client()
    backend = app.extensions["seedance_mock"].backend
    for _ in range(1000):
        http.post(CREATE, json=std_body(), headers={**AUTH, "X-Seedance-Mock": "complete"})
        clock.advance(1)
    assert backend.store.count() <= 60 + 64 + 1


def test_open_store_rejects_unknown_kinds() -> None:
    assert isinstance(open_store("memory"), MemoryStore)
    for bad in ("redis:x", "sqlite:", "disk"):
        with pytest.raises(ValueError):
            open_store(bad)
