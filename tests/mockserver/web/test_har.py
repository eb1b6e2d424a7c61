"""`GET /_mock/journal.har`: the journal as HTTP Archive 1.2 (web/har.py)."""

from __future__ import annotations

from mockserver import create_app
from tests.mockserver.conftest import AUTH, CREATE, std_body


def test_the_journal_exports_as_har_1_2() -> None:
    http = create_app().test_client()
    http.post(CREATE, json=std_body(duration=99), headers=AUTH)
    task_id = http.post(CREATE, json=std_body(), headers=AUTH).get_json()["data"]["task_id"]
    http.get(f"/api/open-api/v1/videos/{task_id}?x=1", headers=AUTH)
    answer = http.get("/_mock/journal.har")
    assert answer.status_code == 200 and "attachment" in answer.headers["Content-Disposition"]
    log = answer.get_json()["log"]
    assert log["version"] == "1.2" and log["creator"]["name"] == "seedance-mock"
    first, second, third = log["entries"]
    for entry in log["entries"]:  # the fields HAR 1.2 requires
        assert set(entry) >= {"startedDateTime", "time", "request", "response", "cache", "timings"}
        assert set(entry["request"]) >= {"method", "url", "httpVersion", "cookies", "headers", "queryString",
                                         "headersSize", "bodySize"}
        assert set(entry["response"]) >= {"status", "statusText", "httpVersion", "cookies", "headers", "content",
                                          "redirectURL", "headersSize", "bodySize"}
        assert entry["startedDateTime"].endswith("+00:00")
    assert first["request"]["method"] == "POST" and first["response"]["status"] == 400
    assert first["_rules"] == ["STD_DURATION_RANGE"] and '"duration": 99' in first["request"]["postData"]["text"]
    assert second["response"]["statusText"] == "OK" and task_id in second["response"]["content"]["text"]
    assert third["request"]["queryString"] == [{"name": "x", "value": "1"}]
    assert third["request"]["url"].startswith("http://localhost/api/open-api/v1/videos/")
    only_400 = http.get("/_mock/journal.har?status=400").get_json()["log"]["entries"]
    assert [e["response"]["status"] for e in only_400] == [400]
