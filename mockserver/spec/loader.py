"""Locate and load the contract (openapi.yaml): repo top level first, then the copy the wheel ships."""

from __future__ import annotations

import functools
import importlib.resources
import sys
from pathlib import Path
from typing import Any

from mockserver.spec import spec_cache

SPEC_NAME = "openapi.yaml"


def spec_path() -> Path:
    """Return the path of openapi.yaml (repo top level, else `seedance_openapi/openapi.yaml` from the wheel)."""
    top = Path(__file__).resolve().parents[2] / SPEC_NAME
    if top.is_file():
        return top
    packaged = importlib.resources.files("seedance_openapi") / SPEC_NAME
    return Path(str(packaged))


@functools.lru_cache(maxsize=4)
def _load(path: str) -> dict[str, Any]:
    with open(path, "rb") as fh:
        raw = fh.read()
    loaded: Any = spec_cache.read(raw)  # the same bytes parsed by an earlier start: no PyYAML at all
    if loaded is None:
        loaded = _parse_yaml(raw.decode("utf-8"))
        if isinstance(loaded, dict):
            spec_cache.write(raw, loaded)
    if not isinstance(loaded, dict):
        raise ValueError(f"{path} is not an OpenAPI document")
    return loaded


def _parse_yaml(text: str) -> Any:
    import yaml  # ~15 ms to import: only when the spec is not in the cache (spec_cache.py)

    # libyaml's C loader when PyYAML has it: ~5x faster, a tenth of a second off every start-up.
    return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


def _is_yaml_error(exc: BaseException) -> bool:
    yaml = sys.modules.get("yaml")  # a YAML error means PyYAML was imported to raise it
    return yaml is not None and isinstance(exc, yaml.YAMLError)


def load_spec(path: str | Path | None = None) -> dict[str, Any]:
    """Load (and cache) the OpenAPI document as a dict. Callers must not mutate it."""
    return _load(str(path or spec_path()))


def family_models(spec: dict[str, Any]) -> dict[str, list[str]]:
    """Map each family name (x-family) to its model ids (x-models), as the spec's *_RULES schemas say."""
    families: dict[str, list[str]] = {}
    for schema in spec["components"]["schemas"].values():
        if isinstance(schema, dict) and "x-family" in schema:
            families[str(schema["x-family"])] = [str(m) for m in schema.get("x-models", [])]
    return families


def external_rules(spec: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Map rule id -> its `x-external-rules` entry (models, fields, limits)."""
    return {str(rule["x-rule"]): rule for rule in spec.get("x-external-rules", [])}


def billing_units(spec: dict[str, Any]) -> dict[str, str]:
    """Map each model id to its billing unit (`x-billing.unit` of its family: per_task, per_second,
    per_second_by_resolution)."""
    units: dict[str, str] = {}
    for schema in spec["components"]["schemas"].values():
        if isinstance(schema, dict) and isinstance(schema.get("x-billing"), dict):
            for model in schema.get("x-models", []):
                units[str(model)] = str(schema["x-billing"].get("unit", ""))
    return units


def load_checked_spec(path: str | Path) -> dict[str, Any]:
    """Load and check the spec at `path` (`--spec`): ValueError with one clear line when it cannot be used.
    Cached like `load_spec` (a spec that failed is read and checked again on the next call)."""
    return _load_checked(str(path))


@functools.lru_cache(maxsize=4)
def _load_checked(path: str) -> dict[str, Any]:
    # The check compiles every schema (~5 ms): once per process, as the load (a `--workers` worker forked
    # after the parent built its app finds both done).
    from mockserver.spec.check import check_spec

    try:
        spec = load_spec(path)
    except OSError as exc:
        raise ValueError(f"{path}: cannot read the spec ({exc.strerror or exc})") from None
    except Exception as exc:
        if not _is_yaml_error(exc):
            raise
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise ValueError(f"{path}: not valid YAML{where}: {getattr(exc, 'problem', None) or exc}") from None
    check_spec(spec, str(path))
    return spec

