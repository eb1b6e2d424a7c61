"""Per-model facts the emulator needs beyond validation: family, output size and simulated timings."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

# Output height ("p" = shorter side) of the Full route, read from the model id (x-assumptions OUTPUT_SIZE).
_FULL_SIZES = {"720p": 720, "1080p": 1080, "2k": 1440, "4k": 2160}
_RESOLUTIONS = {"480p": 480, "720p": 720, "1080p": 1080}
_SELECTS_RESOLUTION = {"SP", "SP_OFFICIAL", "MINI", "MINI_SP"}
_RATIOS = {"16:9": (16, 9), "9:16": (9, 16), "1:1": (1, 1), "4:3": (4, 3), "3:4": (3, 4), "21:9": (21, 9)}
_REFERENCE_PIXELS = 1280 * 720


@dataclass(frozen=True)
class FamilyTiming:
    """Simulated seconds: queue wait, fixed processing cost, and cost per second of 720p-equivalent video."""

    queue: float
    processing_base: float
    per_video_second: float


# Realistic orders of magnitude for a hosted video model; "fast" variants process at half the cost.
TIMINGS: dict[str, FamilyTiming] = {
    "FULL": FamilyTiming(queue=5.0, processing_base=20.0, per_video_second=6.0),
    "SP": FamilyTiming(queue=3.0, processing_base=12.0, per_video_second=4.0),
    "SP_OFFICIAL": FamilyTiming(queue=4.0, processing_base=15.0, per_video_second=5.0),
    "MINI": FamilyTiming(queue=2.0, processing_base=8.0, per_video_second=2.5),
    "MINI_SP": FamilyTiming(queue=2.0, processing_base=8.0, per_video_second=2.5),
    "MD": FamilyTiming(queue=3.0, processing_base=10.0, per_video_second=3.0),
    "FAST_I2V": FamilyTiming(queue=2.0, processing_base=6.0, per_video_second=2.0),
    "STD": FamilyTiming(queue=4.0, processing_base=15.0, per_video_second=4.0),
}


def _even(value: float) -> int:
    return max(2, 2 * round(value / 2))


def output_short_side(family: str, model: str, resolution: object) -> int:
    """The output's shorter side in pixels for a valid body."""
    if family == "FULL":
        return next((px for key, px in _FULL_SIZES.items() if model.endswith("_" + key)), 720)
    if family in _SELECTS_RESOLUTION and isinstance(resolution, str):
        return _RESOLUTIONS.get(resolution, 720)
    return 720


def output_size(family: str, model: str, body: dict[str, object]) -> tuple[int, int]:
    """(width, height) of the video a valid body produces; both even (x-assumptions OUTPUT_SIZE)."""
    short = output_short_side(family, model, body.get("resolution"))
    ratio = body.get("ratio")
    portrait = body.get("orientation") == "portrait"
    if not isinstance(ratio, str) or ratio not in _RATIOS:
        # No ratio, or "adaptive": the orientation decides (ratio wins when both are given).
        ratio = "9:16" if portrait else "16:9"
    w, h = _RATIOS[ratio]
    if w >= h:
        return _even(short * w / h), _even(short)
    return _even(short), _even(short * h / w)


def plan_timings(
    family: str, model: str, duration: int, width: int, height: int, speed: float, rng: random.Random
) -> tuple[float, float]:
    """(seconds queued, seconds processing) in real seconds, already divided by `speed`."""
    timing = TIMINGS.get(family, TIMINGS["STD"])
    pixels = (width * height) / _REFERENCE_PIXELS
    fast = 0.5 if "fast" in model else 1.0
    queue = timing.queue * (1.0 + 0.5 * rng.random())
    processing = (timing.processing_base + timing.per_video_second * duration * pixels) * fast
    processing *= 0.9 + 0.2 * rng.random()
    scale = 1.0 / speed if speed > 0 and math.isfinite(speed) else 1.0
    return queue * scale, processing * scale
