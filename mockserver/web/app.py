"""`create_app(config=None)`: defaults -> SEEDANCE_MOCK_* environment -> mapping; nothing at import."""

from __future__ import annotations

import functools
import os
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from flask import Flask

from mockserver.spec.external_rules import ExternalRules
from mockserver.spec.loader import billing_units, external_rules, family_models, load_checked_spec, spec_path
from mockserver.spec.validation import CreateValidator
from mockserver.state.backend import DEFAULT_MAX_TASKS, Backend, BackendConfig, instance_name
from mockserver.state.control_input import MAX_SPEED, MIN_SPEED
from mockserver.state.stores import open_store
from mockserver.state.timings import documented_sizes
from mockserver.web.api_views import api
from mockserver.web.control_views import control
from mockserver.web.cors import cors
from mockserver.web.coverage_views import coverage
from mockserver.web.dashboard import dashboard, root
from mockserver.web.dashboard.rules import rule_quotes
from mockserver.web.delays import DelaySlots
from mockserver.web.envelope import register_error_handlers
from mockserver.web.file_views import files
from mockserver.web.request_log import request_log
from mockserver.web.shared import EXTENSION, MockState
from mockserver.web.upstream_views import install as install_upstream

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
    # The upstream features (docs/real-service.md): proxy, recording, replay.
    "UPSTREAM": None,
    "UPSTREAM_REFUSE_INVALID": False,
    "UPSTREAM_TIMEOUT": 60.0,
    "RECORD": None,
    "REPLAY": None,
    "REPLAY_STRICT": False,
    "TIMINGS_FROM": None,
    "ALLOWED_HOSTS": [],
    "BIND_HOST": None,
    "MAX_TASKS": DEFAULT_MAX_TASKS,
    "DELAYS_PER_TOKEN": 4,
    "DELAYS_TOTAL": 6,
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
    "UPSTREAM": str,
    "UPSTREAM_REFUSE_INVALID": _to_bool,
    "UPSTREAM_TIMEOUT": float,
    "RECORD": str,
    "REPLAY": str,
    "REPLAY_STRICT": _to_bool,
    "TIMINGS_FROM": str,
    "ALLOWED_HOSTS": _to_keys,
    "BIND_HOST": str,
    "MAX_TASKS": int,
    "DELAYS_PER_TOKEN": int,
    "DELAYS_TOTAL": int,
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
    if not MIN_SPEED <= speed <= MAX_SPEED:  # the control API's bound (state/control_input.py)
        raise ValueError(f"SPEED must be a number from {MIN_SPEED:g} to {MAX_SPEED:g}")
    merged["SPEED"] = speed
    merged["API_KEYS"] = list(merged["API_KEYS"] or [])
    hosts = merged["ALLOWED_HOSTS"] or []
    merged["ALLOWED_HOSTS"] = _to_keys(hosts) if isinstance(hosts, str) else list(hosts)
    if min(int(merged["MAX_TASKS"]), int(merged["DELAYS_PER_TOKEN"]), int(merged["DELAYS_TOTAL"])) < 1:
        raise ValueError("MAX_TASKS, DELAYS_PER_TOKEN and DELAYS_TOTAL must be at least 1")
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
            max_tasks=int(cfg["MAX_TASKS"]),
        ),
        families,
        open_store(cfg["STORE"]),
        clock=cfg["CLOCK"],
        id_factory=cfg["ID_FACTORY"],
    )


@functools.lru_cache(maxsize=4)
def _compiled(path: str) -> tuple[CreateValidator, dict[str, str]]:
    # The create schema compiled and the rule quotes collected once per spec and process (load_checked_spec
    # caches the spec the same way): a `--workers` worker forked after the parent built its app, and every app
    # of a test run, reuse them (~5 ms each).
    spec = load_checked_spec(path)
    return CreateValidator(spec), rule_quotes(spec)


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the emulator: the spec is located, compiled and checked once, here."""
    cfg = resolve_config(config)
    path = Path(cfg["SPEC_PATH"] or spec_path())
    spec = load_checked_spec(path)
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = int(cfg["MAX_BODY_BYTES"])
    # Flask's automatic OPTIONS answers text/html; without it OPTIONS is a 405 in the envelope (CORS
    # preflights, when enabled, are answered by the cors blueprint).
    app.config["PROVIDE_AUTOMATIC_OPTIONS"] = False
    app.json.sort_keys = False  # type: ignore[attr-defined]
    families = family_models(spec)
    validator, quotes = _compiled(str(path))
    app.extensions[EXTENSION] = MockState(
        cfg,
        validator,
        ExternalRules(external_rules(spec)),
        families,
        build_backend(cfg, families),
        spec_text=path.read_bytes(),
        started_at=time.time(),
        billing=billing_units(spec),
        quotes=dict(quotes),
        sizes=documented_sizes(families),
        delays=DelaySlots(int(cfg["DELAYS_PER_TOKEN"]), int(cfg["DELAYS_TOTAL"])),
    )
    app.register_blueprint(request_log)
    if cfg["CORS_ORIGIN"]:
        app.register_blueprint(cors)  # two hooks on every request: only when asked for
    app.register_blueprint(api)
    app.register_blueprint(control)
    app.register_blueprint(coverage)
    app.register_blueprint(dashboard)
    app.register_blueprint(root)
    app.register_blueprint(files)
    install_upstream(app, cfg, spec)
    register_error_handlers(app)
    return app
