"""The shared control state: faults, limits, media facts, audits, clock offset and speed, one JSON
document in the store. Each instance caches it and re-reads it when the store's `version` counter moved."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from mockserver.state.errors import ApiError
from mockserver.state.facts import MediaFacts, asset_id
from mockserver.state.forcing import MAX_FAULTS_QUEUED, Fault, admit_in_window
from mockserver.state.store import VERSION_KEY, Store

MAX_OFFSET = 1000 * 365 * 86_400.0
MAX_DECLARED = 10_000  # media facts and asset audits each
MAX_KEY = 2048
MAX_LIMITS = 1000  # per-token limits (each new token's entry makes the shared document bigger for every read)


@dataclass
class ControlState:
    """A snapshot of the shared control document."""

    faults: list[dict[str, Any]] = field(default_factory=list)
    limits: dict[str, dict[str, int | None]] = field(default_factory=dict)
    media: dict[str, MediaFacts] = field(default_factory=dict)
    audits: dict[str, str] = field(default_factory=dict)
    clock: float = 0.0
    speed: float | None = None

    @classmethod
    def from_doc(cls, doc: Mapping[str, Any] | None) -> ControlState:
        """Parse the stored document (None = nothing set)."""
        doc = doc or {}
        return cls(
            faults=list(doc.get("faults", [])),
            limits=dict(doc.get("limits", {})),
            media={url: MediaFacts.from_dict(f) for url, f in doc.get("media", {}).items()},
            audits=dict(doc.get("audits", {})),
            clock=float(doc.get("clock", 0.0)),
            speed=doc.get("speed"),
        )


def _control_doc(doc: Any) -> dict[str, Any]:
    return dict(doc) if isinstance(doc, dict) else {}


class SharedControl:
    """Reads and changes the control document; every change is atomic in the store and announced."""

    def __init__(self, store: Store, clock: Callable[[], float], speed: float) -> None:
        self.store = store
        self._clock = clock
        self._default_speed = speed
        self._version: Any = object()  # never equal to a stored version: the first sync reads
        self.control = ControlState()
        self._secret: bytes | None = None
        self.sync()

    # -- shared control state ----------------------------------------------------------------------
    def sync(self) -> None:
        """Refresh the cached control state if any instance changed it (the store's cheapest read when it
        did not: no round trip on Redis or SQLite)."""
        version = self.store.control_version()
        if version != self._version:
            self.control = ControlState.from_doc(self.store.read("control"))
            self._version = version

    def _change(self, fn: Callable[[dict[str, Any]], Any]) -> Any:
        """Apply `fn` to the control document atomically, announce it to every instance, refresh."""

        def apply(doc: Any) -> tuple[Any, Any]:
            current = _control_doc(doc)
            result = fn(current)
            return current, result

        result = self.store.update("control", apply)
        self.store.incr(VERSION_KEY)
        self.sync()
        return result

    def secret(self) -> bytes:
        """The key that signs result URLs: made once, shared by every instance of the store."""
        if self._secret is None:
            fresh = secrets.token_hex(32)
            stored = self.store.update("secret", lambda v: (v or fresh, v or fresh))
            self._secret = bytes.fromhex(stored)
        return self._secret

    # -- clock -------------------------------------------------------------------------------------
    def now(self) -> float:
        """The emulator clock: the injected clock plus every `advance`."""
        return self._clock() + self.control.clock

    def advance(self, seconds: float) -> float:
        """Move the simulated clock forward by checked `seconds` (`control_input.advance_seconds`), at most
        MAX_OFFSET ahead in all; return the new time."""

        def move(doc: dict[str, Any]) -> None:
            offset = float(doc.get("clock", 0.0)) + float(seconds)
            if offset > MAX_OFFSET:
                raise ApiError("VALIDATION_FAILED", f"the clock may run at most {MAX_OFFSET:.0f} s ahead")
            doc["clock"] = offset

        self._change(move)
        return self.now()

    def speed(self) -> float:
        """How many times faster than real time new tasks run."""
        return float(self.control.speed or self._default_speed)

    def set_speed(self, speed: float) -> float:
        """Change the speed of tasks created from now on (shared by every instance; checked by
        `control_input.speed`)."""
        self._change(lambda doc: doc.__setitem__("speed", float(speed)))
        return self.speed()

    # -- faults and limits -------------------------------------------------------------------------
    def queue_fault(self, fault: Fault) -> list[dict[str, Any]]:
        """Queue a fault (its `token` already a fingerprint); the next matching requests answer it."""

        def add(doc: dict[str, Any]) -> list[dict[str, Any]]:
            queued = list(doc.get("faults", []))
            if len(queued) >= MAX_FAULTS_QUEUED:
                raise ApiError("VALIDATION_FAILED", f"at most {MAX_FAULTS_QUEUED} faults may be queued")
            queued.append(fault.as_dict())
            doc["faults"] = queued
            return queued

        result: list[dict[str, Any]] = self._change(add)
        return result

    def take_fault(self, owner: str, operation: str) -> dict[str, Any] | None:
        """Consume one use of the first queued fault matching (owner, operation), across every instance."""
        if not self.control.faults:
            return None

        def take(doc: dict[str, Any]) -> dict[str, Any] | None:
            queued = list(doc.get("faults", []))
            for i, fault in enumerate(queued):
                if fault.get("token") in (None, owner) and fault.get("operation") in ("any", operation):
                    fault = dict(fault, count=int(fault["count"]) - 1)
                    if fault["count"] <= 0:
                        del queued[i]
                    else:
                        queued[i] = fault
                    doc["faults"] = queued
                    return fault
            return None

        taken: dict[str, Any] | None = self._change(take)
        return taken

    def clear_faults(self) -> None:
        """Drop every queued fault."""
        self._change(lambda doc: doc.__setitem__("faults", []))

    def set_limits(self, owner: str | None, rate_per_minute: int | None, max_in_flight: int | None) -> None:
        """Per-token limits (owner None = every token; checked by `control_input.limits`); both None
        switches them off."""

        def put(doc: dict[str, Any]) -> None:
            limits = dict(doc.get("limits", {}))
            key = owner or "*"
            if rate_per_minute is None and max_in_flight is None:
                limits.pop(key, None)
            elif key not in limits and len(limits) >= MAX_LIMITS:
                raise ApiError("VALIDATION_FAILED", f"at most {MAX_LIMITS} per-token limits may be set; remove one "
                               "(both values null) or reset first")
            else:
                limits[key] = {"rate_per_minute": rate_per_minute, "max_in_flight": max_in_flight}
            doc["limits"] = limits

        self._change(put)

    def _limits_for(self, owner: str) -> dict[str, int | None] | None:
        limits = self.control.limits
        if not limits:
            return None
        return limits.get(owner) or limits.get("*")

    def admit(self, owner: str) -> None:
        """Apply the owner's rate limit, counted over every instance (429 RATE_LIMITED with Retry-After)."""
        limits = self._limits_for(owner)
        rate = limits.get("rate_per_minute") if limits else None
        if rate is None:
            return
        now = self.now()
        wait = self.store.update(f"rate:{owner}", lambda stamps: admit_in_window(stamps, now, int(rate)))
        if wait is not None:
            raise ApiError("RATE_LIMITED", f"rate limit exceeded; retry after {wait} s", retry_after=wait)

    # -- media and assets --------------------------------------------------------------------------
    def declare_media(self, url: str, facts: MediaFacts) -> None:
        """Record what a media URL is (duration, size, resolution, reachability)."""
        self._declare("media", url[:MAX_KEY], facts.as_dict())

    def set_asset_audit(self, asset: str, state: str) -> None:
        """Record a Full-route asset's audit state (approved|pending|rejected, `control_input.asset_audit`)."""
        self._declare("audits", asset_id(asset)[:MAX_KEY], state)

    def _declare(self, section: str, key: str, value: Any) -> None:
        def put(doc: dict[str, Any]) -> None:
            entries = dict(doc.get(section, {}))
            if key not in entries and len(entries) >= MAX_DECLARED:
                raise ApiError("VALIDATION_FAILED", f"at most {MAX_DECLARED} {section} entries; reset first")
            entries[key] = value
            doc[section] = entries

        self._change(put)

