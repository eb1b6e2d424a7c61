"""Several processes sharing one store (SQLite and Redis): two `seedance-mock` processes on different ports,
and one `--workers 3`. Whatever one instance is told, every instance does, and nothing is counted twice."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from mockserver.control_client import ControlClient
from tests.mockserver.conftest import CREATE, get_path, std_body
from tests.mockserver.hostile.processes import Emulator, running

# Several emulator processes: in the quick loop's "not slow" set they would dominate it; CI runs them.
pytestmark = pytest.mark.slow

MODES = ("two-processes", "workers-3")


@pytest.fixture(params=MODES)
def pair(request: pytest.FixtureRequest, shared_store_spec: str) -> Iterator[tuple[str, str]]:
    """Two base URLs that share one store: two processes, or one `--workers 3` process (the same URL twice:
    its connections land on whichever worker accepts them)."""
    common = ["--store", shared_store_spec, "--seed", "11", "--quiet"]
    if request.param == "two-processes":
        with running([*common, "--instance", "a"]) as a, running([*common, "--instance", "b"]) as b:
            yield a.url, b.url
    else:
        emulator: Emulator
        with running([*common, "--workers", "3"]) as emulator:
            yield emulator.url, emulator.url


def _token() -> dict[str, str]:
    return {"Authorization": f"Bearer sk_{uuid.uuid4().hex[:10]}"}


def _create(url: str, auth: dict[str, str]) -> requests.Response:
    # a new connection per request, so that --workers spreads them over its processes
    return requests.post(url + CREATE, json=std_body(), headers={**auth, "Connection": "close"}, timeout=30)


def test_control_state_is_shared(pair: tuple[str, str]) -> None:
    a, b = pair
    ca, cb = ControlClient(a), ControlClient(b)
    ca.reset()

    # fault counts are exact across instances
    ca.inject_fault("503", count=20, operation="create")
    auth = _token()
    statuses = [_create((a, b)[i % 2], auth).status_code for i in range(50)]
    assert statuses.count(503) == 20 and statuses.count(200) == 30

    # a limit counts the requests of both instances
    cb.set_limits(rate_per_minute=10)
    auth = _token()
    statuses = [_create((a, b)[i % 2], auth).status_code for i in range(20)]
    assert statuses.count(200) == 10 and statuses.count(429) == 10
    ca.set_limits()

    # the journal holds every request once
    cb.clear_journal()
    auth = _token()
    made = [_create((a, b)[i % 2], auth) for i in range(30)]
    assert all(r.status_code == 200 for r in made)
    for control in (ca, cb):
        entries = [e for e in control.journal() if e["path"] == CREATE]
        assert len(entries) == 30 and len({e["seq"] for e in entries}) == 30
        assert {e["task_id"] for e in entries} == {r.json()["data"]["task_id"] for r in made}
        assert len({e["instance"] for e in entries}) > 1  # several processes really served them

    # a task created on one is completed / failed through the other's control API
    done, failed = (_create(a, auth).json()["data"]["task_id"] for _ in range(2))
    cb.complete_task(done)
    cb.fail_task(failed, reason="broken", at="queue")
    assert requests.get(a + get_path(done), headers=auth, timeout=10).json()["data"]["status"] == "completed"

    # the clock is seen by both: the failure takes effect once the queue time has passed
    before = ca.now()
    cb.advance(3600)
    assert ca.now() >= before + 3600
    assert requests.get(a + get_path(failed), headers=auth, timeout=10).json()["data"]["status"] == "failed"

    # and so is a reset
    cb.reset()
    assert requests.get(a + get_path(done), headers=auth, timeout=10).status_code == 404
    assert [e["status"] for e in ca.journal()] == [404]  # only the GET just made


@pytest.mark.slow
def test_concurrent_creates_on_both_give_distinct_ids_readable_from_the_other(pair: tuple[str, str]) -> None:
    a, b = pair
    ControlClient(a).reset()
    auth = _token()

    def create_many(url: str) -> list[str]:
        session = requests.Session()
        ids = []
        for _ in range(50):
            answer = session.post(url + CREATE, json=std_body(), headers=auth, timeout=30)
            assert answer.status_code == 200, answer.text
            ids.append(answer.json()["data"]["task_id"])
        return ids

    with ThreadPoolExecutor(max_workers=20) as pool:
        on_a = [i for ids in pool.map(create_many, [a] * 10) for i in ids]
        on_b = [i for ids in pool.map(create_many, [b] * 10) for i in ids]
    assert len(on_a) == len(on_b) == 500 and len(set(on_a) | set(on_b)) == 1000

    def read_all(args: tuple[str, list[str]]) -> int:
        url, ids = args
        session = requests.Session()
        return sum(session.get(url + get_path(i), headers=auth, timeout=30).status_code == 200 for i in ids)

    chunks = [(b, on_a[i::10]) for i in range(10)] + [(a, on_b[i::10]) for i in range(10)]
    with ThreadPoolExecutor(max_workers=20) as pool:
        assert sum(pool.map(read_all, chunks)) == 1000
