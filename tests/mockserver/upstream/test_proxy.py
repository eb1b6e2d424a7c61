"""--upstream: the public API goes to the real service with the caller's own token, control stays local,
requests and answers are judged, and no token is kept anywhere."""

from __future__ import annotations

import json
from pathlib import Path

from mockserver import create_app
from mockserver.server import EmbeddedServer
from mockserver.state.queries import TaskFilter
from mockserver.web.shared import EXTENSION
from tests.mockserver.upstream.helpers import (
    AUTH,
    CREATE,
    TOKEN,
    Clock,
    fidelity,
    mismatch_keys,
    planted_spec,
    proxied,
    query,
    run_task,
    schemas,
    std_body,
)

Service = tuple[EmbeddedServer, Clock]


def test_create_and_query_go_upstream_with_the_callers_own_token(service: Service) -> None:
    upstream, clock = service
    with proxied(clock, running=upstream) as (http, app, upstream):
        created = http.post(CREATE, json=std_body(), headers=AUTH)
        assert created.status_code == 200
        task_id = created.get_json()["data"]["task_id"]
        # The task lives upstream only: the proxy's own store has none.
        assert app.extensions[EXTENSION].backend.find_tasks(TaskFilter()) == []
        assert upstream.app.extensions[EXTENSION].backend.find_tasks(TaskFilter())[0].task_id == task_id
        assert http.get(query(task_id), headers=AUTH).get_json()["data"]["task_id"] == task_id
        # Another token is refused by the service, not by the proxy.
        refused = http.post(CREATE, json=std_body(), headers={"Authorization": "Bearer sk_other"})
        assert refused.status_code == 401
        assert refused.get_json()["data"]["error"] == "UNAUTHORIZED"


def test_control_endpoints_stay_local(service: Service) -> None:
    upstream, clock = service
    with proxied(clock, running=upstream) as (http, _app, upstream):
        http.post(CREATE, json=std_body(), headers=AUTH)
        assert http.get("/_mock/tasks").get_json()["data"]["tasks"] == []
        assert len(upstream.app.extensions[EXTENSION].backend.find_tasks(TaskFilter())) == 1
        assert http.get("/_mock/health").status_code == 200


def test_a_rule_breaking_request_is_sent_and_its_verdict_noted(service: Service) -> None:
    upstream, clock = service
    with proxied(clock, running=upstream) as (http, _app, upstream):
        answer = http.post(CREATE, json=std_body(duration=99), headers=AUTH)
        assert answer.status_code == 400
        assert answer.get_json()["data"]["rules"] == ["STD_DURATION_RANGE"]
        data = fidelity(http)
        assert data["mismatches"] == []
        assert {"rule": "STD_DURATION_RANGE", "requests": 1, "agreed": 1, "agrees": True} in data["rules"]
        assert len(upstream.app.extensions[EXTENSION].backend.journal()) == 1


def test_refuse_invalid_answers_locally_and_sends_nothing(service: Service) -> None:
    upstream, clock = service
    with proxied(clock, proxy_config={"UPSTREAM_REFUSE_INVALID": True}, running=upstream) as (http, _app, upstream):
        answer = http.post(CREATE, json=std_body(duration=99), headers=AUTH)
        assert answer.status_code == 400
        assert answer.get_json()["data"]["rules"] == ["STD_DURATION_RANGE"]
        assert "not sent" in answer.get_json()["msg"]
        bad_json = http.post(CREATE, data=b"{", headers={**AUTH, "Content-Type": "application/json"})
        assert bad_json.get_json()["data"]["error"] == "INVALID_JSON"
        assert upstream.app.extensions[EXTENSION].backend.journal() == []
        assert fidelity(http)["counts"]["refused_locally"] == 2
        assert http.post(CREATE, json=std_body(), headers=AUTH).status_code == 200  # valid ones still go


def test_an_unreachable_service_is_a_502_in_the_envelope() -> None:
    app = create_app({"UPSTREAM": "http://127.0.0.1:9", "UPSTREAM_TIMEOUT": 1.0})
    answer = app.test_client().post(CREATE, json=std_body(), headers=AUTH)
    assert answer.status_code == 502
    assert answer.get_json()["data"]["error"] == "BAD_GATEWAY"
    assert "cannot be reached" in answer.get_json()["msg"]
    app.extensions[EXTENSION].backend.close()


def test_result_download_goes_through_the_proxy_and_the_journal_marks_nothing_when_all_agrees(
        tmp_path: Path, service: Service) -> None:
    upstream, clock = service
    record = tmp_path / "rec.jsonl"
    with proxied(clock, proxy_config={"RECORD": str(record)}, running=upstream) as (http, _app, _upstream):
        statuses = run_task(http, clock, std_body(), 20.0, 6)
        assert statuses[-1] == "completed"
        task_id = json.loads(record.read_text().splitlines()[0])["task"]
        url = http.get(query(task_id), headers=AUTH).get_json()["data"]["result"]["video_url"]
        assert "/_mock/upstream/results/" in url
        video = http.get(url.split("localhost", 1)[1])
        assert video.status_code == 200 and video.data[4:8] == b"ftyp"
        entries = http.get("/_mock/journal").get_json()["data"]["entries"]
        assert entries and not any("mismatch" in e for e in entries)
        assert http.get("/_mock/upstream/results/unknown.mp4").status_code == 404
    result = [json.loads(line) for line in record.read_text().splitlines() if '"result"' in line][-1]
    assert (result["width"], result["height"], result["duration"]) == (1280, 720, 8.0)
    assert result["bytes"] == len(video.data)


