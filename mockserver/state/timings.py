"""Per-model facts the emulator needs beyond validation: output size, applied values and simulated timings."""

from __future__ import annotations

import functools
import math
import random
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

# Output height ("p" = shorter side) of the Full route, read from the model id (x-assumptions OUTPUT_SIZE).
_FULL_SIZES = {"720p": 720, "1080p": 1080, "2k": 1440, "4k": 2160}
_RESOLUTIONS = {"480p": 480, "720p": 720, "1080p": 1080}
_SELECTS_RESOLUTION = {"SP", "SP_OFFICIAL", "MINI", "MINI_SP"}
_RATIOS = {"16:9": (16, 9), "9:16": (9, 16), "1:1": (1, 1), "4:3": (4, 3), "3:4": (3, 4), "21:9": (21, 9)}
_REFERENCE_PIXELS = 1280 * 720
MAX_RESULT_SECONDS = 15  # the longest documented duration (SP, MD, STD: 4-15 / 1-15)


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


_LABELS = {480: "480p", 720: "720p", 1080: "1080p", 1440: "2k", 2160: "4k"}


def resolution_label(family: str, model: str, body: Mapping[str, Any]) -> str:
    """The output resolution a valid body gets, as a label (`720p`, `2k`...): what a user is billed for."""
    short = output_short_side(family, model, body.get("resolution"))
    return _LABELS.get(short, f"{short}p")


def applied_ratio(body: Mapping[str, Any]) -> str:
    """The ratio a valid body gets: its own, else the orientation's, else the documented default 16:9."""
    ratio = body.get("ratio")
    if isinstance(ratio, str) and ratio:
        return ratio
    return "9:16" if body.get("orientation") == "portrait" else "16:9"


def output_size(family: str, model: str, body: Mapping[str, Any]) -> tuple[int, int]:
    """(width, height) of the video a valid body produces; both even (x-assumptions OUTPUT_SIZE)."""
    short = output_short_side(family, model, body.get("resolution"))
    ratio = body.get("ratio")
    portrait = body.get("orientation") == "portrait"
    if not isinstance(ratio, str) or ratio.lower() not in _RATIOS:
        # No ratio, or "adaptive": the orientation decides (ratio wins when both are given).
        ratio = "9:16" if portrait else "16:9"
    w, h = _RATIOS[ratio.lower()]
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


def documented_sizes(families: Mapping[str, list[str]]) -> frozenset[tuple[int, int]]:
    """Every (width, height) a valid body can produce: the documented output table, all ratios."""
    return _documented_sizes(tuple((family, tuple(models)) for family, models in families.items()))


@functools.lru_cache(maxsize=8)
def _documented_sizes(families: tuple[tuple[str, tuple[str, ...]], ...]) -> frozenset[tuple[int, int]]:
    # ~1,200 sizes computed once per process (every app of a test run, and a `--workers` worker forked
    # after the parent built its app, reuse them): a few milliseconds of each app's start-up.
    sizes: set[tuple[int, int]] = set()
    for family, models in families:
        for model in models:
            for resolution in (None, *_RESOLUTIONS):
                for ratio in (None, *_RATIOS):
                    for orientation in ("landscape", "portrait"):
                        body = {"resolution": resolution, "ratio": ratio, "orientation": orientation}
                        sizes.add(output_size(family, model, body))
    return frozenset(sizes)
