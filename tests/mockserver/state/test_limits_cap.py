"""Per-token limits are bounded like faults and media facts: past MAX_LIMITS tokens a new one is refused in
the envelope (400 VALIDATION_FAILED), while changing or removing an existing one still works."""

from __future__ import annotations

from flask.testing import FlaskClient

from mockserver.state.backend import Backend
from mockserver.state.control import MAX_LIMITS
from tests.mockserver.conftest import assert_envelope


def test_limits_stop_at_the_cap_with_a_clear_error(http: FlaskClient, backend: Backend) -> None:
    for i in range(MAX_LIMITS - 1):
        backend.set_limits(f"sk_t~{i:016x}", 10, None)
    assert http.post("/_mock/limits", json={"token": "sk_last", "rate_per_minute": 5}).status_code == 200
    refused = http.post("/_mock/limits", json={"token": "sk_one_more", "rate_per_minute": 5})
    assert_envelope(refused, 400, "VALIDATION_FAILED")
    assert f"at most {MAX_LIMITS} per-token limits" in refused.get_json()["msg"]
    assert len(backend.control.limits) == MAX_LIMITS
    # An existing token may still change or drop its limits; a freed place takes a new token.
    assert http.post("/_mock/limits", json={"token": "sk_last", "rate_per_minute": 7}).status_code == 200
    assert http.post("/_mock/limits", json={"token": "sk_last"}).status_code == 200
    assert http.post("/_mock/limits", json={"token": "sk_one_more", "max_in_flight": 2}).status_code == 200
