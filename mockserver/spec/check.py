"""Start-up check of a spec given with `--spec`: one clear line (a ValueError) when it cannot drive the emulator."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import jsonschema_rs

REQUIRED_PATHS = ("/api/open-api/v1/seedance/videos", "/api/open-api/v1/videos/{task_id}")
REQUIRED_SCHEMAS = ("CreateVideoRequest", "ErrorEnvelope")


def _first_line(error: BaseException) -> str:
    return (str(error).strip().splitlines() or [type(error).__name__])[0][:200]


def check_spec(spec: Any, where: str) -> None:
    """Raise ValueError naming the first problem: not OpenAPI 3.x, a missing path or schema, a schema that
    does not compile (Draft 2020-12, local $refs resolved), or a family without models."""
    if not isinstance(spec, Mapping) or not str(spec.get("openapi", "")).startswith("3."):
        raise ValueError(f"{where}: not an OpenAPI 3.x document")
    paths = spec.get("paths")
    missing = [p for p in REQUIRED_PATHS if not isinstance(paths, Mapping) or p not in paths]
    if missing:
        raise ValueError(f"{where}: invalid spec: paths lacks {missing[0]}")
    schemas = spec.get("components", {}).get("schemas") if isinstance(spec.get("components"), Mapping) else None
    if not isinstance(schemas, Mapping):
        raise ValueError(f"{where}: invalid spec: no components/schemas")
    for name in REQUIRED_SCHEMAS:
        if name not in schemas:
            raise ValueError(f"{where}: invalid spec: components/schemas lacks {name}")
    for name, schema in schemas.items():
        if isinstance(schema, Mapping) and "x-family" in schema and not schema.get("x-models"):
            raise ValueError(f"{where}: invalid spec: components/schemas/{name} is a family without x-models")
    # One compile checks every schema: $defs holds them (so the meta-schema judges each one), anyOf reaches
    # each through its $ref (so every local $ref must resolve).
    for name, schema in schemas.items():
        if not isinstance(schema, Mapping | bool):
            raise ValueError(f"{where}: invalid spec: components/schemas/{name} is not a schema")
    root = {"$schema": "https://json-schema.org/draft/2020-12/schema", "$defs": dict(schemas),
            "components": spec["components"], "anyOf": [{"$ref": f"#/components/schemas/{n}"} for n in schemas]}
    try:
        jsonschema_rs.Draft202012Validator(root)
    except (jsonschema_rs.ValidationError, ValueError, TypeError) as exc:
        at = [str(p) for p in getattr(exc, "instance_path", None) or []]
        place = "components/schemas/" + "/".join(at[1:]) + ": " if at[:1] == ["$defs"] else ""
        raise ValueError(f"{where}: invalid spec: {place}{_first_line(exc)}") from None
