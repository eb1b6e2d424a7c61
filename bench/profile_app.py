"""Profile the emulator's request path in-process (cProfile, no HTTP server): where a create and a query go.

Run: `python bench/profile_app.py [--store memory|sqlite|redis://...] [--requests 5000] [--top 25]`.
The WSGI app is called directly with prepared environs (what a server would pass), so the profile shows the
app's own cost per request: Flask, auth, validation, the store, the journal, logging. Prints microseconds per
request and the top functions by own time and by cumulative time.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import logging
import pstats
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from werkzeug.test import EnvironBuilder
from wrk_runner import BODY, CREATE_PATH, QUERY_PATH, TOKEN


def build_app(store: str, log_lines: bool) -> Any:
    """The app as `seedance-mock` serves it (its wrappers and console logging when available)."""
    from mockserver import create_app

    try:
        from mockserver.serving.logs import configure_logging
        from mockserver.serving.worker_app import wrap as wrap_app
    except ImportError:
        logging.basicConfig(level=logging.INFO if log_lines else logging.WARNING, stream=io.StringIO())
        app = create_app({"STORE": store})
        return app, app
    configure_logging(not log_lines, "text")
    loggers = (logging.getLogger(), logging.getLogger("seedance_mock.requests"))
    for handler in (h for logger in loggers for h in logger.handlers):  # keep the formatting cost, drop the terminal
        if hasattr(handler, "stream"):  # logging's StreamHandler, or the request lines' buffered handler
            handler.stream = io.StringIO()
    app = create_app({"STORE": store})
    return app, wrap_app(app)


def caller(wsgi: Any, method: str, path: str, body: bytes | None) -> Callable[[], int]:
    """A function that sends one request to the WSGI callable and returns its status."""
    headers = {"Authorization": f"Bearer {TOKEN}", "Host": "127.0.0.1:8000"}
    if body is not None:
        headers["Content-Type"] = "application/json"
    base = EnvironBuilder(path=path, method=method, headers=headers, data=body).get_environ()
    base["REMOTE_ADDR"] = "127.0.0.1"
    status: list[str] = []

    def start_response(code: str, _headers: Any, _exc: Any = None) -> Callable[[bytes], None]:
        status.append(code)
        return lambda _data: None

    def call() -> int:
        environ = dict(base)
        environ["wsgi.input"] = io.BytesIO(body or b"")
        result = wsgi(environ, start_response)
        for _chunk in result:
            pass
        close = getattr(result, "close", None)
        if close is not None:
            close()
        return int(status.pop()[:3])

    return call


def profile(name: str, fn: Callable[[], int], count: int, top: int) -> list[str]:
    """Time `count` calls, then profile `count` calls; return report lines."""
    for _ in range(min(500, count)):
        fn()
    started = time.perf_counter()
    statuses = [fn() for _ in range(count)]
    per_call = (time.perf_counter() - started) / count * 1e6
    bad = sum(1 for s in statuses if s != 200)
    prof = cProfile.Profile()
    prof.enable()
    for _ in range(count):
        fn()
    prof.disable()
    out = io.StringIO()
    stats = pstats.Stats(prof, stream=out)
    stats.sort_stats("tottime").print_stats(top)
    stats.sort_stats("cumulative").print_stats(top)
    lines = [f"== {name}: {per_call:.0f} us per request without the profiler ({count} requests, {bad} not 200)"]
    lines += [line for line in out.getvalue().splitlines() if line.strip()]
    return lines


def main() -> int:
    """Profile create and query for one store."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--store", default="memory", help="memory, sqlite (a temporary file) or a --store value")
    parser.add_argument("--requests", type=int, default=5000)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--quiet", action="store_true", help="no console line per request (as --quiet)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="seedance-profile-") as tmp:
        store = f"sqlite:{Path(tmp) / 'p.sqlite'}" if args.store == "sqlite" else args.store
        app, wsgi = build_app(store, not args.quiet)
        create = caller(wsgi, "POST", CREATE_PATH, json.dumps(BODY).encode())
        backend = app.extensions["seedance_mock"].backend
        from mockserver.state.tasks import fingerprint

        task_id = backend.create(fingerprint(TOKEN), BODY).task_id
        query = caller(wsgi, "GET", QUERY_PATH + task_id, None)
        lines = profile(f"create ({args.store})", create, args.requests, args.top)
        lines += profile(f"query ({args.store})", query, args.requests, args.top)
        backend.close()
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
