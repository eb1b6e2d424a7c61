"""Pre-flight validation: every rule id, its boundaries, and bodies breaking several rules at once."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import requests
import responses

from client import SeedanceClient, ValidationError, checked_rule_ids, validate_body
from tests.rule_table import ROWS, RuleRow

STD = "seedance2.0-std"
REPO = Path(__file__).resolve().parents[2]
EXTERNAL = {"MEDIA_REACHABLE", "MD_REFERENCE_VIDEOS_DURATION", "MD_REFERENCE_VIDEOS_SIZE",
            "MD_REFERENCE_VIDEO_RESOLUTION", "FULL_ASSET_AUDIT"}


def body(model: str = STD, **fields: Any) -> dict[str, Any]:
    """A valid body for the model (duration chosen inside every family's range) with fields changed."""
    out: dict[str, Any] = {"model": model, "prompt": "A fox runs through snow", "duration": 5}
    out.update(fields)
    return out


def verdict(value: object) -> set[str]:
    return {v.rule for v in validate_body(value)}


def test_checked_rule_ids_are_the_specs_body_rules() -> None:
    # The test may read the spec; the client may not. Text search keeps this independent of yaml loading.
    spec_ids = set(re.findall(r"x-rule:\s*([A-Z0-9_]+)", (REPO / "openapi.yaml").read_text("utf-8")))
    assert checked_rule_ids() == spec_ids - EXTERNAL
    assert len(checked_rule_ids()) == 64


@pytest.mark.parametrize("row", ROWS, ids=lambda row: row.rule)
def test_rule_table_bad_body_breaks_exactly_its_rule(row: RuleRow) -> None:
    assert verdict(row.bad) == {row.rule}


@pytest.mark.parametrize("row", ROWS, ids=lambda row: row.rule)
def test_rule_table_good_twin_is_valid(row: RuleRow) -> None:
    assert validate_body(row.good) == []


def test_rule_table_covers_every_rule_the_client_checks() -> None:
    assert {row.rule for row in ROWS} == checked_rule_ids()


# Our own cases, written from the rules independently of the shared table: (body, expected set of ids).
FAMILY_MODEL = {
    "FULL": "sd2_mx_720p", "SP": "seedance2.0-fast-sp", "SP_OFFICIAL": "seedance2.0-of-fast-sp",
    "MINI": "seedance2.0-mini", "MINI_SP": "seedance2.0-mini-sp", "MD": "seedance2.0-fast-md",
    "FAST_I2V": "seedance2.0-fast-i2v", "STD": STD,
}
RANGES = {"FULL": (4, 12), "MD": (1, 15)}
HTTPS = "https://cdn.example.com/x"
CASES: list[tuple[str, object, set[str]]] = [
    ("non-object list", [body()], {"BODY_OBJECT"}),
    ("non-object string", "model", {"BODY_OBJECT"}),
    ("non-object null", None, {"BODY_OBJECT"}),
    ("non-object number", 5, {"BODY_OBJECT"}),
    ("empty object", {}, {"MODEL_REQUIRED", "PROMPT_REQUIRED", "DURATION_REQUIRED"}),
    ("model null", body(model=None), {"MODEL_KNOWN"}),
    ("model wrong case", body(model="SEEDANCE2.0-STD"), {"MODEL_KNOWN"}),
    ("unknown model skips family rules", body(model="x", duration=99, ratio="5:4"), {"MODEL_KNOWN"}),
    ("prompt null", body(prompt=None), {"PROMPT_STRING"}),
    ("prompt list", body(prompt=["a"]), {"PROMPT_STRING"}),
    ("prompt empty", body(prompt=""), {"PROMPT_NOT_BLANK"}),
    ("prompt vertical tab", body(prompt="\v\f\r"), {"PROMPT_NOT_BLANK"}),
    ("prompt non-ASCII space counts", body(prompt="\u00a0"), set()),
    ("prompt ideographic space counts", body(prompt="\u3000"), set()),
    ("duration 5.0 is integer", body(duration=5.0), set()),
    ("duration true", body(duration=True), {"DURATION_INTEGER"}),
    ("duration false", body(duration=False), {"DURATION_INTEGER"}),
    ("duration string", body(duration="5"), {"DURATION_INTEGER"}),
    ("duration null", body(duration=None), {"DURATION_INTEGER"}),
    ("duration 5.5 in range", body(duration=5.5), {"DURATION_INTEGER"}),
    ("duration 15.5 out of range", body(duration=15.5), {"DURATION_INTEGER", "STD_DURATION_RANGE"}),
    ("duration bool not ranged", body(duration=True, model="seedance2.0-md"), {"DURATION_INTEGER"}),
    ("ratio null", body(ratio=None), {"RATIO_STRING"}),
    ("ratio number only RATIO_STRING", body(ratio=1.77), {"RATIO_STRING"}),
    ("ratio Adaptive as documented", body(model="sd2_mx_2k", ratio="Adaptive"), set()),
    ("ratio ADAPTIVE case", body(model="sd2_mx_2k", ratio="ADAPTIVE"), {"FULL_RATIO"}),
    ("ratio Adaptive not on STD", body(ratio="Adaptive"), {"STD_RATIO"}),
    ("resolution 720", body(resolution=720), {"RESOLUTION_ENUM"}),
    ("resolution 720P", body(resolution="720P"), {"RESOLUTION_ENUM"}),
    ("resolution ignored value ok on STD", body(resolution="1080p"), set()),
    ("orientation null", body(orientation=None), {"ORIENTATION_ENUM"}),
    ("orientation ok", body(orientation="landscape"), set()),
    ("images null", body(images=None), {"ASSET_LIST_TYPE"}),
    ("images with number item", body(images=[HTTPS + ".png", 3]), {"ASSET_LIST_TYPE"}),
    ("audios with null item", body(reference_audios=[None]), {"ASSET_LIST_TYPE"}),
    ("videos object", body(reference_videos={"a": 1}), {"ASSET_LIST_TYPE"}),
    ("string images not URL-checked", body(images="ftp://x.mp4"), {"ASSET_LIST_TYPE"}),
    ("empty lists pass", body(images=[], reference_videos=[], reference_audios=[]), set()),
    ("first_image null", body(first_image=None), {"FRAME_IMAGE_TYPE"}),
    ("last_image number", body(last_image=1), {"FRAME_IMAGE_TYPE"}),
    ("frames with empty images", body(images=[], first_image=HTTPS + ".png"), set()),
    ("frames null with images", body(images=[HTTPS + ".png"], last_image=None),
     {"FRAME_IMAGE_TYPE", "IMAGES_FRAMES_EXCLUSIVE"}),
    ("images non-array with frame", body(images="a", first_image=HTTPS), {"ASSET_LIST_TYPE"}),
    ("video ext before query", body(images=[HTTPS + ".webm?sig=1"]), {"IMAGES_NOT_VIDEO"}),
    ("video ext in query only", body(images=[HTTPS + ".png?f=a.mp4"]), set()),
    ("video ext after fragment", body(images=[HTTPS + "#a.mov"]), set()),
    ("fragment before query", body(images=[HTTPS + ".png#x?.mp4"]), set()),
    ("video ext mixed case", body(images=[HTTPS + ".MpEg"]), {"IMAGES_NOT_VIDEO"}),
    ("Kelvin sign does not fold", body(images=[HTTPS + ".m\u212av"]), set()),
    ("bare extension name is no extension", body(images=["https://x/mp4"]), set()),
    ("image ext in videos", body(reference_videos=[HTTPS + ".HEIC"]), {"REFERENCE_VIDEOS_NOT_IMAGE"}),
    ("no ext in videos", body(reference_videos=[HTTPS]), set()),
    ("audio ext in videos", body(reference_videos=[HTTPS + ".mp3"]), set()),
    ("dotless i does not fold", body(reference_videos=[HTTPS + ".G\u0130F"]), set()),
    ("unknown fields ignored", body(seed=1, watermark=True), set()),
    ("STD scheme case-sensitive", body(images=["HTTPS://x.example/a.png"]), {"STD_ASSET_URL"}),
    ("STD scheme needs a host char", body(first_image="https:///a.png"), {"STD_ASSET_URL"}),
    ("STD scheme alone", body(last_image="https://"), {"STD_ASSET_URL"}),
    ("STD query right after scheme", body(images=["https://?a"]), {"STD_ASSET_URL"}),
    ("STD asset audio", body(reference_audios=["asset://a"]), {"STD_ASSET_URL"}),
    ("FULL https rejected", body(model="sd2_mx_video_4k", reference_videos=[HTTPS + ".mp4"]), {"FULL_ASSET_URL"}),
    ("FULL asset audio ok", body(model="sd2_mx_4k", reference_audios=["asset://a"]), set()),
    ("FULL asset:// with #", body(model="sd2_mx_4k", last_image="asset://#a"), {"FULL_ASSET_URL"}),
    ("FULL video refs on video model", body(model="sd2_mx_video_fast_720p", reference_videos=["asset://v"]), set()),
    ("FULL video refs empty on plain model", body(model="sd2_mx_fast_720p", reference_videos=[]), set()),
    ("FULL frame with audio", body(model="sd2_mx_720p", first_image="asset://f", reference_audios=["asset://a"]),
     {"FRAME_NO_AUDIO"}),
    ("frame null still frame mode", body(model="seedance2.0-mini", last_image=None, reference_audios=[HTTPS]),
     {"FRAME_IMAGE_TYPE", "FRAME_NO_AUDIO"}),
    ("SP audio http", body(model="seedance2.0-sp", reference_audios=["http://a.example/a.mp3"]),
     {"SP_AUDIO_URL"}),
    ("SP audio asset ok", body(model="seedance2.0-sp", reference_audios=["asset://a"]), set()),
    ("MINI_SP audio asset://", body(model="seedance2.0-mini-sp", reference_audios=["asset:///a"]),
     {"MINI_SP_AUDIO_URL"}),
    ("SP video asset", body(model="seedance2.0-of-sp", reference_videos=["asset://v"]), {"SP_OFFICIAL_ASSET_URL"}),
    ("MINI_SP 1080p", body(model="seedance2.0-mini-sp", resolution="1080p"), {"MINI_SP_RESOLUTION"}),
    ("MINI_SP 480p ok", body(model="seedance2.0-mini-sp", resolution="480p"), set()),
    ("MINI_SP bad enum only", body(model="seedance2.0-mini-sp", resolution="4k"), {"RESOLUTION_ENUM"}),
    ("MD prompt 5000 code points", body(model="seedance2.0-md", prompt="\U0001f98a" * 5000), set()),
    ("MD prompt 5001 code points", body(model="seedance2.0-md", prompt="\U0001f98a" * 5001), {"MD_PROMPT_MAX"}),
    ("MD last only", body(model="seedance2.0-md", last_image=HTTPS), {"MD_FRAME_BOTH"}),
    ("MD audio asset", body(model="seedance2.0-md", reference_audios=["asset://a"]), {"MD_NO_AUDIO"}),
    ("MD images 4 ok", body(model="seedance2.0-md", images=[HTTPS] * 4), set()),
    ("MD audios not URL-judged", body(model="seedance2.0-md", reference_audios=["ftp://a"]), {"MD_NO_AUDIO"}),
    ("FAST_I2V frames both", body(model="seedance2.0-fast-i2v", first_image=HTTPS, last_image=HTTPS),
     {"FAST_I2V_NO_FRAMES"}),
    ("FAST_I2V video not URL-judged", body(model="seedance2.0-fast-i2v", reference_videos=["asset://v"]),
     {"FAST_I2V_NO_VIDEO"}),
    ("STD frame with empty audio", body(first_image=HTTPS, reference_audios=[]), set()),
    ("STD 3 audios in frame mode", body(first_image=HTTPS, reference_audios=[HTTPS] * 4),
     {"STD_FRAME_NO_AUDIO", "STD_AUDIOS_MAX"}),
    ("many rules at once", {"model": "seedance2.0-md", "prompt": " ", "duration": 16, "ratio": "21:9",
                            "images": ["asset://a.mp4"] * 5, "reference_audios": [HTTPS],
                            "first_image": 1},
     {"PROMPT_NOT_BLANK", "MD_DURATION_RANGE", "MD_RATIO", "MD_IMAGES_MAX", "MD_ASSET_URL", "MD_NO_AUDIO",
      "MD_FRAME_BOTH", "FRAME_IMAGE_TYPE", "IMAGES_FRAMES_EXCLUSIVE", "IMAGES_NOT_VIDEO"}),
]
for fam, model in FAMILY_MODEL.items():
    low, high = RANGES.get(fam, (4, 15))
    CASES += [
        (f"{fam} duration low", body(model, duration=low), set()),
        (f"{fam} duration high", body(model, duration=high), set()),
        (f"{fam} duration below", body(model, duration=low - 1), {f"{fam}_DURATION_RANGE"}),
        (f"{fam} duration above", body(model, duration=high + 1), {f"{fam}_DURATION_RANGE"}),
        (f"{fam} duration high float", body(model, duration=float(high)), set()),
        (f"{fam} duration fractional above", body(model, duration=high + 0.5),
         {"DURATION_INTEGER", f"{fam}_DURATION_RANGE"}),
    ]
    url = "asset://a" if fam == "FULL" else HTTPS + ".png"
    most = 4 if fam == "MD" else 9
    CASES += [
        (f"{fam} images at max", body(model, images=[url] * most), set()),
        (f"{fam} images above max", body(model, images=[url] * (most + 1)), {f"{fam}_IMAGES_MAX"}),
        (f"{fam} unknown ratio", body(model, ratio="2:1"), {f"{fam}_RATIO"}),
    ]


@pytest.mark.parametrize(("value", "expected"), [case[1:] for case in CASES], ids=[case[0] for case in CASES])
def test_verdict(value: object, expected: set[str]) -> None:
    assert verdict(value) == expected


def test_violations_are_unique_per_rule_and_stable() -> None:
    bad = body(images=[1, "x.mp4", None], reference_audios="a", first_image=2, last_image=3)
    first = validate_body(bad)
    assert first == validate_body(bad)
    rules = [v.rule for v in first]
    assert len(rules) == len(set(rules))
    by_rule = {v.rule: v for v in first}
    assert by_rule["ASSET_LIST_TYPE"].field == "images"
    assert "reference_audios" in by_rule["ASSET_LIST_TYPE"].message
    assert by_rule["FRAME_IMAGE_TYPE"].field == "first_image"


def test_documented_examples_are_valid() -> None:
    assert validate_body(body(duration=8, ratio="16:9", images=[HTTPS + "/ref-1.jpg", HTTPS + "/ref-2.jpg"])) == []
    assert validate_body(body(duration=10, ratio="9:16", reference_videos=["https://example.com/motion.mp4"],
                              reference_audios=["https://example.com/music.mp3"])) == []
    assert validate_body(body(duration=6, ratio="21:9", first_image="https://example.com/start.png",
                              last_image="https://example.com/end.png")) == []


@responses.activate
def test_create_video_rejects_before_any_request() -> None:
    api = SeedanceClient("sk_test", "http://api.invalid")
    with pytest.raises(ValidationError) as info:
        api.create_video(model=STD, prompt="  ", duration=3, images=["https://x.example/a.png"],
                         first_image="https://x.example/b.png")
    assert set(info.value.rules) == {"PROMPT_NOT_BLANK", "STD_DURATION_RANGE", "IMAGES_FRAMES_EXCLUSIVE"}
    assert set(info.value.fields) == {"prompt", "duration", "images"}
    assert info.value.status is None
    assert len(responses.calls) == 0


@responses.activate
def test_create_video_builds_body_from_arguments_omitting_none() -> None:
    responses.add(responses.POST, "http://api.invalid/api/open-api/v1/seedance/videos",
                  json={"code": "20000", "msg": "ok", "data": {"task_id": "vid_1", "status": "queued",
                                                               "model": STD, "created_at": 1}})
    api = SeedanceClient("sk_test", "http://api.invalid")
    api.create_video(model=STD, prompt="p", duration=5, images=("https://x.example/a.png",), ratio=None)
    sent = responses.calls[0].request
    assert sent.body is not None
    assert requests.compat.json.loads(sent.body) == {
        "model": STD, "prompt": "p", "duration": 5, "images": ["https://x.example/a.png"]}


@responses.activate
@pytest.mark.parametrize(("client_validate", "call_validate"), [(False, None), (True, False)])
def test_preflight_can_be_turned_off(client_validate: bool, call_validate: bool | None) -> None:
    responses.add(responses.POST, "http://api.invalid/api/open-api/v1/seedance/videos", status=400,
                  json={"code": "40000", "msg": "rejected", "data": {
                      "error": "VALIDATION_FAILED", "rules": ["MODEL_KNOWN"],
                      "violations": [{"rule": "MODEL_KNOWN", "field": "model", "message": "unknown"}]}})
    api = SeedanceClient("sk_test", "http://api.invalid", validate=client_validate)
    with pytest.raises(ValidationError) as info:
        api.create_video(model="nope", prompt="p", duration=5, validate=call_validate)
    assert len(responses.calls) == 1  # the server, not the client, rejected it
    assert info.value.status == 400
    assert info.value.rules == ("MODEL_KNOWN",)
    assert info.value.fields == ("model",)
