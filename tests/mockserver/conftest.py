"""Shared fixtures for the emulator's tests: an app on a fake clock and a Flask test client."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from mockserver import create_app
from mockserver.serving.drop import is_dropped
from mockserver.spec.loader import family_models, load_spec
from mockserver.state.backend import Backend, BackendConfig
from mockserver.state.stores import open_store
from mockserver.web.shared import EXTENSION, MockState

CREATE = "/api/open-api/v1/seedance/videos"
TOKEN = "sk_test"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
START = 1_750_000_000.0


class FakeClock:
    """A clock tests move by hand: tasks progress without sleeping."""

    def __init__(self, now: float = START) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def std_body(**fields: Any) -> dict[str, Any]:
    """A valid STD body with `fields` changed."""
    body: dict[str, Any] = {"model": "seedance2.0-std", "prompt": "a cat on a roof", "duration": 8}
    body.update(fields)
    return body


def get_path(task_id: str) -> str:
    """The query path of a task."""
    return f"/api/open-api/v1/videos/{task_id}"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def mock_app(clock: FakeClock) -> Iterator[Flask]:
    app = create_app({"CLOCK": clock, "SEED": 7})
    yield app
    app.extensions[EXTENSION].backend.close()


@pytest.fixture
def http(mock_app: Flask) -> FlaskClient:
    return mock_app.test_client()


@pytest.fixture(scope="module")
def module_http() -> Iterator[FlaskClient]:
    """One app for a whole module whose every answer depends on its request alone (building an app costs
    ~35 ms: a table of rows would pay it per row). Its creates stay far below every default bound."""
    app = create_app({"CLOCK": FakeClock(), "SEED": 7})
    yield app.test_client()
    app.extensions[EXTENSION].backend.close()


@pytest.fixture
def backend(mock_app: Flask) -> Backend:
    state: MockState = mock_app.extensions[EXTENSION]
    return state.backend


def create_task(http: FlaskClient, token: str = TOKEN, **fields: Any) -> str:
    """Create a valid task and return its id."""
    answer = http.post(CREATE, json=std_body(**fields), headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200, answer.get_json()
    task_id: str = answer.get_json()["data"]["task_id"]
    return task_id


def query(http: FlaskClient, task_id: str, token: str = TOKEN) -> dict[str, Any]:
    """Query a task (expects 200) and return its data."""
    answer = http.get(get_path(task_id), headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200, answer.get_json()
    data: dict[str, Any] = answer.get_json()["data"]
    return data


def assert_envelope(answer: Any, status: int, error_id: str) -> dict[str, Any]:
    """The answer is the error envelope with this status and id."""
    assert answer.status_code == status, answer.get_data(as_text=True)
    assert answer.mimetype == "application/json"
    body: dict[str, Any] = answer.get_json()
    assert body["code"] == f"{status * 100}"
    assert isinstance(body["msg"], str) and body["msg"]
    assert body["data"]["error"] == error_id
    assert isinstance(body["data"]["rules"], list)
    assert isinstance(body["data"]["violations"], list)
    return body


FAMILIES = family_models(load_spec())
MakeBackend = Callable[..., Backend]


@pytest.fixture
def make_backend(store_spec: str) -> Iterator[MakeBackend]:
    """Backends over one store of each kind (two calls = two instances sharing it)."""
    made: list[Backend] = []
    memory = open_store("memory")  # instances in one process share one memory store

    def make(clock: FakeClock, **config: object) -> Backend:
        config.setdefault("seed", 1)
        store = memory if store_spec == "memory" else open_store(store_spec)
        backend = Backend(BackendConfig(**config), FAMILIES, store, clock=clock)  # type: ignore[arg-type]
        if not made:
            backend.reset()  # a Redis prefix or SQLite file starts empty anyway; be sure
        made.append(backend)
        return backend

    yield make
    for backend in made:
        backend.close()


def post_raw(http: FlaskClient, data: bytes, content_type: str = "application/json", **headers: str) -> Any:
    """POST raw bytes to the create endpoint with the test token."""
    return http.post(CREATE, data=data, content_type=content_type, headers={**AUTH, **headers})


def control(http: FlaskClient, method: str, path: str, payload: dict[str, Any] | None = None) -> Any:
    """Call the control API through the test client; its `data` (the call must succeed)."""
    answer = http.open(f"/_mock{path}", method=method, json=payload)
    assert answer.status_code == 200, answer.get_json()
    return answer.get_json()["data"]


def dropped(answer: TestResponse) -> bool:
    """Did the app mark this answer's connection to be dropped (each server's way: serving/drop.py)?"""
    return answer.status_code == 500 and is_dropped(answer.headers.items()) and not answer.data


def probe(data: bytes) -> tuple[int, int, float]:
    """(width, height, seconds) of an H.264 MP4 (PyAV, loaded on first use like the emulator does)."""
    import av

    with av.open(io.BytesIO(data)) as container:
        stream = container.streams.video[0]
        assert stream.codec_context.name == "h264"
        return stream.codec_context.width, stream.codec_context.height, container.duration / 1_000_000
