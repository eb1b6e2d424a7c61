"""Item 4: one tenant cannot stall the others. Ten parallel creates with `delay=6` of one token used to take
all 8 threads (health took 5.5 s); now a token holds at most half of them and all tokens all but two; the
rest answer 429 at once."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator

import pytest

from mockserver.state.errors import ApiError
from mockserver.web.delays import DelaySlots
from tests.mockserver.hostile.processes import Emulator, running
from tests.mockserver.serving.live import AUTH, CREATE, SERVERS, VALID, call, error_id

JSON = {"Content-Type": "application/json"}


def test_a_token_holds_at_most_its_slots_and_gets_them_back() -> None:
    slots = DelaySlots(per_token=2, total=8)
    with slots.hold("a", 1), slots.hold("a", 1):
        with pytest.raises(ApiError) as refused, slots.hold("a", 6):
            pass
        assert refused.value.error_id == "TOO_MANY_DELAYS" and refused.value.status == 429
        assert refused.value.retry_after == 6
        with slots.hold("b", 1):  # another token is not affected
            assert slots.sleeping() == 3
    assert slots.sleeping() == 0
    with slots.hold("a", 1):
        pass


def test_every_token_together_leaves_threads_free() -> None:
    slots = DelaySlots(per_token=4, total=2)
    with slots.hold("a", 1), slots.hold("b", 1):
        with pytest.raises(ApiError) as refused, slots.hold("c", 1):
            pass
        assert refused.value.error_id == "TOO_MANY_DELAYS"
    with slots.hold("c", 1):
        assert slots.sleeping() == 1


def test_the_cli_splits_the_threads() -> None:
    from mockserver.cli import build_parser, config_from_args
    from mockserver.serving.options import delay_slots

    assert delay_slots(8) == (4, 6) and delay_slots(1) == (1, 1) and delay_slots(3) == (1, 1)
    config = config_from_args(build_parser().parse_args(["--threads", "16"]))
    assert (config["DELAYS_PER_TOKEN"], config["DELAYS_TOTAL"]) == (8, 14)


def test_slots_are_released_when_the_request_fails() -> None:
    slots = DelaySlots(per_token=1)
    with pytest.raises(RuntimeError), slots.hold("a", 1):
        raise RuntimeError("boom")
    assert slots.sleeping() == 0


def test_the_directive_holds_a_slot_in_the_app(monkeypatch: pytest.MonkeyPatch) -> None:
    from mockserver import create_app

    app = create_app({"SEED": 1, "DELAYS_PER_TOKEN": 1})
    client = app.test_client()
    entered, release = threading.Event(), threading.Event()

    def sleep(_seconds: float) -> None:
        entered.set()
        release.wait(10)

    monkeypatch.setattr("mockserver.web.api_views.time.sleep", sleep)
    first: list[int] = []
    worker = threading.Thread(target=lambda: first.append(client.post(
        CREATE, json=VALID, headers={**AUTH, "X-Seedance-Mock": "delay=6"}).status_code))
    worker.start()
    assert entered.wait(10)
    second = app.test_client().post(CREATE, json=VALID, headers={**AUTH, "X-Seedance-Mock": "delay=6"})
    other = app.test_client().post(CREATE, json=VALID, headers={"Authorization": "Bearer sk_other"})
    release.set()
    worker.join(10)
    assert second.status_code == 429 and second.get_json()["data"]["error"] == "TOO_MANY_DELAYS"
    assert second.headers["Retry-After"] == "6"
    assert other.status_code == 200 and first == [200]


@pytest.fixture(scope="module", params=SERVERS)
def emulator(request: pytest.FixtureRequest) -> Iterator[Emulator]:
    with running(["--server", str(request.param), "--quiet"]) as emu:
        yield emu


@pytest.mark.slow
def test_health_and_other_tokens_answer_within_a_second_while_one_token_sleeps(emulator: Emulator) -> None:
    answers: list[tuple[int, str]] = []
    lock = threading.Lock()

    def delayed() -> None:
        status, _, body = call(emulator.url, "POST", CREATE, json.dumps(VALID).encode(),
                               {**AUTH, **JSON, "X-Seedance-Mock": "delay=6"})
        with lock:
            answers.append((status, error_id(body) if status != 200 else ""))

    threads = [threading.Thread(target=delayed) for _ in range(10)]
    for thread in threads:
        thread.start()
    time.sleep(0.5)
    started = time.monotonic()
    status, _, _ = call(emulator.url, "GET", "/_mock/health")
    health_took = time.monotonic() - started
    started = time.monotonic()
    other, _, _ = call(emulator.url, "POST", CREATE, json.dumps(VALID).encode(),
                       {"Authorization": "Bearer sk_other", **JSON})
    other_took = time.monotonic() - started
    for thread in threads:
        thread.join(30)
    assert status == 200 and health_took < 1.0
    assert other == 200 and other_took < 1.0
    assert sorted(answers) == sorted([(200, "")] * 4 + [(429, "TOO_MANY_DELAYS")] * 6)
