"""`seedance-contracts coverage`: reads a running emulator over HTTP, judges the bar, lists what is missing
with how to provoke it, and writes text, JSON or JUnit (read here by junitparser)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from junitparser import JUnitXml

from contracts.cli import main
from mockserver.server import EmbeddedServer

CREATE = "/api/open-api/v1/seedance/videos"


@pytest.fixture(scope="module")
def server() -> Iterator[EmbeddedServer]:
    with EmbeddedServer({"SEED": 0}) as running:
        yield running


@pytest.fixture
def url(server: EmbeddedServer) -> str:
    requests.post(server.url + "/_mock/reset", timeout=30)
    return server.url


def _rate_limited(url: str) -> None:
    headers = {"Authorization": "Bearer sk_c", "X-Seedance-Mock": "fault=429"}
    assert requests.post(url + CREATE, json={}, headers=headers, timeout=30).status_code == 429


def test_nothing_met_is_under_any_bar(url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["coverage", "--base-url", url, "--fail-under", "1"]) == 1
    out = capsys.readouterr().out
    assert "coverage: 0/" in out and "FAIL: 0.0% is under --fail-under 1" in out
    assert "  fault:429: header X-Seedance-Mock: fault=429; control POST /_mock/faults" not in out  # header only
    assert "  fault:429: header X-Seedance-Mock: fault=429" in out
    assert "  error:TOO_MANY_TASKS: control POST /_mock/limits" in out


def test_required_items(url: str, capsys: pytest.CaptureFixture[str]) -> None:
    _rate_limited(url)
    assert main(["coverage", "--base-url", url, "--require", "error:RATE_LIMITED", "--require", "fault:429"]) == 0
    assert capsys.readouterr().out.rstrip().endswith("PASS")
    assert main(["coverage", "--base-url", url, "--require", "error:*"]) == 1
    assert "FAIL: required error:TOO_MANY_TASKS was not met" in capsys.readouterr().out
    assert main(["coverage", "--base-url", url, "--require", "error:NO_SUCH_THING"]) == 1
    assert "matches no catalogue item" in capsys.readouterr().out


def test_json_and_junit_formats(url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _rate_limited(url)
    assert main(["coverage", "--base-url", url, "--format", "json", "--fail-under", "50"]) == 1
    document = json.loads(capsys.readouterr().out)
    assert document["verdict"]["ok"] is False and document["summary"]["met"] == 2
    target = tmp_path / "coverage.xml"
    assert main(["coverage", "--base-url", url, "--format", "junit", "--output", str(target)]) == 0
    suite = next(iter(JUnitXml.fromfile(str(target))))
    passed = {case.name for case in suite if case.is_passed}
    assert passed == {"error:RATE_LIMITED", "fault:429"}
    assert suite.tests == len(document["items"])


def test_conduct_can_fail_the_run(url: str, capsys: pytest.CaptureFixture[str]) -> None:
    auth = {"Authorization": "Bearer sk_c"}
    for _ in range(2):
        requests.post(url + CREATE, json={"model": "seedance2.0-std"}, headers=auth, timeout=30)
    assert main(["coverage", "--base-url", url]) == 0
    assert "invalid-after-rejection x1" in capsys.readouterr().out
    assert main(["coverage", "--base-url", url, "--fail-on-conduct"]) == 1


def test_a_server_without_a_ledger(capsys: pytest.CaptureFixture[str]) -> None:
    with EmbeddedServer({"LEDGER": False}) as off:
        assert main(["coverage", "--base-url", off.url]) == 1
    assert "409" in capsys.readouterr().err
    assert main(["coverage", "--base-url", "http://127.0.0.1:9"]) == 1
    assert "cannot reach" in capsys.readouterr().err
