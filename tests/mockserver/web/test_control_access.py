"""Who may use the control API: loopback only, no proxied requests unless trusted, the control token when
set (the fixtures and ControlClient carry it); OPTIONS and CORS answer in the envelope."""

from __future__ import annotations

import pytest
import requests

from mockserver import create_app
from mockserver.control_client import ControlClient, ControlError
from mockserver.server import EmbeddedServer
from tests.mockserver.conftest import AUTH, CREATE, assert_envelope, std_body


@pytest.mark.parametrize("header", ["Forwarded", "X-Forwarded-For", "X-Real-Ip"])
def test_proxied_control_requests_are_refused(header: str) -> None:
    http = create_app().test_client()
    answer = http.post("/_mock/reset", headers={header: "for=203.0.113.9"})
    assert_envelope(answer, 403, "FORBIDDEN")
    trusting = create_app({"TRUST_PROXY": True}).test_client()
    assert trusting.post("/_mock/reset", headers={header: "for=203.0.113.9"}).status_code == 200


def test_non_loopback_callers_are_refused() -> None:
    http = create_app().test_client()
    answer = http.post("/_mock/reset", environ_base={"REMOTE_ADDR": "10.1.2.3"})
    assert_envelope(answer, 403, "FORBIDDEN")


def test_the_control_token_is_required_when_set() -> None:
    http = create_app({"CONTROL_TOKEN": "s3cret"}).test_client()
    assert_envelope(http.post("/_mock/reset"), 403, "FORBIDDEN")
    assert_envelope(http.post("/_mock/reset", headers={"X-Control-Token": "wrong"}), 403, "FORBIDDEN")
    assert http.post("/_mock/reset", headers={"X-Control-Token": "s3cret"}).status_code == 200
    http.set_cookie("seedance_control", "s3cret")
    assert http.get("/_mock/health").status_code == 200
    # The API itself does not need it.
    api = create_app({"CONTROL_TOKEN": "s3cret"}).test_client()
    assert api.post(CREATE, json=std_body(), headers=AUTH).status_code == 200


def test_control_client_carries_the_token() -> None:
    with EmbeddedServer({"CONTROL_TOKEN": "s3cret"}) as server:
        with pytest.raises(ControlError) as refused:
            ControlClient(server.url).reset()
        assert refused.value.status == 403
        client = ControlClient(server.url, control_token="s3cret")
        client.reset()
        assert client.health()["store"] == "memory"


def test_options_answers_in_the_envelope() -> None:
    http = create_app().test_client()
    for path in ("/_mock/reset", "/_mock/journal", CREATE, "/api/open-api/v1/videos/vid_x"):
        answer = http.open(path, method="OPTIONS")
        assert_envelope(answer, 405, "METHOD_NOT_ALLOWED")
        assert answer.headers["Allow"]


def test_cors_is_off_by_default_and_opt_in() -> None:
    origin = {"Origin": "http://app.test", "Access-Control-Request-Method": "POST"}
    plain = create_app().test_client()
    assert plain.open(CREATE, method="OPTIONS", headers=origin).status_code == 405
    assert "Access-Control-Allow-Origin" not in plain.post(CREATE, json=std_body(), headers={**AUTH, **origin}).headers
    http = create_app({"CORS_ORIGIN": "http://app.test"}).test_client()
    preflight = http.open(CREATE, method="OPTIONS", headers=origin)
    assert preflight.status_code == 204 and preflight.headers["Access-Control-Allow-Origin"] == "http://app.test"
    assert "Authorization" in preflight.headers["Access-Control-Allow-Headers"]
    answer = http.post(CREATE, json=std_body(duration=99), headers={**AUTH, "Origin": "http://app.test"})
    assert answer.status_code == 400 and answer.headers["Access-Control-Allow-Origin"] == "http://app.test"
    other = http.post(CREATE, json=std_body(), headers={**AUTH, "Origin": "http://evil.test"})
    assert "Access-Control-Allow-Origin" not in other.headers
    control = http.open("/_mock/reset", method="OPTIONS", headers=origin)
    assert control.status_code == 405  # never for the control API


