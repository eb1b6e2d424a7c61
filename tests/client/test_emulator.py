"""The client against the emulator, live (loopback socket) and in-process: every method, every error class.

Time never really passes: the emulator's clock is moved through its control API, and the client's
``sleep`` is a recorder, so retries after ``Retry-After`` cost nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from client import (
    APIConnectionError,
    AuthenticationError,
    NotFoundError,
    RateLimitError,
    ResultExpiredError,
    SeedanceClient,
    ServerError,
    Task,
    TaskFailedError,
    ValidationError,
    WaitTimeout,
    validate_body,
)
from tests.rule_table import ROWS, RuleRow

STD = "seedance2.0-std"
CREATE_PATH = "/api/open-api/v1/seedance/videos"


class Sleeps(list[float]):
    """Records the waits the client asks for instead of sleeping."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture(params=["live", "inprocess"])
def emulator(request: pytest.FixtureRequest) -> Any:
    """The live emulator, then the in-process one: every test here runs against both."""
    return request.getfixturevalue("seedance_mock" if request.param == "live" else "seedance_mock_inprocess")


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def api(emulator: Any, sleeps: Sleeps) -> Iterator[SeedanceClient]:
    with SeedanceClient(emulator.token, emulator.url, sleep=sleeps, timeout=10.0) as instance:
        yield instance


def creates(emulator: Any) -> list[dict[str, Any]]:
    """The create requests the emulator saw."""
    return [e for e in emulator.control.journal() if e["method"] == "POST" and e["path"] == CREATE_PATH]


def advance_on_update(emulator: Any, seconds: float = 30.0) -> Any:
    """An on_update callback that moves the emulator's clock forward after each poll."""
    return lambda task: emulator.control.advance(seconds)


def test_create_get_wait_download(api: SeedanceClient, emulator: Any, tmp_path: Path) -> None:
    task = api.create_video(model=STD, prompt="A red fox runs through fresh snow", duration=6, ratio="21:9",
                            first_image="https://example.com/start.png", last_image="https://example.com/end.png")
    assert task.status == "queued" and task.task_id.startswith("vid_") and task.model == STD
    assert task.created_at > 0
    assert api.get_task(task.task_id).task_id == task.task_id
    seen: list[str] = []

    def progress(snapshot: Task) -> None:
        seen.append(snapshot.status)
        emulator.control.advance(20)

    done = api.wait(task, timeout=60, poll_interval=0, on_update=progress)
    assert done.status == "completed" and done.is_terminal and done.video_url and done.expires_at
    assert seen[-1] == "completed" and seen == sorted(seen, key=["queued", "processing", "completed"].index)
    path = api.download(done, tmp_path)
    assert path == tmp_path / f"{task.task_id}.mp4"
    assert path.read_bytes()[4:8] == b"ftyp"
    assert [p.name for p in tmp_path.iterdir()] == [path.name]


def test_generate(api: SeedanceClient, emulator: Any, tmp_path: Path) -> None:
    path = api.generate(model="seedance2.0-md", prompt="a lighthouse at dusk", duration=3, ratio="1:1",
                        output=tmp_path / "out.mp4", poll_interval=0, on_update=advance_on_update(emulator))
    assert path.stat().st_size > 0 and path.read_bytes()[4:8] == b"ftyp"


def test_generate_with_prompt_marker_completes_at_once(api: SeedanceClient, tmp_path: Path) -> None:
    path = api.generate(model="seedance2.0-sp", prompt="a cat [[seedance-mock: complete]]", duration=4,
                        resolution="480p", output=tmp_path / "cat.mp4", poll_interval=0)
    assert path.read_bytes()[4:8] == b"ftyp"


