"""Standard OpenAPI tools accept openapi.yaml: openapi-python-client generates a working client (create, poll to
completed, read result.video_url against a live emulator), Spectral's `spectral:oas` and Redocly's `recommended`
rules report no error and no warning. The linters run through npx with pinned versions (CI has node); those
two tests skip only when npx is absent."""

from __future__ import annotations

import importlib
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from mockserver.server import EmbeddedServer
from tests.spec.schema_tools import SPEC_PATH

SPECTRAL = "@stoplight/spectral-cli@6.16.3"
REDOCLY = "@redocly/cli@2.77.0"
NPX = shutil.which("npx")
needs_npx = pytest.mark.skipif(NPX is None, reason="npx (node) is not installed")
GENERATED = "seedance_generated"
# Code generation and npx linters take seconds each: the quick loop (`-m "not slow"`) skips them, CI runs them.
pytestmark = pytest.mark.slow


def _run(command: list[str], cwd: Path, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "REDOCLY_TELEMETRY": "off", "REDOCLY_SUPPRESS_UPDATE_NOTICE": "true",
           "NO_COLOR": "1", "npm_config_update_notifier": "false"}
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=timeout, env=env, check=False)


@pytest.fixture(scope="module")
def generated_client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """The client openapi-python-client 0.29.1 generates from openapi.yaml, imported from a temp folder."""
    pytest.importorskip("openapi_python_client", reason="openapi-python-client is not installed")
    where = tmp_path_factory.mktemp("generated")
    done = _run([sys.executable, "-m", "openapi_python_client", "generate", "--path", str(SPEC_PATH),
                 "--output-path", str(where / GENERATED), "--meta", "none"], cwd=where)
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    assert "Warning" not in output and "Unable to" not in output, output  # nothing skipped or dropped
    sys.path.insert(0, str(where))
    try:
        yield importlib.import_module(GENERATED)
    finally:
        sys.path.remove(str(where))
        for name in [n for n in sys.modules if n == GENERATED or n.startswith(GENERATED + ".")]:
            del sys.modules[name]


def test_generated_client_creates_polls_and_reads_the_video_url(generated_client: Any) -> None:
    create = importlib.import_module(f"{GENERATED}.api.videos.create_video")
    get = importlib.import_module(f"{GENERATED}.api.videos.get_video")
    models = importlib.import_module(f"{GENERATED}.models")
    with EmbeddedServer({"SEED": 0, "API_KEYS": ["sk_test"], "SPEC_PATH": str(SPEC_PATH)}) as server:
        api = generated_client.AuthenticatedClient(base_url=server.url, token="sk_test")
        body = models.CreateVideoRequest.from_dict(
            {"model": "seedance2.0-std", "prompt": "A red fox runs through fresh snow", "duration": 5,
             "ratio": "16:9", "images": ["https://example.com/ref-1.jpg"]})
        created = create.sync(client=api, body=body)
        assert isinstance(created, models.CreateVideoResponse), created
        task_id = created.data.task_id
        assert created.data.status == models.TaskStatus.QUEUED
        queued = get.sync(task_id=task_id, client=api)
        assert isinstance(queued, models.GetVideoResponse) and queued.data.status != models.TaskStatus.COMPLETED
        answer = requests.post(f"{server.url}/_mock/clock/advance", json={"seconds": 100000}, timeout=10)
        assert answer.status_code == 200
        done = get.sync(task_id=task_id, client=api)
        assert isinstance(done, models.GetVideoResponse)
        assert done.data.status == models.TaskStatus.COMPLETED
        assert done.data.result.video_url.startswith(server.url + "/_mock/files/")
        rejected = create.sync_detailed(client=api, body=models.CreateVideoRequest.from_dict(
            {"model": "seedance2.0-std", "prompt": "x", "duration": 16}))
        assert rejected.status_code == 400
        assert rejected.parsed.data.rules == ["STD_DURATION_RANGE"]


@needs_npx
def test_spectral_oas_reports_no_error_and_no_warning(tmp_path: Path) -> None:
    ruleset = tmp_path / ".spectral.yaml"
    ruleset.write_text('extends: ["spectral:oas"]\n', encoding="utf-8")
    report = tmp_path / "spectral.json"
    done = _run([str(NPX), "--yes", SPECTRAL, "lint", str(SPEC_PATH), "--ruleset", str(ruleset),
                 "--format", "json", "--output", str(report), "--fail-severity", "hint"], cwd=tmp_path)
    assert report.is_file(), done.stdout + done.stderr
    problems = json.loads(report.read_text(encoding="utf-8") or "[]")
    assert problems == [], json.dumps(problems, indent=1)[:3000]
    assert done.returncode == 0, done.stdout + done.stderr


@needs_npx
def test_redocly_recommended_reports_no_error_and_no_warning(tmp_path: Path) -> None:
    done = _run([str(NPX), "--yes", REDOCLY, "lint", str(SPEC_PATH), "--extends", "recommended",
                 "--format", "json"], cwd=tmp_path)
    start = done.stdout.find("{")
    assert start >= 0, done.stdout + done.stderr
    report = json.loads(done.stdout[start:])
    problems = [(p["severity"], p["ruleId"], p["message"]) for p in report["problems"]]
    assert problems == []
    assert report["totals"] == {"errors": 0, "warnings": 0, "ignored": 0}
    assert done.returncode == 0, done.stderr
