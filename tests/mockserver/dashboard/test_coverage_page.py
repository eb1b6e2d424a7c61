"""The dashboard's Coverage page in chromium: what was met, what was not and how to provoke it, the conduct
findings; no console error, no serious axe violation, and a screenshot."""

from __future__ import annotations

import pytest
import requests
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from tests.mockserver.dashboard.conftest import CREATE, TOKEN, create, screenshot

pytestmark = pytest.mark.slow  # a real browser


def test_the_coverage_page_shows_met_unmet_and_conduct(url: str, dash: Page, axe: Axe) -> None:
    auth = {"Authorization": f"Bearer {TOKEN}", "X-Seedance-Mock": "fault=429"}
    assert requests.post(url + CREATE, json={}, headers=auth, timeout=10).status_code == 429
    for _ in range(2):  # the same rejected body twice: invalid-after-rejection
        assert create(url, prompt=None).status_code == 400
    answer = dash.goto(url + "/_mock/ui/coverage")
    assert answer is not None and answer.status == 200
    expect(dash.get_by_role("heading", name="Coverage", exact=True)).to_be_visible()
    expect(dash.locator("#coverage-summary")).to_contain_text("4 of ")
    expect(dash.locator('tr[data-item="fault:429"]')).to_have_class("met")
    unmet = dash.locator('tr[data-item="fault:503"]')
    expect(unmet).to_have_class("unmet")
    expect(unmet).to_contain_text("X-Seedance-Mock: fault=503")
    expect(dash.locator("#conduct")).to_contain_text("invalid-after-rejection")
    dash.wait_for_timeout(1200)  # the base page's live clock ran: its errors would show up too
    results = axe.run(dash)
    serious = [(v["id"], v["impact"], v["help"], [n["target"] for n in v["nodes"]][:3])
               for v in results.response["violations"] if v["impact"] in ("serious", "critical")]
    assert serious == []
    assert screenshot(dash, "dashboard-coverage").stat().st_size > 10_000
    dash.get_by_role("link", name="Tasks").click()
    dash.get_by_role("link", name="Coverage").click()
    expect(dash.get_by_role("heading", name="Coverage", exact=True)).to_be_visible()
