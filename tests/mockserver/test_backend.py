"""Backend unit tests without HTTP: timelines on an injected clock, forcing, limits, eviction, ids."""

from __future__ import annotations

import pytest

from mockserver.apierror import ApiError
from mockserver.backend import Backend, BackendConfig, mask_token, seeded_ids
from mockserver.models import output_size, plan_timings
from mockserver.spec import family_models, load_spec
from tests.mockserver.conftest import FakeClock, std_body

FAMILIES = family_models(load_spec())


def make_backend(clock: FakeClock, **config: object) -> Backend:
    return Backend(BackendConfig(seed=1, **config), FAMILIES, clock=clock)  # type: ignore[arg-type]


def test_families_come_from_the_spec() -> None:
    assert set(FAMILIES) == {"FULL", "SP", "SP_OFFICIAL", "MINI", "MINI_SP", "MD", "FAST_I2V", "STD"}
    assert sum(len(m) for m in FAMILIES.values()) == 22


def test_status_moves_forward_on_the_clock_only() -> None:
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


def test_timings_are_realistic_and_scaled_by_speed() -> None:
    import random

    rng = random.Random(0)
    q_std, p_std = plan_timings("STD", "seedance2.0-std", 5, 1280, 720, 1.0, rng)
    assert 2 <= q_std <= 10 and 20 <= p_std <= 60
    _, p_long = plan_timings("STD", "seedance2.0-std", 15, 1280, 720, 1.0, random.Random(0))
    assert p_long > p_std
    _, p_4k = plan_timings("FULL", "sd2_mx_4k", 12, 3840, 2160, 1.0, random.Random(0))
    _, p_md = plan_timings("MD", "seedance2.0-md", 12, 1280, 720, 1.0, random.Random(0))
    assert p_4k > 5 * p_md
    q_fast, p_fast = plan_timings("STD", "seedance2.0-std", 5, 1280, 720, 10.0, random.Random(0))
    assert q_fast == pytest.approx(q_std / 10) and p_fast == pytest.approx(p_std / 10)


def test_speed_makes_tasks_finish_sooner() -> None:
    clock = FakeClock()
    slow = make_backend(clock).create("t", std_body())
    fast = make_backend(clock, speed=100.0).create("t", std_body())
    assert fast.finished_at - fast.created_at < (slow.finished_at - slow.created_at) / 50


@pytest.mark.parametrize(
    ("model", "fields", "size"),
    [
        ("seedance2.0-std", {}, (1280, 720)),
        ("seedance2.0-std", {"resolution": "1080p"}, (1280, 720)),
        ("seedance2.0-std", {"ratio": "9:16"}, (720, 1280)),
        ("seedance2.0-std", {"orientation": "portrait"}, (720, 1280)),
        ("seedance2.0-std", {"ratio": "16:9", "orientation": "portrait"}, (1280, 720)),
        ("seedance2.0-std", {"ratio": "21:9"}, (1680, 720)),
        ("seedance2.0-std", {"ratio": "1:1"}, (720, 720)),
        ("seedance2.0-sp", {"resolution": "480p"}, (854, 480)),
        ("seedance2.0-sp", {"resolution": "1080p", "ratio": "4:3"}, (1440, 1080)),
        ("seedance2.0-mini-sp", {"resolution": "480p", "ratio": "3:4"}, (480, 640)),
        ("seedance2.0-md", {"ratio": "9:16"}, (720, 1280)),
        ("sd2_mx_1080p", {}, (1920, 1080)),
        ("sd2_mx_2k", {"ratio": "1:1"}, (1440, 1440)),
        ("sd2_mx_4k", {"ratio": "21:9"}, (5040, 2160)),
        ("sd2_mx_video_4k", {"ratio": "adaptive", "orientation": "portrait"}, (2160, 3840)),
        ("sd2_mx_fast_720p", {"ratio": "adaptive"}, (1280, 720)),
    ],
)
def test_output_size(model: str, fields: dict[str, object], size: tuple[int, int]) -> None:
    family = next(f for f, models in FAMILIES.items() if model in models)
    assert output_size(family, model, {"model": model, **fields}) == size


def test_seeded_ids_are_reproducible_and_distinct() -> None:
    first = seeded_ids(5)
    second = seeded_ids(5)
    ids = [first() for _ in range(1000)]
    assert ids == [second() for _ in range(1000)]
    assert len(set(ids)) == 1000
    assert all(i.startswith("vid_") and len(i) == 28 for i in ids)
    assert seeded_ids(None)() != seeded_ids(None)()


