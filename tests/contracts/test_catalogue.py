"""The catalogue reads every rule of openapi.yaml, with its source, models and fields."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from contracts import cli, spec
from contracts.catalogue import Catalogue
from contracts.spec import locate_spec
from tests.rule_table import ALL_MODELS, FAMILIES, ROWS

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return Catalogue.load()


def test_every_body_rule_of_the_rule_table_is_catalogued(catalogue: Catalogue) -> None:
    assert {r.id for r in catalogue.body_rules} == {row.rule for row in ROWS}
    assert len(catalogue.body_rules) == 64


def test_external_rules_are_marked(catalogue: Catalogue) -> None:
    external = {r.id: r for r in catalogue.external_rules}
    assert set(external) == {"MEDIA_REACHABLE", "MD_REFERENCE_VIDEOS_DURATION", "MD_REFERENCE_VIDEOS_SIZE",
                             "MD_REFERENCE_VIDEO_RESOLUTION", "FULL_ASSET_AUDIT"}
    assert external["FULL_ASSET_AUDIT"].models == tuple(FAMILIES["FULL"])
    assert all(not r.sites for r in external.values())


def test_models_come_from_the_family_branches(catalogue: Catalogue) -> None:
    assert catalogue.all_models == tuple(ALL_MODELS)
    assert catalogue.rules["PROMPT_NOT_BLANK"].models == tuple(ALL_MODELS)
    assert catalogue.rules["STD_DURATION_RANGE"].models == ("seedance2.0-std",)
    assert catalogue.rules["MD_RATIO"].models == tuple(FAMILIES["MD"])
    assert catalogue.rules["FRAME_NO_AUDIO"].families == ("FULL", "SP", "SP_OFFICIAL", "MINI", "MINI_SP")
    # The nested model branch narrows FULL_VIDEO_REF_MODELS to the non-video Full models.
    assert catalogue.rules["FULL_VIDEO_REF_MODELS"].models == tuple(
        m for m in FAMILIES["FULL"] if not m.startswith("sd2_mx_video_"))


def test_asset_list_type_collects_both_of_its_schemas(catalogue: Catalogue) -> None:
    sites = catalogue.rules["ASSET_LIST_TYPE"].sites
    assert {s.schema_name for s in sites} == {"ASSET_LIST_TYPE", "ASSET_ITEM_TYPE"}
    assert {(s.field, s.in_items) for s in sites} == {
        (f, i) for f in ("images", "reference_videos", "reference_audios") for i in (False, True)}


def test_sources_quotes_and_reasons(catalogue: Catalogue) -> None:
    std = catalogue.rules["STD_DURATION_RANGE"]
    assert (std.source, std.quote, std.fields) == ("documented", "STD standard 4-15", ("duration",))
    assumed = catalogue.rules["PROMPT_NOT_BLANK"]
    assert assumed.source == "assumed" and assumed.reason and "whitespace" in assumed.reason
    assert catalogue.rules["DURATION_REQUIRED"].assumed


def test_spec_location(tmp_path: Path) -> None:
    assert locate_spec() == REPO / "openapi.yaml"
    assert locate_spec(REPO / "openapi.yaml") == REPO / "openapi.yaml"
    with pytest.raises(FileNotFoundError, match=r"spec not found: .*missing\.yaml"):
        locate_spec(tmp_path / "missing.yaml")


def test_the_spec_is_read_with_libyaml_when_it_is_there() -> None:
    assert spec.SAFE_LOADER is getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    assert spec.SAFE_LOADER.__name__ == "CSafeLoader"  # this environment's PyYAML has libyaml
    text = (REPO / "openapi.yaml").read_text("utf-8")
    assert spec.load_spec(REPO / "openapi.yaml") == yaml.safe_load(text)  # the same document either way


def test_cli_rules_json_and_table(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["rules", "--json"]) == 0
    rules = json.loads(capsys.readouterr().out)
    assert len(rules) == 69
    by_id = {r["id"]: r for r in rules}
    assert by_id["MD_NO_AUDIO"]["models"] == FAMILIES["MD"] and by_id["MEDIA_REACHABLE"]["external"]
    assert cli.main(["rules"]) == 0
    table = capsys.readouterr().out
    assert "STD_AUDIOS_MAX" in table and "At most 3 items in reference_audios." in table


def test_cli_reports_a_missing_spec(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["rules", "--spec", str(tmp_path / "nope.yaml")]) == 2
    assert "spec not found" in capsys.readouterr().err
