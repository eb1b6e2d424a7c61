"""Recipe steps as text: the control call in one line, and a pytest snippet using the `seedance_mock` fixture."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

_CONTROL_PATHS = {
    "inject_fault": "POST /_mock/faults", "set_limits": "POST /_mock/limits", "declare_media": "POST /_mock/media",
    "set_asset_audit": "POST /_mock/assets", "advance": "POST /_mock/clock/advance",
}
_LONG = 60


def py(value: Any) -> str:
    """`value` as a Python literal; a long run of one character as `"x" * N`."""
    if isinstance(value, str):
        if len(value) > _LONG and len(set(value)) == 1:
            return f"{value[0]!r} * {len(value)}"
        return repr(value)
    if isinstance(value, bool) or value is None:
        return repr(value)
    if isinstance(value, list):
        return "[" + ", ".join(py(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k!r}: {py(v)}" for k, v in value.items()) + "}"
    return repr(value)


def control_text(steps: Iterable[Mapping[str, Any]]) -> str | None:
    """The control calls of a recipe, `POST /_mock/faults {"kind": "429"}; ...` (None when it needs none)."""
    calls = [f"{_CONTROL_PATHS[s['method']]} {json.dumps(s['args'])}" for s in steps if s["call"] == "control"]
    return "; ".join(calls) or None


def _request_lines(step: Mapping[str, Any]) -> list[str]:
    path = str(step["path"])
    if path == "{video_url}":
        target = "video_url"
    elif "{task_id}" in path:
        target = "seedance_mock.url + " + repr(path.split("{task_id}")[0]) + " + task_id"
    else:
        target = f"seedance_mock.url + {path!r}"
    headers = dict(step.get("headers") or {})
    if step.get("content_type"):
        headers["Content-Type"] = step["content_type"]
    auth = step.get("auth", True)
    if not auth:
        header_text = py(headers)
    elif headers:
        header_text = "{**seedance_mock.headers" + "".join(f", {k!r}: {v!r}" for k, v in headers.items()) + "}"
    else:
        header_text = "seedance_mock.headers"
    args = [target, f"headers={header_text}"]
    if "json" in step:
        args.append(f"json={py(step['json'])}")
    elif "data" in step:
        data = str(step["data"]) * int(step.get("repeat", 1))
        args.append(f"data={py(data)}")
    call = f"requests.{str(step['method']).lower()}({', '.join(args)}, timeout=30)"
    expect = step["expect"]
    if expect == "dropped":
        return ["with pytest.raises(requests.ConnectionError):", f"    {call}"]
    lines = [f"answer = {call}", f"assert answer.status_code == {expect}"]
    if step.get("expect_rule"):
        lines.append(f"assert {step['expect_rule']!r} in answer.json()['data']['rules']")
    if step.get("expect_status"):
        lines.append(f"assert answer.json()['data']['status'] == {step['expect_status']!r}")
    if step["method"] == "POST" and expect == 200:
        lines.append("task_id = answer.json()['data']['task_id']")
    if step.get("expect_status") == "completed":
        lines.append("video_url = answer.json()['data']['result']['video_url']")
    return lines


def pytest_snippet(item_id: str, steps: Iterable[Mapping[str, Any]]) -> str:
    """A test that meets `item_id` against the `seedance_mock` fixture (the lines a user adapts: the API calls
    stand for what their own client sends)."""
    name = "test_" + "".join(c if c.isalnum() else "_" for c in item_id).strip("_")
    steps = list(steps)
    dropped = any(step.get("expect") == "dropped" for step in steps)
    lines = [*(["import pytest"] if dropped else []), "import requests", "", "", f"def {name}(seedance_mock):"]
    for step in steps:
        if step["call"] == "control":
            args = dict(step["args"])
            if step["method"] == "declare_media":
                url = args.pop("url")
                text = ", ".join([repr(url), *(f"{k}={py(v)}" for k, v in args.items())])
            else:
                text = ", ".join(f"{k}={py(v)}" for k, v in args.items())
            lines.append(f"    seedance_mock.control.{step['method']}({text})")
        else:
            lines.extend(f"    {line}" for line in _request_lines(step))
    return "\n".join(lines) + "\n"


_SHORT = 40


def _short(value: Any) -> Any:
    if isinstance(value, str) and len(value) > _SHORT:
        return f"{value[:12]}…({len(value)} chars)" if len(set(value)) > 1 else f"{value[0]}×{len(value)}"
    if isinstance(value, list):
        return [_short(v) for v in value]
    if isinstance(value, dict):
        return {k: _short(v) for k, v in value.items()}
    return value


def one_liner(header: str | None, steps: Iterable[Mapping[str, Any]], markdown: bool = True) -> str:
    """The shortest way to meet an item: the header directive, the control calls, or the request to send (long
    values shortened; `markdown` puts code in backticks)."""
    tick = "`" if markdown else ""
    steps = list(steps)
    controls = [f"{tick}{_CONTROL_PATHS[s['method']]} {json.dumps(s['args'])}{tick}" for s in steps
                if s["call"] == "control"]
    api = [s for s in steps if s["call"] == "api"]
    last = api[-1]
    parts = [f"header {tick}X-Seedance-Mock: {header}{tick}"] if header else []
    parts += controls
    if not header:
        sent = last.get("json", last.get("data", ""))
        if last.get("repeat"):
            sent = f"{last['data']!r} × {last['repeat']} bytes"
        elif isinstance(sent, dict | list):
            sent = json.dumps(_short(sent), ensure_ascii=False)
        auth = "" if last.get("auth", True) else " without Authorization"
        kind = last.get("content_type")
        extra = f" as {kind}" if kind and kind != "application/json" else ""
        parts.append(f"{tick}{last['method']} {last['path']}{tick}{auth}{extra}"
                     + (f" with {tick}{sent}{tick}" if sent else ""))
    elif len(api) > 1:
        parts.append(f"then {tick}{last['method']} {last['path']}{tick}")
    return "; ".join(parts)
