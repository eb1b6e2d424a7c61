"""Forcing outcomes: fault queues per (token, operation), per-token limits and in-band directives."""

from __future__ import annotations

import math
import re
from dataclasses import asdict, dataclass
from typing import Any

FAULT_KINDS = ("429", "500", "502", "503", "delay", "drop")
OPERATIONS = ("create", "get", "any")
FAULT_ERRORS: dict[str, tuple[str, str]] = {
    "429": ("RATE_LIMITED", "rate limit exceeded (forced)"),
    "500": ("INTERNAL_ERROR", "internal server error (forced)"),
    "502": ("BAD_GATEWAY", "bad gateway (forced)"),
    "503": ("SERVICE_UNAVAILABLE", "service unavailable (forced)"),
}
"""Fault kind -> (error id, message) of the answer it forces (`drop` and `delay` answer none)."""
FAIL_AT = ("now", "queue", "processing")
DEFAULT_FAIL_REASON = "generation failed"
# A delay holds a worker thread: bounded so that a careless test cannot park the whole server.
MAX_DELAY = 30.0
MAX_FAULTS_QUEUED = 1000
_MARKER = re.compile(r"\[\[seedance-mock:([^\]]*)\]\]")


class DirectiveError(ValueError):
    """A malformed in-band directive (header or prompt marker): the API answers 400 INVALID_DIRECTIVE."""


@dataclass
class Fault:
    """The next `count` matching requests answer `kind` (or are delayed by `delay` seconds); built from
    checked input (`control_input.fault`)."""

    kind: str
    count: int = 1
    operation: str = "any"
    token: str | None = None
    retry_after: int = 1
    delay: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        """JSON form for the control API and the store (`token` is a token fingerprint there)."""
        return asdict(self)


def admit_in_window(stamps: list[float] | None, now: float, limit: int) -> tuple[list[float], int | None]:
    """A sliding 60 s window: (the stamps to keep, None) when admitted, or (stamps, seconds to wait)."""
    kept = [s for s in (stamps or []) if now - 60.0 < s <= now]
    if len(kept) >= limit:
        return kept, max(1, math.ceil(kept[0] + 60.0 - now))
    kept.append(now)
    return kept, None


@dataclass
class Directives:
    """Parsed in-band directives (header `X-Seedance-Mock` or prompt marker)."""

    fail: str | None = None
    fail_at: str = "processing"
    complete: bool = False
    fault: str | None = None
    delay: float = 0.0

    def merge(self, other: Directives) -> Directives:
        """Combine two sets; `other`'s explicit values win."""
        return Directives(
            fail=other.fail or self.fail,
            fail_at=other.fail_at if other.fail else self.fail_at,
            complete=self.complete or other.complete,
            fault=other.fault or self.fault,
            delay=other.delay or self.delay,
        ).checked()

    def checked(self) -> Directives:
        """These directives, or DirectiveError when they contradict each other."""
        if self.fail and self.complete:
            # A task cannot both fail and complete; guessing which one was meant would hide a test's mistake.
            raise DirectiveError("fail and complete contradict each other")
        return self


def parse_directives(text: str) -> Directives:
    """Parse `fail[=reason]; fail-at=now|queue|processing; complete; fault=429|500|502|503|drop; delay=S`."""
    result = Directives()
    for part in text.split(";"):
        item = part.strip()
        if not item:
            continue
        name, _, value = item.partition("=")
        name, value = name.strip().lower(), value.strip()
        if name == "fail":
            result.fail = value or DEFAULT_FAIL_REASON
        elif name == "fail-at":
            if value not in FAIL_AT:
                raise DirectiveError("fail-at must be now, queue or processing")
            result.fail_at = value
            result.fail = result.fail or DEFAULT_FAIL_REASON
        elif name == "complete" and not value:
            result.complete = True
        elif name == "fault":
            if value not in FAULT_KINDS or value == "delay":
                raise DirectiveError("fault must be 429, 500, 502, 503 or drop")
            result.fault = value
        elif name == "delay":
            try:
                result.delay = float(value)
            except ValueError:
                raise DirectiveError("delay must be a number of seconds") from None
            if not 0 <= result.delay <= MAX_DELAY:
                raise DirectiveError(f"delay must be between 0 and {MAX_DELAY:g} seconds")
        else:
            raise DirectiveError(f"unknown directive {name!r}")
    return result.checked()


def prompt_directives(prompt: object) -> Directives | None:
    """Directives from a `[[seedance-mock: ...]]` marker in a string prompt, or None."""
    if not isinstance(prompt, str) or "[[seedance-mock:" not in prompt:
        return None
    found = Directives()
    for match in _MARKER.finditer(prompt):
        found = found.merge(parse_directives(match.group(1)))
    return found
