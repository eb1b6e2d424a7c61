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
from tests.rule_table import DURATION, FAMILIES

STRATEGIES = BodyStrategies()
EDGES = BoundaryBodies(STRATEGIES)


@pytest.mark.parametrize("rule", STRATEGIES.breakable_rules)
def test_every_rule_has_edge_bodies_that_break_only_it(rule: str) -> None:
    bodies = EDGES.for_rule(rule)
    assert bodies, f"no edge body for {rule}"
    for body in bodies:
        assert STRATEGIES.oracle.rule_ids(body) == {rule}


def test_edges_are_the_exact_bounds() -> None:
    durations = {b["duration"] for b in EDGES.for_rule("STD_DURATION_RANGE")}
    assert durations == {3, 16}
    assert {len(b["images"]) for b in EDGES.for_rule("MD_IMAGES_MAX")} == {5}
    assert any(b.get("ratio") == "adaptive" for b in EDGES.for_rule("STD_RATIO"))
    assert {len(b["prompt"]) for b in EDGES.for_rule("MD_PROMPT_MAX")} == {5001}


def test_valid_edges_are_valid_for_every_model_and_bound() -> None:
    bodies = EDGES.valid_bodies()
    assert {b["model"] for b in bodies} == {m for models in FAMILIES.values() for m in models}
    assert all(not STRATEGIES.oracle.rule_ids(b) for b in bodies)
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


@pytest.mark.parametrize("family", list(FAMILIES))
@pytest.mark.parametrize("end", ["min", "max"])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_range_moved_by_one_is_always_found(family: str, end: str, seed: int) -> None:
    low, high = DURATION[family]
    value = low - 1 if end == "min" else high + 1
    server = WsgiServer(create_app(EMULATOR))
    report = run_agreement(_moved(family, value), server, STRATEGIES, examples=1, seed=seed,
                           targets=[f"{family}_DURATION_RANGE"])
    assert not report.ok
    (disagreement,) = report.disagreements
    assert disagreement.body["duration"] == value
