"""The agreement property for the async client too, and both clients' identical outcomes on the same bodies.

`async_client_rules` is what AsyncSeedanceClient itself does with a body (its create_video, answered by a stub
transport when it sends), not the shared validation function called directly.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import responses
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from client import AsyncSeedanceClient, SeedanceClient, SeedanceError, ValidationError
from client.validation import validate_body
from contracts.agreement import run_agreement
from contracts.strategies import BodyStrategies
from contracts.verdicts import WsgiServer
from mockserver import create_app
from mockserver.inprocess_httpx import AsyncInProcessTransport
from mockserver.testing import INPROCESS_URL, inprocess_mock
from tests.contracts.helpers import EMULATOR
from tests.loops import LoopThread

ACCEPTED = {"code": "20000", "msg": "ok", "data": {"task_id": "vid_stub", "status": "queued", "model": "m",
                                                   "created_at": 0}}
BODIES = 1000


class AsyncClientCheck:
    """The async client's verdict on a body: the rule ids of its pre-flight ValidationError, or [] if it sent."""

    def __init__(self) -> None:
        self.runner = LoopThread()
        self.sent = 0

        def answer(request: httpx.Request) -> httpx.Response:
            self.sent += 1
            return httpx.Response(200, json=ACCEPTED)

        self.client = AsyncSeedanceClient("sk_test", "http://stub.test", transport=httpx.MockTransport(answer))

    def __call__(self, body: object) -> list[str]:
        if not isinstance(body, dict):
            return self._judge_raw(body)
        try:
            self.runner.run(self.client.create_video(extra=body))
        except ValidationError as error:
            return list(error.rules)
        return []

    def _judge_raw(self, body: object) -> list[str]:
        # create_video takes fields; a body that is not an object goes through the same pre-flight function.
        return [v.rule for v in validate_body(body)]

    def close(self) -> None:
        self.runner.run(self.client.close())
        self.runner.close()


@pytest.fixture
def async_check() -> Iterator[AsyncClientCheck]:
    check = AsyncClientCheck()
    yield check
    check.close()


@pytest.mark.slow
def test_the_async_client_and_the_emulator_agree_on_every_rule(body_strategies: BodyStrategies,
                                                               async_check: AsyncClientCheck) -> None:
    report = run_agreement(async_check, WsgiServer(create_app(EMULATOR)), body_strategies, examples=12, seed=3)
    assert report.ok, report.summary(body_strategies.breakable_rules)
    assert all(report.exercised[r] for r in body_strategies.breakable_rules)
    assert async_check.sent > 0  # valid bodies really went through the async client's sending path


def outcome(call: Any) -> tuple[Any, ...]:
    """What a create ended in: the task (without its clock-dependent time) or the error's class, rules, status."""
    try:
        task = call()
    except SeedanceError as error:
        return (type(error).__name__, getattr(error, "rules", ()), error.status, error.error_id)
    return ("task", task.task_id, task.status, task.model, task.video_url)


@pytest.mark.slow
def test_both_clients_end_the_same_on_1000_generated_bodies(body_strategies: BodyStrategies) -> None:
    config = {**EMULATOR, "SEED": 0}
    sync_app, async_app = create_app(config), create_app(config)
    judged: list[tuple[Any, ...]] = []
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock, LoopThread() as runner:
        inprocess_mock(sync_app, mock)
        sync = SeedanceClient("sk_test", INPROCESS_URL, max_retries=0)
        coro = AsyncSeedanceClient("sk_test", INPROCESS_URL, max_retries=0,
                                   transport=AsyncInProcessTransport(async_app))

        @settings(database=None, deadline=None, max_examples=BODIES, derandomize=True,
                  suppress_health_check=list(HealthCheck))
        @given(body=body_strategies.any_body().filter(lambda b: isinstance(b, dict)), validate=st.booleans())
        def same_outcome(body: dict[str, Any], validate: bool) -> None:
            mine = outcome(lambda: sync.create_video(extra=body, validate=validate))
            theirs = outcome(lambda: runner.run(coro.create_video(extra=body, validate=validate)))
            assert mine == theirs, body
            judged.append(mine)

        same_outcome()
        runner.run(coro.close())
    assert len(judged) >= BODIES
    kinds = {o[0] for o in judged}
    assert {"task", "ValidationError"} <= kinds, kinds
    assert sum(o[0] == "ValidationError" and o[2] == 400 for o in judged) > 50  # the server judged many too
