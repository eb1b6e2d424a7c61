"""The app of each `--workers` process, built in the worker from what the parent put in the environment.

The parent checks the configuration (and the store) first, so a worker that fails here is a bug or a
store that went away in between, not an operator's mistake.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from mockserver import create_app
from mockserver.serving.body_limit import BodyLimit
from mockserver.serving.drop import dropping, shut_down_connection
from mockserver.serving.logs import configure_logging
from mockserver.serving.wrappers import ServerHeader, WsgiApp

if TYPE_CHECKING:
    from flask import Flask

ENV_KEY = "SEEDANCE_MOCK_SERVING"


def encode(config: Mapping[str, Any], quiet: bool, log_format: str) -> str:
    """The environment value that hands `config` and the logging choice to the workers."""
    return json.dumps({"config": dict(config), "quiet": quiet, "log_format": log_format})


def load() -> WsgiApp:
    """Build this worker's app (granian calls it once per worker: `mockserver.serving.worker_app:load`)."""
    settings = json.loads(os.environ.get(ENV_KEY, "{}"))
    configure_logging(bool(settings.get("quiet")), str(settings.get("log_format", "text")))
    app = create_app(settings.get("config") or {})
    flush_at_exit(app)
    return wrap(app)


def wrap(app: Flask) -> WsgiApp:
    """The app as a granian worker serves it: the `Server` header, the `drop` fault closing its socket, and
    the body limit with the drain granian lacks."""
    body_limited = BodyLimit(app, int(app.config["MAX_CONTENT_LENGTH"]))
    return ServerHeader(dropping(body_limited, shut_down_connection))


def flush_at_exit(app: Any) -> None:
    """Write this worker's queued journal entries and ledger counts when it exits (a `--coverage-report`
    written after the workers stopped must count every request they answered)."""
    import atexit
    import multiprocessing.util

    from mockserver.web.shared import EXTENSION

    backend = app.extensions[EXTENSION].backend
    atexit.register(backend.flush_pending)
    # A forked multiprocessing worker leaves through os._exit: atexit does not run there, its finalizers do.
    multiprocessing.util.Finalize(None, backend.flush_pending, exitpriority=100)
