"""Round trips per request per store, counted (issue 19 item 1): on Redis, the commands the emulator's
processes send while answering HTTP requests one after the other (MONITOR, without the commands scripts
run: redis_count.py); on SQLite, the statements a request runs outside a transaction plus its transactions
(counted in-process with SQLite's trace hook: the code the server runs); memory makes none. Journal batches and
eviction sweeps are included: they are part of the cost per request (a journal batch every BATCH requests
on SQLite; every 20 ms on Redis, i.e. ~1 per 10-20 requests of this one-at-a-time client: more than under
load, so the Redis figures are an upper bound)."""

from __future__ import annotations

import http.client
import json
import sqlite3
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from redis_count import CommandCounter
from wrk_runner import BODY, CREATE_PATH, QUERY_PATH, TOKEN

from mockserver.state.journal_writer import BATCH

OPERATIONS = ("create", "query, first read", "query, again", "rejected create")
BAD_BODY = {"model": "seedance2.0-std"}  # no prompt: 400
HEADERS = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}


def _http_workload(send: Callable[[str, str, dict[str, Any] | None], tuple[int, bytes]], count: int,
                   mark: Callable[[], float]) -> dict[str, float]:
    """Run `count` requests of each operation through `send`; `mark()` -> round trips since the last mark."""
    per_request: dict[str, float] = {}
    ids = []
    mark()
    for _ in range(count):
        status, data = send("POST", CREATE_PATH, BODY)
        if status != 200:
            raise RuntimeError(f"create answered {status}")
        ids.append(json.loads(data)["data"]["task_id"])
    per_request["create"] = mark() / count
    for name in ("query, first read", "query, again"):
        for task_id in ids:
            if send("GET", QUERY_PATH + task_id, None)[0] != 200:
                raise RuntimeError("query failed")
        per_request[name] = mark() / count
    for _ in range(count):
        if send("POST", CREATE_PATH, BAD_BODY)[0] != 400:
            raise RuntimeError("a bad body was not rejected")
    per_request["rejected create"] = mark() / count
    return per_request


def redis_round_trips(port: int, redis_url: str, count: int) -> dict[str, float]:
    """Commands sent to Redis per request by the server on `port` (one keep-alive connection, so one worker
    of a multi-process server answers them all and its cache is the one that serves repeated queries)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)

    def send(method: str, path: str, body: dict[str, Any] | None) -> tuple[int, bytes]:
        conn.request(method, path, body=None if body is None else json.dumps(body), headers=HEADERS)
        answer = conn.getresponse()
        return answer.status, answer.read()

    counter = CommandCounter(redis_url)
    try:
        # A journal batch is due every 20 ms: waiting for it at the end of each operation bills it there.
        def mark() -> float:
            time.sleep(0.1)
            return float(counter.mark())

        return _http_workload(send, count, mark)
    finally:
        counter.close()
        conn.close()


def sqlite_round_trips(count: int) -> dict[str, float]:
    """SQL statements per request, in-process (the test client answers on this thread, on its connection)."""
    from mockserver import create_app

    with tempfile.TemporaryDirectory(prefix="seedance-rt-") as name:
        app = create_app({"STORE": f"sqlite:{Path(name) / 'rt.db'}"})
        client = app.test_client()
        backend = app.extensions["seedance_mock"].backend
        statements: list[str] = []
        conn: sqlite3.Connection = backend.store._conn()
        conn.set_trace_callback(statements.append)

        sent = [0]

        def send(method: str, path: str, body: dict[str, Any] | None) -> tuple[int, bytes]:
            answer = client.open(path, method=method, json=body, headers={"Authorization": HEADERS["Authorization"]})
            sent[0] += 1
            if sent[0] % BATCH == 0:  # a full batch, written here so that its statements are counted
                backend._journal.flush()
            return answer.status_code, answer.get_data()

        direct = backend.store._direct  # a create's INSERT, out of the trace hook's sight (sqlite_direct.py)
        runs = [0 if direct is None else direct.runs]

        def mark() -> float:
            # One unit per statement outside a transaction, one per BEGIN ... COMMIT (a journal batch),
            # one per statement run directly.
            done = 0 if direct is None else direct.runs
            units, inside, runs[0] = done - runs[0], False, done
            for statement in statements:
                if statement.startswith("BEGIN"):
                    units, inside = units + 1, True
                elif statement.startswith(("COMMIT", "ROLLBACK")):
                    inside = False
                elif not inside:
                    units += 1
            statements.clear()
            return float(units)

        try:
            send("POST", CREATE_PATH, BODY)  # the first request reads the control document and the secret
            mark()
            return _http_workload(send, count, mark)
        finally:
            backend.close()


def round_trip_table(found: dict[str, dict[str, float]]) -> list[str]:
    """Markdown: round trips per request, per store and operation."""
    lines = ["| store: round trips per request | " + " | ".join(OPERATIONS) + " |",
             "|---|" + "--:|" * len(OPERATIONS)]
    for store, values in found.items():
        lines.append(f"| {store} | " + " | ".join(f"{values.get(op, 0.0):.2f}" for op in OPERATIONS) + " |")
    return lines
