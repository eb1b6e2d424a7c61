"""Round trips per request, counted (not timed): on Redis, the commands clients sent as MONITOR shows them
(commands a script ran are marked `lua` and not counted; bench/redis_count.py); on SQLite, the statements a
request ran. The journal is written in batches, not per request (a batch is counted apart)."""

from __future__ import annotations

import importlib.util
import sqlite3
import uuid
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest
from flask import Flask
from flask.testing import FlaskClient

from mockserver import create_app
from mockserver.state import journal_writer
from mockserver.state.queries import TaskFilter
from mockserver.web.shared import EXTENSION
from tests.mockserver.conftest import AUTH, CREATE, get_path, std_body


def _bench_module(name: str) -> ModuleType:
    """A script module of bench/ (not a package), loaded by path."""
    path = Path(__file__).resolve().parents[3] / "bench" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"bench_{name}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


CommandCounter = _bench_module("redis_count").CommandCounter

REQUESTS = 40


@pytest.fixture(autouse=True)
def journal_written_only_when_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    """No timed journal batch during a count (the batch is counted apart)."""
    monkeypatch.setattr(journal_writer, "FLUSH_SECONDS", 3600.0)
    monkeypatch.setattr(journal_writer, "BATCH", 10_000)


def workload(http: FlaskClient) -> Iterator[tuple[str, int]]:
    """(operation, requests) after running each of them REQUESTS times."""
    ids = [http.post(CREATE, json=std_body(), headers=AUTH).get_json()["data"]["task_id"] for _ in range(REQUESTS)]
    yield "create", REQUESTS
    for task_id in ids:
        assert http.get(get_path(task_id), headers=AUTH).status_code == 200
    yield "query", REQUESTS
    for _ in range(REQUESTS):
        assert http.post(CREATE, json={"model": "seedance2.0-std"}, headers=AUTH).status_code == 400
    yield "rejected create", REQUESTS


def warm(app: Flask) -> FlaskClient:
    http = app.test_client()
    first = http.post(CREATE, json=std_body(), headers=AUTH).get_json()["data"]["task_id"]
    http.get(get_path(first), headers=AUTH)
    app.extensions[EXTENSION].backend._journal.flush()
    return http


def test_redis_one_command_per_create_query_and_rejected_create(redis_server: str) -> None:
    app = create_app({"STORE": f"{redis_server}?prefix=rt{uuid.uuid4().hex[:8]}"})
    http = warm(app)
    counter = CommandCounter(redis_server)
    per_request = {operation: counter.mark() / count for operation, count in workload(http)}
    # A first query of a task reads it (one GET); then it is in this instance's cache.
    assert per_request == {"create": 1.0, "query": 1.0, "rejected create": 0.0}
    task_id = app.extensions[EXTENSION].backend.find_tasks(TaskFilter(), 1)[0].task_id
    counter.mark()
    http.get(get_path(task_id), headers=AUTH)
    assert counter.mark() == 0
    app.extensions[EXTENSION].backend._journal.flush()
    assert counter.mark() == 1  # a batch of journal entries is one script
    counter.close()


def test_redis_the_task_bound_counts_without_a_command_of_its_own(redis_server: str) -> None:
    # The bound counts the store every 64 creates: the count comes with the insert's answer. What remains
    # beyond one command per create is the eviction sweep every 64 writes.
    app = create_app({"STORE": f"{redis_server}?prefix=rt{uuid.uuid4().hex[:8]}"})
    http = warm(app)
    for _ in range(63):  # to the first sweep, which also connects and loads its script once
        assert http.post(CREATE, json=std_body(), headers=AUTH).status_code == 200
    counter = CommandCounter(redis_server)
    for _ in range(192):
        assert http.post(CREATE, json=std_body(), headers=AUTH).status_code == 200
    assert counter.mark() == 192 + 3, counter.last[-10:]
    counter.close()


def test_sqlite_one_statement_per_create_query_and_rejected_create(tmp_path: Path) -> None:
    app = create_app({"STORE": f"sqlite:{tmp_path / 'rt.db'}"})
    http = warm(app)
    statements: list[str] = []
    store = app.extensions[EXTENSION].backend.store
    conn: sqlite3.Connection = store._conn()  # the test client serves on this thread: its connection
    conn.set_trace_callback(statements.append)
    direct = store._direct  # a create's INSERT runs there, out of the trace hook's sight (sqlite_direct.py)
    assert direct is not None
    per_request, runs = {}, direct.runs
    for operation, count in workload(http):
        per_request[operation] = (len(statements) + direct.runs - runs) / count
        statements.clear()
        runs = direct.runs
    assert per_request == {"create": 1.0, "query": 1.0, "rejected create": 0.0}
