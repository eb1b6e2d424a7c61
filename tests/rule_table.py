"""The rule table: for every rule id, one body that breaks only that rule and its nearest valid twin.

Written by hand from the API documents (not generated from openapi.yaml), so that the spec, the emulator and
the client are all held against an independent reading. `tests/spec/test_rule_table.py` fails when a rule id in
the spec has no row here, or a row names an id the spec lacks.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

FAMILIES: dict[str, list[str]] = {
    "FULL": [
        "sd2_mx_720p", "sd2_mx_1080p", "sd2_mx_2k", "sd2_mx_4k", "sd2_mx_fast_720p", "sd2_mx_fast_1080p",
        "sd2_mx_video_720p", "sd2_mx_video_1080p", "sd2_mx_video_2k", "sd2_mx_video_4k",
        "sd2_mx_video_fast_720p", "sd2_mx_video_fast_1080p",
    ],
    "SP": ["seedance2.0-sp", "seedance2.0-fast-sp"],
    "SP_OFFICIAL": ["seedance2.0-of-sp", "seedance2.0-of-fast-sp"],
    "MINI": ["seedance2.0-mini"],
    "MINI_SP": ["seedance2.0-mini-sp"],
    "MD": ["seedance2.0-md", "seedance2.0-fast-md"],
    "FAST_I2V": ["seedance2.0-fast-i2v"],
    "STD": ["seedance2.0-std"],
}
ALL_MODELS = [m for models in FAMILIES.values() for m in models]
FAMILY_OF = {m: fam for fam, models in FAMILIES.items() for m in models}

# Per family, from the API documents: duration range, ratios, images max, URL scheme of assets.
DURATION = {"FULL": (4, 12), "SP": (4, 15), "SP_OFFICIAL": (4, 15), "MINI": (4, 15), "MINI_SP": (4, 15),
            "MD": (1, 15), "FAST_I2V": (4, 15), "STD": (4, 15)}
STD_RATIOS = ["21:9", "16:9", "4:3", "1:1", "3:4", "9:16"]
# Full: the documents spell it "Adaptive"; the lower-case spelling is accepted too (assumed).
RATIOS = {"FULL": [*STD_RATIOS, "adaptive", "Adaptive"], "MD": ["16:9", "9:16", "1:1"]}
ALL_RATIOS = [*STD_RATIOS, "adaptive", "Adaptive"]
# Values no route accepts (a loosened ratio or resolution list must meet one of them).
FOREIGN_RATIOS = ["3:2", "5:4", "ADAPTIVE", "16:10", ""]
FOREIGN_RESOLUTIONS = ["2k", "4k", "360p", "720P", ""]
IMAGES_MAX = {"MD": 4}
SP_LIKE = ["SP", "SP_OFFICIAL", "MINI", "MINI_SP"]


def ratios(family: str) -> list[str]:
    """The ratios a family accepts."""
    return RATIOS.get(family, STD_RATIOS)


def images_max(family: str) -> int:
    """The most images a family accepts."""
    return IMAGES_MAX.get(family, 9)


def asset(family: str, name: str, ext: str = "png") -> str:
    """A well-formed asset reference for the family (asset:// on Full, https:// elsewhere)."""
    if family == "FULL":
        return f"asset://{name}"
    return f"https://example.com/{name}.{ext}"


def valid_body(model: str = "seedance2.0-std", **fields: Any) -> dict[str, Any]:
    """A minimal valid create body for the model, with extra fields set."""
    family = FAMILY_OF[model]
    low, _high = DURATION[family]
    body: dict[str, Any] = {"model": model, "prompt": "A red fox runs through fresh snow", "duration": max(low, 5)}
    body.update(fields)
    return body


@dataclass(frozen=True)
class RuleRow:
    """One rule id, a body that breaks only that rule, and its nearest valid twin."""

    rule: str
    bad: Any
    good: Any


def _row(rule: str, good: dict[str, Any], **changes: Any) -> RuleRow:
    bad = copy.deepcopy(good)
    for key, value in changes.items():
        if value is _DROP:
            bad.pop(key, None)
        else:
            bad[key] = value
    return RuleRow(rule, bad, good)


_DROP = object()
STD = "seedance2.0-std"


def _family_rows(fam: str) -> list[RuleRow]:
    model = FAMILIES[fam][0]
    _low, high = DURATION[fam]
    n = images_max(fam)
    rows = [
        _row(f"{fam}_DURATION_RANGE", valid_body(model, duration=high), duration=high + 1),
        _row(f"{fam}_IMAGES_MAX", valid_body(model, images=[asset(fam, f"i{k}") for k in range(n)]),
             images=[asset(fam, f"i{k}") for k in range(n + 1)]),
    ]
    if fam == "FULL":
        rows.append(_row("FULL_RATIO", valid_body(model, ratio="adaptive"), ratio="5:4"))
    elif fam == "MD":
        rows.append(_row("MD_RATIO", valid_body(model, ratio="1:1"), ratio="4:3"))
    else:
        rows.append(_row(f"{fam}_RATIO", valid_body(model, ratio="21:9"), ratio="adaptive"))
    return rows


def _rows() -> list[RuleRow]:
    std = valid_body(STD)
    rows = [
        RuleRow("BODY_OBJECT", [std], std),
        _row("MODEL_REQUIRED", std, model=_DROP),
        _row("PROMPT_REQUIRED", std, prompt=_DROP),
        _row("DURATION_REQUIRED", std, duration=_DROP),
        _row("MODEL_KNOWN", std, model="seedance2.0-pro"),
        _row("PROMPT_STRING", valid_body(STD, prompt="123"), prompt=123),
        _row("PROMPT_NOT_BLANK", valid_body(STD, prompt=" \t x \n"), prompt=" \t \n"),
        _row("DURATION_INTEGER", valid_body(STD, duration=5.0), duration=5.5),
        _row("RATIO_STRING", valid_body(STD, ratio="16:9"), ratio=16),
        _row("RESOLUTION_ENUM", valid_body("seedance2.0-sp", resolution="1080p"), resolution="4k"),
        _row("ORIENTATION_ENUM", valid_body(STD, orientation="portrait"), orientation="square"),
        _row("ASSET_LIST_TYPE", valid_body(STD, images=["https://example.com/a.png"]),
             images="https://example.com/a.png"),
        _row("FRAME_IMAGE_TYPE", valid_body(STD, first_image="https://example.com/a.png"),
             first_image=["https://example.com/a.png"]),
        _row("IMAGES_FRAMES_EXCLUSIVE", valid_body(STD, images=[], first_image="https://example.com/a.png"),
             images=["https://example.com/b.png"]),
        _row("IMAGES_NOT_VIDEO", valid_body(STD, images=["https://example.com/clip.png?x=.mp4"]),
             images=["https://example.com/clip.MP4?x=1"]),
        _row("REFERENCE_VIDEOS_NOT_IMAGE", valid_body(STD, reference_videos=["https://example.com/frame.mov"]),
             reference_videos=["https://example.com/frame.JPEG#t=1"]),
        _row("FRAME_NO_AUDIO",
             valid_body("seedance2.0-sp", first_image="https://example.com/a.png", reference_audios=[]),
             reference_audios=["https://example.com/a.mp3"]),
        _row("STD_FRAME_NO_AUDIO", valid_body(STD, last_image="https://example.com/a.png", reference_audios=[]),
             reference_audios=["https://example.com/a.mp3"]),
        # Full
        _row("FULL_ASSET_URL", valid_body("sd2_mx_720p", images=["asset://a1"]),
             images=["https://example.com/a1.png"]),
        _row("FULL_VIDEO_REF_MODELS", valid_body("sd2_mx_video_1080p", reference_videos=["asset://v1"]),
             model="sd2_mx_1080p"),
        # MD
        _row("MD_ASSET_URL", valid_body("seedance2.0-md", first_image="https://example.com/a.png",
                                        last_image="https://example.com/b.png"), first_image="asset://a1"),
        _row("MD_PROMPT_MAX", valid_body("seedance2.0-md", prompt="p" * 5000), prompt="p" * 5001),
        _row("MD_FRAME_BOTH", valid_body("seedance2.0-md", first_image="https://example.com/a.png",
                                         last_image="https://example.com/b.png"), last_image=_DROP),
        _row("MD_REFERENCE_VIDEOS_MAX",
             valid_body("seedance2.0-fast-md", reference_videos=[f"https://example.com/v{k}.mp4" for k in range(3)]),
             reference_videos=[f"https://example.com/v{k}.mp4" for k in range(4)]),
        _row("MD_NO_AUDIO", valid_body("seedance2.0-md", reference_audios=[]),
             reference_audios=["https://example.com/a.mp3"]),
        # Fast I2V
        _row("FAST_I2V_ASSET_URL", valid_body("seedance2.0-fast-i2v", images=["https://example.com/a.png"]),
             images=["asset://a1"]),
        _row("FAST_I2V_NO_VIDEO", valid_body("seedance2.0-fast-i2v", reference_videos=[]),
             reference_videos=["https://example.com/v.mp4"]),
        _row("FAST_I2V_NO_AUDIO", valid_body("seedance2.0-fast-i2v", reference_audios=[]),
             reference_audios=["https://example.com/a.mp3"]),
        _row("FAST_I2V_NO_FRAMES", valid_body("seedance2.0-fast-i2v", images=["https://example.com/a.png"]),
             images=[], last_image="https://example.com/b.png"),
        # STD
        _row("STD_ASSET_URL", valid_body(STD, reference_audios=["https://example.com/a.mp3"]),
             reference_audios=["asset://a1"]),
        _row("STD_AUDIOS_MAX", valid_body(STD, reference_audios=[f"https://example.com/a{k}.mp3" for k in range(3)]),
             reference_audios=[f"https://example.com/a{k}.mp3" for k in range(4)]),
        _row("MINI_SP_RESOLUTION", valid_body("seedance2.0-mini-sp", resolution="720p"), resolution="1080p"),
    ]
    for fam in FAMILIES:
        rows.extend(_family_rows(fam))
    for fam in SP_LIKE:
        model = FAMILIES[fam][0]
        rows.append(_row(f"{fam}_ASSET_URL", valid_body(model, reference_videos=["https://example.com/v.mp4"]),
                         reference_videos=["http://example.com/v.mp4"]))
        rows.append(_row(f"{fam}_AUDIO_URL", valid_body(model, reference_audios=["asset://a1"]),
                         reference_audios=["ftp://example.com/a.mp3"]))
    return rows


ROWS: list[RuleRow] = _rows()
RULE_IDS: frozenset[str] = frozenset(row.rule for row in ROWS)
