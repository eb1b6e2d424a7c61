"""Every error class, from the one status table and from envelopes, including odd answers."""

from __future__ import annotations

import email.utils
import re
import time
from collections.abc import Iterator

import pytest
import responses

from client import (
    APIConnectionError,
    AuthenticationError,
    NotFoundError,
    RateLimitError,
    ResultExpiredError,
    SeedanceClient,
    SeedanceError,
    ServerError,
    TaskFailedError,
    ValidationError,
    WaitTimeout,
)
from client.errors import STATUS_ERRORS, error_class, error_from_response, parse_retry_after, retry_after_of
from client.models import Task, TaskError

BASE = "http://api.test"
QUERY = BASE + "/api/open-api/v1/videos/vid_1"


def envelope(status: int, error: str, **data: object) -> dict[str, object]:
    return {"code": str(status * 100), "msg": f"{error} happened", "data": {"error": error, **data}}


@pytest.mark.parametrize(("status", "cls"), [
    (400, ValidationError), (401, AuthenticationError), (403, AuthenticationError), (404, NotFoundError),
    (405, SeedanceError), (410, ResultExpiredError), (413, ValidationError), (415, ValidationError),
    (429, RateLimitError), (500, ServerError), (502, ServerError), (503, ServerError), (504, ServerError),
    (507, ServerError), (418, SeedanceError),
])
def test_status_table(status: int, cls: type[SeedanceError]) -> None:
    assert error_class(status) is cls
    error = error_from_response(status, b"")
    assert type(error) is cls and error.status == status


def test_every_class_is_a_seedance_error() -> None:
    for cls in {*STATUS_ERRORS.values(), APIConnectionError, TaskFailedError, WaitTimeout}:
        assert issubclass(cls, SeedanceError)
    assert issubclass(ResultExpiredError, NotFoundError)
    assert issubclass(WaitTimeout, TimeoutError)


def test_validation_error_parses_rules_and_violations() -> None:
    raw = b'{"code": "40000", "msg": "rejected", "data": {"error": "VALIDATION_FAILED", "rules": ' \
          b'["STD_DURATION_RANGE", "PROMPT_NOT_BLANK"], "violations": [{"rule": "STD_DURATION_RANGE", ' \
          b'"field": "duration", "message": "4..15"}, {"rule": "PROMPT_NOT_BLANK", "field": "prompt", ' \
          b'"message": "blank"}, "junk"]}}'
    error = error_from_response(400, raw)
    assert isinstance(error, ValidationError)
    assert error.rules == ("STD_DURATION_RANGE", "PROMPT_NOT_BLANK")
    assert error.fields == ("duration", "prompt")
    assert [v.rule for v in error.violations] == ["STD_DURATION_RANGE", "PROMPT_NOT_BLANK"]
    assert error.code == "40000" and error.error_id == "VALIDATION_FAILED" and error.message == "rejected"


def test_invalid_json_400_is_a_validation_error_without_rules() -> None:
    error = error_from_response(400, b'{"code": "40000", "msg": "bad json", "data": {"error": "INVALID_JSON"}}')
    assert isinstance(error, ValidationError) and error.rules == () and error.error_id == "INVALID_JSON"


@pytest.mark.parametrize("raw", [b"<html>oops</html>", b"\xff\xfe\x00", b'{"code": "5', b"[1, 2]", b""])
def test_unparseable_error_bodies_still_give_typed_errors(raw: bytes) -> None:
    error = error_from_response(503, raw, {"retry-after": "7"})
    assert isinstance(error, ServerError) and error.status == 503 and error.retry_after == 7.0
    assert error.body is not None and len(error.body) <= 301


def test_long_bodies_are_snipped() -> None:
    error = error_from_response(500, b"x" * 10_000)
    assert error.body is not None and len(error.body) == 301


def test_rate_limit_retry_after_header_wins_over_body() -> None:
    raw = b'{"code": "42900", "msg": "slow", "data": {"error": "TOO_MANY_TASKS", "retry_after": 9}}'
    error = error_from_response(429, raw, {"Retry-After": "2"})
    assert isinstance(error, RateLimitError) and error.retry_after == 2.0
    error = error_from_response(429, raw, {})
    assert isinstance(error, RateLimitError) and error.retry_after == 9.0


