"""The answer judge (and its declared duplicate in contracts), redaction, and kill -9 safe recording."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from mockserver.spec.loader import load_spec, spec_path
from mockserver.upstream.answers import AnswerJudge, Expected
from mockserver.upstream.recording import Recorder, lifecycles, mp4_facts, redact

REPO = Path(__file__).resolve().parents[3]
JUDGE = AnswerJudge(load_spec(spec_path()))
OK_TASK = {"task_id": "vid_1", "status": "queued", "model": "seedance2.0-std", "created_at": 1}


@pytest.mark.parametrize("name", ["answers", "evidence"])
def test_the_contracts_copy_is_the_same_code(name: str) -> None:
    def code(path: Path) -> str:
        text = path.read_text(encoding="utf-8")
        return text[text.index('"""', 3) + 3:].replace("mockserver.upstream.", "contracts.")

    assert code(REPO / "mockserver" / "upstream" / f"{name}.py") == code(REPO / "contracts" / f"{name}.py")


def test_answers_are_judged_field_by_field_with_spec_paths() -> None:
    ok = {"code": "20000", "msg": "ok", "data": OK_TASK}
    assert JUDGE.judge_answer("create", 200, ok) == []
    assert JUDGE.judge_answer("create", 200, {**ok, "code": 0}) == []  # SUCCESS_CODE: both accepted
    bad = JUDGE.judge_answer("query", 200, {**ok, "data": {**OK_TASK, "status": "done", "created_at": 1.5}})
    assert {d.path for d in bad} == {"#/components/schemas/TaskStatus/enum",
                                     "#/components/schemas/Task/properties/created_at/type"}
    failed = JUDGE.judge_answer("query", 200, {**ok, "data": {**OK_TASK, "status": "failed", "error": {"code": 1}}})
    assert {(d.path, d.assumption) for d in failed} == {
        ("#/components/schemas/TaskError/required", "FAILED_TASK_ERROR"),
        ("#/components/schemas/TaskError/properties/code/type", "FAILED_TASK_ERROR")}
    assert [d.path for d in JUDGE.judge_answer("create", 201, ok)] == [
        "#/paths/~1api~1open-api~1v1~1seedance~1videos/post/responses"]
    assert JUDGE.judge_answer("create", 200, None, is_json=False)[0].message == "the answer is not JSON"


def test_error_answers_are_checked_against_their_status_and_the_listed_ids() -> None:
    def error(status: int, code: str, error_id: str) -> list[tuple[str | None, str]]:
        payload = {"code": code, "msg": "x", "data": {"error": error_id, "rules": [], "violations": []}}
        return [(d.path, d.assumption or "") for d in JUDGE.judge_answer("query", status, payload)]

    assert error(404, "40400", "TASK_NOT_FOUND") == []
    assert error(404, "40000", "TASK_NOT_FOUND") == [
        ("#/components/schemas/ErrorEnvelope/properties/code", "ERROR_ENVELOPE")]
    assert error(404, "40400", "GONE_FISHING") == [("#/x-error-ids", "ERROR_ENVELOPE")]
    assert error(404, "40400", "VALIDATION_FAILED") == [("#/x-error-ids/VALIDATION_FAILED/status", "ERROR_ENVELOPE")]


def test_verdicts_are_compared_rule_by_rule() -> None:
    def rejected(*rules: str) -> dict[str, object]:
        return {"code": "40000", "msg": "x", "data": {"error": "VALIDATION_FAILED", "rules": list(rules)}}

    assert JUDGE.judge_verdict(Expected(frozenset({"STD_RATIO"})), 400, rejected("STD_RATIO")) == []
    accepted = JUDGE.judge_verdict(Expected(frozenset({"STD_RATIO"})), 200, {})
    assert [(d.rule, "accepted" in d.message) for d in accepted] == [("STD_RATIO", True)]
    other = JUDGE.judge_verdict(Expected(frozenset({"STD_RATIO"})), 400, rejected("NEW_RULE"))
    assert {d.rule for d in other} == {"STD_RATIO", "NEW_RULE"}
    refused = JUDGE.judge_verdict(Expected(), 400, rejected())
    assert [d.path for d in refused] == ["#/paths/~1api~1open-api~1v1~1seedance~1videos/post/requestBody"]
    assert JUDGE.judge_verdict(Expected(), 429, {}) == []  # not a verdict on the body
    assert JUDGE.judge_verdict(Expected(error="INVALID_JSON"), 400, {"data": {"error": "INVALID_JSON"}}) == []


def test_redaction_drops_every_url_query_string() -> None:
    value = {"video_url": "https://cdn.example.com/v.mp4?sig=abc&exp=1#t", "n": [1, "http://x/y?token=z"],
             "plain": "a?b"}
    assert redact(value) == {"video_url": "https://cdn.example.com/v.mp4?redacted#t",
                             "n": [1, "http://x/y?redacted"], "plain": "a?b"}


def test_mp4_facts_of_a_real_result() -> None:
    from mockserver.media.video import VideoCache

    data = VideoCache().get(640, 360, 3)
    assert mp4_facts(data) == {"duration": 3.0, "width": 640, "height": 360}
    assert mp4_facts(b"\x00\x00\x00\x08free") == {}
    assert mp4_facts(b"garbage") == {}


WRITER = """
import sys
from mockserver.upstream.recording import Recorder
rec = Recorder(sys.argv[1])
n = 0
print("ready", flush=True)
while True:
    n += 1
    rec.write({"kind": "poll", "task": f"vid_{n % 7}", "since": n, "pad": "x" * (n % 5000)})
"""


@pytest.mark.slow
def test_a_kill_9_loses_at_most_the_last_line(tmp_path: Path) -> None:
    path = tmp_path / "rec.jsonl"
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(path)], stdout=subprocess.PIPE, cwd=REPO)
    assert writer.stdout is not None and writer.stdout.readline().strip() == b"ready"
    time.sleep(0.5)
    os.kill(writer.pid, signal.SIGKILL)
    writer.wait(timeout=10)
    lines = path.read_bytes().split(b"\n")
    whole = [line for line in lines[:-1]]
    assert len(whole) > 100
    numbers = [json.loads(line)["since"] for line in whole]  # every complete line parses
    assert numbers == list(range(1, len(numbers) + 1))  # none lost, in order
    assert len(lines[-1]) < 6000  # at most the one line in the making


def test_lifecycles_group_events_by_task(tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl"
    rec = Recorder(path)
    rec.write({"kind": "create", "task": "vid_a", "status": 200, "body": {"model": "m"},
               "answer": {"data": {"status": "queued"}}})
    rec.write({"kind": "create", "task": None, "status": 400})
    rec.write({"kind": "poll", "task": "vid_a", "since": 3.0, "task_status": "processing"})
    rec.write({"kind": "poll", "task": "vid_a", "since": 9.0, "task_status": "failed"})
    rec.write({"kind": "poll", "task": "vid_b", "since": 1.0, "task_status": "queued"})  # no create: ignored
    rec.close()
    (life,) = lifecycles([path])
    assert life.model == "m" and life.observations() == [(0.0, "queued"), (3.0, "processing"), (9.0, "failed")]
    assert life.phases() == (3.0, 9.0, "failed")
    assert path.stat().st_mode & 0o077 == 0  # the file is the user's alone
