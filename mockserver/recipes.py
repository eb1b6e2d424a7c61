"""Run a catalogue item's provoke steps against a running emulator (any base URL), with `requests`.

What the acceptance tests and the pytest plugin's users call to replay a recipe; the same steps are
served in `GET /_mock/coverage` for clients in any language.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import requests

from mockserver.control_client import ControlClient


class RecipeFailed(AssertionError):
    """A step did not answer what the recipe expects."""


def run_steps(steps: Iterable[Mapping[str, Any]], base_url: str, token: str, control: ControlClient,
              session: requests.Session | None = None) -> None:
    """Replay `steps` (control calls through `control`, API requests with `token`); RecipeFailed on a surprise."""
    http = session or requests.Session()
    task_id, video_url = "", ""
    for step in steps:
        if step["call"] == "control":
            getattr(control, str(step["method"]))(**dict(step["args"]))
            continue
        path = str(step["path"])
        url = video_url if path == "{video_url}" else base_url.rstrip("/") + path.replace("{task_id}", task_id)
        headers = dict(step.get("headers") or {})
        if step.get("auth", True):
            headers["Authorization"] = f"Bearer {token}"
        if step.get("content_type"):
            headers["Content-Type"] = str(step["content_type"])
        kwargs: dict[str, Any] = {"headers": headers, "timeout": 60}
        if "json" in step:
            kwargs["json"] = step["json"]
        elif "data" in step:
            kwargs["data"] = (str(step["data"]) * int(step.get("repeat", 1))).encode()
        try:
            answer = http.request(str(step["method"]), url, **kwargs)
        except requests.ConnectionError:
            if step["expect"] == "dropped":
                continue
            raise
        if answer.status_code != step["expect"]:
            raise RecipeFailed(f"{step['method']} {path}: expected {step['expect']}, got {answer.status_code}: "
                               f"{answer.text[:300]}")
        data = answer.json().get("data", {}) if "json" in answer.headers.get("Content-Type", "") else {}
        if step.get("expect_rule") and step["expect_rule"] not in data.get("rules", []):
            raise RecipeFailed(f"expected rule {step['expect_rule']}, got {data.get('rules')}")
        if step.get("expect_status") and data.get("status") != step["expect_status"]:
            raise RecipeFailed(f"expected status {step['expect_status']}, got {data.get('status')}")
        if step["method"] == "POST" and answer.status_code == 200:
            task_id = str(data["task_id"])
        if data.get("status") == "completed":
            video_url = str(data["result"]["video_url"])
