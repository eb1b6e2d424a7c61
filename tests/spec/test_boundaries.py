"""Boundary verdicts per family, as the API documents give them, judged by the spec's create schema."""

from __future__ import annotations

from typing import Any

import pytest

from tests.rule_table import (
    ALL_MODELS,
    ALL_RATIOS,
    DURATION,
    FAMILIES,
    FAMILY_OF,
    FOREIGN_RATIOS,
    FOREIGN_RESOLUTIONS,
    SP_LIKE,
    asset,
    images_max,
    ratios,
    valid_body,
)
from tests.spec.schema_tools import broken_rules


def _duration_cases() -> list[tuple[str, int, set[str]]]:
    cases = []
    for model in ALL_MODELS:
        fam = FAMILY_OF[model]
        low, high = DURATION[fam]
        for value, ok in ((low - 1, False), (low, True), (high, True), (high + 1, False)):
            cases.append((model, value, set() if ok else {f"{fam}_DURATION_RANGE"}))
    return cases


@pytest.mark.parametrize(("model", "duration", "expected"), _duration_cases())
def test_duration_min_minus_one_min_max_max_plus_one(model: str, duration: int, expected: set[str]) -> None:
    assert broken_rules(valid_body(model, duration=duration)) == expected


@pytest.mark.parametrize("model", ALL_MODELS)
@pytest.mark.parametrize("ratio", ALL_RATIOS)
def test_every_ratio_on_every_model(model: str, ratio: str) -> None:
    fam = FAMILY_OF[model]
    expected = set() if ratio in ratios(fam) else {f"{fam}_RATIO"}
    assert broken_rules(valid_body(model, ratio=ratio)) == expected


@pytest.mark.parametrize("model", ALL_MODELS)
@pytest.mark.parametrize("resolution", ["480p", "720p", "1080p", "2k", "4k", "720P"])
def test_every_resolution_on_every_model(model: str, resolution: str) -> None:
    if resolution not in ("480p", "720p", "1080p"):
        expected = {"RESOLUTION_ENUM"}
    elif model == "seedance2.0-mini-sp" and resolution == "1080p":
        expected = {"MINI_SP_RESOLUTION"}
    else:
        expected = set()  # selects the output on SP-like routes; ignored on fixed-output routes
    assert broken_rules(valid_body(model, resolution=resolution)) == expected


@pytest.mark.parametrize("model", ALL_MODELS)
def test_images_at_max_and_max_plus_one(model: str) -> None:
    fam = FAMILY_OF[model]
    n = images_max(fam)
    at_max = [asset(fam, f"i{k}") for k in range(n)]
    assert broken_rules(valid_body(model, images=at_max)) == set()
    assert broken_rules(valid_body(model, images=[*at_max, asset(fam, "extra")])) == {f"{fam}_IMAGES_MAX"}


@pytest.mark.parametrize(("model", "field", "limit", "rule"), [
    ("seedance2.0-std", "reference_audios", 3, "STD_AUDIOS_MAX"),
    ("seedance2.0-md", "reference_videos", 3, "MD_REFERENCE_VIDEOS_MAX"),
    ("seedance2.0-fast-md", "reference_videos", 3, "MD_REFERENCE_VIDEOS_MAX"),
])
def test_other_list_limits_at_max_and_max_plus_one(model: str, field: str, limit: int, rule: str) -> None:
    ext = "mp3" if field == "reference_audios" else "mp4"
    items = [f"https://example.com/m{k}.{ext}" for k in range(limit)]
    assert broken_rules(valid_body(model, **{field: items})) == set()
    assert broken_rules(valid_body(model, **{field: [*items, "https://example.com/x." + ext]})) == {rule}


@pytest.mark.parametrize("model", ALL_MODELS)
def test_md_prompt_limit_only_on_md(model: str) -> None:
    expected = {"MD_PROMPT_MAX"} if FAMILY_OF[model] == "MD" else set()
    assert broken_rules(valid_body(model, prompt="p" * 5000)) == set()
    assert broken_rules(valid_body(model, prompt="日" * 5001)) == expected


@pytest.mark.parametrize(("value", "expected"), [
    (5, set()), (5.0, set()), (5.5, {"DURATION_INTEGER"}), (True, {"DURATION_INTEGER"}), ("5", {"DURATION_INTEGER"}),
    (None, {"DURATION_INTEGER"}), (16.5, {"DURATION_INTEGER", "STD_DURATION_RANGE"}), (10**30, {"STD_DURATION_RANGE"}),
])
def test_duration_types(value: Any, expected: set[str]) -> None:
    assert broken_rules(valid_body("seedance2.0-std", duration=value)) == expected


@pytest.mark.parametrize("body", [[], "x", 5, None, True, [{"model": "seedance2.0-std"}]])
def test_non_objects_fail_only_at_the_top(body: Any) -> None:
    assert broken_rules(body) == {"BODY_OBJECT"}


