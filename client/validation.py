"""Pre-flight validation of a create body, in plain Python.

This is an independent second reading of the published API documents, written by hand from them. It
deliberately does not read ``openapi.yaml`` nor use a JSON Schema library: the contract tests hold its verdicts
against the emulator's, and agreement only means something if the two readings are independent.

Every check reports the project's stable rule id. A body may break several rules; the verdict is the set of
ids, reported once each, in a stable order (the order of the checks below).

A body that cannot be sent as JSON at all (a lone UTF-16 surrogate in any string, NaN or an infinity) is judged
before any rule: its verdict is the one violation ``INVALID_JSON``, the error id the server answers with (it is
not a body rule id, so ``checked_rule_ids()`` does not list it).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeGuard

__all__ = [
    "FAMILIES", "INVALID_JSON", "MODEL_FAMILY", "Violation", "checked_rule_ids", "json_problem",
    "validate_body",
]


@dataclass(frozen=True)
class Violation:
    """One broken rule: its stable id, the top-level field it concerns ('' for the whole body), a message."""

    rule: str
    field: str
    message: str


FAMILIES: Mapping[str, tuple[str, ...]] = {
    "FULL": (
        "sd2_mx_720p", "sd2_mx_1080p", "sd2_mx_2k", "sd2_mx_4k", "sd2_mx_fast_720p", "sd2_mx_fast_1080p",
        "sd2_mx_video_720p", "sd2_mx_video_1080p", "sd2_mx_video_2k", "sd2_mx_video_4k",
        "sd2_mx_video_fast_720p", "sd2_mx_video_fast_1080p",
    ),
    "SP": ("seedance2.0-sp", "seedance2.0-fast-sp"),
    "SP_OFFICIAL": ("seedance2.0-of-sp", "seedance2.0-of-fast-sp"),
    "MINI": ("seedance2.0-mini",),
    "MINI_SP": ("seedance2.0-mini-sp",),
    "MD": ("seedance2.0-md", "seedance2.0-fast-md"),
    "FAST_I2V": ("seedance2.0-fast-i2v",),
    "STD": ("seedance2.0-std",),
}
MODEL_FAMILY: Mapping[str, str] = {model: fam for fam, models in FAMILIES.items() for model in models}

_DURATION_RANGE = {
    "FULL": (4, 12), "SP": (4, 15), "SP_OFFICIAL": (4, 15), "MINI": (4, 15), "MINI_SP": (4, 15),
    "MD": (1, 15), "FAST_I2V": (4, 15), "STD": (4, 15),
}
_COMMON_RATIOS = frozenset({"16:9", "9:16", "1:1", "4:3", "3:4", "21:9"})
# The documents spell it "Adaptive"; the lower-case spelling is accepted too (assumed, FULL_RATIO).
_RATIOS = {"FULL": _COMMON_RATIOS | {"adaptive", "Adaptive"}, "MD": frozenset({"16:9", "9:16", "1:1"})}
_IMAGES_MAX = {"MD": 4}
_DEFAULT_IMAGES_MAX = 9

_LIST_FIELDS = ("images", "reference_videos", "reference_audios")
_FRAME_FIELDS = ("first_image", "last_image")
_ASSET_FIELDS = ("images", "first_image", "last_image", "reference_videos", "reference_audios")
_NO_AUDIO_FIELDS = ("images", "first_image", "last_image", "reference_videos")
# Which fields each family's <FAM>_ASSET_URL rule covers, and the schemes it allows.
_ASSET_URL: Mapping[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "FULL": (_ASSET_FIELDS, ("asset://",)),
    "STD": (_ASSET_FIELDS, ("https://",)),
    "SP": (_NO_AUDIO_FIELDS, ("https://",)),
    "SP_OFFICIAL": (_NO_AUDIO_FIELDS, ("https://",)),
    "MINI": (_NO_AUDIO_FIELDS, ("https://",)),
    "MINI_SP": (_NO_AUDIO_FIELDS, ("https://",)),
    "MD": (_NO_AUDIO_FIELDS, ("https://",)),
    "FAST_I2V": (("images", "first_image", "last_image"), ("https://",)),
}
_AUDIO_URL_FAMILIES = frozenset({"SP", "SP_OFFICIAL", "MINI", "MINI_SP"})
_FRAME_NO_AUDIO_FAMILIES = frozenset({"FULL", "SP", "SP_OFFICIAL", "MINI", "MINI_SP"})

_RESOLUTIONS = frozenset({"480p", "720p", "1080p"})
_ORIENTATIONS = frozenset({"landscape", "portrait"})
_IMAGE_EXTENSIONS = ("jpg", "jpeg", "png", "gif", "webp", "bmp", "tif", "tiff", "heic", "avif")
_VIDEO_EXTENSIONS = ("mp4", "m4v", "mov", "webm", "avi", "mkv", "flv", "wmv", "mpg", "mpeg")
_ASCII_WHITESPACE = frozenset(" \t\n\v\f\r")
_MD_PROMPT_MAX = 5000
# Only ASCII letters fold: str.lower() would also fold look-alikes such as the Kelvin sign to "k".
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")

_GLOBAL_RULES = (
    "BODY_OBJECT", "MODEL_REQUIRED", "PROMPT_REQUIRED", "DURATION_REQUIRED", "MODEL_KNOWN", "PROMPT_STRING",
    "PROMPT_NOT_BLANK", "DURATION_INTEGER", "RATIO_STRING", "RESOLUTION_ENUM", "ORIENTATION_ENUM",
    "ASSET_LIST_TYPE", "FRAME_IMAGE_TYPE", "IMAGES_FRAMES_EXCLUSIVE", "IMAGES_NOT_VIDEO",
    "REFERENCE_VIDEOS_NOT_IMAGE",
)
_FAMILY_RULES = (
    *(f"{fam}_{suffix}" for fam in FAMILIES
      for suffix in ("DURATION_RANGE", "RATIO", "IMAGES_MAX", "ASSET_URL")),
    *(f"{fam}_AUDIO_URL" for fam in sorted(_AUDIO_URL_FAMILIES)),
    "FULL_VIDEO_REF_MODELS", "FRAME_NO_AUDIO", "STD_FRAME_NO_AUDIO", "MINI_SP_RESOLUTION",
    "MD_PROMPT_MAX", "MD_REFERENCE_VIDEOS_MAX", "MD_NO_AUDIO", "MD_FRAME_BOTH",
    "FAST_I2V_NO_VIDEO", "FAST_I2V_NO_AUDIO", "FAST_I2V_NO_FRAMES", "STD_AUDIOS_MAX",
)
_RULE_IDS = frozenset(_GLOBAL_RULES) | frozenset(_FAMILY_RULES)


_SURROGATE = re.compile("[\ud800-\udfff]")
INVALID_JSON = "INVALID_JSON"
"""The verdict id of a body that cannot be encoded as JSON (the server's error id; not a body rule)."""


def _text_problem(text: str) -> str | None:
    if _SURROGATE.search(text):
        return "holds a lone UTF-16 surrogate (not valid Unicode, cannot be sent as UTF-8 JSON)"
    return None


def json_problem(value: object, where: str = "") -> tuple[str, str] | None:
    """(top-level field, reason) when ``value`` cannot be sent as strict JSON, else None.

    Looks into every string, key and number at any depth: lone surrogates, NaN and infinities. A key that is
    itself not valid Unicode is reported on ``where`` (the body for a top-level key).
    """
    if isinstance(value, str):
        reason = _text_problem(value)
        return (where, reason) if reason else None
    if isinstance(value, float) and not math.isfinite(value):
        return where, f"holds {value!r}, which JSON cannot represent"
    if isinstance(value, Mapping):
        for key, item in value.items():
            if isinstance(key, str) and _text_problem(key):
                return where, "has a key holding a lone UTF-16 surrogate (not valid Unicode)"
            found = json_problem(item, where or str(key))
            if found:
                return found
    elif _is_array(value):
        for item in value:
            found = json_problem(item, where)
            if found:
                return found
    return None


def checked_rule_ids() -> frozenset[str]:
    """The ids of the rules this client checks before sending (the spec's body rules; not the external ones)."""
    return _RULE_IDS


def _is_array(value: object) -> TypeGuard[list[Any] | tuple[Any, ...]]:
    # JSON arrays: a tuple serialises as one too. Strings are not arrays.
    return isinstance(value, list | tuple)


def _is_number(value: object) -> TypeGuard[int | float]:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _is_integer(value: object) -> bool:
    # JSON Schema's "integer": 5.0 counts, booleans and 5.5 do not.
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return True
    return isinstance(value, float) and math.isfinite(value) and value.is_integer()


def _path_extension_in(url: str, extensions: Sequence[str]) -> bool:
    """Whether the URL's path (before the first '?' or '#') ends in '.' + one of the extensions."""
    cut = len(url)
    for mark in ("?", "#"):
        index = url.find(mark)
        if index != -1:
            cut = min(cut, index)
    path = url[:cut].translate(_ASCII_LOWER)
    return any(path.endswith("." + ext) for ext in extensions)


def _has_scheme(value: str, schemes: Sequence[str]) -> bool:
    """Whether the value is scheme + at least one character that is not '/', '?' or '#' (case-sensitive)."""
    for scheme in schemes:
        if value.startswith(scheme) and len(value) > len(scheme) and value[len(scheme)] not in "/?#":
            return True
    return False


def _strings_of(body: Mapping[str, Any], field: str) -> list[str]:
    """The string values an asset field holds: a list field's string items, a frame field's string value."""
    value = body.get(field)
    if field in _LIST_FIELDS:
        # A list field that is not an array fails ASSET_LIST_TYPE only; its value is not a URL to judge.
        return [item for item in value if isinstance(item, str)] if _is_array(value) else []
    return [value] if isinstance(value, str) else []


def _array_len(body: Mapping[str, Any], field: str) -> int:
    """Length of the field if it is an array, else 0 (list rules only judge arrays; absent passes)."""
    value = body.get(field)
    return len(value) if _is_array(value) else 0


class _Collector:
    """Gathers violations once per rule id, remembering every field that broke it."""

    def __init__(self) -> None:
        self._fields: dict[str, list[str]] = {}
        self._messages: dict[str, str] = {}

    def add(self, rule: str, field: str, message: str) -> None:
        """Record that ``field`` broke ``rule`` (the first message per rule is kept)."""
        fields = self._fields.setdefault(rule, [])
        if field not in fields:
            fields.append(field)
        self._messages.setdefault(rule, message)

    def result(self) -> list[Violation]:
        """One violation per rule id, in the order the rules were first broken."""
        out = []
        for rule, fields in self._fields.items():
            message = self._messages[rule]
            if len(fields) > 1:
                message = f"{message} (fields: {', '.join(fields)})"
            out.append(Violation(rule, fields[0], message))
        return out


def validate_body(body: object) -> list[Violation]:
    """Judge a create body; return its violations (one per rule id, stable order; empty when valid)."""
    problem = json_problem(body)
    if problem is not None:
        field, reason = problem
        return [Violation(INVALID_JSON, field, f"{field or 'the body'} {reason}")]
    if not isinstance(body, Mapping):
        return [Violation("BODY_OBJECT", "", f"the body must be a JSON object, not {type(body).__name__}")]
    found = _Collector()
    _check_global(body, found.add)
    model = body.get("model")
    if isinstance(model, str) and model in MODEL_FAMILY:
        _check_family(body, model, MODEL_FAMILY[model], found.add)
    return found.result()


_Add = Callable[[str, str, str], None]


def _check_global(body: Mapping[str, Any], add: _Add) -> None:
    for field, rule in (("model", "MODEL_REQUIRED"), ("prompt", "PROMPT_REQUIRED"),
                        ("duration", "DURATION_REQUIRED")):
        if field not in body:
            add(rule, field, f"{field} is required")
    if "model" in body:
        model = body["model"]
        if not (isinstance(model, str) and model in MODEL_FAMILY):
            add("MODEL_KNOWN", "model", f"unknown model {model!r}; expected one of {len(MODEL_FAMILY)} ids")
    if "prompt" in body:
        prompt = body["prompt"]
        if not isinstance(prompt, str):
            add("PROMPT_STRING", "prompt", "prompt must be a string")
        elif all(char in _ASCII_WHITESPACE for char in prompt):
            add("PROMPT_NOT_BLANK", "prompt", "prompt must not be empty or blank")
    if "duration" in body and not _is_integer(body["duration"]):
        add("DURATION_INTEGER", "duration", f"duration must be an integer, not {body['duration']!r}")
    if "ratio" in body and not isinstance(body["ratio"], str):
        add("RATIO_STRING", "ratio", "ratio must be a string")
    resolution = body.get("resolution")
    if "resolution" in body and not (isinstance(resolution, str) and resolution in _RESOLUTIONS):
        add("RESOLUTION_ENUM", "resolution", "resolution must be one of 480p, 720p, 1080p")
    if "orientation" in body and not (
        isinstance(body["orientation"], str) and body["orientation"] in _ORIENTATIONS
    ):
        add("ORIENTATION_ENUM", "orientation", "orientation must be landscape or portrait")
    for field in _LIST_FIELDS:
        if field in body:
            value = body[field]
            if not _is_array(value) or any(not isinstance(item, str) for item in value):
                add("ASSET_LIST_TYPE", field, f"{field} must be an array of strings")
    for field in _FRAME_FIELDS:
        if field in body and not isinstance(body[field], str):
            add("FRAME_IMAGE_TYPE", field, f"{field} must be a string")
    if _array_len(body, "images") > 0 and any(field in body for field in _FRAME_FIELDS):
        add("IMAGES_FRAMES_EXCLUSIVE", "images",
            "images (reference image mode) cannot be combined with first_image/last_image (frame mode)")
    if any(
        _path_extension_in(item, _VIDEO_EXTENSIONS) for item in _strings_of(body, "images")
    ):
        add("IMAGES_NOT_VIDEO", "images", "images takes image URLs, not video URLs")
    if any(
        _path_extension_in(item, _IMAGE_EXTENSIONS) for item in _strings_of(body, "reference_videos")
    ):
        add("REFERENCE_VIDEOS_NOT_IMAGE", "reference_videos",
            "reference_videos takes video URLs only; put image URLs in images")


def _check_family(body: Mapping[str, Any], model: str, fam: str, add: _Add) -> None:
    duration = body.get("duration")
    low, high = _DURATION_RANGE[fam]
    if _is_number(duration) and not low <= duration <= high:
        add(f"{fam}_DURATION_RANGE", "duration", f"duration on {model} must be within {low}..{high} seconds")
    ratio = body.get("ratio")
    allowed_ratios = _RATIOS.get(fam, _COMMON_RATIOS)
    if isinstance(ratio, str) and ratio not in allowed_ratios:
        add(f"{fam}_RATIO", "ratio", f"ratio on {model} must be one of {', '.join(sorted(allowed_ratios))}")
    images_max = _IMAGES_MAX.get(fam, _DEFAULT_IMAGES_MAX)
    if _array_len(body, "images") > images_max:
        add(f"{fam}_IMAGES_MAX", "images", f"at most {images_max} images on {model}")
    fields, schemes = _ASSET_URL[fam]
    for field in fields:
        if any(not _has_scheme(item, schemes) for item in _strings_of(body, field)):
            add(f"{fam}_ASSET_URL", field, f"{field} on {model} must be {' or '.join(schemes)} URLs")
    if fam in _AUDIO_URL_FAMILIES and any(
        not _has_scheme(item, ("https://", "asset://")) for item in _strings_of(body, "reference_audios")
    ):
        add(f"{fam}_AUDIO_URL", "reference_audios", f"reference_audios on {model} must be https:// or asset://")
    frame_mode = any(field in body for field in _FRAME_FIELDS)
    audios = _array_len(body, "reference_audios")
    videos = _array_len(body, "reference_videos")
    if fam == "FULL" and not model.startswith("sd2_mx_video_") and videos > 0:
        add("FULL_VIDEO_REF_MODELS", "reference_videos", "reference_videos only on the sd2_mx_video_* models")
    if frame_mode and audios > 0:
        if fam in _FRAME_NO_AUDIO_FAMILIES:
            add("FRAME_NO_AUDIO", "reference_audios", "frame mode does not take reference_audios")
        elif fam == "STD":
            add("STD_FRAME_NO_AUDIO", "reference_audios", "frame mode does not take reference_audios")
    if fam == "MINI_SP" and body.get("resolution") == "1080p":
        add("MINI_SP_RESOLUTION", "resolution", f"resolution on {model} is 480p or 720p only")
    if fam == "MD":
        _check_md(body, model, add, videos=videos, audios=audios)
    elif fam == "FAST_I2V":
        if videos > 0:
            add("FAST_I2V_NO_VIDEO", "reference_videos", f"{model} takes no reference_videos")
        if audios > 0:
            add("FAST_I2V_NO_AUDIO", "reference_audios", f"{model} takes no reference_audios")
        if frame_mode:
            add("FAST_I2V_NO_FRAMES", "first_image" if "first_image" in body else "last_image",
                f"{model} takes reference images only, not first_image/last_image")
    elif fam == "STD" and audios > 3:
        add("STD_AUDIOS_MAX", "reference_audios", "at most 3 reference_audios")


def _check_md(body: Mapping[str, Any], model: str, add: _Add, *, videos: int, audios: int) -> None:
    prompt = body.get("prompt")
    if isinstance(prompt, str) and len(prompt) > _MD_PROMPT_MAX:
        add("MD_PROMPT_MAX", "prompt", f"prompt on {model} has at most {_MD_PROMPT_MAX} characters")
    if videos > 3:
        add("MD_REFERENCE_VIDEOS_MAX", "reference_videos", f"at most 3 reference_videos on {model}")
    if audios > 0:
        add("MD_NO_AUDIO", "reference_audios", f"{model} takes no reference_audios")
    if ("first_image" in body) != ("last_image" in body):
        missing = "last_image" if "first_image" in body else "first_image"
        add("MD_FRAME_BOTH", missing, f"frame mode on {model} needs both first_image and last_image")
