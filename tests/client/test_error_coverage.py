"""The client against the outcomes its other tests do not meet: rules judged on facts outside the body
(declared media, audited assets), a slow answer within and past the timeout, a task gone after its retention.
And the acceptance check: the client suite meets every catalogue item but the few it cannot send, each with
its reason (measured with `pytest --seedance-coverage`)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from client import APIConnectionError, NotFoundError, RetryPolicy, SeedanceClient, ValidationError
from mockserver.spec.loader import external_rules, load_spec, spec_path
from tests.conftest import default_catalogue

REPO = Path(__file__).resolve().parents[2]
FIELDS = {"model": "seedance2.0-std", "prompt": "A heron over a misty lake", "duration": 5}
# What this client never sends, by construction: the suite cannot meet these items through it.
CLIENT_CANNOT_SEND = {
    "rule:BODY_OBJECT": "create_video always sends a JSON object",
    "error:INVALID_JSON": "the client encodes every body with json.dumps",
    "error:UNSUPPORTED_MEDIA_TYPE": "the client always sends Content-Type: application/json",
    "error:NOT_FOUND": "the client builds the two API paths itself: no other route is ever requested",
    "error:METHOD_NOT_ALLOWED": "the client sends only POST (create) and GET (query, download)",
}
# Named from the spec at collection (cheap); the catalogue (a ~1.5 s build) is built when a test first needs it.
EXTERNAL = sorted(f"rule:{rule_id}" for rule_id in external_rules(dict(load_spec(spec_path()))))


def test_the_rules_provoked_through_the_control_api_are_the_external_ones() -> None:
    assert sorted(item.id for item in default_catalogue()
                  if item.kind == "rule" and any(step["call"] == "control" for step in item.steps)) == EXTERNAL


@pytest.mark.parametrize("item_id", EXTERNAL)
def test_rules_on_facts_outside_the_body_are_raised_with_their_id(seedance_mock_inprocess: Any, item_id: str) -> None:
    item: Any = next(entry for entry in default_catalogue() if entry.id == item_id)
    mock = seedance_mock_inprocess
    for step in item.steps[:-1]:
        getattr(mock.control, step["method"])(**step["args"])
    body = dict(item.steps[-1]["json"])
    api = SeedanceClient(mock.token, mock.url)
    with pytest.raises(ValidationError) as raised:
        api.create_video(**{k: v for k, v in body.items() if k in FIELDS}, extra={
            k: v for k, v in body.items() if k not in FIELDS})
    assert item.id.removeprefix("rule:") in raised.value.rules


def test_a_slow_answer_within_and_past_the_timeout(seedance_mock: Any) -> None:
    api = SeedanceClient(seedance_mock.token, seedance_mock.url, timeout=0.5,
                         retry_policy=RetryPolicy(max_retries=0))
    task = api.create_video(headers={"X-Seedance-Mock": "delay=0.05"}, **FIELDS)
    assert task.status == "queued"
    with pytest.raises(APIConnectionError):
        api.get_task(task.task_id, headers={"X-Seedance-Mock": "delay=0.8"})  # past 0.5 s


def test_a_task_gone_after_its_retention(seedance_mock_inprocess: Any) -> None:
    mock = seedance_mock_inprocess
    api = SeedanceClient(mock.token, mock.url)
    task = api.create_video(headers={"X-Seedance-Mock": "complete"}, **FIELDS)
    mock.control.advance(259_201)
    with pytest.raises(NotFoundError) as raised:
        api.get_task(task.task_id)
    assert raised.value.status == 404


@pytest.mark.slow
def test_the_client_suite_meets_the_catalogue_but_what_it_cannot_send(tmp_path: Path) -> None:
    report = tmp_path / "coverage.json"
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "tests/client", "-q", "-p", "no:randomly", "-m", "not slow", "-n", "2",
         f"--seedance-coverage={report}"], cwd=REPO, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stdout[-3000:]
    document = json.loads(report.read_text(encoding="utf-8"))
    unmet = {row["id"] for row in document["items"] if not row["met"]}
    assert unmet == set(CLIENT_CANNOT_SEND)
