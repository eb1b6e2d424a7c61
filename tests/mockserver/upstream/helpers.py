"""What the upstream tests share: a "real service that differs" (an emulator run from a modified copy of the
spec, on loopback), a proxy in front of it, a clock both share, and bodies."""

from __future__ import annotations

import copy
import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any

import yaml
from flask import Flask
from flask.testing import FlaskClient

from mockserver import create_app
from mockserver.server import EmbeddedServer
from mockserver.spec.loader import load_spec, spec_path
from mockserver.upstream.proxy import Proxy
from mockserver.web.shared import EXTENSION
from mockserver.web.upstream_views import PROXY_KEY
from tests.mockserver.conftest import CREATE, START, std_body
from tests.mockserver.conftest import FakeClock as Clock
from tests.mockserver.conftest import get_path as query

__all__ = ["CREATE", "START", "Clock", "query", "std_body"]  # the shared test helpers, re-exported here

TOKEN = "sk_upstream_secret_token_123"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


def planted_spec(tmp_path: Path, name: str, change: Callable[[dict[str, Any]], None]) -> Path:
    """A copy of openapi.yaml with `change` applied (the planted difference), written under tmp_path."""
    spec = copy.deepcopy(load_spec(spec_path()))
    change(spec)
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(spec, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def schemas(spec: dict[str, Any]) -> dict[str, Any]:
    """components/schemas of a spec."""
    found: dict[str, Any] = spec["components"]["schemas"]
    return found


@contextmanager
def proxied(clock: Clock, upstream_config: dict[str, Any] | None = None, proxy_config: dict[str, Any] | None = None,
            running: EmbeddedServer | None = None) -> Iterator[tuple[FlaskClient, Flask, EmbeddedServer]]:
    """(test client of a proxy app, the app, the upstream server): the upstream accepts only TOKEN. With
    `running`, that upstream (on `clock`) is used instead of a new one (stopping one costs a second)."""
    up_cfg = {"SEED": 3, "CLOCK": clock, "API_KEYS": [TOKEN], **(upstream_config or {})}
    with nullcontext(running) if running is not None else EmbeddedServer(up_cfg) as upstream:
        app = create_app({"CLOCK": clock, "UPSTREAM": upstream.url, **(proxy_config or {})})
        try:
            yield app.test_client(), app, upstream
        finally:
            proxy_of(app).forwarder.close()
            app.extensions[EXTENSION].backend.close()
            settle(upstream)


@contextmanager
def shared_upstream() -> Iterator[tuple[EmbeddedServer, Clock]]:
    """One default upstream and its clock, for a module's tests (reset between tests by `fresh`)."""
    clock = Clock()
    with EmbeddedServer({"SEED": 3, "CLOCK": clock, "API_KEYS": [TOKEN]}) as upstream:
        yield upstream, clock


def fresh(upstream: EmbeddedServer) -> EmbeddedServer:
    """`upstream` with every task, fault and journal entry forgotten."""
    upstream.app.extensions[EXTENSION].reset()
    return upstream


def settle(server: EmbeddedServer, timeout: float = 1.0) -> None:
    """Wait until `server` has seen the proxy's pooled connections close (its listener and trigger stay):
    stopping it with a channel still open costs a second and a waitress traceback."""
    deadline = time.monotonic() + timeout
    inner = getattr(server, "_server", None)
    while inner is not None and len(inner._map) > 2 and time.monotonic() < deadline:
        time.sleep(0.01)


def proxy_of(app: Flask) -> Proxy:
    """The app's proxy."""
    found: Proxy = app.extensions[PROXY_KEY]
    return found


def fidelity(http: FlaskClient) -> dict[str, Any]:
    """GET /_mock/fidelity's data."""
    answer = http.get("/_mock/fidelity")
    assert answer.status_code == 200, answer.get_data(as_text=True)
    data: dict[str, Any] = answer.get_json()["data"]
    return data


def mismatch_keys(data: dict[str, Any]) -> set[str]:
    """`rule:X` / `path:P` of every mismatch in a fidelity report."""
    return {f"rule:{m['rule']}" if m.get("rule") else f"path:{m['path']}" for m in data["mismatches"]}


def verdicts(data: dict[str, Any]) -> dict[str, str]:
    """assumption id -> verdict."""
    return {a["id"]: a["verdict"] for a in data["assumptions"]}


def events(path: Path) -> list[dict[str, Any]]:
    """The JSON lines of a recording."""
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def run_task(http: FlaskClient, clock: Clock, body: dict[str, Any], step: float, polls: int) -> list[str]:
    """Create through `http`, then poll every `step` seconds (fake clock) `polls` times: the statuses seen."""
    created = http.post(CREATE, json=body, headers=AUTH)
    assert created.status_code == 200, created.get_data(as_text=True)
    task_id = created.get_json()["data"]["task_id"]
    seen = [created.get_json()["data"]["status"]]
    for _ in range(polls):
        clock.advance(step)
        answer = http.get(query(task_id), headers=AUTH)
        assert answer.status_code == 200
        seen.append(answer.get_json()["data"]["status"])
    return seen
