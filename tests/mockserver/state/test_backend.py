"""Backend behaviour without HTTP, against every store: timelines on an injected clock, forcing, limits,
eviction, ids, journal."""

from __future__ import annotations

import pytest

from mockserver.state.backend import Backend, BackendConfig, seeded_id
from mockserver.state.errors import ApiError
from mockserver.state.forcing import Fault
from mockserver.state.stores import open_store
from tests.mockserver.conftest import FAMILIES, FakeClock, MakeBackend, std_body


def test_status_moves_forward_on_the_clock_only(make_backend: MakeBackend) -> None:
    clock = FakeClock()
    backend = make_backend(clock)
    task = backend.create("t", std_body())
    seen = [task.status_at(backend.now())]
    for _ in range(200):
        clock.advance(1)
        seen.append(backend.get("t", task.task_id).status_at(backend.now()))
    order = ["queued", "processing", "completed"]
    assert seen[0] == "queued" and seen[-1] == "completed"
    assert [order.index(s) for s in seen] == sorted(order.index(s) for s in seen)
    assert "processing" in seen


def test_speed_makes_tasks_finish_sooner(make_backend: MakeBackend) -> None:
    clock = FakeClock()
    slow = make_backend(clock).create("t", std_body())
    fast = make_backend(clock, speed=100.0).create("t", std_body())
    assert fast.finished_at - fast.created_at < (slow.finished_at - slow.created_at) / 50


def test_seeded_ids_are_reproducible_and_distinct() -> None:
    ids = [seeded_id(5, n) for n in range(1, 1001)]
    assert ids == [seeded_id(5, n) for n in range(1, 1001)]
    assert len(set(ids)) == 1000 and seeded_id(6, 1) != ids[0]
    assert all(i.startswith("vid_") and len(i) == 28 for i in ids)


def test_seeded_ids_do_not_repeat_across_instances_and_restart_on_reset(make_backend: MakeBackend) -> None:
    clock = FakeClock()
    first, second = make_backend(clock, seed=9), make_backend(clock, seed=9)
    ids = [b.create("t", std_body()).task_id for _ in range(10) for b in (first, second)]
    assert ids == [seeded_id(9, n) for n in range(1, 21)]
    first.reset()
    assert second.create("t", std_body()).task_id == seeded_id(9, 1)


def test_injected_id_factory_and_retry_on_taken_ids(store_spec: str) -> None:
    ids = iter(["vid_a", "vid_a", "vid_b"])
    backend = Backend(BackendConfig(), FAMILIES, open_store(store_spec), clock=FakeClock(),
                      id_factory=lambda: next(ids))
    backend.reset()
    assert backend.create("t", std_body()).task_id == "vid_a"
    assert backend.create("t", std_body()).task_id == "vid_b"
    backend.close()


def test_other_tokens_cannot_see_a_task(make_backend: MakeBackend) -> None:
    backend = make_backend(FakeClock())
    task = backend.create("alice", std_body())
    with pytest.raises(ApiError) as err:
        backend.get("bob", task.task_id)
    assert err.value.error_id == "TASK_NOT_FOUND"


def test_fail_at_queue_never_processes(make_backend: MakeBackend) -> None:
    clock = FakeClock()
    backend = make_backend(clock)
    task = backend.fail_task(backend.create("t", std_body()).task_id, "bad prompt", "queue")
    statuses = set()
    for _ in range(100):
        statuses.add(task.status_at(backend.now()))
        clock.advance(1)
    assert statuses == {"queued", "failed"}
    view = backend.task_data(backend.get("t", task.task_id))
    assert view["error"] == {"code": "GENERATION_FAILED", "message": "bad prompt"}


def test_fail_at_processing_passes_through_processing(make_backend: MakeBackend) -> None:
    clock = FakeClock()
    backend = make_backend(clock)
    task = backend.fail_task(backend.create("t", std_body()).task_id, "boom", "processing")
    statuses = []
    for _ in range(200):
        statuses.append(task.status_at(backend.now()))
        clock.advance(1)
    assert statuses[0] == "queued" and "processing" in statuses and statuses[-1] == "failed"


