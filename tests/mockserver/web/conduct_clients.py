"""Small clients, plain `requests`, each misbehaving in exactly one way (BAD) or doing the same job well (GOOD).

Each takes (base_url, token, control) and talks to a live emulator; the test reads the conduct findings."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import requests

from mockserver.control_client import ControlClient

CREATE = "/api/open-api/v1/seedance/videos"
BODY = {"model": "seedance2.0-std", "prompt": "a lighthouse at dusk", "duration": 5}
POLL = 0.25  # the tests read the ledger with poll_threshold=0.2: polling every 0.25 s is fine, 0.02 s is not
Client = Callable[[str, str, ControlClient], None]


def _auth(token: str, **more: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", **more}


def _create(url: str, token: str, body: Any = None, **headers: str) -> requests.Response:
    return requests.post(url + CREATE, json=BODY if body is None else body, headers=_auth(token, **headers), timeout=30)


def _get(url: str, token: str, task_id: str) -> requests.Response:
    return requests.get(f"{url}/api/open-api/v1/videos/{task_id}", headers=_auth(token), timeout=30)


def _finished_task(url: str, token: str) -> dict[str, Any]:
    task_id = _create(url, token, **{"X-Seedance-Mock": "complete"}).json()["data"]["task_id"]
    return dict(_get(url, token, task_id).json()["data"])


# -- retry-after-ignored -------------------------------------------------------------------------------
def retries_at_once(url: str, token: str, control: ControlClient) -> None:
    control.inject_fault("429", operation="create", retry_after=1)
    assert _create(url, token).status_code == 429
    _create(url, token)  # straight away


def retries_after_waiting(url: str, token: str, control: ControlClient) -> None:
    control.inject_fault("429", operation="create", retry_after=1)
    answer = _create(url, token)
    time.sleep(float(answer.headers["Retry-After"]) + 0.05)
    assert _create(url, token).status_code == 200


# -- create-repeated-after-error -----------------------------------------------------------------------
def resends_create_after_500(url: str, token: str, control: ControlClient) -> None:
    control.inject_fault("500", operation="create")
    assert _create(url, token).status_code == 500
    _create(url, token)


def reports_create_500(url: str, token: str, control: ControlClient) -> None:
    control.inject_fault("500", operation="create")
    assert _create(url, token).status_code == 500  # surfaced to the caller; nothing resent


# -- poll-too-fast -------------------------------------------------------------------------------------
def polls_back_to_back(url: str, token: str, control: ControlClient) -> None:
    task_id = _create(url, token).json()["data"]["task_id"]
    for _ in range(4):
        _get(url, token, task_id)
        time.sleep(0.02)


def polls_calmly(url: str, token: str, control: ControlClient) -> None:
    task_id = _create(url, token).json()["data"]["task_id"]
    for _ in range(3):
        _get(url, token, task_id)
        time.sleep(POLL)


# -- polled-after-finished -----------------------------------------------------------------------------
def keeps_polling_a_finished_task(url: str, token: str, control: ControlClient) -> None:
    task = _finished_task(url, token)
    for _ in range(2):  # one more read is tolerated (a fresh result URL), the second is not
        time.sleep(POLL)
        _get(url, token, task["task_id"])
    requests.get(task["result"]["video_url"], timeout=30)


def stops_at_the_finish(url: str, token: str, control: ControlClient) -> None:
    task = _finished_task(url, token)
    time.sleep(POLL)
    task = dict(_get(url, token, task["task_id"]).json()["data"])  # one fresh read, e.g. download(task_id)
    requests.get(task["result"]["video_url"], timeout=30)


# -- result-not-downloaded -----------------------------------------------------------------------------
def never_downloads(url: str, token: str, control: ControlClient) -> None:
    _finished_task(url, token)


def downloads_the_result(url: str, token: str, control: ControlClient) -> None:
    task = _finished_task(url, token)
    assert requests.get(task["result"]["video_url"], timeout=30).status_code == 200


# -- invalid-after-rejection ---------------------------------------------------------------------------
def resends_a_rejected_body(url: str, token: str, control: ControlClient) -> None:
    bad = {**BODY, "duration": 99}
    assert _create(url, token, bad).status_code == 400
    _create(url, token, bad)


def fixes_a_rejected_body(url: str, token: str, control: ControlClient) -> None:
    bad = {**BODY, "duration": 99}
    assert _create(url, token, bad).status_code == 400
    assert _create(url, token, {**bad, "duration": 5}).status_code == 200


BAD: dict[str, Client] = {
    "retry-after-ignored": retries_at_once,
    "create-repeated-after-error": resends_create_after_500,
    "poll-too-fast": polls_back_to_back,
    "polled-after-finished": keeps_polling_a_finished_task,
    "result-not-downloaded": never_downloads,
    "invalid-after-rejection": resends_a_rejected_body,
}
GOOD: dict[str, Client] = {
    "retry-after-ignored": retries_after_waiting,
    "create-repeated-after-error": reports_create_500,
    "poll-too-fast": polls_calmly,
    "polled-after-finished": stops_at_the_finish,
    "result-not-downloaded": downloads_the_result,
    "invalid-after-rejection": fixes_a_rejected_body,
}