def test_injected_id_factory_and_retry_on_taken_ids() -> None:
    ids = iter(["vid_a", "vid_a", "vid_b"])
    backend = Backend(BackendConfig(), FAMILIES, clock=FakeClock(), id_factory=lambda: next(ids))
    assert backend.create("t", std_body()).task_id == "vid_a"
    assert backend.create("t", std_body()).task_id == "vid_b"


def test_other_tokens_cannot_see_a_task() -> None:
    backend = make_backend(FakeClock())
    task = backend.create("alice", std_body())
    with pytest.raises(ApiError) as err:
        backend.get("bob", task.task_id)
    assert err.value.error_id == "TASK_NOT_FOUND"


def test_fail_at_queue_never_processes() -> None:
    clock = FakeClock()
    backend = make_backend(clock)
    task = backend.fail_task(backend.create("t", std_body()).task_id, "bad prompt", "queue")
    statuses = set()
    for _ in range(100):
        statuses.add(task.status_at(backend.now()))
        clock.advance(1)
    assert statuses == {"queued", "failed"}
    view = backend.task_view(backend.get("t", task.task_id), "http://x/")
    assert view["error"] == {"code": "GENERATION_FAILED", "message": "bad prompt"}


def test_fail_at_processing_passes_through_processing() -> None:
    clock = FakeClock()
    backend = make_backend(clock)
    task = backend.fail_task(backend.create("t", std_body()).task_id, "boom", "processing")
    statuses = []
    for _ in range(200):
        statuses.append(task.status_at(backend.now()))
        clock.advance(1)
    assert statuses[0] == "queued" and "processing" in statuses and statuses[-1] == "failed"


def test_forcing_a_finished_task_is_a_conflict() -> None:
    clock = FakeClock()
    backend = make_backend(clock)
    task_id = backend.create("t", std_body()).task_id
    backend.complete_task(task_id)
    assert backend.get("t", task_id).status_at(backend.now()) == "completed"
    for force in (lambda: backend.fail_task(task_id), lambda: backend.complete_task(task_id)):
        with pytest.raises(ApiError) as err:
            force()
        assert err.value.status == 409


def test_fail_at_queue_refused_once_processing() -> None:
    clock = FakeClock()
    backend = make_backend(clock)
    task = backend.create("t", std_body())
    clock.now = task.processing_at + 0.1
    with pytest.raises(ApiError):
        backend.fail_task(task.task_id, at="queue")
    with pytest.raises(ApiError):
        backend.fail_task(task.task_id, at="later")


def test_advance_moves_the_clock_and_refuses_going_back() -> None:
    clock = FakeClock()
    backend = make_backend(clock)
    assert backend.advance(100) == clock.now + 100
    with pytest.raises(ApiError):
        backend.advance(-1)


def test_rate_limit_per_token() -> None:
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


def test_in_flight_cap() -> None:
    clock = FakeClock()
    backend = make_backend(clock)
    backend.set_limits(None, rate_per_minute=None, max_in_flight=1)
    first = backend.create("t", std_body())
    with pytest.raises(ApiError) as err:
        backend.check_in_flight("t")
    assert err.value.error_id == "TOO_MANY_TASKS"
    assert err.value.retry_after == pytest.approx(first.finished_at - clock.now, abs=1)
    backend.check_in_flight("other")  # the cap counts per token
    clock.now = first.finished_at + 1
    backend.check_in_flight("t")
    with pytest.raises(ApiError):
        backend.set_limits(None, rate_per_minute=0, max_in_flight=None)


def test_eviction_keeps_memory_flat() -> None:
    clock = FakeClock()
    backend = make_backend(clock, retention_seconds=100.0)
    old = backend.create("t", std_body())
    backend.complete_task(old.task_id)
    clock.advance(1000)
    for _ in range(200):
        task = backend.create("t", std_body())
        backend.complete_task(task.task_id)
        clock.advance(10)
    assert backend.store.count() < 40
    with pytest.raises(ApiError):
        backend.get("t", old.task_id)


def test_expired_task_is_not_found_even_before_eviction() -> None:
    clock = FakeClock()
    backend = make_backend(clock, retention_seconds=100.0)
    task = backend.create("t", std_body())
    backend.complete_task(task.task_id)
    clock.advance(101)
    with pytest.raises(ApiError):
        backend.get("t", task.task_id)


def test_journal_is_bounded_and_masks_tokens() -> None:
    backend = make_backend(FakeClock(), journal_size=3)
    for i in range(5):
        backend.record("GET", f"/p{i}", 200, "sk_secret_token", "")
    assert [e["path"] for e in backend.journal] == ["/p2", "/p3", "/p4"]
    assert all("secret" not in e["token"] for e in backend.journal)
    assert mask_token(None) == "" and mask_token("abc") == "…"
