"""Console logging (serving/logs.py): one line per request, --quiet, --log-format json."""

from __future__ import annotations

import json
import time

import pytest
import requests

from tests.mockserver.conftest import CREATE, std_body
from tests.mockserver.hostile.processes import running

AUTH = {"Authorization": "Bearer sk_cli"}


@pytest.mark.slow  # starts an emulator process and waits for its console output
def test_quiet_silences_the_request_line_and_json_format() -> None:
    quiet_args, json_args = ["--server", "waitress", "--quiet"], ["--server", "waitress", "--log-format", "json"]
    with running(quiet_args) as quiet, running(json_args) as loud:
        for emu in (quiet, loud):
            assert requests.post(emu.url + CREATE, json=std_body(), headers=AUTH, timeout=10).status_code == 200
        quiet.terminate()
        loud.terminate()
        quiet_err, loud_err = quiet.stderr(), loud.stderr()
    assert CREATE not in quiet_err
    lines = [json.loads(line) for line in loud_err.splitlines() if line.strip()]
    request_lines = [line for line in lines if line["logger"] == "seedance_mock.requests"]
    assert any(CREATE in line["message"] and " 200 " in line["message"] for line in request_lines)
    created = next(line for line in request_lines if line.get("path") == CREATE)
    assert created["status"] == 200 and created["method"] == "POST" and created["task_id"].startswith("vid_")


@pytest.mark.slow  # starts an emulator process and waits for its console output
@pytest.mark.parametrize("server", ["waitress", "granian"])
def test_the_default_text_line_says_what_happened(server: str) -> None:
    # The lines are buffered and reach the console within FLUSH_SECONDS (0.1 s).
    with running(["--server", server]) as emu:
        body = std_body(prompt="")
        assert requests.post(emu.url + CREATE, json=body, headers=AUTH, timeout=10).status_code == 400
        time.sleep(0.5)
        emu.terminate()
        text = emu.stderr()
    line = next(line for line in text.splitlines() if line.startswith("POST " + CREATE))
    assert " 400 " in line and "PROMPT_NOT_BLANK" in line and "tok=sk_" in line and "ms" in line
