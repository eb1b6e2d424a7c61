"""The error handling of both clients, each against the live and the in-process emulator (4 runs per test):
429 with retry, 5xx, a dropped connection, a failed task, an expired result, validation; and their surface."""

from __future__ import annotations

import inspect
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from client import (
    APIConnectionError,
    AsyncSeedanceClient,
    AuthenticationError,
    NotFoundError,
    RateLimitError,
    ResultExpiredError,
    SeedanceClient,
    ServerError,
    TaskFailedError,
    ValidationError,
    WaitTimeout,
)
from tests.client.both import Factory, Sleeps, client_factory
from tests.loops import LoopThread

STD = "seedance2.0-std"
CREATE_PATH = "/api/open-api/v1/seedance/videos"


@pytest.fixture(params=["live", "inprocess"])
def emulator(request: pytest.FixtureRequest) -> Any:
    """The live emulator, then the in-process one."""
    return request.getfixturevalue("seedance_mock" if request.param == "live" else "seedance_mock_inprocess")


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture(params=["sync", "async"])
def make(request: pytest.FixtureRequest, emulator: Any, runner: LoopThread, sleeps: Sleeps) -> Factory:
    """Makes the sync, then the async client for the emulator."""
    return client_factory(request.param, emulator, runner, sleeps)


@pytest.fixture
def api(make: Factory) -> Iterator[Any]:
    with make(timeout=10.0) as instance:
        yield instance


def creates(emulator: Any) -> list[dict[str, Any]]:
    """The create requests the emulator saw."""
    return [e for e in emulator.control.journal() if e["method"] == "POST" and e["path"] == CREATE_PATH]


def advance(emulator: Any, seconds: float = 30.0) -> Any:
    """An on_update callback that moves the emulator's clock forward after each poll."""
    return lambda task: emulator.control.advance(seconds)


def test_create_wait_download(api: Any, emulator: Any, tmp_path: Path) -> None:
    task = api.create_video(model=STD, prompt="A red fox", duration=6)
    assert task.status == "queued" and api.get_task(task.task_id).task_id == task.task_id
    done = api.wait(task, timeout=60, poll_interval=0, on_update=advance(emulator, 20))
    assert done.status == "completed" and done.video_url
    path = api.download(done, tmp_path)
    assert path == tmp_path / f"{task.task_id}.mp4" and path.read_bytes()[4:8] == b"ftyp"
    with pytest.raises(FileExistsError):
        api.download(task.task_id, tmp_path)
    assert api.download(task.task_id, tmp_path, overwrite=True) == path
    assert [p.name for p in tmp_path.iterdir()] == [path.name]


def test_generate(api: Any, tmp_path: Path) -> None:
    path = api.generate(model="seedance2.0-sp", prompt="a cat [[seedance-mock: complete]]", duration=4,
                        resolution="480p", output=tmp_path / "cat.mp4", poll_interval=0)
    assert path.read_bytes()[4:8] == b"ftyp"


def test_preflight_validation_sends_nothing(api: Any, emulator: Any) -> None:
    with pytest.raises(ValidationError) as info:
        api.create_video(model=STD, prompt="x", duration=16)
    assert info.value.rules == ("STD_DURATION_RANGE",) and info.value.status is None
    assert creates(emulator) == []


def test_server_validation_error_carries_rules(api: Any) -> None:
    with pytest.raises(ValidationError) as info:
        api.create_video(model=STD, prompt=" ", duration=3, validate=False)
    assert info.value.status == 400 and set(info.value.rules) == {"PROMPT_NOT_BLANK", "STD_DURATION_RANGE"}


def test_authentication_and_not_found(make: Factory) -> None:
    with make("sk_unknown_key") as stranger, pytest.raises(AuthenticationError) as refused:
        stranger.get_task("vid_x")
    assert refused.value.status == 401
    with make() as api, pytest.raises(NotFoundError) as info:
        api.get_task("vid_does_not_exist")
    assert info.value.error_id == "TASK_NOT_FOUND"
    with make("") as keyless, pytest.raises(AuthenticationError, match="no API key"):
        keyless.get_task("vid_x")


def test_failed_task(api: Any, emulator: Any) -> None:
    task = api.create_video(model=STD, prompt="doomed", duration=5)
    emulator.control.fail_task(task.task_id, reason="content policy", at="processing")
    with pytest.raises(TaskFailedError) as info:
        api.wait(task, timeout=60, poll_interval=0, on_update=advance(emulator))
    assert info.value.task.error is not None and "content policy" in info.value.task.error.message