def test_documented_examples_are_accepted(api: SeedanceClient) -> None:
    api.create_video(model=STD, prompt="city walk", duration=8, ratio="16:9",
                     images=["https://example.com/ref-1.jpg", "https://example.com/ref-2.jpg"])
    api.create_video(model=STD, prompt="product showcase", duration=10, ratio="9:16",
                     reference_videos=["https://example.com/motion.mp4"],
                     reference_audios=["https://example.com/music.mp3"])


def test_preflight_sends_nothing(api: SeedanceClient, emulator: Any) -> None:
    with pytest.raises(ValidationError) as info:
        api.create_video(model=STD, prompt="x", duration=16)
    assert info.value.rules == ("STD_DURATION_RANGE",) and info.value.status is None
    assert creates(emulator) == []


def test_server_validation_error_carries_rules_and_fields(api: SeedanceClient) -> None:
    with pytest.raises(ValidationError) as info:
        api.create_video(model=STD, prompt=" ", duration=3, validate=False)
    assert info.value.status == 400 and info.value.error_id == "VALIDATION_FAILED"
    assert set(info.value.rules) == {"PROMPT_NOT_BLANK", "STD_DURATION_RANGE"}
    assert set(info.value.fields) == {"prompt", "duration"}


@pytest.mark.parametrize("row", [r for r in ROWS if isinstance(r.bad, dict)], ids=lambda row: row.rule)
def test_client_and_emulator_agree_on_the_rule_table(seedance_mock_inprocess: Any, row: RuleRow) -> None:
    api = SeedanceClient(seedance_mock_inprocess.token, seedance_mock_inprocess.url, validate=False)
    with pytest.raises(ValidationError) as info:
        api.create_video(extra=row.bad)
    assert set(info.value.rules) == {v.rule for v in validate_body(row.bad)} == {row.rule}
    assert api.create_video(extra=row.good).status == "queued"


def test_oversized_body_is_rejected(api: SeedanceClient) -> None:
    with pytest.raises(ValidationError) as info:
        api.create_video(model=STD, prompt="x" * 2_000_000, duration=5)
    assert info.value.status == 413 and info.value.error_id == "BODY_TOO_LARGE"


def test_authentication_error(emulator: Any) -> None:
    api = SeedanceClient(emulator.token, emulator.url)
    with pytest.raises(AuthenticationError) as info:
        api.get_task("vid_x", headers={"Authorization": "Basic c2tfdGVzdDo="})
    assert info.value.status == 401 and info.value.error_id == "UNAUTHORIZED"


def test_not_found_and_other_tokens_tasks(api: SeedanceClient, emulator: Any) -> None:
    with pytest.raises(NotFoundError) as info:
        api.get_task("vid_does_not_exist")
    assert info.value.status == 404 and info.value.error_id == "TASK_NOT_FOUND"
    task = api.create_video(model=STD, prompt="mine", duration=5)
    with pytest.raises(NotFoundError) as info:
        SeedanceClient(emulator.other_token, emulator.url).get_task(task.task_id)
    assert info.value.status == 404 and info.value.error_id == "TASK_NOT_FOUND"  # another key's: not found
    with pytest.raises(AuthenticationError) as refused:
        SeedanceClient("sk_unknown_key", emulator.url).get_task(task.task_id)
    assert refused.value.status == 401


def test_task_failed_error(api: SeedanceClient, emulator: Any) -> None:
    task = api.create_video(model=STD, prompt="doomed", duration=5)
    emulator.control.fail_task(task.task_id, reason="content policy", at="processing")
    with pytest.raises(TaskFailedError) as info:
        api.wait(task, timeout=60, poll_interval=0, on_update=advance_on_update(emulator))
    assert info.value.task.status == "failed"
    assert info.value.task.error is not None and "content policy" in info.value.task.error.message


def test_task_failed_by_header_directive(api: SeedanceClient, emulator: Any) -> None:
    task = api.create_video(model=STD, prompt="doomed", duration=5,
                            headers={"X-Seedance-Mock": "fail=no GPU; fail-at=queue"})
    with pytest.raises(TaskFailedError, match="no GPU"):
        api.wait(task, timeout=60, poll_interval=0, on_update=advance_on_update(emulator))


