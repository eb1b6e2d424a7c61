"""`ControlClient` (control_client.py): URLs built safely (query values and task ids encoded, never pasted),
the control token carried, every call against a live emulator."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests
import responses

from mockserver.control_client import ControlClient, ControlError
from mockserver.server import EmbeddedServer
from tests.mockserver.conftest import AUTH, CREATE, get_path, std_body

BASE = "http://emulator.test"


@responses.activate
def test_journal_filters_are_encoded_as_query_parameters() -> None:
    route = responses.get(f"{BASE}/_mock/journal", json={"data": {"entries": [], "next": 0}})
    ControlClient(BASE).journal(rule="A&B", token="sk_a b#c", limit=5)
    sent = route.calls[0].request.url
    assert sent == f"{BASE}/_mock/journal?rule=A%26B&token=sk_a+b%23c&limit=5"


@responses.activate
def test_a_task_id_is_one_path_segment() -> None:
    route = responses.get(f"{BASE}/_mock/tasks/vid_a%2F..%3Fx", json={"data": {"task_id": "x"}})
    assert ControlClient(BASE).task("vid_a/..?x") == {"task_id": "x"}
    assert route.call_count == 1


@pytest.mark.parametrize("filters", [{}, {"after": 3}])
@responses.activate
def test_journal_without_filters_or_with_a_cursor(filters: dict[str, int]) -> None:
    responses.get(f"{BASE}/_mock/journal", json={"data": {"entries": [{"seq": 4}], "next": 4}})
    assert ControlClient(BASE).journal(**filters) == [{"seq": 4}]


def test_control_client_carries_the_token() -> None:
    with EmbeddedServer({"CONTROL_TOKEN": "s3cret"}) as server:
        with pytest.raises(ControlError) as refused:
            ControlClient(server.url).reset()
        assert refused.value.status == 403
        client = ControlClient(server.url, control_token="s3cret")
        client.reset()
        assert client.health()["store"] == "memory"


@pytest.fixture(scope="module")
def live() -> Iterator[EmbeddedServer]:
    with EmbeddedServer({"SEED": 3}) as server:
        yield server


def test_control_client_round_trip(live: EmbeddedServer) -> None:
    control = ControlClient(live.url)
    control.reset()
    task_id = requests.post(live.url + CREATE, json=std_body(), headers=AUTH, timeout=10).json()["data"]["task_id"]
    control.complete_task(task_id)
    assert control.task(task_id)["status"] == "completed"
    other = requests.post(live.url + CREATE, json=std_body(), headers=AUTH, timeout=10).json()["data"]["task_id"]
    control.fail_task(other, reason="nope", at="queue")
    before = control.now()
    assert control.advance(60) >= before + 60
    data = requests.get(live.url + get_path(other), headers=AUTH, timeout=10).json()["data"]
    assert data["status"] == "failed" and data["error"]["message"] == "nope"
    control.inject_fault("503", count=1, retry_after=7)
    answer = requests.get(live.url + get_path(other), headers=AUTH, timeout=10)
    assert answer.status_code == 503 and answer.headers["Retry-After"] == "7"
    control.inject_fault("500", count=3)
    control.clear_faults()
    control.set_limits(rate_per_minute=1)
    assert requests.get(live.url + get_path(other), headers=AUTH, timeout=10).status_code == 200
    assert requests.get(live.url + get_path(other), headers=AUTH, timeout=10).status_code == 429
    control.set_limits()
    control.declare_media("https://x.example/v.mp4", duration=30)
    md = {"model": "seedance2.0-md", "prompt": "x", "duration": 5, "reference_videos": ["https://x.example/v.mp4"]}
    rejected = requests.post(live.url + CREATE, json=md, headers=AUTH, timeout=10).json()
    assert rejected["data"]["rules"] == ["MD_REFERENCE_VIDEOS_DURATION"]
    control.set_asset_audit("a1", "rejected")
    full = {"model": "sd2_mx_720p", "prompt": "x", "duration": 5, "images": ["asset://a1"]}
    assert requests.post(live.url + CREATE, json=full, headers=AUTH, timeout=10).status_code == 400
    assert len(control.journal()) >= 5
    control.clear_journal()
    assert control.journal() == []
    with pytest.raises(ControlError) as err:
        control.complete_task("vid_missing")
    assert err.value.status == 404
