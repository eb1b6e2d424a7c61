"""Helpers for the spec tests: load openapi.yaml and judge bodies with plain JSON Schema validators."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import jsonschema_rs
import yaml

REPO = Path(__file__).resolve().parents[2]
SPEC_PATH = REPO / "openapi.yaml"
DOCS_DIR = REPO.parent / "shared" / "api-docs"
CREATE = "/api/open-api/v1/seedance/videos"
QUERY = "/api/open-api/v1/videos/{task_id}"


@cache
def spec() -> dict[str, Any]:
    """The parsed openapi.yaml."""
    with SPEC_PATH.open(encoding="utf-8") as fh:
        loaded: dict[str, Any] = yaml.safe_load(fh)
    return loaded


def schema_for(name: str) -> dict[str, Any]:
    """A standalone 2020-12 schema for components/schemas/<name>."""
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$ref": f"#/components/schemas/{name}",
        "components": spec()["components"],
    }


@cache
def create_validator() -> jsonschema.Draft202012Validator:
    """The Python jsonschema validator of the create body."""
    return jsonschema.Draft202012Validator(schema_for("CreateVideoRequest"))


@cache
def create_validator_rs() -> Any:
    """The jsonschema-rs validator of the create body (what the emulator's fast path uses)."""
    return jsonschema_rs.validator_for(schema_for("CreateVideoRequest"))


def broken_rules(body: Any) -> set[str]:
    """The x-rule ids of every error jsonschema reports for the body (empty when valid)."""
    ids: set[str] = set()
    for error in create_validator().iter_errors(body):
        rule = error.schema.get("x-rule") if isinstance(error.schema, dict) else None
        assert rule, f"error without an x-rule: {error.message} at {list(error.absolute_schema_path)}"
        ids.add(rule)
    assert create_validator_rs().is_valid(body) == (not ids), "jsonschema and jsonschema-rs disagree"
    return ids


def spec_rule_ids() -> set[str]:
    """Every x-rule id that the spec's schemas carry (body rules, not the external ones)."""
    return {node["x-rule"] for node in _rule_nodes(spec()["components"])}


def _rule_nodes(node: Any) -> list[dict[str, Any]]:
    if isinstance(node, dict):
        found = [node] if "x-rule" in node else []
        return found + [n for value in node.values() for n in _rule_nodes(value)]
    if isinstance(node, list):
        return [n for value in node for n in _rule_nodes(value)]
    return []


def rule_schemas() -> list[dict[str, Any]]:
    """Every subschema of components that carries an x-rule, plus the external rules."""
    return [*_rule_nodes(spec()["components"]), *spec()["x-external-rules"]]
