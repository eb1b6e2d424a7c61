"""Item 5: a forced outcome is final (another force is 409, whichever instance tries), and `at: "now"` /
`fail-at=now` fails a task at once. `ControlClient.set_speed()`."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from mockserver.control_client import ControlClient, ControlError
from mockserver.server import EmbeddedServer
from mockserver.spec.loader import family_models, load_spec
from mockserver.state.backend import Backend, BackendConfig
from mockserver.state.errors import ApiError
from mockserver.state.stores import open_store
from tests.mockserver.conftest import AUTH, CREATE, FakeClock, create_task, get_path, std_body
from tests.mockserver.hostile.processes import Emulator, running
from tests.mockserver.serving.live import SERVERS, VALID, call, error_id

FAMILIES = family_models(load_spec())


@pytest.mark.parametrize(("first", "second"), [("fail", "complete"), ("complete", "fail"), ("fail", "fail"),
                                               ("complete", "complete")])
def test_a_second_force_is_a_conflict(http: FlaskClient, first: str, second: str) -> None:
    task_id = create_task(http)
    assert http.post(f"/_mock/tasks/{task_id}/{first}", json={}).status_code == 200
    answer = http.post(f"/_mock/tasks/{task_id}/{second}", json={})
    assert answer.status_code == 409 and answer.get_json()["data"]["error"] == "CONFLICT"
    outcome = http.get(f"/_mock/tasks/{task_id}").get_json()["data"]
    assert outcome["outcome"] == ("failed" if first == "fail" else "completed") and outcome["forced"]


def test_fail_at_now_fails_at_once(http: FlaskClient) -> None:
    task_id = create_task(http)
    timeline = http.post(f"/_mock/tasks/{task_id}/fail", json={"at": "now", "reason": "nsfw"}).get_json()["data"]
    assert timeline["status"] == "failed" and timeline["error"]["message"] == "nsfw"
    data = http.get(get_path(task_id), headers=AUTH).get_json()["data"]
    assert data["status"] == "failed" and data["error"]["message"] == "nsfw"


def test_the_header_directive_fail_at_now(http: FlaskClient) -> None:
    created = http.post(CREATE, json=std_body(), headers={**AUTH, "X-Seedance-Mock": "fail=quota; fail-at=now"})
    assert created.status_code == 200
    data = http.get(get_path(created.get_json()["data"]["task_id"]), headers=AUTH).get_json()["data"]
    assert data["status"] == "failed" and data["error"]["message"] == "quota"


def test_a_directive_repeated_on_every_poll_is_not_a_conflict(http: FlaskClient) -> None:
    task_id = create_task(http)
    for _ in range(3):
        answer = http.get(get_path(task_id), headers={**AUTH, "X-Seedance-Mock": "fail"})
        assert answer.status_code == 200
    answer = http.get(get_path(task_id), headers={**AUTH, "X-Seedance-Mock": "complete"})
    assert answer.status_code == 409


def test_unknown_at_names_the_choices(http: FlaskClient) -> None:
    answer = http.post(f"/_mock/tasks/{create_task(http)}/fail", json={"at": "later"})
    assert answer.status_code == 400 and "now, queue, processing" in answer.get_json()["msg"]


@pytest.fixture
def two_instances(tmp_path: Path) -> Iterator[Callable[[], tuple[Backend, Backend]]]:
    made: list[Backend] = []

    def make() -> tuple[Backend, Backend]:
        clock = FakeClock()
        spec = f"sqlite:{tmp_path / 'shared.db'}"
        pair = tuple(Backend(BackendConfig(seed=1), FAMILIES, open_store(spec), clock=clock) for _ in range(2))
        made.extend(pair)
        return pair  # type: ignore[return-value]

    yield make
    for backend in made:
        backend.close()


def test_two_instances_racing_fail_and_complete_end_one_way(two_instances: Callable[[], tuple[Backend, Backend]]
                                                             ) -> None:
    first, second = two_instances()
    for _ in range(10):
        task_id = first.create("t", std_body()).task_id
        results = _race(task_id, (first, "fail"), (second, "complete"))
        assert sorted(results) in (["409", "fail"], ["409", "complete"])
        winner = next(r for r in results if r != "409")
        assert first.lookup(task_id).outcome == ("failed" if winner == "fail" else "completed")


def _race(task_id: str, *forces: tuple[Backend, str]) -> list[str]:
    """Force `task_id` from several instances at once; what each got ("fail", "complete" or "409")."""
    results: list[str] = []
    barrier = threading.Barrier(len(forces))

    def force(backend: Backend, how: str) -> None:
        barrier.wait()
        try:
            if how == "fail":
                backend.fail_task(task_id, at="now")
            else:
                backend.complete_task(task_id)
            results.append(how)
        except ApiError as exc:
            results.append(f"{exc.status}")

    racers = [threading.Thread(target=force, args=pair) for pair in forces]
    for racer in racers:
        racer.start()
    for racer in racers:
        racer.join(10)
    return results


def test_control_client_set_speed_and_fail_now() -> None:
    with EmbeddedServer({"SEED": 1}) as srv:
        control = ControlClient(srv.url)
        assert control.set_speed(60) == 60
        assert control.now() > 0
        _, _, body = call(srv.url, "POST", CREATE, json.dumps(VALID).encode(),
                          {"Authorization": "Bearer sk_x", "Content-Type": "application/json"})
        task_id = json.loads(body)["data"]["task_id"]
        assert control.fail_task(task_id, at="now")["status"] == "failed"
        with pytest.raises(ControlError) as refused:
            control.complete_task(task_id)
        assert refused.value.status == 409


@pytest.fixture(scope="module", params=SERVERS)
def emulator(request: pytest.FixtureRequest) -> Iterator[Emulator]:
    with running(["--server", str(request.param), "--quiet"]) as emu:
        yield emu


@pytest.mark.slow
def test_live_forcing_is_final_and_instant(emulator: Emulator) -> None:
    headers = {"Authorization": "Bearer sk_x", "Content-Type": "application/json"}
    _, _, body = call(emulator.url, "POST", CREATE, json.dumps(VALID).encode(), headers)
    task_id = json.loads(body)["data"]["task_id"]
    status, _, body = call(emulator.url, "POST", f"/_mock/tasks/{task_id}/fail", b'{"at": "now"}', headers)
    assert status == 200 and json.loads(body)["data"]["status"] == "failed"
    status, _, body = call(emulator.url, "POST", f"/_mock/tasks/{task_id}/complete", b"{}", headers)
    assert (status, error_id(body)) == (409, "CONFLICT")
    status, _, body = call(emulator.url, "GET", get_path(task_id), headers=headers)
    assert json.loads(body)["data"]["status"] == "failed"
