"""The pytest plugin's fixtures, used as an integrator would."""

from __future__ import annotations

import pytest
import requests

from mockserver.testing import INPROCESS_URL, SeedanceMock

CREATE = "/api/open-api/v1/seedance/videos"
BODY = {"model": "seedance2.0-std", "prompt": "a cat", "duration": 5}


def test_live_fixture(seedance_mock: SeedanceMock) -> None:
    answer = requests.post(seedance_mock.url + CREATE, json=BODY, headers=seedance_mock.headers, timeout=10)
    assert answer.status_code == 200
    task_id = answer.json()["data"]["task_id"]
    seedance_mock.control.complete_task(task_id)
    got = requests.get(f"{seedance_mock.url}/api/open-api/v1/videos/{task_id}", headers=seedance_mock.headers,
                       timeout=10)
    assert got.json()["data"]["status"] == "completed"
    assert seedance_mock.token == "sk_test"


def test_live_fixture_is_reset_between_tests(seedance_mock: SeedanceMock) -> None:
    assert seedance_mock.control.journal() == []


def test_inprocess_fixture(seedance_mock_inprocess: SeedanceMock) -> None:
    mock = seedance_mock_inprocess
    assert mock.url == INPROCESS_URL
    answer = requests.post(mock.url + CREATE, json=BODY, headers=mock.headers, timeout=10)
    assert answer.status_code == 200 and answer.headers["Content-Type"] == "application/json"
    task_id = answer.json()["data"]["task_id"]
    mock.control.complete_task(task_id)
    data = requests.get(f"{mock.url}/api/open-api/v1/videos/{task_id}", headers=mock.headers, timeout=10).json()
    video = requests.get(data["data"]["result"]["video_url"], timeout=10)
    assert video.status_code == 200 and video.content[4:8] == b"ftyp"
    assert int(video.headers["Content-Length"]) == len(video.content)
    bad = requests.post(mock.url + CREATE, data=b"{", headers={**mock.headers, "Content-Type": "application/json"},
                        timeout=10)
    assert bad.status_code == 400 and bad.json()["data"]["error"] == "INVALID_JSON"
    assert requests.delete(mock.url + CREATE, headers=mock.headers, timeout=10).headers["Allow"] == "POST"


def test_inprocess_drop_raises_connection_error(seedance_mock_inprocess: SeedanceMock) -> None:
    mock = seedance_mock_inprocess
    mock.control.inject_fault("drop")
    with pytest.raises(requests.ConnectionError):
        requests.post(mock.url + CREATE, json=BODY, headers=mock.headers, timeout=10)
    mock.control.inject_fault("429", retry_after=2)
    limited = requests.post(mock.url + CREATE, json=BODY, headers=mock.headers, timeout=10)
    assert limited.status_code == 429 and limited.headers["Retry-After"] == "2"


def test_inprocess_blocks_the_network(seedance_mock_inprocess: SeedanceMock) -> None:
    # Anything that is neither the in-process emulator nor loopback fails at once: no test reaches the network.
    with pytest.raises(requests.ConnectionError):
        requests.get("https://www.jimmyai.cn/api/open-api/v1/videos/vid_x", timeout=2)


def test_inprocess_lets_loopback_through(seedance_mock_inprocess: SeedanceMock, seedance_mock: SeedanceMock) -> None:
    # Loopback URLs (here: the live emulator) are not intercepted.
    answer = requests.post(seedance_mock.url + CREATE, json=BODY, headers=seedance_mock.headers, timeout=10)
    assert answer.status_code == 200


@pytest.mark.parametrize("fixture", ["seedance_mock", "seedance_mock_inprocess"])
def test_fixtures_know_two_tenants_and_refuse_other_tokens(fixture: str, request: pytest.FixtureRequest) -> None:
    mock: SeedanceMock = request.getfixturevalue(fixture)
    task_id = requests.post(mock.url + CREATE, json=BODY, headers=mock.headers, timeout=10).json()["data"]["task_id"]
    path = f"{mock.url}/api/open-api/v1/videos/{task_id}"
    other = requests.get(path, headers={"Authorization": f"Bearer {mock.other_token}"}, timeout=10)
    assert other.status_code == 404 and other.json()["data"]["error"] == "TASK_NOT_FOUND"
    unknown = requests.get(path, headers={"Authorization": "Bearer sk_unknown"}, timeout=10)
    assert unknown.status_code == 401 and unknown.json()["data"]["error"] == "UNAUTHORIZED"
