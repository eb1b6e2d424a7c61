"""`seedance-contracts fidelity PATH...`: recordings judged with the current spec: assumptions confirmed or
contradicted with evidence, rules' agreement, timings per model, and drift. The recordings are made by a
proxy in front of an emulator run from a planted copy of the spec (tests/mockserver/upstream/helpers.py)."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
import requests

from contracts.cli import main
from tests.mockserver.upstream.helpers import (
    AUTH,
    CREATE,
    TOKEN,
    Clock,
    planted_spec,
    proxied,
    query,
    run_task,
    schemas,
    std_body,
)

FAST_I2V = {"model": "seedance2.0-fast-i2v", "prompt": "a cat", "duration": 12,
            "images": ["https://example.com/a.png"]}
SP_BAD_RATIO = {"model": "seedance2.0-sp", "prompt": "a cat", "duration": 5, "ratio": "2:1"}


def plant(spec: dict[str, Any]) -> None:
    schemas(spec)["FAST_I2V_DURATION_RANGE"]["maximum"] = 10  # a tightened assumed limit
    schemas(spec)["SP_RATIO"]["x-rule"] = "SP_RATIO_V2"  # a renamed assumed rule


def record(tmp_path: Path, upstream: dict[str, Any], name: str, polls: int = 14) -> Path:
    """A recording of a few exchanges through the proxy."""
    clock = Clock()
    path = tmp_path / f"{name}.jsonl"
    keys = {"API_KEYS": [TOKEN, "sk_someone_else"]}
    with proxied(clock, upstream_config={**keys, **upstream}, proxy_config={"RECORD": str(path)}) as (http, _app, _up):
        for body in (FAST_I2V, SP_BAD_RATIO, std_body(duration=99), std_body(extra=True), std_body(images=[])):
            http.post(CREATE, json=body, headers=AUTH)
        run_task(http, clock, std_body(), 5.0, polls)
        task_id = json.loads([line for line in path.read_text().splitlines() if '"task":"vid' in line][-1])["task"]
        done = http.get(query(task_id), headers=AUTH).get_json()["data"]
        if done["status"] == "completed":
            assert http.get(done["result"]["video_url"].split("localhost", 1)[1]).status_code == 200
        http.get(query(task_id), headers={"Authorization": "Bearer sk_someone_else"})
        http.get(query("vid_nope"), headers=AUTH)
    return path


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    status = main(argv)
    return status, capsys.readouterr().out


def test_with_the_same_spec_every_assumption_seen_is_confirmed(tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    path = record(tmp_path, {}, "same")
    status, out = run(["fidelity", str(path), "--format", "json", "--strict"], capsys)
    data = json.loads(out)
    assert status == 0
    assert data["mismatches"] == [] and data["drift"] == []
    seen = {a["id"]: a["verdict"] for a in data["assumptions"] if a["seen"]}
    assert set(seen.values()) == {"confirmed"}
    assert {"ERROR_ENVELOPE", "SUCCESS_CODE", "SP_RATIO", "TASK_PRIVATE", "OUTPUT_SIZE",
            "RESULT_RETENTION", "UNKNOWN_FIELDS_IGNORED", "EMPTY_LIST_IS_ABSENT", "DEFAULTS_APPLIED"} <= set(seen)
    assert all(r["agrees"] for r in data["rules"])
    assert data["timings"]["seedance2.0-std"]["measured"]["queue"]["n"] == 1
    assert TOKEN not in path.read_text()


def test_every_planted_difference_is_contradicted_with_evidence(tmp_path: Path,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    path = record(tmp_path, {"SPEC_PATH": str(planted_spec(tmp_path, "planted", plant))}, "planted")
    status, out = run(["fidelity", str(path), "--format", "json", "--strict"], capsys)
    data = json.loads(out)
    assert status == 1
    rows = {a["id"]: a for a in data["assumptions"]}
    for rule in ("FAST_I2V_DURATION_RANGE", "SP_RATIO"):
        assert rows[rule]["verdict"] == "contradicted"
        assert rows[rule]["contradicted"] == 1 and rows[rule]["example"]["where"].startswith(str(path))
    assert {m.get("rule") for m in data["mismatches"]} == {"FAST_I2V_DURATION_RANGE", "SP_RATIO", "SP_RATIO_V2"}
    assert {r["rule"] for r in data["rules"] if not r["agrees"]} == {"FAST_I2V_DURATION_RANGE", "SP_RATIO",
                                                                    "SP_RATIO_V2"}
    # Recorded differences are the service's own, not drift.
    assert data["drift"] == []
    status, markdown = run(["fidelity", str(path)], capsys)
    assert status == 0
    assert "| `FAST_I2V_DURATION_RANGE` | contradicted | 1 | 1 |" in markdown
    assert "`SP_RATIO_V2` x1" in markdown


def test_a_recording_made_before_a_spec_change_shows_drift(tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    path = record(tmp_path, {}, "before")

    def no_processing(spec: dict[str, Any]) -> None:
        schemas(spec)["TaskStatus"]["enum"] = ["queued", "running", "completed", "failed"]

    changed = planted_spec(tmp_path, "changed", no_processing)
    status, out = run(["fidelity", str(path), "--spec", str(changed), "--format", "json", "--strict"], capsys)
    data = json.loads(out)
    affected = [line for line in path.read_text().splitlines() if '"task_status":"processing"' in line
                and '"kind":"poll"' in line]
    assert status == 1 and affected
    assert data["counts"]["drifted_answers"] == len(affected) == len(data["drift"])
    assert {d["differences"][0]["path"] for d in data["drift"]} == {"#/components/schemas/TaskStatus/enum"}


def test_the_emulators_own_recording_is_the_timing_baseline(tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    slow = record(tmp_path, {"SPEED": 0.5}, "slow", polls=40)
    ours = record(tmp_path, {}, "ours")
    _, out = run(["fidelity", str(slow), "--baseline", str(ours), "--format", "json"], capsys)
    row = json.loads(out)["timings"]["seedance2.0-std"]
    assert row["measured"]["processing"]["median"] > row["ours"]["processing"]["median"]


def test_unreadable_recordings_are_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["fidelity", str(tmp_path / "missing.jsonl")]) == 2
    assert "missing.jsonl" in capsys.readouterr().err


@pytest.mark.slow
def test_end_to_end_with_two_processes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The two commands of docs/real-service.md, with a planted "real service" on loopback."""
    from tests.mockserver.hostile.processes import start, stop

    recording = tmp_path / "real.jsonl"
    service = start(["--spec", str(planted_spec(tmp_path, "planted", plant)), "--api-key", TOKEN,
                     "--speed", "20", "--quiet"])
    proxy = start(["--upstream", service.url, "--record", str(recording), "--quiet"])
    try:
        session = requests.Session()
        assert session.post(proxy.url + CREATE, json=FAST_I2V, headers=AUTH, timeout=10).status_code == 400
        created = session.post(proxy.url + CREATE, json=std_body(), headers=AUTH, timeout=10).json()["data"]
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            data = session.get(proxy.url + query(created["task_id"]), headers=AUTH, timeout=10).json()["data"]
            if data["status"] == "completed":
                break
            time.sleep(0.2)
        assert data["status"] == "completed"
        video = session.get(data["result"]["video_url"], timeout=10)
        assert video.status_code == 200 and video.headers["Content-Type"] == "video/mp4"
        report = session.get(proxy.url + "/_mock/fidelity", timeout=10).json()["data"]
        assert [m["rule"] for m in report["mismatches"]] == ["FAST_I2V_DURATION_RANGE"]
        assert proxy.terminate() == 0
    finally:
        stop(proxy)
        stop(service)
    status, out = run(["fidelity", str(recording), "--format", "json"], capsys)
    data = json.loads(out)
    assert status == 0
    assert {a["id"]: a["verdict"] for a in data["assumptions"]}["FAST_I2V_DURATION_RANGE"] == "contradicted"
    assert TOKEN not in recording.read_text()


def test_the_report_lists_exactly_the_assumptions_of_the_spec_and_of_docs_assumptions() -> None:
    import re

    from contracts.evidence import assumptions_of
    from contracts.spec import load_spec

    text = (Path(__file__).resolve().parents[2] / "docs" / "assumptions.md").read_text(encoding="utf-8")
    listed = text.split("## Billing", 1)[0]
    documented = set(re.findall(r"^\| `([A-Z0-9_]+)` \|", listed, re.M))
    ids = [a.id for a in assumptions_of(load_spec())]
    assert len(ids) == len(set(ids))
    assert set(ids) == documented
