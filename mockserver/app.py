"""`create_app(config=None)`: defaults -> SEEDANCE_MOCK_* environment -> mapping; nothing at import."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from flask import Flask

from mockserver.apierror import ConnectionDropped
from mockserver.backend import Backend, BackendConfig
from mockserver.errors import register_error_handlers
from mockserver.external_rules import ExternalRules
from mockserver.spec import external_rules, family_models, load_spec
from mockserver.validation import CreateValidator

EXTENSION = "seedance_mock"
DROP_KEY = "seedance_mock.drop"

DEFAULTS: dict[str, Any] = {
    "API_KEYS": [],
    "SPEED": 1.0,
    "SEED": None,
    "STORE": "memory",
    "RETENTION_SECONDS": 259_200,
    "MAX_BODY_BYTES": 1_048_576,
    "CLOCK": time.time,
    "CONTROL_LOOPBACK_ONLY": True,
    "JOURNAL_SIZE": 1000,
    "ID_FACTORY": None,
    "SPEC_PATH": None,
}


def _to_bool(text: str) -> bool:
    return text.strip().lower() in ("1", "true", "yes", "on")


def _to_keys(text: str) -> list[str]:
    return [k.strip() for k in text.split(",") if k.strip()]


def _to_seed(text: str) -> int | None:
    return int(text) if text.strip() else None


_ENV_PARSERS: dict[str, Callable[[str], Any]] = {
    "API_KEYS": _to_keys,
    "SPEED": float,
    "SEED": _to_seed,
    "STORE": str,
    "RETENTION_SECONDS": float,
    "MAX_BODY_BYTES": int,
    "CONTROL_LOOPBACK_ONLY": _to_bool,
    "JOURNAL_SIZE": int,
    "SPEC_PATH": str,
}


def resolve_config(config: Mapping[str, Any] | None) -> dict[str, Any]:
    """Merge defaults, `SEEDANCE_MOCK_<KEY>` environment variables and `config` (in that order)."""
    merged = dict(DEFAULTS)
    for key, parse in _ENV_PARSERS.items():
        raw = os.environ.get(f"SEEDANCE_MOCK_{key}")
        if raw is not None:
            merged[key] = parse(raw)
    merged.update(config or {})
    speed = float(merged["SPEED"])
    if not speed > 0:
        raise ValueError("SPEED must be > 0")
    merged["SPEED"] = speed
    merged["API_KEYS"] = list(merged["API_KEYS"] or [])
    return merged


def build_backend(cfg: Mapping[str, Any], families: Mapping[str, list[str]]) -> Backend:
    """A fresh backend from the resolved config (at start-up and on reset)."""
    return Backend(
        BackendConfig(
            speed=cfg["SPEED"],
            seed=cfg["SEED"],
            store=cfg["STORE"],
            retention_seconds=float(cfg["RETENTION_SECONDS"]),
            journal_size=int(cfg["JOURNAL_SIZE"]),
        ),
        families,
        clock=cfg["CLOCK"],
        id_factory=cfg["ID_FACTORY"],
    )


@dataclass
class MockState:
    """Everything the views need, hung on `app.extensions[EXTENSION]`."""

    config: dict[str, Any]
    validator: CreateValidator
    external: ExternalRules
    families: dict[str, list[str]]
    backend: Backend

    def reset(self) -> None:
        """Rebuild the backend: no tasks, faults, limits, media, audits or journal; clock offset 0."""
        old = self.backend
        old.store.clear()
        self.backend = build_backend(self.config, self.families)
        old.close()


class DropMiddleware:
    """Turns a view's "drop the connection" into an exception waitress answers by closing the socket."""

    def __init__(self, wsgi_app: Callable[..., Iterable[bytes]]) -> None:
        self.wsgi_app = wsgi_app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        calls: list[tuple[Any, ...]] = []

        def deferred(*args: Any) -> Callable[[bytes], None]:
            calls.append(args)
            return lambda _data: None

        body = self.wsgi_app(environ, deferred)
        if environ.get(DROP_KEY):
            close = getattr(body, "close", None)
            if close is not None:
                close()
            raise ConnectionDropped("connection dropped on purpose (seedance-mock fault)")
        start_response(*calls[-1])
        return body


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the emulator: the spec is located, compiled and checked once, here."""
    cfg = resolve_config(config)
    spec = load_spec(cfg["SPEC_PATH"])
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = int(cfg["MAX_BODY_BYTES"])
    app.json.sort_keys = False  # type: ignore[attr-defined]
    families = family_models(spec)
    backend = build_backend(cfg, families)
    state = MockState(cfg, CreateValidator(spec), ExternalRules(external_rules(spec)), families, backend)
    app.extensions[EXTENSION] = state

    from mockserver.api_views import api
    from mockserver.control_views import control
    from mockserver.file_views import files

    app.register_blueprint(api)
    app.register_blueprint(control)
    app.register_blueprint(files)
    register_error_handlers(app)
    app.wsgi_app = DropMiddleware(app.wsgi_app)  # type: ignore[method-assign]
    return app
