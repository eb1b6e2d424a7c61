"""The dashboard's own HTTP behaviour, without a browser: the control API's access rules, the video redirect,
escaping, and no journal entries for its polling."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient

from mockserver import create_app
from mockserver.web.shared import EXTENSION

AUTH = {"Authorization": "Bearer sk_test"}
CREATE = "/api/open-api/v1/seedance/videos"


@pytest.fixture
def app() -> Iterator[Flask]:
    app = create_app({"SEED": 0, "API_KEYS": ["sk_test"]})
    yield app
    app.extensions[EXTENSION].backend.close()


@pytest.fixture
def http(app: Flask) -> FlaskClient:
    return app.test_client()


def make_task(http: FlaskClient, prompt: str = "a cat") -> str:
    answer = http.post(CREATE, json={"model": "seedance2.0-std", "prompt": prompt, "duration": 5}, headers=AUTH)
    assert answer.status_code == 200, answer.get_json()
    task_id: str = answer.get_json()["data"]["task_id"]
    return task_id


PAGES = ["/_mock/", "/_mock/ui/journal", "/_mock/ui/controls", "/_mock/ui/static/dashboard.js"]


@pytest.mark.parametrize("path", PAGES)
def test_pages_refuse_remote_and_proxied_callers(http: FlaskClient, path: str) -> None:
    with http.get(path) as answer:  # closed: a static file's answer holds the file open until then
        assert answer.status_code == 200
    assert http.get(path, environ_base={"REMOTE_ADDR": "10.1.2.3"}).status_code == 403
    assert http.get(path, headers={"X-Forwarded-For": "203.0.113.9"}).status_code == 403


def test_a_wrong_page_token_is_refused_and_a_right_one_becomes_a_cookie() -> None:
    app = create_app({"SEED": 0, "CONTROL_TOKEN": "ctl"})
    http = app.test_client()
    assert http.get("/_mock/?token=nope").status_code == 403
    answer = http.get("/_mock/ui/journal?token=ctl&status=4xx")
    assert answer.status_code == 303
    assert answer.headers["Location"] == "/_mock/ui/journal?status=4xx"
    assert "seedance_control=ctl" in answer.headers["Set-Cookie"]
    assert "HttpOnly" in answer.headers["Set-Cookie"] and "SameSite=Strict" in answer.headers["Set-Cookie"]
    assert http.get("/_mock/ui/journal?status=4xx").status_code == 200  # the cookie is kept by the client
    assert http.get("/_mock/tasks").status_code == 200


def test_pages_are_locked_down(http: FlaskClient) -> None:
    answer = http.get("/_mock/")
    assert "script-src 'self'" in answer.headers["Content-Security-Policy"]
    assert answer.headers["X-Frame-Options"] == "DENY"
    assert answer.headers["Cache-Control"] == "no-store"


def test_the_video_link_redirects_to_the_signed_file_once_completed(http: FlaskClient) -> None:
    task_id = make_task(http)
    early = http.get(f"/_mock/tasks/{task_id}/video")
    assert early.status_code == 409
    assert early.get_json()["data"]["error"] == "CONFLICT"
    assert http.post(f"/_mock/tasks/{task_id}/complete").status_code == 200
    answer = http.get(f"/_mock/tasks/{task_id}/video")
    assert answer.status_code == 302
    location = answer.headers["Location"]
    assert f"/_mock/files/{task_id}.mp4?w=1280&h=720&d=5&exp=" in location and "&sig=" in location
    assert http.get(location.replace("http://localhost", ""), method="HEAD").status_code == 200
    assert http.get("/_mock/tasks/vid_nope/video").status_code == 404


def test_a_hostile_prompt_is_escaped_everywhere(http: FlaskClient) -> None:
    task_id = make_task(http, prompt="</script><script>alert(1)</script>")
    page = http.get(f"/_mock/ui/tasks/{task_id}").get_data(as_text=True)
    assert "<script>alert(1)" not in page
    assert "\\u003c/script\\u003e" in page  # inside the boot JSON
    assert "&lt;/script&gt;" in page  # in the rendered body


def test_the_task_feed_gives_the_entries_of_that_task_after_a_cursor(http: FlaskClient) -> None:
    task_id = make_task(http)
    other = make_task(http)
    http.get(f"/api/open-api/v1/videos/{task_id}", headers=AUTH)
    feed = http.get(f"/_mock/ui/api/tasks/{task_id}").get_json()["data"]
    assert [e["method"] for e in feed["entries"]] == ["POST", "GET"]
    assert {e["task_id"] for e in feed["entries"]} == {task_id}
    later = http.get(f"/_mock/ui/api/tasks/{task_id}?after={feed['next']}").get_json()["data"]
    assert later["entries"] == [] and later["next"] == feed["next"]
    assert other != task_id


def test_dashboard_traffic_is_not_journaled(http: FlaskClient) -> None:
    make_task(http)
    for path in ("/_mock/", "/_mock/ui/journal", "/_mock/ui/controls", "/_mock/ui/static/dashboard.css"):
        with http.get(path) as answer:  # closed, as above
            assert answer.status_code == 200
    entries = http.get("/_mock/journal").get_json()["data"]["entries"]
    assert [e["path"] for e in entries] == [CREATE]


def test_filters_on_the_server_rendered_pages(http: FlaskClient) -> None:
    task_id = make_task(http)
    assert http.post(CREATE, json={"model": "seedance2.0-std", "duration": 5}, headers=AUTH).status_code == 400
    assert task_id in http.get("/_mock/?status=queued").get_data(as_text=True)
    assert task_id not in http.get("/_mock/?status=completed").get_data(as_text=True)
    assert task_id in http.get("/_mock/?owner=sk_test").get_data(as_text=True)
    assert task_id not in http.get("/_mock/?owner=sk_else").get_data(as_text=True)
    journal = http.get("/_mock/ui/journal?rule=PROMPT_REQUIRED").get_data(as_text=True)
    assert 'title="PROMPT_REQUIRED: documented: prompt string required"' in journal
    assert journal.count('<tr data-seq=') == 1