def test_health_and_spec_endpoints() -> None:
    with EmbeddedServer() as server:
        health = requests.get(f"{server.url}/_mock/health", timeout=5).json()["data"]
        assert health["status"] == "ok" and health["store"] == "memory" and health["tasks"] == 0
        assert health["version"] and health["uptime"] >= 0
        spec = requests.get(f"{server.url}/_mock/openapi.yaml", timeout=5)
        assert spec.status_code == 200 and "\nopenapi: 3.1" in spec.text
        assert spec.headers["Content-Type"].startswith("application/yaml")


@pytest.mark.parametrize(
    ("headers", "allowed"),
    [
        ({"Origin": "http://evil.test"}, False),
        ({"Origin": "null"}, False),
        ({"Sec-Fetch-Site": "cross-site"}, False),
        ({"Sec-Fetch-Site": "same-site"}, False),
        ({"Origin": "http://localhost"}, True),
        ({"Sec-Fetch-Site": "same-origin", "Origin": "http://localhost"}, True),
        ({}, True),
    ],
)
def test_cross_site_writes_are_refused(headers: dict[str, str], allowed: bool) -> None:
    http = create_app().test_client()
    answer = http.post("/_mock/reset", headers=headers)
    if allowed:
        assert answer.status_code == 200
    else:
        assert_envelope(answer, 403, "FORBIDDEN")
    assert http.get("/_mock/health", headers=headers).status_code == 200  # reads stay open


def test_usage_names_each_routes_billing_unit() -> None:
    http = create_app().test_client()
    for body in (std_body(duration=8), std_body(duration=5),
                 {"model": "seedance2.0-sp", "prompt": "x", "duration": 6, "resolution": "1080p"}):
        assert http.post(CREATE, json=body, headers=AUTH).status_code == 200
    rows = {r["model"]: r for r in http.get("/_mock/usage").get_json()["data"]["usage"]}
    assert rows["seedance2.0-std"]["billing_unit"] == "per_task" and rows["seedance2.0-std"]["billable_units"] == 2
    sp = rows["seedance2.0-sp"]
    assert sp["billing_unit"] == "per_second_by_resolution" and sp["resolution"] == "1080p"
    assert sp["billable_units"] == 6 == sp["billable_seconds"]


def test_a_checkout_runs_its_own_spec_not_an_installed_copy() -> None:
    from pathlib import Path

    import mockserver
    from mockserver.spec.loader import spec_path

    repo = Path(__file__).resolve().parents[2]
    repo_spec = repo / "openapi.yaml"
    if Path(mockserver.__file__).resolve().parents[1] == repo:  # a checkout (or an editable install)
        assert spec_path() == repo_spec
    else:  # installed from the wheel, as CI does: its own copy, built from this checkout
        assert spec_path().parent.name == "seedance_openapi"
    served = create_app().test_client().get("/_mock/openapi.yaml").get_data()
    assert served == repo_spec.read_bytes()


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


def test_the_error_id_table_is_the_specs() -> None:
    from mockserver.spec.loader import load_spec
    from mockserver.state.errors import ERROR_STATUS

    spec = load_spec()
    assert {entry["id"]: entry["status"] for entry in spec["x-error-ids"]} == ERROR_STATUS


def test_usage_answers_the_specs_usage_summary() -> None:
    import jsonschema

    from mockserver.spec.loader import load_spec

    spec = load_spec()
    http = create_app().test_client()
    http.post(CREATE, json=std_body(), headers=AUTH)
    failed = http.post(CREATE, json=std_body(), headers={**AUTH, "X-Seedance-Mock": "fail"})
    assert failed.status_code == 200
    data = http.get("/_mock/usage").get_json()["data"]
    schema = {"$ref": "#/x-emulator-schemas/UsageSummary", "x-emulator-schemas": spec["x-emulator-schemas"]}
    jsonschema.validate(data, schema)
    (row,) = data["usage"]
    assert (row["tasks"], row["failed"], row["billable_tasks"], row["billable_units"]) == (2, 1, 1, 1)
