"""The client's verdict in detail: the field and the message of every rule (a golden table: these messages are
what `seedance` prints), both sides of every limit on every family, and bodies JSON cannot carry."""

from __future__ import annotations

from typing import Any

import pytest

from client.validation import INVALID_JSON, MODEL_FAMILY, json_problem, validate_body
from tests.rule_table import DURATION, FAMILIES, FOREIGN_RATIOS, ROWS, ratios, valid_body

# rule -> (field, message) of the rule table's bad body, exactly.
MESSAGES: dict[str, tuple[str, str]] = {
    "BODY_OBJECT": ('', 'the body must be a JSON object, not list'),
    "MODEL_REQUIRED": ('model', 'model is required'),
    "PROMPT_REQUIRED": ('prompt', 'prompt is required'),
    "DURATION_REQUIRED": ('duration', 'duration is required'),
    "MODEL_KNOWN": ('model', "unknown model 'seedance2.0-pro'; expected one of 22 ids"),
    "PROMPT_STRING": ('prompt', 'prompt must be a string'),
    "PROMPT_NOT_BLANK": ('prompt', 'prompt must not be empty or blank'),
    "DURATION_INTEGER": ('duration', 'duration must be an integer, not 5.5'),
    "RATIO_STRING": ('ratio', 'ratio must be a string'),
    "RESOLUTION_ENUM": ('resolution', 'resolution must be one of 480p, 720p, 1080p'),
    "ORIENTATION_ENUM": ('orientation', 'orientation must be landscape or portrait'),
    "ASSET_LIST_TYPE": ('images', 'images must be an array of strings'),
    "FRAME_IMAGE_TYPE": ('first_image', 'first_image must be a string'),
    "IMAGES_FRAMES_EXCLUSIVE": ('images',
        'images (reference image mode) cannot be combined with first_image/last_image (frame mode)'),
    "IMAGES_NOT_VIDEO": ('images', 'images takes image URLs, not video URLs'),
    "REFERENCE_VIDEOS_NOT_IMAGE": ('reference_videos',
        'reference_videos takes video URLs only; put image URLs in images'),
    "FRAME_NO_AUDIO": ('reference_audios', 'frame mode does not take reference_audios'),
    "STD_FRAME_NO_AUDIO": ('reference_audios', 'frame mode does not take reference_audios'),
    "FULL_ASSET_URL": ('images', 'images on sd2_mx_720p must be asset:// URLs'),
    "FULL_VIDEO_REF_MODELS": ('reference_videos', 'reference_videos only on the sd2_mx_video_* models'),
    "MD_ASSET_URL": ('first_image', 'first_image on seedance2.0-md must be https:// URLs'),
    "MD_PROMPT_MAX": ('prompt', 'prompt on seedance2.0-md has at most 5000 characters'),
    "MD_FRAME_BOTH": ('last_image', 'frame mode on seedance2.0-md needs both first_image and last_image'),
    "MD_REFERENCE_VIDEOS_MAX": ('reference_videos', 'at most 3 reference_videos on seedance2.0-fast-md'),
    "MD_NO_AUDIO": ('reference_audios', 'seedance2.0-md takes no reference_audios'),
    "FAST_I2V_ASSET_URL": ('images', 'images on seedance2.0-fast-i2v must be https:// URLs'),
    "FAST_I2V_NO_VIDEO": ('reference_videos', 'seedance2.0-fast-i2v takes no reference_videos'),
    "FAST_I2V_NO_AUDIO": ('reference_audios', 'seedance2.0-fast-i2v takes no reference_audios'),
    "FAST_I2V_NO_FRAMES": ('last_image',
        'seedance2.0-fast-i2v takes reference images only, not first_image/last_image'),
    "STD_ASSET_URL": ('reference_audios', 'reference_audios on seedance2.0-std must be https:// URLs'),
    "STD_AUDIOS_MAX": ('reference_audios', 'at most 3 reference_audios'),
    "MINI_SP_RESOLUTION": ('resolution', 'resolution on seedance2.0-mini-sp is 480p or 720p only'),
    "FULL_DURATION_RANGE": ('duration', 'duration on sd2_mx_720p must be within 4..12 seconds'),
    "FULL_IMAGES_MAX": ('images', 'at most 9 images on sd2_mx_720p'),
    "FULL_RATIO": ('ratio', 'ratio on sd2_mx_720p must be one of 16:9, 1:1, 21:9, 3:4, 4:3, 9:16, Adaptive, adaptive'),
    "SP_DURATION_RANGE": ('duration', 'duration on seedance2.0-sp must be within 4..15 seconds'),
    "SP_IMAGES_MAX": ('images', 'at most 9 images on seedance2.0-sp'),
    "SP_RATIO": ('ratio', 'ratio on seedance2.0-sp must be one of 16:9, 1:1, 21:9, 3:4, 4:3, 9:16'),
    "SP_OFFICIAL_DURATION_RANGE": ('duration', 'duration on seedance2.0-of-sp must be within 4..15 seconds'),
    "SP_OFFICIAL_IMAGES_MAX": ('images', 'at most 9 images on seedance2.0-of-sp'),
    "SP_OFFICIAL_RATIO": ('ratio', 'ratio on seedance2.0-of-sp must be one of 16:9, 1:1, 21:9, 3:4, 4:3, 9:16'),
    "MINI_DURATION_RANGE": ('duration', 'duration on seedance2.0-mini must be within 4..15 seconds'),
    "MINI_IMAGES_MAX": ('images', 'at most 9 images on seedance2.0-mini'),
    "MINI_RATIO": ('ratio', 'ratio on seedance2.0-mini must be one of 16:9, 1:1, 21:9, 3:4, 4:3, 9:16'),
    "MINI_SP_DURATION_RANGE": ('duration', 'duration on seedance2.0-mini-sp must be within 4..15 seconds'),
    "MINI_SP_IMAGES_MAX": ('images', 'at most 9 images on seedance2.0-mini-sp'),
    "MINI_SP_RATIO": ('ratio', 'ratio on seedance2.0-mini-sp must be one of 16:9, 1:1, 21:9, 3:4, 4:3, 9:16'),
    "MD_DURATION_RANGE": ('duration', 'duration on seedance2.0-md must be within 1..15 seconds'),
    "MD_IMAGES_MAX": ('images', 'at most 4 images on seedance2.0-md'),
    "MD_RATIO": ('ratio', 'ratio on seedance2.0-md must be one of 16:9, 1:1, 9:16'),
    "FAST_I2V_DURATION_RANGE": ('duration', 'duration on seedance2.0-fast-i2v must be within 4..15 seconds'),
    "FAST_I2V_IMAGES_MAX": ('images', 'at most 9 images on seedance2.0-fast-i2v'),
    "FAST_I2V_RATIO": ('ratio', 'ratio on seedance2.0-fast-i2v must be one of 16:9, 1:1, 21:9, 3:4, 4:3, 9:16'),
    "STD_DURATION_RANGE": ('duration', 'duration on seedance2.0-std must be within 4..15 seconds'),
    "STD_IMAGES_MAX": ('images', 'at most 9 images on seedance2.0-std'),
    "STD_RATIO": ('ratio', 'ratio on seedance2.0-std must be one of 16:9, 1:1, 21:9, 3:4, 4:3, 9:16'),
    "SP_ASSET_URL": ('reference_videos', 'reference_videos on seedance2.0-sp must be https:// URLs'),
    "SP_AUDIO_URL": ('reference_audios', 'reference_audios on seedance2.0-sp must be https:// or asset://'),
    "SP_OFFICIAL_ASSET_URL": ('reference_videos', 'reference_videos on seedance2.0-of-sp must be https:// URLs'),
    "SP_OFFICIAL_AUDIO_URL": ('reference_audios', 'reference_audios on seedance2.0-of-sp must be https:// or asset://'),
    "MINI_ASSET_URL": ('reference_videos', 'reference_videos on seedance2.0-mini must be https:// URLs'),
    "MINI_AUDIO_URL": ('reference_audios', 'reference_audios on seedance2.0-mini must be https:// or asset://'),
    "MINI_SP_ASSET_URL": ('reference_videos', 'reference_videos on seedance2.0-mini-sp must be https:// URLs'),
    "MINI_SP_AUDIO_URL": ('reference_audios', 'reference_audios on seedance2.0-mini-sp must be https:// or asset://'),
}