def test_forcing_a_finished_task_is_a_conflict(make_backend: MakeBackend) -> None:
    clock = FakeClock()
    backend = make_backend(clock)
    task_id = backend.create("t", std_body()).task_id
    backend.complete_task(task_id)
    assert backend.get("t", task_id).status_at(backend.now()) == "completed"
    for force in (lambda: backend.fail_task(task_id), lambda: backend.complete_task(task_id)):
        with pytest.raises(ApiError) as err:
            force()
        assert err.value.status == 409


def test_fail_at_queue_refused_once_processing(make_backend: MakeBackend) -> None:
    clock = FakeClock()
    backend = make_backend(clock)
    task = backend.create("t", std_body())
    clock.now = task.processing_at + 0.1
    with pytest.raises(ApiError):
        backend.fail_task(task.task_id, at="queue")


def test_advance_moves_the_clock(make_backend: MakeBackend) -> None:
    clock = FakeClock()
    backend = make_backend(clock)
    assert backend.advance(100) == clock.now + 100


def test_rate_limit_per_token(make_backend: MakeBackend) -> None:
    clock = FakeClock()
    backend = make_backend(clock)
    backend.set_limits("alice", rate_per_minute=2, max_in_flight=None)
    backend.admit("alice")
    clock.advance(10)
    backend.admit("alice")
    with pytest.raises(ApiError) as err:
        backend.admit("alice")
    assert err.value.error_id == "RATE_LIMITED" and err.value.retry_after == 50
    backend.admit("bob")  # other tokens are not limited
    clock.advance(51)
    backend.admit("alice")


def test_in_flight_cap(make_backend: MakeBackend) -> None:
    clock = FakeClock()
    backend = make_backend(clock)
    backend.set_limits(None, rate_per_minute=None, max_in_flight=1)
    first = backend.create("t", std_body())
    with pytest.raises(ApiError) as err:
        backend.create("t", std_body())
    assert err.value.error_id == "TOO_MANY_TASKS"
    assert err.value.retry_after == pytest.approx(first.finished_at - clock.now, abs=1)
    backend.create("other", std_body())  # the cap counts per token
    clock.now = first.finished_at + 1
    backend.create("t", std_body())


def test_eviction_keeps_memory_flat(make_backend: MakeBackend) -> None:
    clock = FakeClock()
    backend = make_backend(clock, retention_seconds=100.0)
    old = backend.create("t", std_body())
    backend.complete_task(old.task_id)
    clock.advance(1000)
    for _ in range(200):
        task = backend.create("t", std_body())
        backend.complete_task(task.task_id)
        clock.advance(10)
    assert backend.store.count_tasks() < 40
    with pytest.raises(ApiError):
        backend.get("t", old.task_id)


def test_expired_task_is_not_found_even_before_eviction(make_backend: MakeBackend) -> None:
    clock = FakeClock()
    backend = make_backend(clock, retention_seconds=100.0)
    task = backend.create("t", std_body())
    backend.complete_task(task.task_id)
    clock.advance(101)
    with pytest.raises(ApiError):
        backend.get("t", task.task_id)


def test_the_journal_keeps_its_newest_entries(make_backend: MakeBackend) -> None:
    backend = make_backend(FakeClock(), journal_size=3, journal_bytes=100_000)
    for i in range(5):
        backend.record({"method": "GET", "path": f"/p{i}", "status": 200})
    assert [e["path"] for e in backend.journal()] == ["/p2", "/p3", "/p4"]


def test_the_journal_pages_after_a_cursor_and_filters(make_backend: MakeBackend) -> None:
    backend = make_backend(FakeClock(), journal_size=3, journal_bytes=100_000)
    for i in range(5):
        backend.record({"method": "GET", "path": f"/p{i}", "status": 200})
    first = backend.journal()[0]
    assert [e["path"] for e in backend.journal(after=first["seq"], limit=1)] == ["/p3"]
    assert [e["path"] for e in backend.journal(match=lambda e: e["path"] == "/p4")] == ["/p4"]


