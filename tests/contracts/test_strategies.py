"""The strategies: valid bodies for every model and mode, breakers at each rule's boundary, clean noise."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, find, given, settings

from contracts.strategies import BodyStrategies

# Generation only: `find` would otherwise spend seconds shrinking an example we only need to exist.
QUIET = settings(database=None, deadline=None, max_examples=1000, phases=[Phase.generate], derandomize=True,
                 suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow])


def _find(strategy: Any, condition: Any) -> Any:
    return find(strategy, condition, settings=QUIET)


def test_valid_bodies_cover_every_model_and_mode(body_strategies: BodyStrategies) -> None:
    for model, profile in body_strategies.profiles.by_model.items():
        for mode in profile.modes:
            body = _find(body_strategies.valid_body(model, mode), lambda b: True)
            assert body["model"] == model
            assert not body_strategies.oracle.broken_rules(body)
    frames = _find(body_strategies.valid_body("seedance2.0-md", "frames"), lambda b: True)
    assert "first_image" in frames and "last_image" in frames  # MD_FRAME_BOTH read from dependentRequired


@pytest.mark.parametrize(("rule", "condition"), [
    ("STD_DURATION_RANGE", lambda b: b["duration"] == 16),
    ("STD_DURATION_RANGE", lambda b: b["duration"] == 3),
    ("MD_DURATION_RANGE", lambda b: b["duration"] == 0),
    ("FULL_DURATION_RANGE", lambda b: b["duration"] == 13),
    ("MD_IMAGES_MAX", lambda b: len(b["images"]) == 5),
    ("STD_AUDIOS_MAX", lambda b: len(b["reference_audios"]) == 4),
    ("MD_REFERENCE_VIDEOS_MAX", lambda b: len(b["reference_videos"]) == 4),
    ("MD_PROMPT_MAX", lambda b: len(b["prompt"]) == 5001),
    ("MD_RATIO", lambda b: b["ratio"] == "4:3"),
    ("STD_RATIO", lambda b: b["ratio"] == "adaptive"),
    ("MINI_SP_RESOLUTION", lambda b: b["resolution"] == "1080p"),
    ("STD_ASSET_URL", lambda b: str(b.get("first_image", "")).startswith("http://")),
    ("FULL_ASSET_URL", lambda b: any(str(u).startswith("https://") for u in b.get("images", []))),
    ("IMAGES_NOT_VIDEO", lambda b: any(str(u).upper().endswith(".MP4") for u in b["images"])),
    ("DURATION_INTEGER", lambda b: isinstance(b["duration"], bool)),
    ("MODEL_REQUIRED", lambda b: "model" not in b),
    ("BODY_OBJECT", lambda b: isinstance(b, list)),
    ("IMAGES_FRAMES_EXCLUSIVE", lambda b: "last_image" in b),
])
def test_breakers_reach_the_boundary(body_strategies: BodyStrategies, rule: str, condition: Any) -> None:
    body = _find(body_strategies.breaking(rule), condition)
    assert body_strategies.oracle.broken_rules(body) == {rule}


@pytest.mark.slow  # a 150-example property run
@settings(database=None, deadline=None, max_examples=150,
          suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow])
@given(data=BodyStrategies().noise())
def test_noise_is_sendable_json(data: Any) -> None:
    # No lone surrogates, NaN or Infinity: every noise body must survive JSON and UTF-8.
    json.dumps(data, ensure_ascii=False, allow_nan=False).encode("utf-8")


def test_external_rules_have_no_breakers(body_strategies: BodyStrategies) -> None:
    with pytest.raises(ValueError, match="outside the body"):
        body_strategies.breaking("MEDIA_REACHABLE")