def test_wait_timeout(api: Any) -> None:
    task = api.create_video(model=STD, prompt="slow", duration=5)
    with pytest.raises(WaitTimeout) as info:
        api.wait(task.task_id, timeout=0, poll_interval=0)
    assert info.value.task.task_id == task.task_id


def test_expired_result(api: Any, emulator: Any, tmp_path: Path) -> None:
    done = api.wait(api.create_video(model=STD, prompt="gone [[seedance-mock: complete]]", duration=5),
                    timeout=10, poll_interval=0)
    emulator.control.advance(259_200 + 60)
    with pytest.raises(ResultExpiredError) as info:
        api.download(done, tmp_path / "late.mp4")
    assert info.value.status == 410 and list(tmp_path.iterdir()) == []


def test_429_is_retried_after_retry_after_then_raised(api: Any, emulator: Any, sleeps: Sleeps) -> None:
    task = api.create_video(model=STD, prompt="x", duration=5)
    emulator.control.inject_fault("429", count=10, operation="get", retry_after=2)
    with pytest.raises(RateLimitError) as info:
        api.get_task(task.task_id)
    assert info.value.retry_after == 2.0 and sleeps == [2.0, 2.0, 2.0]


def test_create_429_is_retried_once_without_duplicates(api: Any, emulator: Any, sleeps: Sleeps) -> None:
    emulator.control.inject_fault("429", count=1, operation="create", retry_after=1)
    assert api.create_video(model=STD, prompt="x", duration=5).status == "queued"
    assert sleeps == [1.0] and [e["status"] for e in creates(emulator)] == [429, 200]


@pytest.mark.parametrize("kind", ["500", "503"])
def test_create_5xx_is_not_retried(api: Any, emulator: Any, kind: str) -> None:
    emulator.control.inject_fault(kind, count=5, operation="create")
    with pytest.raises(ServerError) as info:
        api.create_video(model=STD, prompt="x", duration=5)
    assert info.value.status == int(kind) and len(creates(emulator)) == 1


def test_get_503_is_retried(api: Any, emulator: Any, sleeps: Sleeps) -> None:
    task = api.create_video(model=STD, prompt="x", duration=5)
    emulator.control.inject_fault("503", count=1, operation="get", retry_after=3)
    assert api.get_task(task.task_id).task_id == task.task_id and sleeps == [3.0]


def test_dropped_create_is_not_retried(api: Any, emulator: Any) -> None:
    emulator.control.inject_fault("drop", count=5, operation="create")
    with pytest.raises(APIConnectionError, match=r"^POST \S+/seedance/videos: "):
        api.create_video(model=STD, prompt="x", duration=5)
    assert len(creates(emulator)) == 1


def test_dropped_get_is_retried_and_logged(api: Any, emulator: Any, sleeps: Sleeps,
                                           caplog: pytest.LogCaptureFixture) -> None:
    task = api.create_video(model=STD, prompt="x", duration=5)
    emulator.control.inject_fault("drop", count=1, operation="get")
    with caplog.at_level(logging.INFO, logger="client"):
        assert api.get_task(task.task_id).task_id == task.task_id
    assert sleeps == [0.5]
    (line,) = [r.getMessage() for r in caplog.records if r.name == "client"]
    assert line.startswith(f"retrying GET {emulator.url}/api/open-api/v1/videos/{task.task_id} in 0.50 s after ")
    assert line.endswith("(retry 1 of 3)")


def public_methods(cls: type) -> dict[str, inspect.Signature]:
    return {name: inspect.signature(member) for name, member in vars(cls).items()
            if callable(member) and not name.startswith("_")}


def test_both_clients_have_the_same_public_surface() -> None:
    sync, coro = public_methods(SeedanceClient), public_methods(AsyncSeedanceClient)
    assert sync.keys() == coro.keys() == {"close", "create_video", "get_task", "wait", "download", "generate"}
    for name in sync:
        assert list(sync[name].parameters) == list(coro[name].parameters), name
        assert inspect.iscoroutinefunction(getattr(AsyncSeedanceClient, name)), name
        for param in sync[name].parameters.values():
            other = coro[name].parameters[param.name]
            assert (param.kind, param.default) == (other.kind, other.default), (name, param.name)
    shared = ["api_key", "base_url", "timeout", "max_retries", "validate", "retry_policy", "sleep", "clock"]
    for cls in (SeedanceClient, AsyncSeedanceClient):
        assert all(p in inspect.signature(cls).parameters for p in shared)
    assert [p for p in inspect.signature(AsyncSeedanceClient).parameters if p not in shared] == [
        "transport", "http_client", "limits"]
    assert [p for p in inspect.signature(SeedanceClient).parameters if p not in shared] == ["session"]
