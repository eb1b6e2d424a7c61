"""Issue 16 items 5 and 6 in a real browser: the fail button fails at once by default, and the force card goes
away once the outcome is final."""

from __future__ import annotations

import pytest
import requests
from playwright.sync_api import Page, expect

from tests.mockserver.dashboard.conftest import create_id, query

pytestmark = pytest.mark.slow


def test_force_fail_by_default_fails_now_and_hides_the_card(url: str, dash: Page) -> None:
    task_id = create_id(url)
    dash.goto(f"{url}/_mock/ui/tasks/{task_id}")
    expect(dash.get_by_label("Stage")).to_have_value("now")
    dash.get_by_role("button", name="Force fail").click()
    expect(dash.locator("#toast")).to_contain_text("Task failed")
    expect(dash.locator("#task-status .badge")).to_have_text("failed", timeout=2000)  # no clock moved
    expect(dash.locator("#force-card")).to_be_hidden()
    assert query(url, task_id)["status"] == "failed"


def test_a_task_completed_elsewhere_hides_the_card_live(url: str, dash: Page) -> None:
    task_id = create_id(url)
    dash.goto(f"{url}/_mock/ui/tasks/{task_id}")
    expect(dash.locator("#force-card")).to_be_visible()
    requests.post(f"{url}/_mock/tasks/{task_id}/complete", timeout=5).raise_for_status()
    expect(dash.locator("#force-card")).to_be_hidden(timeout=3000)
