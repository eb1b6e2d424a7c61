"""Locate and load openapi.yaml (explicit path, source checkout, or the wheel's seedance_openapi data)."""

from __future__ import annotations

import importlib.resources
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

CREATE_PATH = "/api/open-api/v1/seedance/videos"
QUERY_PATH = "/api/open-api/v1/videos/{task_id}"
CREATE_SCHEMA = "CreateVideoRequest"
# libyaml's safe loader when PyYAML was built with it (~7x faster on this spec), else the pure-Python one.
SAFE_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def locate_spec(path: str | Path | None = None) -> Path:
    """Return the openapi.yaml to read: `path` if given, else the checkout's, else the wheel's copy."""
    if path is not None:
        explicit = Path(path)
        if not explicit.is_file():
            raise FileNotFoundError(f"spec not found: {explicit}")
        return explicit
    checkout = Path(__file__).resolve().parent.parent / "openapi.yaml"
    if checkout.is_file():
        return checkout
    shipped = importlib.resources.files("seedance_openapi") / "openapi.yaml"
    # The wheel installs it as a plain file, so the traversable maps to a real path.
    return Path(str(shipped))


@lru_cache(maxsize=8)
def _load_cached(resolved: str) -> dict[str, Any]:
    with open(resolved, encoding="utf-8") as handle:
        document = yaml.load(handle, Loader=SAFE_LOADER)
    if not isinstance(document, dict):
        raise ValueError(f"{resolved} is not an OpenAPI document")
    return document


def load_spec(path: str | Path | None = None) -> dict[str, Any]:
    """Parse the spec (cached per file; callers must not mutate the result)."""
    return _load_cached(str(locate_spec(path).resolve()))


def schemas(spec: dict[str, Any]) -> dict[str, Any]:
    """The `components/schemas` mapping of a loaded spec."""
    found = spec.get("components", {}).get("schemas", {})
    if not isinstance(found, dict):
        raise ValueError("spec has no components/schemas")
    return found


def resolve(spec: dict[str, Any], node: Any) -> Any:
    """Follow a local `#/components/schemas/X` $ref (once per hop) and return the target."""
    while isinstance(node, dict) and "$ref" in node:
        ref = node["$ref"]
        prefix = "#/components/schemas/"
        if not isinstance(ref, str) or not ref.startswith(prefix):
            raise ValueError(f"unsupported $ref {ref!r}")
        node = schemas(spec)[ref[len(prefix):]]
    return node


def ref_name(node: Any) -> str | None:
    """The component name a `{$ref: ...}` node points to, or None."""
    if isinstance(node, dict) and isinstance(node.get("$ref"), str):
        return str(node["$ref"]).rsplit("/", 1)[-1]
    return None
