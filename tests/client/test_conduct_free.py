"""The reference client's own flows, in real time against a live emulator, leave no conduct finding in the
coverage ledger: generate, wait, retries after 429 and 503 (Retry-After honoured), a create that failed with a
5xx (raised, never resent), download(task) and download(task_id), an expired result."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

from client import RateLimitError, ResultExpiredError, RetryPolicy, SeedanceClient, ServerError

COMPLETE = {"X-Seedance-Mock": "complete"}
FIELDS = {"model": "seedance2.0-std", "prompt": "A heron takes off over a misty lake", "duration": 5}


def _findings(mock: Any) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = mock.control._call("GET", "/coverage")["conduct"]
    return found


@pytest.fixture
def api(seedance_mock: Any) -> SeedanceClient:
    return SeedanceClient(seedance_mock.token, seedance_mock.url, timeout=10.0)


def test_generate_and_download(seedance_mock: Any, api: SeedanceClient, tmp_path: Path) -> None:
    path = api.generate(output=tmp_path / "heron.mp4", headers=COMPLETE, **FIELDS)
    assert path.stat().st_size > 100
    task = api.create_video(headers=COMPLETE, **FIELDS)
    api.download(task.task_id, tmp_path)  # download(task_id): one query for a fresh URL, then the file
    assert _findings(seedance_mock) == []


@pytest.mark.slow  # waits 1.5 s in real time for the task to finish
def test_wait_polls_calmly_until_done(seedance_mock: Any, api: SeedanceClient, tmp_path: Path) -> None:
    task = api.create_video(**FIELDS)
    finisher = threading.Timer(1.5, seedance_mock.control.complete_task, args=(task.task_id,))
    finisher.start()
    try:
        done = api.wait(task, timeout=30, poll_interval=1.0)
    finally:
        finisher.cancel()
    api.download(done, tmp_path)
    assert _findings(seedance_mock) == []


@pytest.mark.slow  # honours two Retry-After: 1 in real time
def test_retries_wait_for_retry_after(seedance_mock: Any, api: SeedanceClient, tmp_path: Path) -> None:
    seedance_mock.control.inject_fault("429", operation="create", retry_after=1)
    task = api.create_video(headers=COMPLETE, **FIELDS)
    seedance_mock.control.inject_fault("503", operation="get", retry_after=1)
    done = api.wait(task, timeout=30)
    api.download(done, tmp_path)
    assert _findings(seedance_mock) == []


def test_a_failed_create_is_raised_not_resent(seedance_mock: Any, api: SeedanceClient) -> None:
    seedance_mock.control.inject_fault("500", operation="create")
    with pytest.raises(ServerError) as raised:
        api.create_video(**FIELDS)
    assert raised.value.status == 500
    seedance_mock.control.inject_fault("429", operation="create", retry_after=120)  # longer than it waits
    with pytest.raises(RateLimitError):
        api.create_video(**FIELDS)
    assert _findings(seedance_mock) == []


def test_an_expired_result(seedance_mock: Any, api: SeedanceClient, tmp_path: Path) -> None:
    done = api.wait(api.create_video(headers=COMPLETE, **FIELDS), timeout=30)
    api.download(done, tmp_path)
    seedance_mock.control.advance(259_201)
    with pytest.raises(ResultExpiredError):
        api.download(done, tmp_path / "again.mp4")  # the snapshot's URL: no query, a 410
    assert _findings(seedance_mock) == []


def test_a_fast_retry_policy_raises_instead_of_retrying_early(seedance_mock: Any, tmp_path: Path) -> None:
    # What docs/testing-error-handling.md shows: a policy with retry_after_max=0 keeps a test quick without
    # retrying before Retry-After (it raises at once), so the ledger has nothing to blame.
    fast = SeedanceClient(seedance_mock.token, seedance_mock.url,
                          retry_policy=RetryPolicy(max_retries=2, retry_after_max=0.0, backoff_factor=0.0))
    seedance_mock.control.inject_fault("503", operation="get", retry_after=1)
    task = fast.create_video(headers=COMPLETE, **FIELDS)
    with pytest.raises(ServerError):
        fast.get_task(task.task_id)  # Retry-After 1 s is over retry_after_max: raised at once, not retried
    assert _findings(seedance_mock) == []
