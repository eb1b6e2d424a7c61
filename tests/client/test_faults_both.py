"""The same scripted faults for both clients (requests through `responses`, httpx through a MockTransport):
the same retries, waits, errors and number of requests. Nothing waits for real: sleeps are recorded."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
import requests
import responses
from urllib3.exceptions import MaxRetryError, NewConnectionError, ProtocolError

from client import (
    APIConnectionError,
    AsyncSeedanceClient,
    RateLimitError,
    SeedanceClient,
    SeedanceError,
    ServerError,
)
from tests.client.both import Blocking, Sleeps
from tests.loops import LoopThread

BASE = "http://api.test"
CREATE = BASE + "/api/open-api/v1/seedance/videos"
QUERY = BASE + "/api/open-api/v1/videos/vid_1"
OK = {"code": "20000", "msg": "ok", "data": {"task_id": "vid_1", "status": "queued", "model": "m", "created_at": 1}}
Step = tuple[str, Any]  # ("answer", (status, headers, body)) or ("fault", name)


def answer(status: int = 200, body: Any = OK, headers: dict[str, str] | None = None) -> Step:
    return ("answer", (status, headers or {}, body if isinstance(body, str) else json.dumps(body)))


def fault(name: str) -> Step:
    return ("fault", name)


def requests_fault(name: str) -> Exception:
    if name == "refused":
        reason = NewConnectionError(None, "[Errno 111] Connection refused")  # type: ignore[arg-type]
        return requests.exceptions.ConnectionError(MaxRetryError(None, QUERY, reason))  # type: ignore[arg-type]
    if name == "read_timeout":
        return requests.exceptions.ReadTimeout("read timed out")
    return requests.exceptions.ConnectionError(ProtocolError("Connection aborted.", ConnectionResetError(104, "reset")))


class Truncated(httpx.AsyncByteStream):
    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield b'{"code": "20000", "da'
        raise httpx.RemoteProtocolError("peer closed connection without sending complete message body")


def httpx_step(step: Step, request: httpx.Request) -> httpx.Response:
    kind, value = step
    if kind == "answer":
        status, headers, body = value
        return httpx.Response(status, headers=headers, content=body.encode())
    if value == "refused":
        raise httpx.ConnectError("[Errno 111] Connection refused", request=request)
    if value == "read_timeout":
        raise httpx.ReadTimeout("read timed out", request=request)
    if value == "truncated":
        return httpx.Response(200, headers={"Content-Length": "400"}, stream=Truncated())
    raise httpx.RemoteProtocolError("Server disconnected without sending a response.", request=request)


class Scripted:
    """One client of `kind` whose requests get the scripted steps, in order, per URL."""

    def __init__(self, kind: str, script: dict[str, list[Step]], sleeps: Sleeps, runner: LoopThread) -> None:
        self.calls: list[str] = []
        self.kind = kind
        self._mock: responses.RequestsMock | None = None
        if kind == "sync":
            self._mock = responses.RequestsMock(assert_all_requests_are_fired=False)
            self._mock.start()
            for url, steps in script.items():
                for method in ("GET", "POST"):
                    for kind_, value in steps:
                        if kind_ == "answer":
                            status, headers, body = value
                            self._mock.add(method, url, status=status, headers=headers, body=body)
                        elif value == "truncated":
                            self._mock.add(method, url, body=b'{"code": "20000", "da',
                                           headers={"Content-Length": "400"})
                        else:
                            self._mock.add(method, url, body=requests_fault(value))
            self.client: Any = SeedanceClient("sk_test", BASE, sleep=sleeps)
        else:
            queues = {url: list(steps) for url, steps in script.items()}

            def handler(request: httpx.Request) -> httpx.Response:
                self.calls.append(str(request.url))
                steps = queues[str(request.url)]
                return httpx_step(steps.pop(0) if len(steps) > 1 else steps[0], request)

            self.client = Blocking(AsyncSeedanceClient("sk_test", BASE, sleep=sleeps.asleep,
                                                       transport=httpx.MockTransport(handler)), runner)

    @property
    def requests_sent(self) -> int:
        return len(self._mock.calls) if self._mock is not None else len(self.calls)

    def close(self) -> None:
        if self._mock is not None:
            self._mock.stop()
            self._mock.reset()
        self.client.__exit__(None, None, None)


@pytest.fixture(params=["sync", "async"])
def scripted(request: pytest.FixtureRequest, runner: LoopThread) -> Iterator[Any]:
    made: list[Scripted] = []

    def make(script: dict[str, list[Step]]) -> tuple[Scripted, Sleeps]:
        sleeps = Sleeps()
        made.append(Scripted(request.param, script, sleeps, runner))
        return made[-1], sleeps

    yield make
    for one in made:
        one.close()


def run(client: Any, what: str) -> Any:
    if what == "create":
        return client.create_video(model="seedance2.0-std", prompt="a fox", duration=5)
    return client.get_task("vid_1")


CASES: list[tuple[str, str, list[Step], type[SeedanceError] | None, int, list[float]]] = [
    # (id, operation, script, error or None, requests sent, sleeps)
    ("get-read-timeout-retried", "get", [fault("read_timeout"), answer()], None, 2, [0.5]),
    ("get-reset-retried", "get", [fault("reset"), answer()], None, 2, [0.5]),
    ("get-truncated-retried", "get", [fault("truncated"), answer()], None, 2, [0.5]),
    ("get-gives-up", "get", [fault("read_timeout")], APIConnectionError, 4, [0.5, 1.0, 2.0]),
    ("get-503-retry-after", "get", [answer(503, {"code": "50300", "msg": "x", "data": {}}, {"Retry-After": "3"}),
                                    answer()], None, 2, [3.0]),
    ("get-500-not-retried", "get", [answer(500, {"code": "50000", "msg": "boom", "data": {}})], ServerError, 1, []),
    ("get-html-502-spent", "get", [answer(502, "<html>bad gateway</html>")], ServerError, 4, [0.5, 1.0, 2.0]),
    ("get-retry-after-too-long", "get", [answer(429, "", {"Retry-After": "3600"})], RateLimitError, 1, []),
    ("create-refused-retried", "create", [fault("refused"), answer()], None, 2, [0.5]),
    ("create-read-timeout-not-retried", "create", [fault("read_timeout"), answer()], APIConnectionError, 1, []),
    ("create-reset-not-retried", "create", [fault("reset"), answer()], APIConnectionError, 1, []),
    ("create-truncated-not-retried", "create", [fault("truncated"), answer()], APIConnectionError, 1, []),
    ("create-503-not-retried", "create", [answer(503, {"code": "50300", "msg": "x", "data": {}})], ServerError, 1, []),
    ("create-429-body-retry-after", "create", [answer(429, {"code": "42900", "msg": "busy",
                                                            "data": {"retry_after": 4}}), answer()], None, 2, [4.0]),
    ("create-persistent-429", "create", [answer(429, {"code": "42900", "msg": "x", "data": {}}, {"Retry-After": "1"})],
     RateLimitError, 4, [1.0, 1.0, 1.0]),
    ("invalid-json-success", "get", [answer(200, '{"code": "20000", "data": {"task_id": ')], ServerError, 1, []),
]


@pytest.mark.parametrize(("operation", "script", "error", "sent", "waits"), [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_the_same_fault_ends_the_same_for_both_clients(scripted: Any, operation: str, script: list[Step],
                                                       error: type[SeedanceError] | None, sent: int,
                                                       waits: list[float]) -> None:
    one, sleeps = scripted({CREATE if operation == "create" else QUERY: script})
    if error is None:
        assert run(one.client, operation).task_id == "vid_1"
    else:
        with pytest.raises(error) as info:
            run(one.client, operation)
        assert type(info.value) is error
    assert one.requests_sent == sent and sleeps == waits


def test_both_clients_follow_a_redirect(scripted: Any) -> None:
    moved = BASE + "/moved/vid_1"
    one, _ = scripted({QUERY: [answer(302, "", {"Location": moved})], moved: [answer()]})
    assert one.client.get_task("vid_1").task_id == "vid_1"
    assert one.requests_sent == 2
