"""The fixed edge bodies: every rule has some, each breaks exactly its rule, and a boundary moved by one is
always found (not only when Hypothesis happens to sample it)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from contracts.agreement import run_agreement
from contracts.boundaries import BoundaryBodies
from contracts.strategies import BodyStrategies
from contracts.verdicts import WsgiServer
from mockserver import create_app
from tests.contracts.helpers import EMULATOR, client_rules
from tests.rule_table import DURATION, FAMILIES, RATIOS

FULL_RATIOS = RATIOS["FULL"]

STRATEGIES = BodyStrategies()
EDGES = BoundaryBodies(STRATEGIES)


@pytest.mark.parametrize("rule", STRATEGIES.breakable_rules)
def test_every_rule_has_edge_bodies_that_break_only_it(rule: str) -> None:
    bodies = EDGES.for_rule(rule)
    assert bodies, f"no edge body for {rule}"
    for body in bodies:
        assert STRATEGIES.oracle.broken_rules(body) == {rule}


def test_edges_are_the_exact_bounds() -> None:
    durations = {b["duration"] for b in EDGES.for_rule("STD_DURATION_RANGE")}
    assert durations == {3, 16}
    assert {len(b["images"]) for b in EDGES.for_rule("MD_IMAGES_MAX")} == {5}
    assert any(b.get("ratio") == "adaptive" for b in EDGES.for_rule("STD_RATIO"))
    assert {len(b["prompt"]) for b in EDGES.for_rule("MD_PROMPT_MAX")} == {5001}


def test_valid_edges_are_valid_for_every_model_and_bound() -> None:
    bodies = EDGES.valid_bodies()
    assert {b["model"] for b in bodies} == {m for models in FAMILIES.values() for m in models}
    assert all(not STRATEGIES.oracle.broken_rules(b) for b in bodies)
    assert {b["duration"] for b in bodies if b["model"] == "seedance2.0-md"} >= {1, 15}


def _moved(family: str, value: int) -> Callable[[object], list[str]]:
    """The reference client, except that it accepts `value` as a duration on `family`."""
    models = set(FAMILIES[family])

    def check(body: object) -> list[str]:
        rules = client_rules(body)
        if isinstance(body, dict) and body.get("model") in models and body.get("duration") == value:
            rules = [r for r in rules if r != f"{family}_DURATION_RANGE"]
        return rules

    return check


@pytest.fixture(scope="module")
def emulator() -> WsgiServer:
    """One emulator for the module (an app costs ~35 ms to build): its verdict on a body depends on the body
    alone."""
    return WsgiServer(create_app(EMULATOR))


@pytest.mark.parametrize("family", list(FAMILIES))
@pytest.mark.parametrize("end", ["min", "max"])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_range_moved_by_one_is_always_found(emulator: WsgiServer, family: str, end: str, seed: int) -> None:
    low, high = DURATION[family]
    value = low - 1 if end == "min" else high + 1
    report = run_agreement(_moved(family, value), emulator, STRATEGIES, examples=1, seed=seed,
                           targets=[f"{family}_DURATION_RANGE"])
    assert not report.ok
    (disagreement,) = report.disagreements
    assert disagreement.body["duration"] == value


@pytest.mark.parametrize(("rule", "field", "size"), [
    ("STD_AUDIOS_MAX", "reference_audios", 3), ("MD_REFERENCE_VIDEOS_MAX", "reference_videos", 3),
    ("MD_IMAGES_MAX", "images", 4), ("FULL_IMAGES_MAX", "images", 9), ("FAST_I2V_IMAGES_MAX", "images", 9),
])
def test_valid_edges_reach_every_list_limit_on_every_model(rule: str, field: str, size: int) -> None:
    bodies = EDGES.valid_edges(rule)
    models = set(STRATEGIES.catalogue.rules[rule].models)
    assert {b["model"] for b in bodies if len(b.get(field, [])) == size} == models
    assert all(not STRATEGIES.oracle.broken_rules(b) for b in bodies)


def test_valid_edges_reach_the_prompt_limit_in_code_points_and_every_enum_value() -> None:
    prompts = {b["prompt"] for b in EDGES.valid_edges("MD_PROMPT_MAX")}
    assert {"a" * 5000, "\U0001f600" * 5000} <= prompts
    assert {b["ratio"] for b in EDGES.valid_edges("FULL_RATIO")} == set(FULL_RATIOS)
    valid = EDGES.valid_bodies()
    assert any("first_image" in b and b.get("reference_audios") == [] for b in valid)  # empty list in frame mode


@pytest.mark.parametrize("rule", ["STD_ASSET_URL", "SP_ASSET_URL", "MD_ASSET_URL", "FAST_I2V_ASSET_URL",
                                  "MINI_SP_AUDIO_URL", "FULL_ASSET_URL"])
def test_scheme_edges_hold_every_excluded_scheme_http_included(rule: str) -> None:
    text = " ".join(str(b) for b in EDGES.for_rule(rule))
    for scheme in ("http", "ftp", "file", "data"):
        assert f"'{scheme}://" in text, scheme


@pytest.mark.parametrize("rule", ["STD_RATIO", "MD_RATIO", "FULL_RATIO", "SP_RATIO"])
def test_enum_edges_hold_values_outside_every_list(rule: str) -> None:
    ratios = {b["ratio"] for b in EDGES.for_rule(rule)}
    assert {"3:2", "5:4"} <= ratios
    resolutions = {b["resolution"] for b in EDGES.for_rule("RESOLUTION_ENUM")}
    assert {"2k", "4k"} <= resolutions


def test_noise_edges_hold_non_objects_the_empty_object_and_the_two_tricky_prompts() -> None:
    noise = EDGES.noise_edges()
    assert {} in noise and [] in noise and None in noise and "" in noise
    prompts = [b.get("prompt") for b in noise if isinstance(b, dict)]
    assert "fox [[seedance-mock:bogus]]" in prompts and "fox \ud800" in prompts
    assert {"BODY_OBJECT"} == STRATEGIES.oracle.broken_rules([])


def test_the_emulator_answers_the_noise_edges_as_the_client_does() -> None:
    report = run_agreement(client_rules, WsgiServer(create_app(EMULATOR)), STRATEGIES, examples=1, targets=["NOISE"])
    assert report.ok, report.summary([])
