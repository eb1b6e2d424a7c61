"""Argument types of the command line: each checks its value, so argparse exits 2 with a clear message."""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable
from urllib.parse import urlsplit

SERVERS = ("auto", "waitress", "granian")
MAX_TEXT = 200


def int_range(low: int, high: int) -> Callable[[str], int]:
    """An integer from `low` to `high` inclusive."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{value} is out of range {low}..{high}")
        return value

    parse.__name__ = "integer"
    return parse


def port_number(text: str) -> int:
    """A TCP port, 0 (any free port) to 65535."""
    return int_range(0, 65535)(text)


def finite(low: float, high: float = math.inf, low_open: bool = False) -> Callable[[str], float]:
    """A finite number >= `low` (> `low` when `low_open`) and <= `high`: no nan, no inf."""

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
        if not math.isfinite(value):
            raise argparse.ArgumentTypeError(f"{text!r} is not a finite number")
        if value < low or (low_open and value == low) or value > high:
            bound = f"> {low:g}" if low_open else f">= {low:g}"
            upper = f" and <= {high:g}" if math.isfinite(high) else ""
            raise argparse.ArgumentTypeError(f"{value:g} must be {bound}{upper}")
        return value

    parse.__name__ = "number"
    return parse


def token_text(text: str) -> str:
    """A non-empty token without spaces or control characters (it travels in an HTTP header)."""
    if not text or len(text) > MAX_TEXT or not text.isprintable() or any(c.isspace() for c in text):
        raise argparse.ArgumentTypeError("must be 1-200 printable characters without spaces")
    return text


def instance_name(text: str) -> str:
    """A short printable name (shown in the journal and /_mock/health)."""
    if not text or len(text) > 64 or not text.isprintable():
        raise argparse.ArgumentTypeError("must be 1-64 printable characters")
    return text


def cors_origin(text: str) -> str:
    """`*` or an origin `scheme://host[:port]` (no path): what browsers send in the Origin header."""
    if text == "*":
        return text
    parts = urlsplit(text)
    try:
        port_ok = parts.port is None or 0 < parts.port < 65536
    except ValueError:
        port_ok = False
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.path or parts.query or not port_ok:
        raise argparse.ArgumentTypeError("must be * or an origin such as http://localhost:3000")
    return text.rstrip("/")


def host_name(text: str) -> str:
    """A host name or IP address as a Host header carries it, without the port (`[::1]` or `::1`)."""
    name = text.strip().lower()
    if name.startswith("[") and name.endswith("]"):
        name = name[1:-1]
    allowed = set("abcdefghijklmnopqrstuvwxyz0123456789-._:")
    if not name or len(name) > 253 or not set(name) <= allowed:
        raise argparse.ArgumentTypeError("must be a host name or IP address, without scheme or port")
    return name
