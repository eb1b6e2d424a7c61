"""Every dashboard page loads in chromium with no console error, passes axe-core (no serious or critical
violation) and is saved as a screenshot."""

from __future__ import annotations

import pytest
import requests
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from tests.mockserver.dashboard.conftest import OTHER, create, create_id, query, screenshot

# A real browser: in the quick loop's "not slow" set they would dominate it; CI runs them.
pytestmark = pytest.mark.slow


def populate(base: str) -> dict[str, str]:
    """A little of everything: tasks in each state, rejected creates, a fault and a limit."""
    done = create_id(base, duration=5)
    failed = create_id(base, OTHER, duration=8)
    create_id(base, model="seedance2.0-fast-i2v", duration=6, images=["https://example.com/cat.png"])
    create_id(base, OTHER, model="seedance2.0-md", duration=10)
    assert create(base, prompt=None).status_code == 400
    assert create(base, duration=99, ratio="5:1").status_code == 400
    query(base, done)
    requests.post(f"{base}/_mock/tasks/{done}/complete", timeout=5).raise_for_status()
    requests.post(f"{base}/_mock/tasks/{failed}/fail", json={"reason": "content policy", "at": "queue"},
                  timeout=5).raise_for_status()
    query(base, done)
    fault = {"kind": "503", "count": 2, "operation": "get"}
    requests.post(f"{base}/_mock/faults", json=fault, timeout=5).raise_for_status()
    requests.post(f"{base}/_mock/limits", json={"token": OTHER, "rate_per_minute": 30}, timeout=5).raise_for_status()
    return {"done": done, "failed": failed}


PAGES = {
    "tasks": ("/_mock/", "Tasks"),
    "task": ("/_mock/ui/tasks/{done}", "Result video"),
    "task-failed": ("/_mock/ui/tasks/{failed}", "Result video"),  # no force card: its outcome is final
    "journal": ("/_mock/ui/journal", "Journal"),
    "controls": ("/_mock/ui/controls", "Controls"),
}


@pytest.mark.parametrize("name", list(PAGES))
def test_page_loads_clean_accessible_and_is_pictured(name: str, url: str, dash: Page, axe: Axe) -> None:
    ids = populate(url)
    path, heading = PAGES[name]
    answer = dash.goto(url + path.format(**ids))
    assert answer is not None and answer.status == 200
    expect(dash.get_by_role("heading", name=heading).first).to_be_visible()
    dash.wait_for_timeout(1200)  # one live refresh ran: its errors would show up too
    if name in ("tasks", "journal"):
        expect(dash.locator("#live")).to_have_text("live")
    if name == "task":
        dash.wait_for_function("() => document.querySelector('video')?.readyState >= 2")
    results = axe.run(dash)
    serious = [(v["id"], v["impact"], v["help"], [n["target"] for n in v["nodes"]][:3])
               for v in results.response["violations"] if v["impact"] in ("serious", "critical")]
    assert serious == []
    assert screenshot(dash, f"dashboard-{name}").stat().st_size > 10_000


def test_the_dashboard_needs_the_control_token_and_takes_it_from_the_page_url(dash: Page) -> None:
    from mockserver.server import EmbeddedServer

    with EmbeddedServer({"SEED": 0, "CONTROL_TOKEN": "ctl-secret"}) as srv:
        refused = requests.get(f"{srv.url}/_mock/", timeout=5)
        assert refused.status_code == 403
        assert refused.json()["data"]["error"] == "FORBIDDEN"
        dash.goto(f"{srv.url}/_mock/ui/journal?token=ctl-secret&rule=PROMPT_REQUIRED")
        assert dash.url == f"{srv.url}/_mock/ui/journal?rule=PROMPT_REQUIRED"  # the token left the address bar
        expect(dash.get_by_role("heading", name="Journal")).to_be_visible()
        cookie = next(c for c in dash.context.cookies() if c["name"] == "seedance_control")
        assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
        dash.goto(f"{srv.url}/_mock/ui/controls")  # the cookie carries on, and the live calls pass the guard
        dash.wait_for_timeout(1200)
        expect(dash.get_by_role("heading", name="Controls")).to_be_visible()
