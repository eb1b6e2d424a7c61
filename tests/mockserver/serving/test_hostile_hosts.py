"""Item 2: DNS rebinding. Under /_mock/ (control API and dashboard) only loopback names, the bound host and
names allowed with --allow-host are answered; any other Host gets 403 HOST_NOT_ALLOWED in the envelope."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask

from mockserver import create_app
from mockserver.web.hosts import allowed_names, host_name
from tests.mockserver.hostile.processes import Emulator, running
from tests.mockserver.serving.live import SERVERS, call, error_id

EVIL = "evil.example"
SIGNED_FILES = "/_mock/files/"  # signed result URLs: the API's own, fetched under any name the API is reached by


def _mock_routes(app: Flask) -> list[tuple[str, str]]:
    """(method, path) of every /_mock/ route, with placeholders filled."""
    found = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/_mock") or rule.rule.startswith(SIGNED_FILES):
            continue
        path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", lambda m: "dashboard.css" if m.group(1) == "filename" else "vid_x",
                      rule.rule)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            found.append((method, path))
    return found


@pytest.fixture(scope="module")
def app() -> Iterator[Flask]:
    made = create_app({"SEED": 1})
    yield made


ROUTES = _mock_routes(create_app({"SEED": 1}))


def test_every_mock_route_is_listed() -> None:
    paths = {path for _, path in ROUTES}
    assert {"/_mock/faults", "/_mock/journal", "/_mock/reset", "/_mock/", "/_mock/ui/controls"} <= paths
    assert len(ROUTES) >= 20


@pytest.mark.parametrize(("method", "path"), ROUTES)
@pytest.mark.parametrize("host", [EVIL, f"{EVIL}:8000", "127.0.0.1.evil.example", "localhost.", "[::2]:80"])
def test_a_foreign_host_is_refused_on_every_mock_route(app: Flask, method: str, path: str, host: str) -> None:
    answer = app.test_client().open(path, method=method, headers={"Host": host}, json={} if method != "GET" else None)
    assert answer.status_code == 403, (method, path, answer.status_code)
    body: dict[str, Any] = answer.get_json()
    assert body["data"]["error"] == "HOST_NOT_ALLOWED" and "--allow-host" in body["msg"]


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.1:8000", "localhost", "LOCALHOST:1", "[::1]", "[::1]:9"])
def test_loopback_names_with_any_port_pass(app: Flask, host: str) -> None:
    assert app.test_client().get("/_mock/health", headers={"Host": host}).status_code == 200


def test_the_bound_host_and_allowed_names_pass() -> None:
    app = create_app({"SEED": 1, "BIND_HOST": "10.1.2.3", "ALLOWED_HOSTS": ["Mock.Internal"]})
    client = app.test_client()
    for host in ("10.1.2.3:8000", "mock.internal", "MOCK.INTERNAL:443"):
        assert client.get("/_mock/health", headers={"Host": host}).status_code == 200, host
    assert client.get("/_mock/health", headers={"Host": EVIL}).status_code == 403


def test_allowed_names_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SEEDANCE_MOCK_ALLOWED_HOSTS", "a.test, b.test")
    client = create_app({"SEED": 1}).test_client()
    assert client.get("/_mock/health", headers={"Host": "b.test:1"}).status_code == 200
    assert client.get("/_mock/health", headers={"Host": "c.test"}).status_code == 403


def test_allowed_names_given_as_one_string_are_split() -> None:
    client = create_app({"SEED": 1, "ALLOWED_HOSTS": "a.test,b.test"}).test_client()
    assert client.get("/_mock/health", headers={"Host": "a.test"}).status_code == 200
    assert client.get("/_mock/health", headers={"Host": "a"}).status_code == 403


def test_binding_every_interface_allows_no_extra_name() -> None:
    assert allowed_names({"BIND_HOST": "0.0.0.0"}) == allowed_names({})
    assert host_name("[::1]:8000") == "::1" and host_name("Example.COM:80") == "example.com"


def test_the_api_and_signed_files_answer_any_host(app: Flask) -> None:
    client = app.test_client()
    answer = client.post("/api/open-api/v1/seedance/videos", headers={"Host": EVIL, "Authorization": "Bearer sk_x"},
                         json={"model": "seedance2.0-std", "prompt": "x", "duration": 5})
    assert answer.status_code == 200
    file_answer = client.get("/_mock/files/vid_x.mp4?sig=bad", headers={"Host": EVIL})
    assert (file_answer.get_json() or {}).get("data", {}).get("error") != "HOST_NOT_ALLOWED"


def test_the_rebinding_attack_cannot_queue_a_fault(app: Flask) -> None:
    client = app.test_client()
    answer = client.post("/_mock/faults", json={"kind": "500"},
                         headers={"Host": EVIL, "Origin": f"http://{EVIL}"})
    assert answer.status_code == 403
    assert client.get("/_mock/faults").get_json()["data"]["faults"] == []


# -- live, both servers ---------------------------------------------------------------------------------
@pytest.fixture(scope="module", params=SERVERS)
def emulator(request: pytest.FixtureRequest) -> Iterator[Emulator]:
    with running(["--server", str(request.param), "--quiet", "--allow-host", "mock.test"]) as emu:
        yield emu


@pytest.mark.slow
@pytest.mark.parametrize(("method", "path"), [("GET", "/_mock/health"), ("GET", "/_mock/journal"),
                                              ("POST", "/_mock/faults"), ("POST", "/_mock/reset"), ("GET", "/_mock/"),
                                              ("GET", "/_mock/ui/journal"), ("GET", "/_mock/ui/static/dashboard.js")])
def test_live_rebinding_is_refused(emulator: Emulator, method: str, path: str) -> None:
    body = json.dumps({"kind": "500"}).encode() if method == "POST" else None
    headers = {"Host": EVIL, "Content-Type": "application/json"}
    status, _, answer = call(emulator.url, method, path, body, headers)
    assert (status, error_id(answer)) == (403, "HOST_NOT_ALLOWED")


@pytest.mark.slow
def test_live_allowed_host_passes(emulator: Emulator) -> None:
    status, _, _ = call(emulator.url, "GET", "/_mock/health", headers={"Host": "mock.test:8000"})
    assert status == 200
