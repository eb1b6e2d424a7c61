"""Transport faults driven with ``responses``: timeouts, resets, truncated and non-JSON bodies, retries.

The retry loop lives in ``client.transport`` (not in urllib3's ``Retry``) precisely so that these tests,
which replace ``HTTPAdapter.send``, exercise the real policy. ``sleep`` is injected: no test waits.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import requests
import responses
from urllib3.exceptions import MaxRetryError, NewConnectionError, ProtocolError

from client import (
    APIConnectionError,
    RateLimitError,
    RetryPolicy,
    SeedanceClient,
    ServerError,
)
from client.transport import Transport, is_connect_failure

BASE = "http://api.test"
CREATE = BASE + "/api/open-api/v1/seedance/videos"
QUERY = BASE + "/api/open-api/v1/videos/vid_1"
STD = "seedance2.0-std"
TASK = {"task_id": "vid_1", "status": "queued", "model": STD, "created_at": 1_700_000_000}
OK = {"code": "20000", "msg": "ok", "data": TASK}


def connect_refused() -> requests.exceptions.ConnectionError:
    """What requests raises when the TCP connection cannot be opened (the request never left)."""
    reason = NewConnectionError(None, "Failed to establish a new connection: [Errno 111] refused")  # type: ignore[arg-type]
    return requests.exceptions.ConnectionError(MaxRetryError(None, CREATE, reason))  # type: ignore[arg-type]


def connection_reset() -> requests.exceptions.ConnectionError:
    """What requests raises when the server resets the connection after the request was sent."""
    return requests.exceptions.ConnectionError(
        ProtocolError("Connection aborted.", ConnectionResetError(104, "Connection reset by peer")))


class Sleeps(list[float]):
    """Records the waits the client asks for instead of sleeping."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def api(sleeps: Sleeps) -> Iterator[SeedanceClient]:
    with SeedanceClient("sk_test", BASE, sleep=sleeps, timeout=(2.0, 7.0)) as instance:
        yield instance


@pytest.fixture
def mocked() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


def create(api: SeedanceClient) -> Any:
    return api.create_video(model=STD, prompt="a fox", duration=5)


def test_every_request_carries_the_timeout(api: SeedanceClient, mocked: responses.RequestsMock) -> None:
    mocked.add(responses.POST, CREATE, json=OK)
    mocked.add(responses.GET, QUERY, json=OK)
    create(api)
    api.get_task("vid_1")
    # (connect, time left of the total deadline): 2 s to connect, the rest of 7 s for everything
    for call in mocked.calls:
        connect, read = call.request.req_kwargs["timeout"]
        assert connect == 2.0 and 6.5 < read <= 7.0


def test_get_read_timeout_is_retried(api: SeedanceClient, mocked: responses.RequestsMock, sleeps: Sleeps) -> None:
    mocked.add(responses.GET, QUERY, body=requests.exceptions.ReadTimeout("read timed out"))
    mocked.add(responses.GET, QUERY, json=OK)
    assert api.get_task("vid_1").task_id == "vid_1"
    assert len(mocked.calls) == 2
    assert sleeps == [0.5]


def test_get_connection_reset_is_retried(api: SeedanceClient, mocked: responses.RequestsMock) -> None:
    mocked.add(responses.GET, QUERY, body=connection_reset())
    mocked.add(responses.GET, QUERY, json=OK)
    assert api.get_task("vid_1").status == "queued"
    assert len(mocked.calls) == 2


def test_get_truncated_body_is_retried(api: SeedanceClient, mocked: responses.RequestsMock) -> None:
    mocked.add(responses.GET, QUERY, body=b'{"code": "20000", "da', headers={"Content-Length": "400"})
    mocked.add(responses.GET, QUERY, json=OK)
    assert api.get_task("vid_1").task_id == "vid_1"
    assert len(mocked.calls) == 2


def test_get_gives_up_after_max_retries(api: SeedanceClient, mocked: responses.RequestsMock,
                                        sleeps: Sleeps) -> None:
    mocked.add(responses.GET, QUERY, body=requests.exceptions.ReadTimeout("read timed out"))
    with pytest.raises(APIConnectionError, match="read timed out"):
        api.get_task("vid_1")
    assert len(mocked.calls) == 4
    assert sleeps == [0.5, 1.0, 2.0]


def test_backoff_is_capped(mocked: responses.RequestsMock, sleeps: Sleeps) -> None:
    api = SeedanceClient("sk_test", BASE, sleep=sleeps,
                         retry_policy=RetryPolicy(max_retries=6, backoff_factor=1.0, backoff_max=5.0))
    mocked.add(responses.GET, QUERY, body=connection_reset())
    with pytest.raises(APIConnectionError, match="connection failed"):
        api.get_task("vid_1")
    assert sleeps == [1.0, 2.0, 4.0, 5.0, 5.0, 5.0]