def test_wait_timeout_carries_the_last_snapshot(api: SeedanceClient) -> None:
    task = api.create_video(model=STD, prompt="slow", duration=5)
    with pytest.raises(WaitTimeout) as info:
        api.wait(task.task_id, timeout=0, poll_interval=0)
    assert info.value.task.task_id == task.task_id and not info.value.task.is_terminal


def test_result_expired_error(api: SeedanceClient, emulator: Any, tmp_path: Path) -> None:
    task = api.create_video(model=STD, prompt="fleeting [[seedance-mock: complete]]", duration=5)
    done = api.wait(task, timeout=10, poll_interval=0)
    emulator.control.advance(259_200 + 60)
    assert done.video_url is not None
    with pytest.raises(ResultExpiredError) as info:
        api.download(done.video_url, tmp_path / "late.mp4")
    assert info.value.status == 410 and info.value.error_id == "RESULT_EXPIRED"
    assert list(tmp_path.iterdir()) == []


def test_rate_limit_retried_then_raised(api: SeedanceClient, emulator: Any, sleeps: Sleeps) -> None:
    task = api.create_video(model=STD, prompt="x", duration=5)
    emulator.control.inject_fault("429", count=10, operation="get", retry_after=2)
    with pytest.raises(RateLimitError) as info:
        api.get_task(task.task_id)
    assert info.value.retry_after == 2.0 and info.value.status == 429
    assert sleeps == [2.0, 2.0, 2.0]


def test_create_429_is_retried_without_duplicates(api: SeedanceClient, emulator: Any, sleeps: Sleeps) -> None:
    emulator.control.inject_fault("429", count=1, operation="create", retry_after=1)
    task = api.create_video(model=STD, prompt="x", duration=5)
    assert task.status == "queued" and sleeps == [1.0]
    assert [e["status"] for e in creates(emulator)] == [429, 200]


def test_too_many_tasks(api: SeedanceClient, emulator: Any) -> None:
    emulator.control.set_limits(max_in_flight=1)
    api.create_video(model=STD, prompt="one", duration=5)
    with pytest.raises(RateLimitError) as info:
        api.create_video(model=STD, prompt="two", duration=5)
    assert info.value.error_id == "TOO_MANY_TASKS" and info.value.retry_after is not None


@pytest.mark.parametrize("kind", ["500", "502", "503"])
def test_create_server_error_is_not_retried(api: SeedanceClient, emulator: Any, kind: str) -> None:
    emulator.control.inject_fault(kind, count=5, operation="create")
    with pytest.raises(ServerError) as info:
        api.create_video(model=STD, prompt="x", duration=5)
    assert info.value.status == int(kind)
    assert len(creates(emulator)) == 1


def test_get_503_then_success(api: SeedanceClient, emulator: Any, sleeps: Sleeps) -> None:
    task = api.create_video(model=STD, prompt="x", duration=5)
    emulator.control.inject_fault("503", count=1, operation="get", retry_after=3)
    assert api.get_task(task.task_id).task_id == task.task_id
    assert sleeps == [3.0]


def test_dropped_create_is_a_connection_error_and_not_retried(api: SeedanceClient, emulator: Any) -> None:
    emulator.control.inject_fault("drop", count=5, operation="create")
    with pytest.raises(APIConnectionError, match=r"^POST \S+/seedance/videos: "):
        api.create_video(model=STD, prompt="x", duration=5)
    assert len(creates(emulator)) == 1


def test_dropped_get_is_retried(api: SeedanceClient, emulator: Any, sleeps: Sleeps) -> None:
    task = api.create_video(model=STD, prompt="x", duration=5)
    emulator.control.inject_fault("drop", count=1, operation="get")
    assert api.get_task(task.task_id).task_id == task.task_id
    assert sleeps == [0.5]
