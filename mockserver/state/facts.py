"""Facts the emulator cannot see in a body: declared media (duration, size, resolution, reachability) and
Full-route asset audit states. Tests declare them through the control API; unknown media counts as valid."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

AUDIT_STATES = ("approved", "pending", "rejected")
ASSET_PREFIX = "asset://"


@dataclass(frozen=True)
class MediaFacts:
    """What a test declared about a media URL; None = unknown (unknown media is valid)."""

    duration: float | None = None
    size: int | None = None
    width: int | None = None
    height: int | None = None
    reachable: bool = True

    def as_dict(self) -> dict[str, Any]:
        """JSON form for the control API and the store."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> MediaFacts:
        """The inverse of `as_dict`."""
        return cls(data.get("duration"), data.get("size"), data.get("width"), data.get("height"),
                   bool(data.get("reachable", True)))


def asset_id(value: str) -> str:
    """`asset://abc` -> `abc` (a bare id is returned as is)."""
    return value[len(ASSET_PREFIX) :] if value.startswith(ASSET_PREFIX) else value
