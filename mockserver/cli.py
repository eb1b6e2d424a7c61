"""`seedance-mock` / `python -m mockserver`: run the emulator (one process, or `--workers N` processes).

Exit status: 0 after SIGTERM/SIGINT (requests in flight finished), 2 for a bad option or configuration,
1 when the port is busy or the store cannot be used. The first stdout line is the base URL.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from typing import Any

from mockserver.serving.cli_values import (
    SERVERS,
    cors_origin,
    finite,
    host_name,
    instance_name,
    int_range,
    port_number,
    token_text,
)
from mockserver.serving.logs import LOG_FORMATS, configure_logging
from mockserver.serving.options import (
    DEFAULT_CONNECTION_LIMIT,
    DEFAULT_GRACE,
    DEFAULT_IDLE_TIMEOUT,
    DEFAULT_MAX_TASKS,
    DEFAULT_THREADS,
    ServingOptions,
    delay_slots,
)
from mockserver.state.control_input import MAX_SPEED, MIN_SPEED
from mockserver.version import VERSION

PROG = "seedance-mock"
SHARED_STORES = "--store sqlite:PATH or --store redis://HOST:PORT/DB"


def build_parser() -> argparse.ArgumentParser:
    """The command-line options (every value is checked here: a bad one exits 2 with argparse's message)."""
    p = argparse.ArgumentParser(prog=PROG, description="Run the Seedance video API emulator.")
    p.add_argument("--version", action="version", version=f"{PROG} {VERSION}")
    p.add_argument("--host", default="127.0.0.1", help="interface to bind (default 127.0.0.1)")
    p.add_argument("--port", type=port_number, default=8000, help="port 0-65535; 0 picks a free one (8000)")
    p.add_argument("--speed", type=finite(MIN_SPEED, MAX_SPEED), help="simulated time runs F times faster")
    p.add_argument("--seed", type=int_range(0, 2**63 - 1), help="reproducible task ids and timings")
    p.add_argument("--api-key", action="append", type=token_text, dest="api_keys",
                   help="accept only this bearer token (repeatable; default: any token shaped sk_...)")
    p.add_argument("--store", help="'memory' (default), 'sqlite:PATH', 'redis://HOST:PORT/DB[?prefix=NAME]' or "
                   "'redis-cluster://HOST:PORT[,HOST:PORT...][?prefix=NAME]'")
    p.add_argument("--instance", type=instance_name, help="this process' name in the journal and /_mock/health")
    p.add_argument("--retention", type=finite(low=0, low_open=True), help="result retention in seconds (259200)")
    p.add_argument("--max-body-bytes", type=int_range(1, 1 << 30), help="request body limit (1048576)")
    p.add_argument("--max-tasks", type=int_range(1, 1 << 40),
                   help=f"stored tasks at most: oldest finished go first, then creates get 503 ({DEFAULT_MAX_TASKS})")
    p.add_argument("--workers", type=int_range(1, 64), help="serve with N processes on one port (shared store)")
    p.add_argument("--server", choices=SERVERS, default="auto",
                   help="one process on waitress or granian; auto: granian when installed (faster)")
    p.add_argument("--threads", type=int_range(1, 256), default=DEFAULT_THREADS,
                   help=f"worker threads per process ({DEFAULT_THREADS})")
    p.add_argument("--connection-limit", type=int_range(1, 100_000), default=DEFAULT_CONNECTION_LIMIT,
                   help=f"open connections at most, shared by the workers ({DEFAULT_CONNECTION_LIMIT})")
    p.add_argument("--idle-timeout", type=finite(low=1, high=86_400), default=DEFAULT_IDLE_TIMEOUT,
                   help=f"close a connection idle this many seconds ({DEFAULT_IDLE_TIMEOUT:g})")
    p.add_argument("--grace", type=finite(low=0, high=3600), default=DEFAULT_GRACE,
                   help=f"on SIGTERM, seconds to finish requests in flight ({DEFAULT_GRACE:g})")
    p.add_argument("--control-from-anywhere", action="store_true",
                   help="let non-loopback clients use the /_mock/ control API (default: loopback only)")
    p.add_argument("--allow-host", action="append", type=host_name, dest="allowed_hosts", metavar="NAME",
                   help="a Host name (besides loopback names and --host) the /_mock/ pages answer (repeatable)")
    p.add_argument("--control-token", type=token_text,
                   help="the control API needs this token (header X-Control-Token or cookie seedance_control)")
    p.add_argument("--trust-proxy", action="store_true",
                   help="let the control API answer requests that carry proxy headers (X-Forwarded-For...)")
    p.add_argument("--cors", type=cors_origin, metavar="ORIGIN",
                   help="CORS answers for browser pages of ORIGIN (scheme://host[:port] or *)")
    p.add_argument("--coverage-report", metavar="PATH",
                   help="when stopped, write what the traffic met (coverage ledger) to PATH: JSON, or JUnit XML "
                        "when PATH ends in .xml")
    p.add_argument("--no-ledger", action="store_true",
                   help="keep no coverage ledger (GET /_mock/coverage answers 409)")
    p.add_argument("--poll-threshold", type=finite(low=0, high=3600), metavar="SECONDS",
                   help="conduct: polls of one task closer than this are poll-too-fast (1)")
    p.add_argument("--quiet", action="store_true", help="no line per request; warnings only")
    p.add_argument("--log-format", choices=LOG_FORMATS, default="text", help="console lines as text or JSON")
    real = p.add_argument_group("the real service (docs/real-service.md)")
    real.add_argument("--spec", metavar="PATH", help="run from this copy of openapi.yaml (checked at start-up)")
    real.add_argument("--upstream", metavar="URL",
                      help="forward create, query and result download to URL, judging both ways (GET /_mock/fidelity)")
    real.add_argument("--upstream-refuse-invalid", action="store_true",
                      help="answer a request that breaks a rule here: nothing is sent, nothing billed")
    real.add_argument("--upstream-timeout", type=finite(low=0.1, high=3600), metavar="SECONDS",
                      help="read timeout of a call to the service (60)")
    real.add_argument("--record", metavar="PATH", help="append each task's lifecycle as JSON lines (with --upstream)")
    real.add_argument("--replay", metavar="PATH", action="append",
                      help="matching creates replay a recorded task's timeline (repeatable)")
    real.add_argument("--replay-strict", action="store_true", help="refuse creates that match no recording (404)")
    real.add_argument("--timings-from", metavar="PATH", action="append",
                      help="draw queue/processing times per model from recordings (repeatable)")
    return p


def config_from_args(args: argparse.Namespace) -> dict[str, Any]:
    """The app configuration given on the command line (the environment fills the rest)."""
    pairs = {
        "SPEED": args.speed,
        "SEED": args.seed,
        "API_KEYS": args.api_keys,
        "STORE": args.store,
        "INSTANCE": args.instance,
        "RETENTION_SECONDS": args.retention,
        "MAX_BODY_BYTES": args.max_body_bytes,
        "CONTROL_TOKEN": args.control_token,
        "CORS_ORIGIN": args.cors,
        "SPEC_PATH": args.spec,
        "UPSTREAM": args.upstream,
        "UPSTREAM_TIMEOUT": args.upstream_timeout,
        "RECORD": args.record,
        "REPLAY": args.replay,
        "TIMINGS_FROM": args.timings_from,
        "ALLOWED_HOSTS": args.allowed_hosts,
        "MAX_TASKS": args.max_tasks,
        "BIND_HOST": args.host,
    }
    config = {k: v for k, v in pairs.items() if v is not None}
    if args.threads != DEFAULT_THREADS:  # the app's defaults fit the default threads
        config["DELAYS_PER_TOKEN"], config["DELAYS_TOTAL"] = delay_slots(args.threads)
    config.update(ledger_config(args))
    if args.control_from_anywhere:
        config["CONTROL_LOOPBACK_ONLY"] = False
    if args.trust_proxy:
        config["TRUST_PROXY"] = True
    if args.upstream_refuse_invalid:
        config["UPSTREAM_REFUSE_INVALID"] = True
    if args.replay_strict:
        config["REPLAY_STRICT"] = True
    return config


def ledger_config(args: argparse.Namespace) -> dict[str, Any]:
    """The coverage ledger's options as app configuration."""
    config: dict[str, Any] = {}
    if args.no_ledger:
        config["LEDGER"] = False
    if args.poll_threshold is not None:
        config["POLL_THRESHOLD"] = args.poll_threshold
    return config


def coverage_report_problem(args: argparse.Namespace, store: str, use_granian: bool) -> str | None:
    """Why --coverage-report cannot be honoured with these options, or None."""
    if not args.coverage_report:
        return None
    from mockserver.serving.coverage_report import check_writable  # with the catalogue: only when asked for
    from mockserver.state.stores import allows_workers

    if args.no_ledger:
        return "--coverage-report needs the ledger: drop --no-ledger"
    if use_granian and not allows_workers(store):
        # granian's worker process would hold the memory store: nothing left to read once it stopped.
        return ("--coverage-report with the memory store runs on waitress: drop --server granian, or use "
                f"{SHARED_STORES}")
    return check_writable(args.coverage_report)


INSTALL_MOCK = "pip install 'seedance-contract-kit[mock]' (from a checkout: pip install '.[mock]')"


def missing_extra() -> str | None:
    """One line naming the extra to install when the emulator's dependencies are absent, else None."""
    import importlib.util

    needed = ("flask", "yaml", "jsonschema", "jsonschema_rs", "waitress")
    absent = [m for m in needed if importlib.util.find_spec(m) is None]
    if not absent:
        return None
    return f"the emulator needs the [mock] extra ({', '.join(absent)} missing): {INSTALL_MOCK}"


def _fail(message: str, status: int) -> int:
    print(f"{PROG}: {message}", file=sys.stderr, flush=True)
    return status


def _announce(url: str) -> None:
    # The first line stays the bare URL: scripts and fixtures read it.
    print(url, flush=True)
    print(f"dashboard: {url}/_mock/", flush=True)


def serving_problem(args: argparse.Namespace, granian_installed: bool) -> str | None:
    """Why these options cannot all be honoured on the chosen server (one line), or None.

    Every option is honoured on both servers (--connection-limit is granian's backpressure, split among
    the workers; --idle-timeout its header read timeout; --grace its worker kill timeout), except these."""
    if args.server == "granian" and not granian_installed:
        return "--server granian: granian is not installed: " + INSTALL_MOCK
    if args.workers is not None and not granian_installed:
        return "--workers needs granian: " + INSTALL_MOCK
    if args.server == "waitress" and args.workers is not None:
        return "--workers runs on granian: drop --server waitress"
    if args.workers is not None and args.connection_limit < args.workers:
        return f"--connection-limit {args.connection_limit} is below --workers {args.workers}: each worker needs one"
    if args.workers is not None and args.workers > 1 and (args.upstream or args.record):
        return "--upstream and --record keep their state in one process: drop --workers"
    return None


def write_coverage(app: Any, path: str) -> None:
    """Write the coverage report and release the app's store."""
    from mockserver.serving.coverage_report import write_report

    try:
        write_report(app, path)
    finally:
        app.extensions["seedance_mock"].backend.close()


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point: prints the base URL as the first stdout line, then serves until SIGTERM/SIGINT."""
    args = build_parser().parse_args(argv)
    missing = missing_extra()
    if missing:
        return _fail(missing, 1)
    from mockserver import create_app
    from mockserver.serving import workers
    from mockserver.state.errors import StoreError
    from mockserver.state.stores import allows_workers
    from mockserver.web.shared import EXTENSION

    configure_logging(args.quiet, args.log_format)
    config = config_from_args(args)
    multi = args.workers is not None and args.workers > 1
    problem = serving_problem(args, workers.granian_available())
    if problem:
        return _fail(problem, 2)
    use_granian = args.workers is not None or (args.server != "waitress" and workers.granian_available())
    try:
        app = create_app(config)
    except StoreError as exc:
        return _fail(str(exc), 1)
    except (ValueError, OSError) as exc:
        return _fail(str(exc), 2)
    state = app.extensions[EXTENSION]
    store = str(state.config["STORE"])
    if args.coverage_report and args.server == "auto" and args.workers is None and not allows_workers(store):
        use_granian = False  # the report is read from this process' memory store when it stops
    problem = coverage_report_problem(args, store, use_granian)
    if problem:
        state.backend.close()
        return _fail(problem, 2)
    if multi and not allows_workers(store):
        state.backend.close()
        return _fail(f"--workers {args.workers} needs a shared store: {SHARED_STORES}", 2)
    options = ServingOptions(
        host=args.host, port=args.port, threads=args.threads, workers=args.workers or 1,
        connection_limit=args.connection_limit, idle_timeout=args.idle_timeout, grace=args.grace,
        max_body_bytes=int(state.config["MAX_BODY_BYTES"]),
    )
    try:
        if not use_granian:
            from mockserver.serving import waitress_server  # imported only when it serves (~10 ms of start-up)

            waitress_server.serve(app, options, _announce)
            if args.coverage_report:
                write_coverage(app, args.coverage_report)
            return 0
        # The workers build their own app (and store connections) after the fork: this one only
        # proved that the configuration and the store work.
        state.backend.close()
        port = workers.reserve_port(args.host, args.port)
        options = ServingOptions(**{**options.__dict__, "port": port})
        workers.serve_workers(config, options, quiet=args.quiet, log_format=args.log_format, announce=_announce)
        if args.coverage_report:
            # The workers are gone; their ledger is in the shared store.
            reader = create_app(config)
            write_coverage(reader, args.coverage_report)
    except OSError as exc:
        return _fail(f"cannot listen on {args.host}:{args.port}: {exc.strerror or exc}", 1)
    except KeyboardInterrupt:
        logging.getLogger(__name__).debug("interrupted")
    return 0
