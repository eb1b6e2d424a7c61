"""Control input, checked in one place: every value the control API accepts, with its one bound.

The views hand over what the caller sent (the JSON body's values, query strings); each parser here
returns typed values or raises the one error type, `ApiError("VALIDATION_FAILED")`. The state layer
trusts what comes out (it only checks what depends on stored state: the clock's total offset, how many
faults or declarations are kept). To accept a new value: add its bound next to the others and parse it
with `number`, `integer`, `text`, `choice` or `flag`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from mockserver.state.errors import ApiError
from mockserver.state.facts import AUDIT_STATES, MediaFacts
from mockserver.state.forcing import DEFAULT_FAIL_REASON, FAIL_AT, FAULT_KINDS, MAX_DELAY, OPERATIONS, Fault
from mockserver.state.tasks import fingerprint

# One bound per value.
MIN_SPEED, MAX_SPEED = 0.001, 1_000_000.0  # how many times faster than real time tasks run
MAX_ADVANCE = 100 * 365 * 86_400.0  # one move of the clock: a century is plenty, Infinity is not
MAX_LIMIT = 1_000_000  # rate_per_minute and max_in_flight
MAX_RETRY_AFTER = 3600
MAX_FAULT_COUNT = 1_000_000
MAX_MEDIA_NUMBER = 2**53  # declared sizes, widths, heights (JSON's exact integers)
MAX_PAGE = 1000  # `limit` of a control API listing
MAX_CURSOR = 2**62  # `after` of a journal read
Body = Mapping[str, Any]


def invalid(message: str) -> ApiError:
    """The one error of bad control input: 400 VALIDATION_FAILED with `message`."""
    return ApiError("VALIDATION_FAILED", message)


def required(body: Body, key: str) -> Any:
    """`body[key]`, or the error that it is required (null counts as missing)."""
    value = body.get(key)
    if value is None:
        raise invalid(f"{key} is required")
    return value


def number(value: Any, key: str, low: float, high: float) -> float:
    """A finite JSON number (not a boolean) from `low` to `high`."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise invalid(f"{key} must be a finite number")
    if not low <= value <= high:
        raise invalid(f"{key} must be a number from {low:g} to {high:g}")
    return float(value)


def integer(value: Any, key: str, low: int, high: int) -> int:
    """A JSON integer (not a boolean) from `low` to `high`."""
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise invalid(f"{key} must be an integer from {low} to {high}")
    return value


def optional_number(body: Body, key: str, low: float, high: float) -> float | None:
    """`number` of `body[key]`, None when absent or null."""
    value = body.get(key)
    return None if value is None else number(value, key, low, high)


def optional_integer(body: Body, key: str, low: int, high: int) -> int | None:
    """`integer` of `body[key]`, None when absent or null."""
    value = body.get(key)
    return None if value is None else integer(value, key, low, high)


def text(body: Body, key: str) -> str | None:
    """A string, None when absent or null."""
    value = body.get(key)
    if value is not None and not isinstance(value, str):
        raise invalid(f"{key} must be a string")
    return value


def choice(body: Body, key: str, options: Sequence[str], default: str) -> str:
    """One of `options` (`default` when absent, null or empty)."""
    value = text(body, key) or default
    if value not in options:
        raise invalid(f"{key} must be one of {', '.join(options)}")
    return value


def flag(body: Body, key: str, default: bool) -> bool:
    """true or false (`default` when absent or null)."""
    value = body.get(key)
    if value is None:
        return default
    if not isinstance(value, bool):
        raise invalid(f"{key} must be true or false")
    return value


def owner(token: str | None) -> str | None:
    """A raw token as the fingerprint the store keys on; None when empty."""
    return fingerprint(token) if token else None


def owner_filter(given: str | None) -> str | None:
    """A token filter as typed (a raw token, or a fingerprint as the journal shows it) as the fingerprint
    the store keys on; None when empty."""
    return given if given and "~" in given else owner(given)


def query_int(args: Mapping[str, str], name: str, default: int, high: int) -> int:
    """A query parameter: decimal digits from 0 to `high`; `default` when absent or empty."""
    raw = args.get(name, "")
    if not raw:
        return default
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 19 or int(raw) > high:
        raise invalid(f"query parameter {name} must be an integer from 0 to {high}")
    return int(raw)


# -- what each control endpoint accepts ---------------------------------------------------------------
def speed(body: Body) -> float:
    """POST /clock: `speed`, required."""
    return number(required(body, "speed"), "speed", MIN_SPEED, MAX_SPEED)


def advance_seconds(body: Body) -> float:
    """POST /clock/advance: `seconds`, required, never backward."""
    return number(required(body, "seconds"), "seconds", 0.0, MAX_ADVANCE)


def fail_request(body: Body) -> tuple[str, str]:
    """POST /tasks/<id>/fail: (`reason`, `at`)."""
    return text(body, "reason") or DEFAULT_FAIL_REASON, choice(body, "at", FAIL_AT, "processing")


def fault(body: Body) -> Fault:
    """POST /faults: the fault to queue (`token` raw, kept as its fingerprint)."""
    kind = str(body.get("kind", ""))
    if kind not in FAULT_KINDS:
        raise invalid(f"kind must be one of {', '.join(FAULT_KINDS)}")
    return Fault(
        kind=kind,
        count=integer(body.get("count", 1), "count", 1, MAX_FAULT_COUNT),
        operation=choice(body, "operation", OPERATIONS, "any"),
        token=owner(text(body, "token")),
        retry_after=integer(body.get("retry_after", 1), "retry_after", 0, MAX_RETRY_AFTER),
        delay=number(body.get("delay", 0.0), "delay", 0.0, MAX_DELAY),
    )


def limits(body: Body) -> tuple[str | None, int | None, int | None]:
    """POST /limits: (owner or None for every token, rate_per_minute, max_in_flight); null = unlimited."""
    return (
        owner(text(body, "token")),
        optional_integer(body, "rate_per_minute", 1, MAX_LIMIT),
        optional_integer(body, "max_in_flight", 1, MAX_LIMIT),
    )


def media(body: Body) -> tuple[str, MediaFacts]:
    """POST /media: the URL and what it is."""
    url = text(body, "url")
    if not url:
        raise invalid("url is required")
    return url, MediaFacts(
        duration=optional_number(body, "duration", 0.0, float(MAX_MEDIA_NUMBER)),
        size=optional_integer(body, "size", 0, MAX_MEDIA_NUMBER),
        width=optional_integer(body, "width", 0, MAX_MEDIA_NUMBER),
        height=optional_integer(body, "height", 0, MAX_MEDIA_NUMBER),
        reachable=flag(body, "reachable", True),
    )


def asset_audit(body: Body) -> tuple[str, str]:
    """POST /assets: (`asset_id`, `state`)."""
    asset = text(body, "asset_id")
    if not asset:
        raise invalid("asset_id is required")
    return asset, choice(body, "state", AUDIT_STATES, "")
