"""The dashboard in a real browser: live tasks, the clock, forcing, the journal, faults, the video, and
several workers over one shared store."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import requests
from playwright.sync_api import Page, expect

from mockserver.server import EmbeddedServer
from tests.mockserver.dashboard.conftest import create, create_id, query

# A real browser: in the quick loop's "not slow" set they would dominate it; CI runs them.
pytestmark = pytest.mark.slow


def test_a_new_task_appears_without_reload_and_completes_when_the_page_advances_the_clock(url: str, dash: Page) -> None:
    dash.goto(f"{url}/_mock/")
    dash.evaluate("window.__sameDocument = true")
    started = time.monotonic()
    task_id = create_id(url)
    row = dash.locator(f'#tasks tr[data-id="{task_id}"]')
    expect(row).to_be_visible(timeout=2000)
    assert time.monotonic() - started < 2.0
    expect(row.locator(".badge")).to_have_text("queued")
    dash.get_by_role("button", name="+10 min").click()
    expect(row.locator(".badge")).to_have_text("completed", timeout=2000)
    assert dash.evaluate("window.__sameDocument") is True  # no reload happened
    assert query(url, task_id)["status"] == "completed"


def test_force_fail_from_the_page_is_what_the_api_answers(url: str, dash: Page) -> None:
    task_id = create_id(url)
    dash.goto(f"{url}/_mock/ui/tasks/{task_id}")
    dash.get_by_label("Stage").select_option("queue")
    dash.get_by_label("Reason").fill("moderation said no")
    dash.get_by_role("button", name="Force fail").click()
    expect(dash.locator("#toast")).to_contain_text("moderation said no")
    dash.get_by_role("button", name="+10 min").click()
    expect(dash.locator("#task-status .badge")).to_have_text("failed", timeout=2000)
    expect(dash.locator("#task-error")).to_have_text("GENERATION_FAILED: moderation said no")
    expect(dash.locator("#force-card")).to_be_hidden()  # a forced outcome is final
    data = query(url, task_id)
    assert data["status"] == "failed"
    assert data["error"]["message"] == "moderation said no"
    expect(dash.locator("#answers tbody tr")).to_have_count(2, timeout=2000)  # the create and that query


def test_a_rejected_create_shows_its_rule_id_and_quote_in_the_journal(url: str, dash: Page) -> None:
    dash.goto(f"{url}/_mock/ui/journal")
    assert create(url, prompt=None).status_code == 400
    chip = dash.locator("#journal tbody tr").first.locator(".rule", has_text="PROMPT_REQUIRED")
    expect(chip).to_be_visible(timeout=2000)
    expect(chip).to_have_attribute("title", "PROMPT_REQUIRED: documented: prompt string required")
    expect(dash.locator("#journal tbody tr").first.locator(".code")).to_have_text("400")
    dash.locator("#journal tbody tr").first.get_by_role("button").click()
    expect(dash.locator("tr.detail")).to_contain_text('"PROMPT_REQUIRED"')
    dash.get_by_label("Rule").fill("STD_DURATION_RANGE")
    dash.get_by_label("Rule").press("Enter")
    expect(dash).to_have_url(f"{url}/_mock/ui/journal?status=&rule=STD_DURATION_RANGE&owner=")
    expect(dash.locator("#journal-empty")).to_be_visible()


def test_a_429_queued_from_the_form_is_what_the_next_api_call_gets(url: str, dash: Page) -> None:
    dash.goto(f"{url}/_mock/ui/controls")
    form = dash.locator("#fault-form")
    form.get_by_label("Kind").select_option("429")
    form.get_by_label("Operation").select_option("create")
    form.get_by_label("Retry-After (s)").fill("7")
    form.get_by_role("button", name="Queue fault").click()
    expect(dash.locator("#faults tbody tr")).to_have_count(1)
    answer = create(url)
    assert answer.status_code == 429
    assert answer.headers["Retry-After"] == "7"
    assert create(url).status_code == 200
    expect(dash.locator("#faults-empty")).to_be_visible(timeout=4000)


def test_the_result_video_plays_inline_with_the_requested_duration(url: str, dash: Page) -> None:
    task_id = create_id(url, duration=6)
    dash.goto(f"{url}/_mock/ui/tasks/{task_id}")
    expect(dash.locator("#video-wait")).to_be_visible()
    dash.get_by_role("button", name="Complete now").click()
    video = dash.locator("#video")
    expect(video).to_be_attached(timeout=2000)
    dash.wait_for_function("() => document.querySelector('#video').readyState >= 2", timeout=10_000)
    assert abs(video.evaluate("v => v.duration") - 6) < 0.5
    video.evaluate("v => v.play()")
    dash.wait_for_function("() => document.querySelector('#video').currentTime > 0.2", timeout=5000)
    assert query(url, task_id)["status"] == "completed"


def test_the_dashboard_of_one_worker_shows_what_another_worker_did(tmp_path: Path, dash: Page) -> None:
    shared = {"SEED": 0, "API_KEYS": ["sk_test"], "STORE": f"sqlite:{tmp_path / 'shared.db'}"}
    with (EmbeddedServer({**shared, "INSTANCE": "worker-a"}) as a,
          EmbeddedServer({**shared, "INSTANCE": "worker-b"}) as b):
        dash.goto(f"{a.url}/_mock/")
        expect(dash.locator(".served")).to_contain_text("worker-a")
        task_id = create_id(b.url)
        row = dash.locator(f'#tasks tr[data-id="{task_id}"]')
        expect(row).to_be_visible(timeout=2000)
        requests.post(f"{b.url}/_mock/clock/advance", json={"seconds": 600}, timeout=5).raise_for_status()
        expect(row.locator(".badge")).to_have_text("completed", timeout=2000)
        dash.goto(f"{a.url}/_mock/ui/journal")
        expect(dash.locator("#journal tbody tr").first).to_contain_text("worker-b")
