"""Filling a store fast (in-process, through the emulator's own backend) and measuring memory per task.

Subcommands (each run in a fresh process by bench_server.py):
  fill --store SPEC --count N --ids-out FILE        tasks for token sk_bench in a shared store (SQLite, Redis)
  serve --port P --count N --ids-out FILE          the default emulator on waitress (memory, INFO log) holding
                                                   N tasks made before the socket opens (`filled_app` is the
                                                   same as a granian factory)
  memory-per-task --count N                        RSS and tracemalloc growth per stored task (memory store)
"""

from __future__ import annotations

import argparse
import gc
import json
import logging
import os
import random
import sys
import time
import tracemalloc
from pathlib import Path
from typing import Any

import psutil
from wrk_runner import BODY, TOKEN

IDS_KEPT = 5000  # ids handed to the query script: a random sample of the stored tasks


def _app(store: str) -> Any:
    from mockserver import create_app

    return create_app({"STORE": store, "MAX_TASKS": 10**9})  # the bench measures the store, not the bound


def fill_backend(backend: Any, count: int) -> list[str]:
    """Create `count` tasks for the bench token through `Backend.create`; return their ids."""
    from mockserver.state.tasks import fingerprint

    owner = fingerprint(TOKEN)
    return [backend.create(owner, BODY).task_id for _ in range(count)]


def _sample(ids: list[str]) -> list[str]:
    return ids if len(ids) <= IDS_KEPT else random.Random(1).sample(ids, IDS_KEPT)


def cmd_fill(store: str, count: int, ids_out: Path) -> None:
    """Fill a shared store and write a sample of the ids (JSON list)."""
    app = _app(store)
    backend = app.extensions["seedance_mock"].backend
    started = time.perf_counter()
    ids = fill_backend(backend, count)
    backend.close()
    ids_out.write_text(json.dumps(_sample(ids)), encoding="utf-8")
    print(json.dumps({"store": store, "count": count, "seconds": round(time.perf_counter() - started, 2)}))


def _default_app(count: int, ids_out: Path) -> tuple[Any, Any]:
    """The default emulator as `seedance-mock` builds it (same logging, same WSGI wrappers), holding `count`
    tasks; returns (the Flask app, the WSGI callable to serve)."""
    try:
        from mockserver.serving.logs import configure_logging
        from mockserver.serving.worker_app import wrap as wrap_app
    except ImportError:  # older trees: plain app, INFO lines on stderr
        logging.basicConfig(level=logging.INFO, stream=sys.stderr)
        app = _app("memory")
        wsgi = app
    else:
        configure_logging(False, "text")
        app = _app("memory")
        wsgi = wrap_app(app)
    ids = fill_backend(app.extensions["seedance_mock"].backend, count)
    ids_out.write_text(json.dumps(_sample(ids)), encoding="utf-8")
    gc.collect()
    return app, wsgi


def filled_app() -> Any:
    """granian factory (`store_fill:filled_app`): the default emulator holding $BENCH_FILL_COUNT tasks, a
    sample of their ids written to $BENCH_IDS_OUT."""
    return _default_app(int(os.environ["BENCH_FILL_COUNT"]), Path(os.environ["BENCH_IDS_OUT"]))[1]


def cmd_serve(port: int, count: int, ids_out: Path) -> None:
    """Serve the default emulator on waitress (8 threads) with `count` tasks."""
    app, _ = _default_app(count, ids_out)
    try:
        from mockserver.serving.options import ServingOptions
        from mockserver.serving.waitress_server import serve
    except ImportError:
        from mockserver.server import DEFAULT_THREADS
        from mockserver.server import serve as old_serve

        old_serve(app, "127.0.0.1", port, DEFAULT_THREADS, None)
    else:
        serve(app, ServingOptions(host="127.0.0.1", port=port))


def _rss() -> int:
    gc.collect()
    return int(psutil.Process().memory_info().rss)


def cmd_memory_per_task(count: int) -> None:
    """Bytes per stored task: RSS growth, and tracemalloc's net growth (a second, traced app)."""
    app = _app("memory")
    backend = app.extensions["seedance_mock"].backend
    fill_backend(backend, 1000)  # warm: first-call caches, the journal, lazy imports
    before = _rss()
    started = time.perf_counter()
    fill_backend(backend, count)
    seconds = time.perf_counter() - started
    after = _rss()
    stored = backend.store.count_tasks()

    traced = _app("memory").extensions["seedance_mock"].backend
    fill_backend(traced, 1000)
    gc.collect()
    tracemalloc.start()
    base, _ = tracemalloc.get_traced_memory()
    fill_backend(traced, count)
    gc.collect()
    grown, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(json.dumps({
        "count": count, "stored": stored, "rss_bytes_per_task": (after - before) / count,
        "traced_bytes_per_task": (grown - base) / count, "creates_per_s": count / seconds,
    }))


def main() -> None:
    """Parse the subcommand and run it."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="cmd", required=True)
    fill = sub.add_parser("fill")
    fill.add_argument("--store", required=True)
    fill.add_argument("--count", type=int, required=True)
    fill.add_argument("--ids-out", type=Path, required=True)
    serve = sub.add_parser("serve")
    serve.add_argument("--port", type=int, required=True)
    serve.add_argument("--count", type=int, required=True)
    serve.add_argument("--ids-out", type=Path, required=True)
    per_task = sub.add_parser("memory-per-task")
    per_task.add_argument("--count", type=int, default=100_000)
    args = parser.parse_args()
    if args.cmd == "fill":
        cmd_fill(args.store, args.count, args.ids_out)
    elif args.cmd == "serve":
        cmd_serve(args.port, args.count, args.ids_out)
    else:
        cmd_memory_per_task(args.count)


if __name__ == "__main__":
    main()
