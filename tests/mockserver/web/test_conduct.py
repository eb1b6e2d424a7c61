"""Conduct findings: for every conduct id a misbehaving client triggers it (once, with an example and the
advice) and a well-behaved client doing the same job triggers nothing."""

from __future__ import annotations

from typing import Any

import pytest

from mockserver.state.conduct import CONDUCT_IDS
from tests.mockserver.web.conduct_clients import BAD, GOOD


def conduct(mock: Any) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = mock.control._call("GET", "/coverage?poll_threshold=0.2")["conduct"]
    return found


def real_time(ids: tuple[str, ...], waiting: set[str]) -> list[object]:
    """The conduct ids as params; the clients that wait half a second or more in real time are `slow`."""
    return [pytest.param(c, marks=pytest.mark.slow) if c in waiting else c for c in ids]


def test_every_conduct_id_has_both_clients() -> None:
    assert set(BAD) == set(GOOD) == set(CONDUCT_IDS)


@pytest.mark.seedance_misbehaves(*CONDUCT_IDS)
@pytest.mark.parametrize("conduct_id", real_time(CONDUCT_IDS, {"polled-after-finished"}))
def test_a_misbehaving_client_is_reported(seedance_mock: Any, conduct_id: str) -> None:
    BAD[conduct_id](seedance_mock.url, seedance_mock.token, seedance_mock.control)
    found = conduct(seedance_mock)
    assert [f["id"] for f in found] == [conduct_id], found
    finding = found[0]
    assert finding["count"] >= 1 and finding["advice"] and finding["example"]["path"].startswith("/")
    assert finding["token"].startswith("sk_t~")


@pytest.mark.parametrize("conduct_id", real_time(CONDUCT_IDS, {"retry-after-ignored", "poll-too-fast"}))
def test_a_careful_client_is_not(seedance_mock: Any, conduct_id: str) -> None:
    GOOD[conduct_id](seedance_mock.url, seedance_mock.token, seedance_mock.control)
    assert conduct(seedance_mock) == []


def test_poll_too_fast_reports_the_median_gap_and_the_threshold_is_chosen_when_read(seedance_mock: Any) -> None:
    BAD["poll-too-fast"](seedance_mock.url, seedance_mock.token, seedance_mock.control)
    (finding,) = conduct(seedance_mock)
    assert finding["count"] == 3 and "median gap between polls 0.0" in finding["detail"]
    lenient = seedance_mock.control._call("GET", "/coverage?poll_threshold=0")["conduct"]
    assert lenient == []


def test_a_create_repeated_after_a_dropped_connection_is_reported(seedance_mock: Any) -> None:
    import requests

    seedance_mock.control.inject_fault("drop", operation="create")
    body = {"model": "seedance2.0-std", "prompt": "a kite", "duration": 5}
    url = seedance_mock.url + "/api/open-api/v1/seedance/videos"
    with pytest.raises(requests.ConnectionError):
        requests.post(url, json=body, headers=seedance_mock.headers, timeout=30)
    requests.post(url, json=body, headers=seedance_mock.headers, timeout=30)
    found = conduct(seedance_mock)
    assert [f["id"] for f in found] == ["create-repeated-after-error"]
    assert "a kite" in found[0]["example"]["body"]