def test_retry_after_of_reads_the_header_then_the_body() -> None:
    assert retry_after_of({"retry-after": "2"}, {"retry_after": 9}) == 2.0  # any case of the header name
    assert retry_after_of({"Retry-After": "soon"}, {"retry_after": 9}) == 9.0  # unreadable header: the body
    assert retry_after_of({}, {"retry_after": "4"}) == 4.0
    assert retry_after_of({}, None) is None and retry_after_of({}, ["retry_after"]) is None


def test_parse_retry_after_forms() -> None:
    assert parse_retry_after("5") == 5.0
    assert parse_retry_after(" 1.5 ") == 1.5
    assert parse_retry_after(3) == 3.0
    assert parse_retry_after(True) is None
    assert parse_retry_after("-1") is None
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None
    future = email.utils.formatdate(time.time() + 30, usegmt=True)
    seconds = parse_retry_after(future)
    assert seconds is not None and 25 <= seconds <= 31


def test_task_failed_and_wait_timeout_carry_the_task() -> None:
    task = Task("vid_1", "failed", "m", 1, error=TaskError("GENERATION_FAILED", "content policy"))
    failed = TaskFailedError(task)
    assert failed.task is task and "content policy" in str(failed) and failed.code == "GENERATION_FAILED"
    late = WaitTimeout(Task("vid_2", "processing", "m", 1), 30)
    assert late.task.status == "processing" and "30 s" in str(late)


@pytest.fixture
def mocked() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock() as mock:
        yield mock


@pytest.mark.parametrize(("status", "error_id", "cls"), [
    (401, "UNAUTHORIZED", AuthenticationError), (404, "TASK_NOT_FOUND", NotFoundError),
    (405, "METHOD_NOT_ALLOWED", SeedanceError), (500, "INTERNAL_ERROR", ServerError),
])
def test_client_raises_the_class_for_the_status(mocked: responses.RequestsMock, status: int, error_id: str,
                                                cls: type[SeedanceError]) -> None:
    mocked.add(responses.GET, QUERY, status=status, json=envelope(status, error_id))
    with pytest.raises(cls) as info:
        SeedanceClient("sk_test", BASE).get_task("vid_1")
    assert type(info.value) is cls
    assert info.value.error_id == error_id and info.value.status == status


@pytest.mark.parametrize("code", ["20000", 0, 20000, "0"])
def test_both_success_codes_are_accepted(mocked: responses.RequestsMock, code: object) -> None:
    mocked.add(responses.GET, QUERY, json={"code": code, "msg": "ok", "data": {
        "task_id": "vid_1", "status": "completed", "model": "m", "created_at": 1,
        "result": {"video_url": "https://cdn.test/v.mp4", "expires_at": 9}}})
    task = SeedanceClient("sk_test", BASE).get_task("vid_1")
    assert task.video_url == "https://cdn.test/v.mp4" and task.expires_at == 9 and task.is_terminal


def test_error_code_inside_a_200_maps_through_the_table(mocked: responses.RequestsMock) -> None:
    mocked.add(responses.GET, QUERY, json={"code": "40400", "msg": "no such task", "data": {}})
    with pytest.raises(NotFoundError, match="no such task"):
        SeedanceClient("sk_test", BASE).get_task("vid_1")


@pytest.mark.parametrize(("body", "said"), [
    ({"code": "99", "msg": "?", "data": {}}, "unexpected envelope code '99'"),
    ({"code": True, "msg": "ok", "data": {}}, "unexpected envelope code True"),
    ({"code": "20000", "msg": "ok"}, "answer has no data object"),
    ({"code": "20000", "msg": "ok", "data": {"status": "queued"}}, "malformed task in answer: data lacks a task_id"),
    ([1, 2], "answer is not a JSON object"),
])
def test_malformed_success_answers_give_server_error(mocked: responses.RequestsMock, body: object,
                                                     said: str) -> None:
    mocked.add(responses.GET, QUERY, json=body)
    with pytest.raises(ServerError, match=re.escape(said)):
        SeedanceClient("sk_test", BASE).get_task("vid_1")


def test_missing_api_key_fails_without_a_request(mocked: responses.RequestsMock,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SEEDANCE_API_KEY", raising=False)
    with pytest.raises(AuthenticationError, match="SEEDANCE_API_KEY"):
        SeedanceClient(base_url=BASE).get_task("vid_1")
    assert len(mocked.calls) == 0