@pytest.mark.parametrize("row", ROWS, ids=[r.rule for r in ROWS])
def test_each_rule_names_its_field_with_a_stable_message(row: Any) -> None:
    (violation,) = validate_body(row.bad)
    assert (violation.rule, violation.field, violation.message) == (row.rule, *MESSAGES[row.rule])


def test_a_rule_broken_on_several_fields_is_reported_once_naming_them_all() -> None:
    body = valid_body("seedance2.0-std", images=["http://example.com/a.png"], reference_audios=["ftp://x/a.mp3"])
    (violation,) = validate_body(body)
    assert violation.field == "images"
    assert violation.message == ("images on seedance2.0-std must be https:// URLs "
                                 "(fields: images, reference_audios)")


@pytest.mark.parametrize(("fields", "rule", "field"), [
    ({"first_image": "https://example.com/a.png"}, "FAST_I2V_NO_FRAMES", "first_image"),
    ({"last_image": "https://example.com/a.png"}, "FAST_I2V_NO_FRAMES", "last_image"),
])
def test_fast_i2v_frames_name_the_frame_sent(fields: dict[str, str], rule: str, field: str) -> None:
    (violation,) = validate_body(valid_body("seedance2.0-fast-i2v", **fields))
    assert (violation.rule, violation.field) == (rule, field)


def test_md_lone_frame_names_the_missing_one() -> None:
    (violation,) = validate_body(valid_body("seedance2.0-md", last_image="https://example.com/a.png"))
    assert (violation.rule, violation.field) == ("MD_FRAME_BOTH", "first_image")


