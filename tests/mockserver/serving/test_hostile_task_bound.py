"""Item 7: stored tasks are bounded on every store: the oldest finished tasks are forgotten first, then
creates are refused 503 TASK_STORE_FULL; health and the dashboard show the count and the bound. (RSS under a
5-minute load: `python bench/soak_task_bound.py`.)"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator

import pytest

from mockserver import create_app
from mockserver.spec.loader import family_models, load_spec
from mockserver.state.backend import DEFAULT_MAX_TASKS, Backend, BackendConfig
from mockserver.state.errors import ApiError
from mockserver.state.queries import TaskFilter
from mockserver.state.stores import open_store
from tests.mockserver.conftest import FakeClock, std_body
from tests.mockserver.hostile.processes import Emulator, running
from tests.mockserver.serving.live import AUTH, CREATE, SERVERS, VALID, call, error_id, health

FAMILIES = family_models(load_spec())
MakeBackend = Callable[..., Backend]


@pytest.fixture
def make_backend(store_spec: str) -> Iterator[MakeBackend]:
    made: list[Backend] = []

    def make(clock: FakeClock, **config: object) -> Backend:
        backend = Backend(BackendConfig(seed=1, **config), FAMILIES, open_store(store_spec),  # type: ignore[arg-type]
                          clock=clock)
        backend.reset()
        made.append(backend)
        return backend

    yield make
    for backend in made:
        backend.close()


def test_the_oldest_finished_tasks_go_first(make_backend: MakeBackend) -> None:
    clock = FakeClock()
    backend = make_backend(clock, max_tasks=10)
    made = [backend.create("t", std_body()) for _ in range(5)]
    first = [t.task_id for t in sorted(made, key=lambda t: t.finished_at)]
    clock.advance(3600)  # these five are finished
    later = [backend.create("t", std_body()).task_id for _ in range(5)]
    backend.complete_task(later[0])  # finished too, but after the first five
    kept = [backend.create("t", std_body()).task_id for _ in range(3)]
    stored = {t.task_id for t in backend.find_tasks(TaskFilter(), 100)}
    assert len(stored) <= 10
    assert set(later) | set(kept) <= stored  # the unfinished ones, and the one finished last, stay
    assert not set(first[:3]) & stored  # the earliest finished went first


def test_when_nothing_has_finished_creates_are_refused(make_backend: MakeBackend) -> None:
    clock = FakeClock()
    backend = make_backend(clock, max_tasks=4)
    for _ in range(4):
        backend.create("t", std_body())
    with pytest.raises(ApiError) as refused:
        backend.create("t", std_body())
    assert refused.value.error_id == "TASK_STORE_FULL" and refused.value.status == 503
    assert refused.value.retry_after == 1
    clock.advance(3600)
    backend.create("t", std_body())  # room again once tasks finished
    assert backend.store.count_tasks() <= 4


def test_the_store_stays_at_its_bound_under_many_creates(make_backend: MakeBackend) -> None:
    clock = FakeClock()
    backend = make_backend(clock, max_tasks=50)
    for _ in range(400):
        backend.create("t", std_body())
        clock.advance(10)
    assert backend.store.count_tasks() <= 50


def test_health_and_the_dashboard_show_count_and_bound() -> None:
    app = create_app({"SEED": 1, "MAX_TASKS": 3})
    client = app.test_client()
    client.post(CREATE, json=VALID, headers=AUTH)
    data = client.get("/_mock/health").get_json()["data"]
    assert (data["tasks"], data["max_tasks"]) == (1, 3)
    assert client.get("/_mock/tasks").get_json()["data"]["max_tasks"] == 3
    assert "1 stored (at most 3)" in client.get("/_mock/").get_data(as_text=True)


def test_the_bound_has_a_default_and_an_environment_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    assert create_app({"SEED": 1}).test_client().get("/_mock/health").get_json()["data"]["max_tasks"] == \
        DEFAULT_MAX_TASKS
    monkeypatch.setenv("SEEDANCE_MOCK_MAX_TASKS", "7")
    assert create_app({"SEED": 1}).test_client().get("/_mock/health").get_json()["data"]["max_tasks"] == 7


@pytest.fixture(scope="module", params=SERVERS)
def emulator(request: pytest.FixtureRequest) -> Iterator[Emulator]:
    with running(["--server", str(request.param), "--quiet", "--max-tasks", "5"]) as emu:
        yield emu


@pytest.mark.slow
def test_live_a_full_store_refuses_in_the_envelope(emulator: Emulator) -> None:
    headers = {**AUTH, "Content-Type": "application/json"}
    statuses = []
    for _ in range(7):
        status, answer_headers, body = call(emulator.url, "POST", CREATE, json.dumps(VALID).encode(), headers)
        statuses.append(status if status == 200 else (status, error_id(body), answer_headers.get("retry-after")))
    assert statuses[:5] == [200] * 5 and statuses[5:] == [(503, "TASK_STORE_FULL", "1")] * 2
    data = health(emulator.url)
    assert (data["tasks"], data["max_tasks"]) == (5, 5)