@pytest.mark.parametrize(("fields", "expected"), [
    ({"ratio": 5}, {"RATIO_STRING"}),
    ({"images": "https://example.com/a.png", "first_image": "https://example.com/b.png"}, {"ASSET_LIST_TYPE"}),
    ({"images": [3]}, {"ASSET_LIST_TYPE"}),
    ({"reference_videos": [None]}, {"ASSET_LIST_TYPE"}),
    ({"first_image": None}, {"FRAME_IMAGE_TYPE"}),
    ({"prompt": ""}, {"PROMPT_NOT_BLANK"}),
    ({"prompt": "\u3000"}, set()),
    ({"model": 7}, {"MODEL_KNOWN"}),
    ({"unknown_field": {"x": 1}}, set()),
])
def test_wrong_types_fail_at_their_field_without_cascades(fields: dict[str, Any], expected: set[str]) -> None:
    body = {**valid_body("seedance2.0-std"), **fields}
    assert broken_rules(body) == expected


@pytest.mark.parametrize(("url", "as_video_ok", "as_image_ok"), [
    ("https://example.com/a.mp4", True, False),
    ("https://example.com/a.MoV?sig=1", True, False),
    ("https://example.com/a.png", False, True),
    ("https://example.com/a.jpeg#frag", False, True),
    ("https://example.com/a?name=b.png", True, True),
    ("https://example.com/a.png/", True, True),
    ("https://example.com/a.pngx", True, True),
    ("https://example.com/noext", True, True),
])
def test_url_extension_heuristics(url: str, as_video_ok: bool, as_image_ok: bool) -> None:
    std = "seedance2.0-std"
    assert (broken_rules(valid_body(std, reference_videos=[url])) == set()) == as_video_ok
    assert (broken_rules(valid_body(std, images=[url])) == set()) == as_image_ok


@pytest.mark.parametrize("fam", list(FAMILIES))
def test_frames_and_audio(fam: str) -> None:
    model = FAMILIES[fam][0]
    frames = {"first_image": asset(fam, "f"), "last_image": asset(fam, "l")}
    audio = ["asset://a1"] if fam == "FULL" else ["https://example.com/a.mp3"]
    expected = {
        "MD": {"MD_NO_AUDIO"}, "FAST_I2V": {"FAST_I2V_NO_AUDIO", "FAST_I2V_NO_FRAMES"}, "STD": {"STD_FRAME_NO_AUDIO"},
    }.get(fam, {"FRAME_NO_AUDIO"})
    assert broken_rules(valid_body(model, **frames, reference_audios=audio)) == expected
    assert broken_rules(valid_body(model, reference_audios=audio)) == (
        {"MD_NO_AUDIO"} if fam == "MD" else {"FAST_I2V_NO_AUDIO"} if fam == "FAST_I2V" else set())


@pytest.mark.parametrize("model", ALL_MODELS)
def test_ratios_and_resolutions_from_outside_every_list_are_rejected(model: str) -> None:
    fam = FAMILY_OF[model]
    for ratio in FOREIGN_RATIOS:
        assert broken_rules(valid_body(model, ratio=ratio)) == {f"{fam}_RATIO"}, ratio
    for resolution in FOREIGN_RESOLUTIONS:
        assert broken_rules(valid_body(model, resolution=resolution)) == {"RESOLUTION_ENUM"}, resolution


@pytest.mark.parametrize("model", ALL_MODELS)
@pytest.mark.parametrize("scheme", ["http", "ftp", "file", "data", "asset", "https"])
def test_every_scheme_on_every_asset_field(model: str, scheme: str) -> None:
    fam = FAMILY_OF[model]
    url = "asset://a1" if scheme == "asset" else f"{scheme}://example.com/a.png"
    allowed = {"FULL": {"asset"}}.get(fam, {"https"})
    expected = set() if scheme in allowed else {f"{fam}_ASSET_URL"}
    assert broken_rules(valid_body(model, images=[url])) == expected
    if fam in SP_LIKE:  # reference_audios take https:// or asset:// there
        audio = set() if scheme in ("https", "asset") else {f"{fam}_AUDIO_URL"}
        assert broken_rules(valid_body(model, reference_audios=[url.replace(".png", ".mp3")])) == audio


@pytest.mark.parametrize("prompt", ["p" * 5000, "\U0001f600" * 5000, "e\u0301" * 2500])
def test_md_prompt_limit_counts_code_points(prompt: str) -> None:
    assert broken_rules(valid_body("seedance2.0-md", prompt=prompt)) == set()
    assert broken_rules(valid_body("seedance2.0-md", prompt=prompt + "x")) == {"MD_PROMPT_MAX"}
