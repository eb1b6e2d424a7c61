"""The spec-mutation score: every mutant derived from openapi.yaml is told apart from the spec by the agreement
between the unmutated client and an emulator built from the mutant (in-process, ~30 s for ~200 mutants)."""

from __future__ import annotations

from typing import Any

import pytest

from client.validation import validate_body
from contracts import cli
from contracts.mutate import EdgeBodies, Mutant, derive_mutants, judge_mutant, run_mutation
from contracts.strategies import BodyStrategies
from contracts.verdicts import SpecOracle
from mockserver import create_app
from tests.contracts.helpers import EMULATOR, SPEC_PATH

CONFIG = {k: v for k, v in EMULATOR.items() if k != "SPEC_PATH"}


def _names(strategies: BodyStrategies) -> set[str]:
    return {m.name for m in derive_mutants(strategies.catalogue.spec)}


def test_mutants_cover_every_operator(body_strategies: BodyStrategies) -> None:
    names = _names(body_strategies)
    assert {"STD_DURATION_RANGE: maximum 15 -> 16", "MD_DURATION_RANGE: minimum 1 -> 2",
            "MD_PROMPT_MAX: maxLength 5000 -> 5001", "STD_AUDIOS_MAX: maxItems 3 -> 4",
            "FULL_RATIO: enum without 'Adaptive'", "STD_RATIO: enum with '3:2'",
            "STD_ASSET_URL: schemes widened with http", "SP_AUDIO_URL: schemes narrowed without asset",
            "IMAGES_FRAMES_EXCLUSIVE: not dropped", "MD_FRAME_BOTH: dependentRequired dropped",
            "conditional STD_RULES/allOf/0 dropped", "conditional CreateVideoRequest/allOf/3 dropped"} <= names
    assert not any("maxItems 0 -> -1" in n for n in names)  # a negative count is no schema at all
    assert len(names) >= 200


@pytest.mark.slow
def test_every_spec_mutant_is_killed(body_strategies: BodyStrategies) -> None:
    report = run_mutation(validate_body, create_app, body_strategies, config=CONFIG)
    assert report.total == len(derive_mutants(body_strategies.catalogue.spec)), report.summary()
    assert report.survivors == [], report.summary()
    assert report.killed == report.total


def _identity(strategies: BodyStrategies) -> Mutant:
    spec = strategies.catalogue.spec
    node = spec["components"]["schemas"]["CreateVideoRequest"]
    return Mutant("no change", (), ("components", "schemas", "CreateVideoRequest"), node)


@pytest.mark.slow
def test_the_unmutated_spec_survives_and_a_client_of_the_mutant_lets_it_survive(
        body_strategies: BodyStrategies, tmp_path: Any) -> None:
    edges = EdgeBodies(body_strategies)
    spec = body_strategies.catalogue.spec
    same = judge_mutant(_identity(body_strategies), spec, validate_body, create_app, body_strategies, edges,
                        tmp_path, examples=2, config=CONFIG)
    assert (same.killed, same.error) == (False, None)
    moved = next(m for m in derive_mutants(spec) if m.name == "STD_DURATION_RANGE: maximum 15 -> 16")
    killed = judge_mutant(moved, spec, validate_body, create_app, body_strategies, edges, tmp_path, config=CONFIG)
    assert killed.killed and killed.stage == "edges" and '"duration": 16' in killed.evidence
    accomplice = SpecOracle(moved.apply(spec))  # a client that reads the mutated spec agrees with its emulator
    survived = judge_mutant(moved, spec, accomplice, create_app, body_strategies, edges, tmp_path, examples=2,
                            config=CONFIG)
    assert not survived.killed


@pytest.mark.slow  # a mutation run (four spec mutants, each against the app and the client)
def test_mutate_command_reports_the_score(capsys: pytest.CaptureFixture[str]) -> None:
    status = cli.main(["mutate", "--app-factory", "mockserver:create_app", "--client",
                       "client.validation:validate_body", "--spec", str(SPEC_PATH), "--only", "MD_DURATION_RANGE"])
    out = capsys.readouterr().out
    assert status == 0, out
    assert "spec mutants killed: 4/4 (100.0%)" in out
    assert cli.main(["mutate", "--app-factory", "mockserver:nope", "--client", "client.validation:validate_body",
                     "--only", "MD_DURATION_RANGE"]) == 2
