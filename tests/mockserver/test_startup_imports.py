"""Start-up imports only what a plain emulator serves with: features load their modules when first used.

Counted, not timed (bench/bench_server.py --only-startup times it): a fresh interpreter runs the default
start path (the CLI's modules, granian's worker module, `create_app`, the first request) and lists what it
imported. Each module named here costs milliseconds of every start when it creeps back in.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

# Loaded when the feature is first used: the coverage catalogue (GET /_mock/coverage, the Coverage page,
# --coverage-report), the upstream judges (--upstream, --replay, GET /_mock/fidelity), waitress
# (--server waitress), requests (the upstream proxy), PyAV (the first video encoded), Python jsonschema (the
# first invalid body's messages).
NOT_AT_START = (
    "mockserver.spec.catalogue", "mockserver.spec.coverage", "mockserver.spec.rule_bodies",
    "mockserver.spec.snippets", "mockserver.state.conduct", "mockserver.serving.coverage_report",
    "mockserver.upstream.answers", "mockserver.upstream.evidence", "mockserver.upstream.book",
    "mockserver.upstream.forward", "mockserver.upstream.proxy", "mockserver.upstream.replay",
    "mockserver.serving.waitress_server", "waitress", "requests", "urllib3", "av", "jsonschema",
)

# The parent's path (`seedance-mock --port 0` up to granian's start, stubbed), then a worker's app and the
# first requests through it.
START = """
import json, sys
from werkzeug.test import Client
from mockserver import cli
from mockserver.serving import worker_app, workers
workers.serve_workers = lambda *args, **kwargs: None
assert cli.main(["--port", "0", "--quiet"]) == 0
client = Client(worker_app.load())
statuses = [client.get("/_mock/health", environ_overrides={"REMOTE_ADDR": "127.0.0.1"}).status_code,
            client.post("/api/open-api/v1/seedance/videos", headers={"Authorization": "Bearer sk_start"},
                        json={"model": "seedance2.0-std", "prompt": "a cat", "duration": 5}).status_code]
print(json.dumps({"statuses": statuses, "modules": sorted(sys.modules)}))
"""

FIRST_USE = """
import json, sys
from mockserver import create_app
client = create_app({}).test_client()
status = client.get("/_mock/coverage").status_code
print(json.dumps({"status": status, "modules": sorted(sys.modules)}))
"""


def _run(code: str, **env: str) -> dict[str, Any]:
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False,
                          env={**os.environ, **env})
    assert done.returncode == 0, done.stderr
    found: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return found


@pytest.mark.slow
def test_the_default_start_imports_no_feature_module() -> None:
    found = _run(START)
    assert found["statuses"] == [200, 200]
    modules = set(found["modules"])
    assert "mockserver.web.coverage_views" in modules and "mockserver.web.upstream_views" in modules
    assert sorted(m for m in NOT_AT_START if m in modules) == []


@pytest.mark.slow
def test_the_coverage_catalogue_loads_on_first_use() -> None:
    found = _run(FIRST_USE)
    assert found["status"] == 200
    modules = set(found["modules"])
    assert {"mockserver.spec.catalogue", "mockserver.spec.coverage"} <= modules


@pytest.mark.slow
def test_a_start_with_the_spec_cached_imports_no_yaml(tmp_path: Path) -> None:
    """The first start parses openapi.yaml and keeps it (spec/spec_cache.py); the next one reads JSON."""
    first = _run(START, XDG_CACHE_HOME=str(tmp_path))
    second = _run(START, XDG_CACHE_HOME=str(tmp_path))
    assert first["statuses"] == second["statuses"] == [200, 200]
    assert "yaml" in first["modules"] and "yaml" not in second["modules"]
