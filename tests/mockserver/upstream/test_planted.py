"""Planted differences between the spec and the "real service" are each flagged with the right rule id or
spec path, and each assumption they touch is contradicted with evidence.

The real service is an emulator run from a modified copy of openapi.yaml (a tightened assumed limit, a
renamed assumed rule, slower timings). Differences the emulator cannot be told to make from a spec (another
error envelope, a new error id) are planted the other way round: the proxy judges with a spec that expects
something else, which is the same disagreement seen from the judge's side.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from mockserver.server import EmbeddedServer
from tests.mockserver.upstream.helpers import (
    AUTH,
    CREATE,
    Clock,
    fidelity,
    mismatch_keys,
    planted_spec,
    proxied,
    query,
    run_task,
    schemas,
    std_body,
    verdicts,
)

FAST_I2V = {"model": "seedance2.0-fast-i2v", "prompt": "a cat", "duration": 12,
            "images": ["https://example.com/a.png"]}
SP = {"model": "seedance2.0-sp", "prompt": "a cat", "duration": 5}


def tighten_fast_i2v(spec: dict[str, Any]) -> None:
    schemas(spec)["FAST_I2V_DURATION_RANGE"]["maximum"] = 10


def rename_sp_ratio(spec: dict[str, Any]) -> None:
    schemas(spec)["SP_RATIO"]["x-rule"] = "SP_RATIO_V2"


def integer_error_codes(spec: dict[str, Any]) -> None:
    schemas(spec)["ErrorEnvelope"]["properties"]["code"] = {"type": "integer"}


def without_task_not_found(spec: dict[str, Any]) -> None:
    spec["x-error-ids"] = [e for e in spec["x-error-ids"] if e["id"] != "TASK_NOT_FOUND"]


def test_a_tightened_assumed_limit_is_flagged_by_rule_and_contradicts_it(tmp_path: Path) -> None:
    clock = Clock()
    upstream_spec = planted_spec(tmp_path, "tight", tighten_fast_i2v)
    with proxied(clock, upstream_config={"SPEC_PATH": str(upstream_spec)}) as (http, _app, _up):
        assert http.post(CREATE, json=FAST_I2V, headers=AUTH).status_code == 400
        assert http.post(CREATE, json={**FAST_I2V, "duration": 8}, headers=AUTH).status_code == 200
        data = fidelity(http)
    assert mismatch_keys(data) == {"rule:FAST_I2V_DURATION_RANGE"}
    row = next(m for m in data["mismatches"] if m.get("rule") == "FAST_I2V_DURATION_RANGE")
    assert row["count"] == 1 and row["example"]["status"] == 400
    assert verdicts(data)["FAST_I2V_DURATION_RANGE"] == "contradicted"
    assert {"rule": "FAST_I2V_DURATION_RANGE", "requests": 1, "agreed": 0, "agrees": False} in data["rules"]


def test_a_renamed_rule_is_flagged_under_both_ids(tmp_path: Path) -> None:
    clock = Clock()
    upstream_spec = planted_spec(tmp_path, "renamed", rename_sp_ratio)
    with proxied(clock, upstream_config={"SPEC_PATH": str(upstream_spec)}) as (http, _app, _up):
        answer = http.post(CREATE, json={**SP, "ratio": "2:1"}, headers=AUTH)
        assert answer.get_json()["data"]["rules"] == ["SP_RATIO_V2"]
        data = fidelity(http)
    assert mismatch_keys(data) == {"rule:SP_RATIO", "rule:SP_RATIO_V2"}
    assert verdicts(data)["SP_RATIO"] == "contradicted"
    messages = {m["rule"]: m["example"]["message"] for m in data["mismatches"]}
    assert "lacks" in messages["SP_RATIO_V2"] and "did not name" in messages["SP_RATIO"]


def test_another_error_envelope_is_flagged_by_path_and_contradicts_error_envelope(tmp_path: Path) -> None:
    clock = Clock()
    local_spec = planted_spec(tmp_path, "int-codes", integer_error_codes)
    with proxied(clock, proxy_config={"SPEC_PATH": str(local_spec)}) as (http, _app, _up):
        assert http.post(CREATE, json=std_body(duration=99), headers=AUTH).status_code == 400
        assert http.post(CREATE, json=std_body(), headers=AUTH).status_code == 200
        data = fidelity(http)
    assert mismatch_keys(data) == {"path:#/components/schemas/ErrorEnvelope/properties/code/type"}
    assert verdicts(data)["ERROR_ENVELOPE"] == "contradicted"
    assert verdicts(data)["SUCCESS_CODE"] == "confirmed"


def test_a_new_error_id_is_flagged_by_path(tmp_path: Path) -> None:
    clock = Clock()
    local_spec = planted_spec(tmp_path, "no-404-id", without_task_not_found)
    with proxied(clock, proxy_config={"SPEC_PATH": str(local_spec)}) as (http, _app, _up):
        assert http.get(query("vid_nope"), headers=AUTH).status_code == 404
        data = fidelity(http)
    assert mismatch_keys(data) == {"path:#/x-error-ids"}
    assert "TASK_NOT_FOUND" in data["mismatches"][0]["example"]["message"]
    assert verdicts(data)["ERROR_ENVELOPE"] == "contradicted"


@pytest.mark.parametrize("speed", [0.25])
def test_slower_timings_are_measured_against_ours(speed: float) -> None:
    clock = Clock()
    with proxied(clock, upstream_config={"SPEED": speed}) as (http, _app, _up):
        run_task(http, clock, std_body(), 10.0, 60)
        row = fidelity(http)["timings"]["seedance2.0-std"]
    measured, ours = row["measured"], row["ours"]
    total = measured["queue"]["median"] + measured["processing"]["median"]
    assert total > 2.5 * (ours["queue"]["median"] + ours["processing"]["median"])


def test_the_same_spec_upstream_confirms_every_assumption_it_touches(
        service: tuple[EmbeddedServer, Clock]) -> None:
    upstream, clock = service
    with proxied(clock, running=upstream) as (http, _app, _up):
        for body in (FAST_I2V, {**SP, "ratio": "2:1"}, std_body(duration=99), std_body(ratio=None),
                     std_body(images=[]), std_body(extra=1), {**SP, "duration": 5.0}):
            http.post(CREATE, json=body, headers=AUTH)
        run_task(http, clock, std_body(), 30.0, 4)
        http.get(query("vid_nope"), headers=AUTH)
        data = fidelity(http)
    assert data["mismatches"] == []
    seen = {a["id"]: a["verdict"] for a in data["assumptions"] if a["seen"]}
    assert len(seen) >= 8
    assert set(seen.values()) == {"confirmed"}