def test_the_journal_is_bounded_in_bytes(make_backend: MakeBackend) -> None:
    small = make_backend(FakeClock(), journal_size=1000, journal_bytes=3000)
    for i in range(40):
        small.record({"method": "GET", "path": f"/q{i}", "status": 200, "body": "x" * 500})
    kept = small.journal(limit=1000)
    assert 2 <= len(kept) <= 5 and kept[-1]["path"] == "/q39"


def test_cursors_stay_valid_across_a_journal_clear(make_backend: MakeBackend) -> None:
    backend = make_backend(FakeClock())
    backend.record({"method": "GET", "path": "/before", "status": 200})
    before = backend.journal()[-1]["seq"]
    backend.clear_journal()
    assert backend.journal() == []
    backend.record({"method": "GET", "path": "/after-clear", "status": 200})
    assert backend.journal()[0]["seq"] > before


def test_a_fault_fires_exactly_n_times_across_instances(make_backend: MakeBackend) -> None:
    clock = FakeClock()
    first, second = make_backend(clock), make_backend(clock)
    first.queue_fault(Fault("500", count=5, operation="create"))
    fired = 0
    for i in range(12):
        backend = (first, second)[i % 2]
        backend.sync()
        if backend.take_fault("t", "get") is not None:
            pytest.fail("a create-only fault fired on get")
        fired += backend.take_fault("t", "create") is not None
    assert fired == 5


def test_a_rate_limit_counts_every_instance(make_backend: MakeBackend) -> None:
    clock = FakeClock()
    first, second = make_backend(clock), make_backend(clock)
    first.set_limits(None, rate_per_minute=3, max_in_flight=None)
    second.sync()
    first.admit("t")
    second.admit("t")
    first.admit("t")
    with pytest.raises(ApiError):
        second.admit("t")


def test_the_clock_and_a_reset_reach_every_instance(make_backend: MakeBackend) -> None:
    clock = FakeClock()
    first, second = make_backend(clock), make_backend(clock)
    first.set_limits(None, rate_per_minute=3, max_in_flight=None)
    first.advance(120)
    second.sync()
    assert second.now() == pytest.approx(first.now())
    first.reset()
    second.sync()
    assert second.control.limits == {} and second.now() == pytest.approx(clock.now)


def test_the_clock_runs_at_most_max_offset_ahead(make_backend: MakeBackend) -> None:
    backend = make_backend(FakeClock())
    backend.advance(3e9)
    with pytest.raises(ApiError):
        for _ in range(20):
            backend.advance(3e9)
    assert backend.now() < 1e12


def test_forcing_through_another_instance(make_backend: MakeBackend) -> None:
    clock = FakeClock()
    first, second = make_backend(clock), make_backend(clock)
    task = first.create("t", std_body())
    second.fail_task(task.task_id, "quota", "queue")
    clock.advance(3600)
    assert first.get("t", task.task_id).status_at(first.now()) == "failed"
    other = first.create("t", std_body())
    second.complete_task(other.task_id)
    assert first.get("t", other.task_id).status_at(first.now()) == "completed"


def test_usage_counts_billable_seconds(make_backend: MakeBackend) -> None:
    backend = make_backend(FakeClock())
    backend.create("a", std_body(duration=8))
    backend.create("a", std_body(duration=5))
    failed = backend.create("a", std_body(duration=6))
    backend.fail_task(failed.task_id)
    backend.create("b", {"model": "seedance2.0-sp", "prompt": "x", "duration": 4, "resolution": "1080p"})
    rows = {(r["token"], r["model"], r["resolution"]): r for r in backend.usage()}
    assert rows[("a", "seedance2.0-std", "720p")]["billable_seconds"] == 13
    assert rows[("a", "seedance2.0-std", "720p")]["failed"] == 1
    assert rows[("b", "seedance2.0-sp", "1080p")]["tasks"] == 1
    assert [r["token"] for r in backend.usage("b")] == ["b"]
