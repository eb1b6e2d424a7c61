"""`ControlClient` builds its URLs safely: query values and task ids are encoded, never pasted."""

from __future__ import annotations

import pytest
import responses

from mockserver.control_client import ControlClient

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