@pytest.mark.parametrize("family", list(FAMILIES))
def test_both_sides_of_every_limit(family: str) -> None:
    model = FAMILIES[family][-1]
    low, high = DURATION[family]
    for value, ok in ((low - 1, False), (low, True), (high, True), (high + 1, False)):
        assert {v.rule for v in validate_body(valid_body(model, duration=value))} == (
            set() if ok else {f"{family}_DURATION_RANGE"}), value
    for ratio in ratios(family):
        assert validate_body(valid_body(model, ratio=ratio)) == []
    for ratio in FOREIGN_RATIOS:
        assert {v.rule for v in validate_body(valid_body(model, ratio=ratio))} == {f"{family}_RATIO"}
    scheme = "asset://a" if family == "FULL" else "https://example.com/a.png"
    limit = 4 if family == "MD" else 9
    assert validate_body(valid_body(model, images=[scheme] * limit)) == []
    assert {v.rule for v in validate_body(valid_body(model, images=[scheme] * (limit + 1)))} == {
        f"{family}_IMAGES_MAX"}
    wrong = "http://example.com/a.png" if family != "FULL" else "https://example.com/a.png"
    assert {v.rule for v in validate_body(valid_body(model, images=[wrong]))} == {f"{family}_ASSET_URL"}


@pytest.mark.parametrize(("model", "field", "limit", "rule"), [
    ("seedance2.0-std", "reference_audios", 3, "STD_AUDIOS_MAX"),
    ("seedance2.0-md", "reference_videos", 3, "MD_REFERENCE_VIDEOS_MAX"),
    ("seedance2.0-fast-md", "reference_videos", 3, "MD_REFERENCE_VIDEOS_MAX"),
])
def test_reference_lists_at_and_past_their_limit(model: str, field: str, limit: int, rule: str) -> None:
    items = [f"https://example.com/m{k}.mp4" for k in range(limit)]
    assert validate_body(valid_body(model, **{field: items})) == []
    assert {v.rule for v in validate_body(valid_body(model, **{field: [*items, items[0]]}))} == {rule}


@pytest.mark.parametrize("char", ["p", "\U0001f600", "视"])
def test_md_prompt_limit_counts_code_points(char: str) -> None:
    assert validate_body(valid_body("seedance2.0-fast-md", prompt=char * 5000)) == []
    (violation,) = validate_body(valid_body("seedance2.0-fast-md", prompt=char * 5001))
    assert violation.rule == "MD_PROMPT_MAX"
    assert validate_body(valid_body("seedance2.0-std", prompt=char * 5001)) == []  # MD only


@pytest.mark.parametrize(("value", "expected"), [
    ("fine", None),
    ({"prompt": "ok", "duration": 5, "images": ["a", "b"], "n": None, "t": True}, None),
    ({"prompt": "bad \ud800"}, ("prompt", "holds a lone UTF-16 surrogate (not valid Unicode, cannot be sent as "
                                             "UTF-8 JSON)")),
    ({"images": ["ok", {"deep": ["\udfff"]}]}, ("images", "holds a lone UTF-16 surrogate (not valid Unicode, "
                                                            "cannot be sent as UTF-8 JSON)")),
    ({"ok": 1, "x\udc00": 1}, ("", "has a key holding a lone UTF-16 surrogate (not valid Unicode)")),
    ({"meta": {"k\ud801": 1}}, ("meta", "has a key holding a lone UTF-16 surrogate (not valid Unicode)")),
    ({"seed": float("inf")}, ("seed", "holds inf, which JSON cannot represent")),
    ([1, (2, float("nan"))], ("", "holds nan, which JSON cannot represent")),
    ({"seed": 1.5, "ok": "😀"}, None),
])
def test_json_problem(value: object, expected: tuple[str, str] | None) -> None:
    assert json_problem(value) == expected


def test_a_body_json_cannot_carry_is_refused_before_any_rule() -> None:
    (violation,) = validate_body({"model": "nope", "prompt": "a\ud800", "duration": 99})
    assert (violation.rule, violation.field) == (INVALID_JSON, "prompt")
    assert violation.message == "prompt holds a lone UTF-16 surrogate (not valid Unicode, cannot be sent as UTF-8 JSON)"
    (violation,) = validate_body([float("nan")])
    assert (violation.rule, violation.field, violation.message) == (
        INVALID_JSON, "", "the body holds nan, which JSON cannot represent")
    assert len(MODEL_FAMILY) == 22


@pytest.mark.parametrize(("url", "is_video"), [
    ("https://example.com/clip.png?a=.mp4?b", False),  # the path ends at the first '?'
    ("https://example.com/clip.png#a=.mp4#b", False),  # ... or at the first '#'
    ("https://example.com/clip.mp4?a=.png", True),
    ("https://Xample.com/clip.mp4", True),  # any host character after the scheme but / ? #
])
def test_extension_is_read_from_the_path_only(url: str, is_video: bool) -> None:
    rules = {v.rule for v in validate_body(valid_body("seedance2.0-std", images=[url]))}
    assert rules == ({"IMAGES_NOT_VIDEO"} if is_video else set())
