"""`seedance-mock` / `python -m mockserver`: run the emulator with waitress."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from typing import Any

from mockserver import create_app
from mockserver.server import DEFAULT_THREADS, serve


def build_parser() -> argparse.ArgumentParser:
    """The command-line options."""
    parser = argparse.ArgumentParser(
        prog="seedance-mock", description="Run the Seedance video API emulator (served by waitress)."
    )
    parser.add_argument("--host", default="127.0.0.1", help="interface to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8000, help="port; 0 picks a free one (default 8000)")
    parser.add_argument("--speed", type=float, default=None, help="simulated time runs F times faster")
    parser.add_argument("--seed", type=int, default=None, help="reproducible task ids and timings")
    parser.add_argument(
        "--api-key", action="append", default=None, dest="api_keys",
        help="accept only this bearer token (repeatable; default: any non-empty token)",
    )
    parser.add_argument("--store", default=None, help="'memory' (default) or 'sqlite:PATH'")
    parser.add_argument("--retention", type=float, default=None, help="result retention in seconds (259200)")
    parser.add_argument("--max-body-bytes", type=int, default=None, help="request body limit (1048576)")
    parser.add_argument("--threads", type=int, default=DEFAULT_THREADS, help="waitress worker threads (8)")
    parser.add_argument(
        "--control-from-anywhere", action="store_true",
        help="let non-loopback clients use the /_mock/ control API (default: loopback only)",
    )
    parser.add_argument("--quiet", action="store_true", help="log warnings only")
    return parser


def config_from_args(args: argparse.Namespace) -> dict[str, Any]:
    """Only the options given on the command line (the environment fills the rest)."""
    config: dict[str, Any] = {}
    pairs = {
        "SPEED": args.speed,
        "SEED": args.seed,
        "API_KEYS": args.api_keys,
        "STORE": args.store,
        "RETENTION_SECONDS": args.retention,
        "MAX_BODY_BYTES": args.max_body_bytes,
    }
    config.update({k: v for k, v in pairs.items() if v is not None})
    if args.control_from_anywhere:
        config["CONTROL_LOOPBACK_ONLY"] = False
    return config


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point: prints the base URL as the first stdout line, then serves until interrupted."""
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING if args.quiet else logging.INFO, stream=sys.stderr)
    try:
        app = create_app(config_from_args(args))
    except (ValueError, OSError) as exc:
        print(f"seedance-mock: {exc}", file=sys.stderr)
        return 2

    def announce(url: str) -> None:
        print(url, flush=True)

    serve(app, args.host, args.port, args.threads, announce)
    return 0
