"""Queue and processing times, output sizes, and the model families they are read from (state/timings.py)."""

from __future__ import annotations

import pytest

from mockserver.state.timings import output_size, plan_timings
from tests.mockserver.conftest import FAMILIES


def test_families_come_from_the_spec() -> None:
    assert set(FAMILIES) == {"FULL", "SP", "SP_OFFICIAL", "MINI", "MINI_SP", "MD", "FAST_I2V", "STD"}
    assert sum(len(m) for m in FAMILIES.values()) == 22


def test_timings_are_realistic_and_scaled_by_speed() -> None:
    import random

    rng = random.Random(0)
    q_std, p_std = plan_timings("STD", "seedance2.0-std", 5, 1280, 720, 1.0, rng)
    assert 2 <= q_std <= 10 and 20 <= p_std <= 60
    _, p_long = plan_timings("STD", "seedance2.0-std", 15, 1280, 720, 1.0, random.Random(0))
    assert p_long > p_std
    _, p_4k = plan_timings("FULL", "sd2_mx_4k", 12, 3840, 2160, 1.0, random.Random(0))
    _, p_md = plan_timings("MD", "seedance2.0-md", 12, 1280, 720, 1.0, random.Random(0))
    assert p_4k > 5 * p_md
    q_fast, p_fast = plan_timings("STD", "seedance2.0-std", 5, 1280, 720, 10.0, random.Random(0))
    assert q_fast == pytest.approx(q_std / 10) and p_fast == pytest.approx(p_std / 10)


@pytest.mark.parametrize(
    ("model", "fields", "size"),
    [
        ("seedance2.0-std", {}, (1280, 720)),
        ("seedance2.0-std", {"resolution": "1080p"}, (1280, 720)),
        ("seedance2.0-std", {"ratio": "9:16"}, (720, 1280)),
        ("seedance2.0-std", {"orientation": "portrait"}, (720, 1280)),
        ("seedance2.0-std", {"ratio": "16:9", "orientation": "portrait"}, (1280, 720)),
        ("seedance2.0-std", {"ratio": "21:9"}, (1680, 720)),
        ("seedance2.0-std", {"ratio": "1:1"}, (720, 720)),
        ("seedance2.0-sp", {"resolution": "480p"}, (854, 480)),
        ("seedance2.0-sp", {"resolution": "1080p", "ratio": "4:3"}, (1440, 1080)),
        ("seedance2.0-mini-sp", {"resolution": "480p", "ratio": "3:4"}, (480, 640)),
        ("seedance2.0-md", {"ratio": "9:16"}, (720, 1280)),
        ("sd2_mx_1080p", {}, (1920, 1080)),
        ("sd2_mx_2k", {"ratio": "1:1"}, (1440, 1440)),
        ("sd2_mx_4k", {"ratio": "21:9"}, (5040, 2160)),
        ("sd2_mx_video_4k", {"ratio": "adaptive", "orientation": "portrait"}, (2160, 3840)),
        ("sd2_mx_fast_720p", {"ratio": "adaptive"}, (1280, 720)),
    ],
)
def test_output_size(model: str, fields: dict[str, object], size: tuple[int, int]) -> None:
    family = next(f for f, models in FAMILIES.items() if model in models)
    assert output_size(family, model, {"model": model, **fields}) == size
