"""What a task would be billed, as the documents state each route's unit (an independent reading; no prices).

The documents' model list gives Full "per-second", SP economy, SP official and Mini "per-second by
resolution", Mini special, MD, Fast I2V and STD "per-task". ``usage_of`` turns one create request into a usage
line: the unit, the output resolution applied (request's or 720p where resolution selects the output, the model
id's on Full, 720p elsewhere) and the billable seconds (the duration for per-second units, 0 per task).
"""

from __future__ import annotations

from collections.abc import Mapping

from client.validation import MODEL_FAMILY

__all__ = ["BILLING_UNIT", "usage_of"]

BILLING_UNIT: Mapping[str, str] = {
    "FULL": "per_second", "SP": "per_second_by_resolution", "SP_OFFICIAL": "per_second_by_resolution",
    "MINI": "per_second_by_resolution", "MINI_SP": "per_task", "MD": "per_task", "FAST_I2V": "per_task",
    "STD": "per_task",
}
_SELECTS_RESOLUTION = frozenset({"SP", "SP_OFFICIAL", "MINI", "MINI_SP"})
_FULL_RESOLUTIONS = ("720p", "1080p", "2k", "4k")


def _resolution(family: str, model: str, requested: object) -> str:
    if family == "FULL":
        return next((r for r in _FULL_RESOLUTIONS if model.endswith("_" + r)), "720p")
    if family in _SELECTS_RESOLUTION and isinstance(requested, str):
        return requested
    return "720p"


def usage_of(model: str, duration: object, resolution: object = None) -> dict[str, object] | None:
    """The usage line of one task: model, unit, resolution, tasks, seconds, billable_seconds (None: unknown model)."""
    family = MODEL_FAMILY.get(model)
    if family is None:
        return None
    unit = BILLING_UNIT[family]
    seconds = int(duration) if isinstance(duration, int | float) and not isinstance(duration, bool) else 0
    return {"model": model, "unit": unit, "resolution": _resolution(family, model, resolution), "tasks": 1,
            "seconds": seconds, "billable_seconds": 0 if unit == "per_task" else seconds}
