"""The one parsing layer of control input: every value's bound, and one error type for all of them."""

from __future__ import annotations

from typing import Any

import pytest

from mockserver.state import control_input
from mockserver.state.errors import ApiError
from mockserver.state.facts import MediaFacts
from mockserver.state.forcing import MAX_DELAY, Fault
from mockserver.state.tasks import fingerprint


def refused(parse: Any, body: Any) -> str:
    with pytest.raises(ApiError) as err:
        parse(body)
    assert err.value.error_id == "VALIDATION_FAILED" and err.value.status == 400
    return err.value.msg


@pytest.mark.parametrize("bad", [float("inf"), float("nan"), -1, 1e308, True, "5", None])
def test_advance_seconds_are_finite_bounded_and_forward(bad: Any) -> None:
    refused(control_input.advance_seconds, {"seconds": bad})


def test_advance_seconds_accepts_zero_and_the_bound() -> None:
    assert control_input.advance_seconds({"seconds": 0}) == 0.0
    assert control_input.advance_seconds({"seconds": control_input.MAX_ADVANCE}) == control_input.MAX_ADVANCE


@pytest.mark.parametrize("bad", [0, 0.0009, 1_000_001, True, "2", float("inf")])
def test_speed_has_one_bound(bad: Any) -> None:
    refused(control_input.speed, {"speed": bad})


def test_speed_is_required() -> None:
    assert "speed is required" in refused(control_input.speed, {})
    assert control_input.speed({"speed": 0.001}) == 0.001


def test_fault_defaults_and_token_fingerprint() -> None:
    fault = control_input.fault({"kind": "503", "token": "sk_a"})
    assert fault == Fault("503", 1, "any", fingerprint("sk_a"), 1, 0.0)


@pytest.mark.parametrize("body", [
    {"kind": "418"}, {}, {"kind": "500", "count": 0}, {"kind": "500", "count": True},
    {"kind": "500", "count": control_input.MAX_FAULT_COUNT + 1}, {"kind": "500", "operation": "delete"},
    {"kind": "500", "retry_after": -1}, {"kind": "500", "retry_after": control_input.MAX_RETRY_AFTER + 1},
    {"kind": "delay", "delay": MAX_DELAY + 0.1}, {"kind": "delay", "delay": False}, {"kind": "500", "token": 5},
])
def test_fault_bounds(body: dict[str, Any]) -> None:
    refused(control_input.fault, body)


@pytest.mark.parametrize("body", [
    {"rate_per_minute": 0}, {"max_in_flight": True}, {"rate_per_minute": 1.5},
    {"max_in_flight": control_input.MAX_LIMIT + 1}, {"token": ["x"]},
])
def test_limits_bounds(body: dict[str, Any]) -> None:
    refused(control_input.limits, body)


def test_limits_null_means_unlimited() -> None:
    assert control_input.limits({"rate_per_minute": None, "max_in_flight": 3}) == (None, None, 3)


def test_media_facts() -> None:
    assert control_input.media({"url": "https://x/a.mp4", "duration": 3, "width": 640}) == (
        "https://x/a.mp4", MediaFacts(duration=3.0, width=640))
    for bad in ({"duration": 3}, {"url": ""}, {"url": "u", "size": -1}, {"url": "u", "reachable": "no"},
                {"url": "u", "duration": float("nan")}, {"url": "u", "height": 2**53 + 1}):
        refused(control_input.media, bad)


def test_asset_audit_and_fail_request() -> None:
    assert control_input.asset_audit({"asset_id": "asset://a", "state": "pending"}) == ("asset://a", "pending")
    assert "state must be one of" in refused(control_input.asset_audit, {"asset_id": "a", "state": "meh"})
    refused(control_input.asset_audit, {"state": "approved"})
    assert control_input.fail_request({}) == ("generation failed", "processing")
    assert control_input.fail_request({"reason": "x", "at": "queue"}) == ("x", "queue")
    refused(control_input.fail_request, {"at": "later"})


def test_query_int() -> None:
    assert control_input.query_int({}, "limit", 100, 1000) == 100
    assert control_input.query_int({"limit": "7"}, "limit", 100, 1000) == 7
    for raw in ("-1", "1001", "x", "١", "9" * 30):
        refused(lambda args: control_input.query_int(args, "limit", 100, 1000), {"limit": raw})


def test_owner_filter_takes_a_token_or_a_fingerprint() -> None:
    assert control_input.owner_filter("sk_a") == fingerprint("sk_a")
    assert control_input.owner_filter(fingerprint("sk_a")) == fingerprint("sk_a")
    assert control_input.owner_filter("") is None
