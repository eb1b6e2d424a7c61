"""--record writes each task's lifecycle (no credentials); --replay plays it back by elapsed virtual time, at
any poll interval and speed; --timings-from feeds the simulation; a recording the current spec rejects is
flagged, not replayed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from mockserver import create_app
from mockserver.web.shared import EXTENSION
from tests.mockserver.upstream.helpers import (
    AUTH,
    CREATE,
    TOKEN,
    Clock,
    events,
    fidelity,
    planted_spec,
    proxied,
    query,
    run_task,
    schemas,
    std_body,
)

STEP = 2.0  # the recording's poll interval (seconds)
POLLS = 40


def record_one(tmp_path: Path, body: dict[str, Any], fail: bool = False) -> tuple[Path, list[str], str]:
    """Record one task through the proxy (fake clock, a poll every STEP seconds): (file, statuses, secret)."""
    clock = Clock()
    path = tmp_path / "rec.jsonl"
    with proxied(clock, proxy_config={"RECORD": str(path)}) as (http, _app, upstream):
        if fail:
            created = http.post(CREATE, json=body, headers=AUTH).get_json()["data"]["task_id"]
            upstream.app.test_client().post(f"/_mock/tasks/{created}/fail", json={"reason": "no GPU left"})
            seen = ["queued"]
            for _ in range(POLLS):
                clock.advance(STEP)
                seen.append(http.get(query(created), headers=AUTH).get_json()["data"]["status"])
        else:
            seen = run_task(http, clock, body, STEP, POLLS)
        secret = upstream.app.extensions[EXTENSION].backend.secret().hex()
        # download the result, so that the recording has its size
        last = http.get(query(events(path)[0]["task"]), headers=AUTH).get_json()["data"]
        if last["status"] == "completed":
            assert http.get(last["result"]["video_url"].split("localhost", 1)[1]).status_code == 200
    return path, seen, secret


Recorded = tuple[Path, list[str], str]


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> Recorded:
    """One STD task recorded over POLLS polls (shared by the tests that only read it)."""
    return record_one(tmp_path_factory.mktemp("recording"), std_body())


def recorded_step(seen: list[str], elapsed: float) -> str:
    """The recorded status at `elapsed` seconds after create: the last observation made by then."""
    return seen[min(len(seen) - 1, int(elapsed // STEP + 1e-9))]


def dedup(statuses: list[str]) -> list[str]:
    """Consecutive repeats removed."""
    return [s for i, s in enumerate(statuses) if i == 0 or statuses[i - 1] != s]


def replay_app(clock: Clock, config: dict[str, Any]) -> tuple[Flask, FlaskClient]:
    """An emulator replaying recordings on a fake clock."""
    app = create_app({"CLOCK": clock, "SEED": 11, **config})
    return app, app.test_client()


def test_a_recording_holds_the_lifecycle_and_no_credential(recorded: Recorded) -> None:
    path, seen, secret = recorded
    text = path.read_text(encoding="utf-8")
    assert TOKEN not in text and secret not in text and "sig=" not in text and "Bearer" not in text
    kinds = [e["kind"] for e in events(path)]
    assert kinds[0] == "create" and kinds.count("poll") == POLLS + 1 and "final" in kinds and kinds[-1] == "result"
    polls = [e for e in events(path) if e["kind"] == "poll"]
    assert [p["task_status"] for p in polls[:POLLS]] == seen[1:]
    assert [p["since"] for p in polls[:3]] == [STEP, 2 * STEP, 3 * STEP]
    final = next(e for e in events(path) if e["kind"] == "final")
    assert final["task_status"] == "completed" and "?redacted" in final["answer"]["data"]["result"]["video_url"]
    result = events(path)[-1]
    assert result["bytes"] > 1000 and (result["width"], result["height"]) == (1280, 720)


@pytest.mark.parametrize("speed", [1.0, 2.0])
@pytest.mark.parametrize("factor", [0.1, 1.0, 10.0])
def test_replay_shows_the_recorded_sequence_at_any_poll_interval_and_speed(
        recorded: Recorded, speed: float, factor: float) -> None:
    path, seen, _ = recorded
    assert dedup(seen) == ["queued", "processing", "completed"]
    first_processing = seen.index("processing") * STEP
    finished = seen.index("completed") * STEP
    # Preconditions of the 10x case: each phase outlasts a poll interval (speed 2: in virtual time too).
    assert first_processing <= 10 * STEP < finished and finished > 2 * 10 * STEP
    clock = Clock()
    app, http = replay_app(clock, {"REPLAY": [str(path)], "SPEED": speed})
    # Keys in another order and the default ratio spelled out: the same recorded body.
    created = http.post(CREATE, json={"duration": 8, "ratio": "16:9", **std_body()}, headers=AUTH)
    task_id = created.get_json()["data"]["task_id"]
    interval = STEP * factor
    statuses, elapsed, start = ["queued"], 0.0, clock.now
    for n in range(1, 10_000):
        elapsed = n * interval + 1e-6  # just after each tick: no float ties with a recorded boundary
        if (n - 1) * interval * speed > POLLS * STEP:
            break  # one poll past the recording's end (it shows the last recorded status)
        clock.now = start + elapsed
        status = http.get(query(task_id), headers=AUTH).get_json()["data"]["status"]
        assert status == recorded_step(seen, elapsed * speed), (elapsed, status)
        statuses.append(status)
    assert dedup(statuses) == dedup(seen)
    assert fidelity(http)["replay"]["replayed"] == 1
    app.extensions[EXTENSION].backend.close()


def test_a_failed_task_replays_its_error(tmp_path: Path) -> None:
    path, seen, _ = record_one(tmp_path, std_body(), fail=True)
    assert seen[-1] == "failed"
    clock = Clock()
    _app, http = replay_app(clock, {"REPLAY": str(path)})
    task_id = http.post(CREATE, json=std_body(), headers=AUTH).get_json()["data"]["task_id"]
    clock.advance(POLLS * STEP)
    data = http.get(query(task_id), headers=AUTH).get_json()["data"]
    assert data["status"] == "failed"
    assert data["error"] == {"code": "GENERATION_FAILED", "message": "no GPU left"}


def test_unmatched_creates_are_simulated_or_refused_when_strict(recorded: Recorded) -> None:
    path, _, _ = recorded
    _app, loose = replay_app(Clock(), {"REPLAY": str(path)})
    assert loose.post(CREATE, json=std_body(prompt="another"), headers=AUTH).status_code == 200
    _app, strict = replay_app(Clock(), {"REPLAY": str(path), "REPLAY_STRICT": True})
    refused = strict.post(CREATE, json=std_body(prompt="another"), headers=AUTH)
    assert refused.status_code == 404
    assert refused.get_json()["data"]["error"] == "REPLAY_NOT_RECORDED"
    assert strict.post(CREATE, json=std_body(), headers=AUTH).status_code == 200


def test_timings_from_draws_the_recorded_durations(recorded: Recorded) -> None:
    path, seen, _ = recorded
    clock = Clock()
    app, http = replay_app(clock, {"TIMINGS_FROM": str(path)})
    task_id = http.post(CREATE, json=std_body(prompt="not recorded"), headers=AUTH).get_json()["data"]["task_id"]
    task = app.extensions[EXTENSION].backend.lookup(task_id)
    assert task.processing_at - task.created_at == pytest.approx(seen.index("processing") * STEP)
    assert task.finished_at - task.created_at == pytest.approx(seen.index("completed") * STEP)


def test_a_recording_the_changed_spec_rejects_is_flagged_not_replayed(recorded: Recorded, tmp_path: Path) -> None:
    path, seen, _ = recorded

    def no_processing(spec: dict[str, Any]) -> None:
        schemas(spec)["TaskStatus"]["enum"] = ["queued", "running", "completed", "failed"]

    changed = planted_spec(tmp_path, "no-processing", no_processing)
    clock = Clock()
    _app, http = replay_app(clock, {"REPLAY": str(path), "SPEC_PATH": str(changed)})
    task_id = http.post(CREATE, json=std_body(), headers=AUTH).get_json()["data"]["task_id"]
    data = fidelity(http)
    affected = sum(1 for e in events(path) if e["kind"] == "poll" and e["task_status"] == "processing")
    assert affected > 0
    assert len(data["drift"]) == affected  # every affected answer, and only those
    assert {d["path"] for d in data["drift"]} == {"#/components/schemas/TaskStatus/enum"}
    assert data["replay"] == {"recorded": 1, "drifted": 1, "replayed": 0, "simulated": 1, "refused": 0,
                              "drift_hits": 1}
    clock.advance(seen.index("processing") * STEP)
    task = _app.extensions[EXTENSION].backend.lookup(task_id)
    assert task.processing_at - task.created_at != pytest.approx(seen.index("processing") * STEP)


def test_replay_needs_readable_recordings(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="recording not found"):
        create_app({"REPLAY": str(tmp_path / "missing.jsonl")})
    with pytest.raises(ValueError, match="--replay-strict needs --replay"):
        create_app({"REPLAY_STRICT": True})
    with pytest.raises(ValueError, match="need --upstream"):
        create_app({"RECORD": str(tmp_path / "r.jsonl")})


def test_a_torn_last_line_is_skipped(recorded: Recorded, tmp_path: Path) -> None:
    whole = recorded[0].read_text(encoding="utf-8")
    path = tmp_path / "torn.jsonl"
    path.write_text(whole + '{"v":1,"kind":"poll","task":"vid_', encoding="utf-8")
    _app, http = replay_app(Clock(), {"REPLAY": str(path)})
    assert http.post(CREATE, json=std_body(), headers=AUTH).status_code == 200
    assert fidelity(http)["replay"]["replayed"] == 1
    assert json.loads(whole.splitlines()[0])["kind"] == "create"


HOSTILE_LINES = [
    '{"v":1,"kind":"create","task":"vid_h","status":"200","since":null,"body":[1,2],"answer":"nope"}',
    '{"v":1,"kind":"create","task":"vid_i","status":200,"body":{"model":["x"]},"answer":{"data":[]}}',
    '{"v":1,"kind":"poll","task":"vid_i","since":"soon","status":true,"task_status":7,"answer":null}',
    '{"v":1,"kind":"poll","task":"vid_i","since":1e300,"status":200,"task_status":"completed","answer":{"data":{}}}',
    '{"v":1,"kind":"final","task":"vid_i","answer":[]}', '{"v":1,"kind":"result","task":"vid_i","width":"w"}',
    '[]', '7', '{"kind":"poll"}', '{"v":1,"kind":"create","task":{"a":1}}', 'not json at all',
]


def test_a_hostile_recording_neither_crashes_replay_nor_the_fidelity_command(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from contracts.cli import main as contracts_main

    path = tmp_path / "hostile.jsonl"
    path.write_text("\n".join(HOSTILE_LINES) + "\n", encoding="utf-8")
    app, http = replay_app(Clock(), {"REPLAY": str(path), "TIMINGS_FROM": str(path)})
    assert http.post(CREATE, json=std_body(), headers=AUTH).status_code == 200
    assert fidelity(http)["replay"]["recorded"] >= 0
    app.extensions[EXTENSION].backend.close()
    assert contracts_main(["fidelity", str(path), "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["counts"]["events"] == 8  # the JSON objects among the lines
