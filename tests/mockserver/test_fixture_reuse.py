"""`seedance_mock_inprocess` keeps one app for the session and resets it before each test: whichever of
these tests runs second finds none of the other's tasks, faults, limits, clock moves or journal entries."""

from __future__ import annotations

import pytest
import requests

from mockserver.testing import SeedanceMock

CREATE = "/api/open-api/v1/seedance/videos"
BODY = {"model": "seedance2.0-std", "prompt": "a cat", "duration": 5}
APPS: set[int] = set()


def dirty_then_check_clean(mock: SeedanceMock) -> None:
    backend = mock.app.extensions["seedance_mock"].backend
    assert mock.control.journal() == []
    assert backend.store.count_tasks() == 0
    assert backend.control.faults == [] and backend.control.limits == {} and backend.control.clock == 0.0
    APPS.add(id(mock.app))
    assert len(APPS) == 1  # the same app for every test
    assert requests.post(mock.url + CREATE, json=BODY, headers=mock.headers, timeout=10).status_code == 200
    mock.control.inject_fault("503", count=5)
    mock.control.set_limits(rate_per_minute=100)
    mock.control.advance(60)


@pytest.mark.parametrize("turn", [1, 2, 3])
def test_each_test_starts_from_a_reset_app(seedance_mock_inprocess: SeedanceMock, turn: int) -> None:
    dirty_then_check_clean(seedance_mock_inprocess)
