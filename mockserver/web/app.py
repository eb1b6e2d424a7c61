"""`create_app(config=None)`: defaults -> SEEDANCE_MOCK_* environment -> mapping; nothing at import."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from flask import Flask

from mockserver.spec.external_rules import ExternalRules
from mockserver.spec.loader import billing_units, external_rules, family_models, load_spec, spec_path
from mockserver.spec.validation import CreateValidator
from mockserver.state.backend import Backend, BackendConfig, instance_name
from mockserver.state.store import open_store
from mockserver.web.api_views import api
from mockserver.web.control_views import control
from mockserver.web.cors import cors
from mockserver.web.coverage_views import coverage
from mockserver.web.dashboard import dashboard
from mockserver.web.envelope import register_error_handlers
from mockserver.web.file_views import files
from mockserver.web.middleware import DropMiddleware
from mockserver.web.request_log import request_log
from mockserver.web.shared import EXTENSION, MockState

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
    "JOURNAL_BYTES": 4 * 1024 * 1024,
    "ID_FACTORY": None,
    "SPEC_PATH": None,
    "INSTANCE": None,
    "CONTROL_TOKEN": None,
    "TRUST_PROXY": False,
    "CORS_ORIGIN": None,
    "LEDGER": True,
    "POLL_THRESHOLD": 1.0,
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
    "JOURNAL_BYTES": int,
    "SPEC_PATH": str,
    "INSTANCE": str,
    "CONTROL_TOKEN": str,
    "TRUST_PROXY": _to_bool,
    "CORS_ORIGIN": str,
    "LEDGER": _to_bool,
    "POLL_THRESHOLD": float,
}


def resolve_config(config: Mapping[str, Any] | None) -> dict[str, Any]:
    """Merge defaults, `SEEDANCE_MOCK_<KEY>` environment variables and `config` (in that order)."""
    merged = dict(DEFAULTS)
    for key, parse in _ENV_PARSERS.items():
        raw = os.environ.get(f"SEEDANCE_MOCK_{key}")
        if raw is not None:
            try:
                merged[key] = parse(raw)
            except ValueError:
                raise ValueError(f"SEEDANCE_MOCK_{key}={raw[:40]!r} is not a valid value") from None
    merged.update(config or {})
    speed = float(merged["SPEED"])
    if not 0 < speed < float("inf"):
        raise ValueError("SPEED must be a finite number > 0")
    merged["SPEED"] = speed
    merged["API_KEYS"] = list(merged["API_KEYS"] or [])
    return merged


def build_backend(cfg: Mapping[str, Any], families: Mapping[str, list[str]]) -> Backend:
    """The backend over the configured store."""
    return Backend(
        BackendConfig(
            speed=cfg["SPEED"],
            seed=cfg["SEED"],
            retention_seconds=float(cfg["RETENTION_SECONDS"]),
            journal_size=int(cfg["JOURNAL_SIZE"]),
            journal_bytes=int(cfg["JOURNAL_BYTES"]),
            instance=cfg["INSTANCE"] or instance_name(),
        ),
        families,
        open_store(cfg["STORE"]),
        clock=cfg["CLOCK"],
        id_factory=cfg["ID_FACTORY"],
    )


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the emulator: the spec is located, compiled and checked once, here."""
    cfg = resolve_config(config)
    path = Path(cfg["SPEC_PATH"] or spec_path())
    spec = load_spec(path)
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = int(cfg["MAX_BODY_BYTES"])
    # Flask's automatic OPTIONS answers text/html; without it OPTIONS is a 405 in the envelope (CORS
    # preflights, when enabled, are answered by the cors blueprint).
    app.config["PROVIDE_AUTOMATIC_OPTIONS"] = False
    app.json.sort_keys = False  # type: ignore[attr-defined]
    families = family_models(spec)
    app.extensions[EXTENSION] = MockState(
        cfg,
        CreateValidator(spec),
        ExternalRules(external_rules(spec)),
        families,
        build_backend(cfg, families),
        spec_text=path.read_bytes(),
        started_at=time.time(),
        extra={"billing": billing_units(spec)},
    )
    app.register_blueprint(request_log)
    if cfg["CORS_ORIGIN"]:
        app.register_blueprint(cors)  # two hooks on every request: only when asked for
    app.register_blueprint(api)
    app.register_blueprint(control)
    app.register_blueprint(coverage)
    app.register_blueprint(dashboard)
    app.register_blueprint(files)
    register_error_handlers(app)
    app.wsgi_app = DropMiddleware(app.wsgi_app)  # type: ignore[method-assign]
    return app
