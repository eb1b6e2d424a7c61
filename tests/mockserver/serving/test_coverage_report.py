"""`seedance-mock --coverage-report PATH`: written when the emulator stops, from every worker's traffic, as JSON
or JUnit XML; a Node client's run lists exactly what it met; 50 requests over `--workers 2` count 50."""

from __future__ import annotations

import json
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
from junitparser import JUnitXml

from mockserver.cli import main
from tests.mockserver.hostile.processes import running

pytestmark = pytest.mark.slow  # each test starts emulator processes
CREATE = "/api/open-api/v1/seedance/videos"
NODE_CLIENT = Path(__file__).with_name("coverage_client.mjs")


def _met(report: dict[str, object]) -> dict[str, int]:
    return {row["id"]: row["met"] for row in report["items"] if row["met"]}  # type: ignore[index,union-attr]


def test_a_node_client_meets_exactly_what_it_did(tmp_path: Path) -> None:
    node = shutil.which("node")
    assert node is not None, "node is installed on every machine here (.ci/run installs it)"
    report = tmp_path / "coverage.json"
    with running(["--coverage-report", str(report), "--quiet"]) as emulator:
        done = subprocess.run([node, str(NODE_CLIENT), emulator.url], capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        assert emulator.terminate() == 0
    document = json.loads(report.read_text(encoding="utf-8"))
    assert _met(document) == {"lifecycle:completed": 1, "result:downloaded": 1, "fault:429": 1,
                              "error:RATE_LIMITED": 1}
    assert document["conduct"] == []  # it waited, polled once, downloaded, honoured Retry-After
    assert document["summary"]["met"] == 4


def test_junit_report_read_by_a_junit_consumer(tmp_path: Path) -> None:
    report = tmp_path / "coverage.xml"
    with running(["--coverage-report", str(report), "--quiet"]) as emulator:
        auth = {"Authorization": "Bearer sk_ci"}
        for _ in range(2):  # the same rejected body twice: one conduct finding
            requests.post(emulator.url + CREATE, json={"model": "seedance2.0-std"}, headers=auth, timeout=30)
        assert emulator.terminate() == 0
    suite = next(iter(JUnitXml.fromfile(str(report))))
    cases = {case.name: case for case in suite}
    met = {"rule:PROMPT_REQUIRED", "rule:DURATION_REQUIRED", "error:VALIDATION_FAILED"}
    assert {name for name, case in cases.items() if case.is_passed} == met
    assert not cases["fault:429"].is_passed
    findings = [name for name in cases if name.startswith("invalid-after-rejection")]
    assert len(findings) == 1 and not cases[findings[0]].is_passed
    assert suite.tests == len(cases) and suite.failures == len(cases) - len(met)


@pytest.mark.parametrize("kind", ["sqlite", "redis"])
def test_fifty_requests_over_two_workers_count_fifty(kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    store = f"sqlite:{tmp_path / 'store.db'}" if kind == "sqlite" else request.getfixturevalue("redis_server") + (
        "?prefix=cov50")
    report = tmp_path / "coverage.json"
    with running(["--workers", "2", "--store", store, "--coverage-report", str(report), "--quiet"]) as emulator:
        requests.post(emulator.url + "/_mock/reset", timeout=30)

        def one(_: int) -> int:
            headers = {"Authorization": "Bearer sk_w", "X-Seedance-Mock": "fault=503", "Connection": "close"}
            return requests.post(emulator.url + CREATE, json={}, headers=headers, timeout=30).status_code

        with ThreadPoolExecutor(8) as pool:
            assert set(pool.map(one, range(50))) == {503}
        live = requests.get(emulator.url + "/_mock/coverage", timeout=60).json()["data"]
        assert _met(live) == {"fault:503": 50, "error:SERVICE_UNAVAILABLE": 50}
        instances = {requests.get(emulator.url + "/_mock/health", headers={"Connection": "close"}, timeout=30)
                     .json()["data"]["instance"] for _ in range(20)}
        assert emulator.terminate() == 0
    assert _met(json.loads(report.read_text(encoding="utf-8"))) == {"fault:503": 50, "error:SERVICE_UNAVAILABLE": 50}
    assert len(instances) >= 1


def test_options_that_cannot_be_honoured_are_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--coverage-report", str(tmp_path / "r.json"), "--no-ledger", "--port", "0"]) == 2
    assert "needs the ledger" in capsys.readouterr().err
    assert main(["--coverage-report", str(tmp_path / "missing" / "r.json"), "--port", "0"]) == 2
    assert "does not exist" in capsys.readouterr().err
    assert main(["--coverage-report", str(tmp_path / "r.json"), "--server", "granian", "--port", "0"]) == 2
    assert "memory store runs on waitress" in capsys.readouterr().err
