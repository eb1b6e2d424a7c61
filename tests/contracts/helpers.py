"""Wiring for the contract tests: a client with a moved boundary, an emulator that ignores a rule."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from client.validation import validate_body

WsgiApp = Callable[..., Iterable[bytes]]
SPEC_PATH = Path(__file__).resolve().parents[2] / "openapi.yaml"
EMULATOR: dict[str, Any] = {"SEED": 0, "SPEC_PATH": str(SPEC_PATH), "API_KEYS": ["sk_test"]}
"""The emulator of these tests: this checkout's spec (never an installed copy), only the token sk_test."""


def client_rules(body: object) -> list[str]:
    """The reference client's verdict as rule ids."""
    return [v.rule for v in validate_body(body)]


def std_max_16(body: object) -> list[str]:
    """The reference client with one boundary moved: STD accepts duration 16 (the spec says max 15)."""
    rules = client_rules(body)
    if isinstance(body, dict) and body.get("model") == "seedance2.0-std" and body.get("duration") == 16:
        rules = [r for r in rules if r != "STD_DURATION_RANGE"]
    return rules


def ignoring_rule(app: WsgiApp, rule: str) -> WsgiApp:
    """Wrap a WSGI app so that a 400 naming only `rule` becomes a 200 (an emulator that ignores it)."""

    def middleware(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        captured: dict[str, Any] = {}

        def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            captured["status"], captured["headers"] = status, headers
            return lambda data: None

        body = b"".join(app(environ, capture))
        if captured["status"].startswith("400"):
            payload = json.loads(body)
            if payload["data"].get("rules") == [rule]:
                fake = {"code": "20000", "msg": "ok", "data": {"task_id": "vid_fake", "status": "queued",
                                                               "model": "x", "created_at": 0}}
                out = json.dumps(fake).encode()
                start_response("200 OK", [("Content-Type", "application/json"),
                                          ("Content-Length", str(len(out)))])
                return [out]
        start_response(captured["status"], captured["headers"])
        return [body]

    return middleware


class CreateCounter:
    """WSGI middleware counting accepted creates (to prove --negative-only never creates a task)."""

    def __init__(self, app: WsgiApp) -> None:
        self.app = app
        self.created = 0
        self.posts = 0

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        is_create = environ["REQUEST_METHOD"] == "POST" and environ["PATH_INFO"].endswith("/seedance/videos")

        def counting(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            if is_create:
                self.posts += 1
                self.created += status.startswith("200")
            return start_response(status, headers, exc_info)

        return self.app(environ, counting)