def test_no_token_in_the_journal_the_report_or_the_console(caplog: object, service: Service) -> None:
    upstream, clock = service
    with proxied(clock, running=upstream) as (http, _app, _upstream):
        run_task(http, clock, std_body(), 30.0, 4)
        http.post(CREATE, json=std_body(ratio="2:1"), headers=AUTH)
        text = json.dumps(http.get("/_mock/journal").get_json()) + json.dumps(fidelity(http))
    assert TOKEN not in text
    assert TOKEN not in str(getattr(caplog, "text", ""))


def test_a_mismatch_is_marked_in_the_journal_and_on_the_dashboard(tmp_path: Path) -> None:
    def tighten(spec: dict[str, object]) -> None:
        schemas(spec)["STD_DURATION_RANGE"]["maximum"] = 10  # type: ignore[index]

    clock = Clock()
    upstream_spec = planted_spec(tmp_path, "tight", tighten)
    with proxied(clock, upstream_config={"SPEC_PATH": str(upstream_spec)}) as (http, _app, _upstream):
        assert http.post(CREATE, json=std_body(duration=12), headers=AUTH).status_code == 400
        entry = http.get("/_mock/journal").get_json()["data"]["entries"][-1]
        assert entry["mismatch"] == ["rule:STD_DURATION_RANGE"]
        assert mismatch_keys(fidelity(http)) == {"rule:STD_DURATION_RANGE"}
        page = http.get("/_mock/ui/journal").get_data(as_text=True)
    assert 'class="rule mismatch"' in page and "rule:STD_DURATION_RANGE" in page


def test_the_journal_names_the_services_error_and_odd_task_ids_are_sent_quoted(service: Service) -> None:
    upstream, clock = service
    with proxied(clock, running=upstream) as (http, _app, upstream):
        assert http.get(query("vid_a%2Fb c"), headers=AUTH).status_code == 404
        entry = http.get("/_mock/journal").get_json()["data"]["entries"][-1]
        assert entry["error"] == "TASK_NOT_FOUND" and "mismatch" not in entry
        seen = upstream.app.extensions[EXTENSION].backend.journal()[-1]["path"]
        assert seen == "/api/open-api/v1/videos/vid_a/b c"  # one id, intact (PATH_INFO is decoded)


def test_a_hostile_service_is_bounded_and_judged() -> None:
    from flask import Flask, Response

    hostile = Flask("hostile")

    @hostile.post(CREATE)
    def html_error() -> Response:
        return Response("<html>bad gateway</html>", status=502, mimetype="text/html")

    @hostile.get("/api/open-api/v1/videos/<task_id>")
    def huge(task_id: str) -> Response:
        return Response(b'{"pad": "' + b"x" * (5 * 1024 * 1024) + b'"}', mimetype="application/json")

    with EmbeddedServer(app=hostile) as upstream:
        app = create_app({"UPSTREAM": upstream.url})
        http = app.test_client()
        answer = http.post(CREATE, json=std_body(), headers=AUTH)
        assert answer.status_code == 502 and answer.data == b"<html>bad gateway</html>"
        too_big = http.get(query("vid_1"), headers=AUTH)
        assert too_big.status_code == 502 and "over 4194304 bytes" in too_big.get_json()["msg"]
        data = fidelity(http)
        assert mismatch_keys(data) == {"path:#/components/schemas/ErrorEnvelope"}
        assert data["counts"]["upstream_errors"] == 1
        assert {a["id"]: a["verdict"] for a in data["assumptions"]}["ERROR_ENVELOPE"] == "contradicted"
        app.extensions[EXTENSION].backend.close()
        from tests.mockserver.upstream.helpers import proxy_of, settle

        proxy_of(app).forwarder.close()
        settle(upstream)


def test_a_service_that_drips_its_answer_is_cut_at_the_timeout() -> None:
    import time

    from flask import Flask, Response

    from tests.mockserver.upstream.helpers import proxy_of, settle

    dripping = Flask("dripping")

    @dripping.post(CREATE)
    def drip() -> Response:
        def chunks() -> object:
            for _ in range(40):
                time.sleep(0.1)
                yield b" "

        return Response(chunks(), mimetype="application/json")  # type: ignore[arg-type]

    with EmbeddedServer(app=dripping) as upstream:
        app = create_app({"UPSTREAM": upstream.url, "UPSTREAM_TIMEOUT": 0.5})
        answer = app.test_client().post(CREATE, json=std_body(), headers=AUTH)
        # Each read comes within the read timeout; the whole answer (4 s of drips) does not.
        assert answer.status_code == 502 and "in time" in answer.get_json()["msg"]
        proxy_of(app).forwarder.close()
        app.extensions[EXTENSION].backend.close()
        settle(upstream)