def test_503_then_success_honours_retry_after(api: SeedanceClient, mocked: responses.RequestsMock,
                                              sleeps: Sleeps) -> None:
    mocked.add(responses.GET, QUERY, status=503, headers={"Retry-After": "3"},
               json={"code": "50300", "msg": "unavailable", "data": {"error": "SERVICE_UNAVAILABLE"}})
    mocked.add(responses.GET, QUERY, json=OK)
    assert api.get_task("vid_1").task_id == "vid_1"
    assert sleeps == [3.0]


@pytest.mark.parametrize("status", [429, 502, 503, 504])
def test_get_retried_on_each_retryable_status(api: SeedanceClient, mocked: responses.RequestsMock,
                                              status: int) -> None:
    mocked.add(responses.GET, QUERY, status=status, body="busy")
    mocked.add(responses.GET, QUERY, json=OK)
    api.get_task("vid_1")
    assert len(mocked.calls) == 2


def test_get_not_retried_on_500(api: SeedanceClient, mocked: responses.RequestsMock) -> None:
    mocked.add(responses.GET, QUERY, status=500, json={"code": "50000", "msg": "boom",
                                                      "data": {"error": "INTERNAL_ERROR"}})
    with pytest.raises(ServerError) as info:
        api.get_task("vid_1")
    assert info.value.status == 500 and info.value.error_id == "INTERNAL_ERROR"
    assert len(mocked.calls) == 1


def test_non_json_502_gives_server_error_with_snippet(api: SeedanceClient, mocked: responses.RequestsMock) -> None:
    page = "<html><body><h1>502 Bad Gateway</h1></body></html>"
    mocked.add(responses.GET, QUERY, status=502, body=page, content_type="text/html")
    with pytest.raises(ServerError) as info:
        api.get_task("vid_1")
    assert info.value.status == 502
    assert info.value.body == page
    assert "Bad Gateway" in str(info.value)
    assert len(mocked.calls) == 4  # the retries were spent first


def test_non_json_502_on_create_is_not_retried(api: SeedanceClient, mocked: responses.RequestsMock) -> None:
    mocked.add(responses.POST, CREATE, status=502, body="<html>bad gateway</html>")
    with pytest.raises(ServerError) as info:
        create(api)
    assert info.value.status == 502 and "bad gateway" in (info.value.body or "")
    assert len(mocked.calls) == 1


def test_truncated_create_gives_typed_error_with_status(api: SeedanceClient,
                                                        mocked: responses.RequestsMock) -> None:
    mocked.add(responses.POST, CREATE, body=b'{"code": "20000", "data": {"task_', headers={"Content-Length": "999"})
    with pytest.raises(APIConnectionError, match="cut short") as info:
        create(api)
    assert info.value.status == 200
    assert len(mocked.calls) == 1  # the task may exist: never retried


def test_complete_but_invalid_json_success_gives_server_error(api: SeedanceClient,
                                                              mocked: responses.RequestsMock) -> None:
    mocked.add(responses.GET, QUERY, body='{"code": "20000", "data": {"task_id": ')
    with pytest.raises(ServerError, match="not valid JSON") as info:
        api.get_task("vid_1")
    assert info.value.status == 200 and info.value.body is not None and info.value.body.startswith('{"code"')


@pytest.mark.parametrize(("status", "body"), [
    (500, {"code": "50000", "msg": "boom", "data": {"error": "INTERNAL_ERROR"}}),
    (502, {"code": "50200", "msg": "bad gateway", "data": {"error": "BAD_GATEWAY"}}),
    (503, {"code": "50300", "msg": "unavailable", "data": {"error": "SERVICE_UNAVAILABLE", "retry_after": 1}}),
    (504, "gateway timeout"),
])
def test_create_is_not_retried_on_5xx(api: SeedanceClient, mocked: responses.RequestsMock, status: int,
                                      body: Any) -> None:
    mocked.add(responses.POST, CREATE, status=status, body=json.dumps(body) if isinstance(body, dict) else body)
    with pytest.raises(ServerError) as info:
        create(api)
    assert info.value.status == status
    assert len(mocked.calls) == 1


@pytest.mark.parametrize("fault", [requests.exceptions.ReadTimeout("read timed out"), connection_reset()],
                         ids=["read-timeout", "reset-after-send"])
def test_create_is_not_retried_when_the_request_may_have_arrived(api: SeedanceClient,
                                                                 mocked: responses.RequestsMock,
                                                                 fault: Exception) -> None:
    mocked.add(responses.POST, CREATE, body=fault)
    mocked.add(responses.POST, CREATE, json=OK)
    with pytest.raises(APIConnectionError, match=r"^POST \S+: (read timed out|connection failed) "):
        create(api)
    assert len(mocked.calls) == 1


@pytest.mark.parametrize("fault", [connect_refused(), requests.exceptions.ConnectTimeout("connect timed out")],
                         ids=["refused", "connect-timeout"])
def test_create_is_retried_when_it_never_reached_the_server(api: SeedanceClient,
                                                            mocked: responses.RequestsMock,
                                                            fault: Exception) -> None:
    mocked.add(responses.POST, CREATE, body=fault)
    mocked.add(responses.POST, CREATE, json=OK)
    assert create(api).task_id == "vid_1"
    assert len(mocked.calls) == 2


def test_create_429_with_retry_after_is_retried(api: SeedanceClient, mocked: responses.RequestsMock,
                                                sleeps: Sleeps) -> None:
    mocked.add(responses.POST, CREATE, status=429, headers={"Retry-After": "2"},
               json={"code": "42900", "msg": "slow down", "data": {"error": "RATE_LIMITED", "retry_after": 2}})
    mocked.add(responses.POST, CREATE, json=OK)
    assert create(api).task_id == "vid_1"
    assert sleeps == [2.0]


def test_429_retry_after_from_body_when_no_header(api: SeedanceClient, mocked: responses.RequestsMock,
                                                  sleeps: Sleeps) -> None:
    mocked.add(responses.POST, CREATE, status=429,
               json={"code": "42900", "msg": "busy", "data": {"error": "TOO_MANY_TASKS", "retry_after": 4}})
    mocked.add(responses.POST, CREATE, json=OK)
    create(api)
    assert sleeps == [4.0]


def test_persistent_429_raises_rate_limit_error(api: SeedanceClient, mocked: responses.RequestsMock) -> None:
    mocked.add(responses.POST, CREATE, status=429, headers={"Retry-After": "1"},
               json={"code": "42900", "msg": "slow down", "data": {"error": "RATE_LIMITED"}})
    with pytest.raises(RateLimitError) as info:
        create(api)
    assert info.value.retry_after == 1.0 and info.value.error_id == "RATE_LIMITED"
    assert len(mocked.calls) == 4


def test_retry_after_longer_than_we_wait_raises_at_once(api: SeedanceClient, mocked: responses.RequestsMock,
                                                        sleeps: Sleeps) -> None:
    mocked.add(responses.GET, QUERY, status=429, headers={"Retry-After": "3600"}, body="")
    with pytest.raises(RateLimitError) as info:
        api.get_task("vid_1")
    assert info.value.retry_after == 3600.0
    assert sleeps == [] and len(mocked.calls) == 1


def test_get_connection_refused_everywhere_raises_connection_error(api: SeedanceClient,
                                                                   mocked: responses.RequestsMock) -> None:
    mocked.add(responses.GET, QUERY, body=connect_refused())
    with pytest.raises(APIConnectionError, match=r"^cannot connect to http://api.test \(connection refused\): "):
        api.get_task("vid_1")


def test_max_retries_zero_disables_retries(mocked: responses.RequestsMock, sleeps: Sleeps) -> None:
    api = SeedanceClient("sk_test", BASE, max_retries=0, sleep=sleeps)
    mocked.add(responses.GET, QUERY, status=503, body="")
    with pytest.raises(ServerError, match=r"^HTTP 503: empty answer$"):
        api.get_task("vid_1")
    assert len(mocked.calls) == 1 and sleeps == []


def test_own_session_has_urllib3_retries_switched_off() -> None:
    transport = Transport()
    for prefix in ("http://", "https://"):
        adapter = transport.session.get_adapter(prefix + "example.com")
        assert isinstance(adapter, requests.adapters.HTTPAdapter)
        assert adapter.max_retries.total == 0


def test_a_given_session_is_used_as_is(mocked: responses.RequestsMock) -> None:
    session = requests.Session()
    session.headers["X-Trace"] = "abc"
    mocked.add(responses.GET, QUERY, json=OK)
    SeedanceClient("sk_test", BASE, session=session).get_task("vid_1")
    assert mocked.calls[0].request.headers["X-Trace"] == "abc"


def test_connect_failure_classification() -> None:
    assert is_connect_failure(connect_refused())
    assert is_connect_failure(requests.exceptions.ConnectTimeout("x"))
    assert not is_connect_failure(connection_reset())
    assert not is_connect_failure(requests.exceptions.ReadTimeout("x"))
    assert not is_connect_failure(requests.exceptions.ConnectionError("no reason"))


def test_real_closed_port_is_a_connect_failure_and_create_retries_it(sleeps: Sleeps) -> None:
    # A loopback port nobody listens on: a genuine refused connection, no mocking.
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    api = SeedanceClient("sk_test", f"http://127.0.0.1:{port}", sleep=sleeps, max_retries=2, timeout=2.0)
    with pytest.raises(APIConnectionError, match=r"^cannot connect to http://127.0.0.1:\d+ \(connection refused\): "
                       r"is the emulator running\?$"):
        create(api)
    assert sleeps == [0.5, 1.0]
