"""The create-body validator, compiled once from openapi.yaml; maps schema errors to rule ids via `x-rule`."""

from __future__ import annotations

import itertools
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import jsonschema_rs

if TYPE_CHECKING:
    import jsonschema  # type: ignore[import-untyped,unused-ignore]

log = logging.getLogger(__name__)

BODY_OBJECT = "BODY_OBJECT"
_MESSAGE_MAX = 240
# The spec's largest maxItems is 9: past this many items an array breaks the same rules whatever follows,
# so the slow, all-errors pass judges a copy cut to this length (a 500,000-item array cost 20 s before).
MAX_JUDGED_ITEMS = 32
# Fallback when an error carries no x-rule: it cannot happen with the shipped spec (a test checks it),
# but a hand-edited spec must still give an answer in the envelope rather than a 500.
UNMAPPED_RULE = "SCHEMA_VIOLATION"


@dataclass(frozen=True)
class Violation:
    """One broken rule: its id, the top-level field concerned ('' for the body) and a human message."""

    rule: str
    field: str
    message: str

    def as_dict(self) -> dict[str, str]:
        """The `data.violations[]` item of the error envelope."""
        return {"rule": self.rule, "field": self.field, "message": self.message}


def _short(text: str) -> str:
    return text if len(text) <= _MESSAGE_MAX else text[: _MESSAGE_MAX - 1] + "…"


def _missing_property(error: jsonschema.ValidationError) -> str | None:
    instance = error.instance
    if not isinstance(instance, dict):
        return None
    if error.validator == "required":
        for name in error.validator_value:
            if name not in instance:
                return str(name)
    if error.validator == "dependentRequired":
        for present, needed in error.validator_value.items():
            if present in instance:
                for name in needed:
                    if name not in instance:
                        return str(name)
    return None


def _describe(error: jsonschema.ValidationError, field: str, schema: Mapping[str, Any]) -> str:
    """A readable message: what is wrong and the rule's own justification (quote or reason)."""
    if error.validator == "not" and not error.absolute_path:
        what = f"{field or 'the body'}: this combination of fields is not allowed"
    elif error.validator == "not":
        what = f"{field or 'the body'}: value {_short(repr(error.instance))[:60]} is not allowed here"
    elif error.validator == "pattern":
        what = f"{field}: {_short(repr(error.instance))[:60]} does not match {error.validator_value}"
    else:
        what = f"{field}: {error.message}" if field else error.message
    why = schema.get("x-quote") or schema.get("x-reason")
    return f"{what} ({why})" if isinstance(why, str) else what


class CreateValidator:
    """Judges create bodies against `CreateVideoRequest` of the spec (Draft 2020-12)."""

    def __init__(self, spec: Mapping[str, Any]) -> None:
        self._schema: dict[str, Any] = {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "$ref": "#/components/schemas/CreateVideoRequest",
            "components": spec["components"],
        }
        self._fast = jsonschema_rs.Draft202012Validator(self._schema)
        self._fields = frozenset(spec["components"]["schemas"]["CreateVideoRequest"].get("properties", {}))
        self._full_validator: Any = None

    @property
    def _full(self) -> Any:
        # Python jsonschema only names the broken rules of rejected bodies: loaded on the first one, not at
        # start-up (its import costs a twentieth of a second).
        if self._full_validator is None:
            import jsonschema

            self._full_validator = jsonschema.Draft202012Validator(self._schema)
        return self._full_validator

    def is_valid(self, body: Any) -> bool:
        """Fast path (jsonschema-rs); falls back to Python jsonschema for values Rust cannot take."""
        try:
            return bool(self._fast.is_valid(body))
        except (ValueError, OverflowError, UnicodeError, TypeError):
            return not any(True for _ in self._full.iter_errors(body))

    def violations(self, body: Any) -> list[Violation]:
        """Every broken rule of `body` (empty when valid), one per (rule, field), in discovery order."""
        if not isinstance(body, dict):
            return [Violation(BODY_OBJECT, "", "the body must be a JSON object")]
        if len(body) > MAX_JUDGED_ITEMS or any(isinstance(v, list | dict) for v in body.values()):
            body = bounded(body, keep=self._fields)  # only bodies with containers can be costly to judge
        if self.is_valid(body):
            return []
        found: list[Violation] = []
        seen: set[tuple[str, str]] = set()
        for error in self._full.iter_errors(body):
            violation = self._to_violation(error, body)
            key = (violation.rule, violation.field)
            if key not in seen:
                seen.add(key)
                found.append(violation)
        return found

    @staticmethod
    def _to_violation(error: jsonschema.ValidationError, body: dict[str, Any]) -> Violation:
        schema = error.schema if isinstance(error.schema, dict) else {}
        rule = schema.get("x-rule")
        if not isinstance(rule, str):
            log.error("schema error without x-rule at %s: %s", list(error.absolute_schema_path), error.message)
            rule = UNMAPPED_RULE
        field: str | None = None
        if error.absolute_path:
            field = str(error.absolute_path[0])
        if field is None:
            field = _missing_property(error)
        if field is None:
            fields = schema.get("x-fields") or []
            field = next((str(f) for f in fields if f in body), "")
        return Violation(rule, field, _short(_describe(error, field, schema)))


def bounded(value: Any, depth: int = 0, keep: frozenset[str] = frozenset()) -> Any:
    """`value` with every array (and nested object) cut to MAX_JUDGED_ITEMS items: the rules broken stay
    the same, and the all-errors pass costs milliseconds whatever the body holds."""
    if isinstance(value, list):
        items = value[:MAX_JUDGED_ITEMS]
        return [bounded(v, depth + 1) for v in items] if depth < 64 else items
    if isinstance(value, dict) and depth < 64:
        # Unknown fields are ignored by the spec and nested objects only type-checked: a few keys tell the
        # same story as 60,000 (the named fields are always kept).
        names: Iterable[str] = value
        if len(value) > MAX_JUDGED_ITEMS:
            others = itertools.islice((k for k in value if k not in keep), MAX_JUDGED_ITEMS)
            names = [*(k for k in keep if k in value), *others]
        return {k: bounded(value[k], depth + 1) for k in names}
    return value


def rule_ids(violations: list[Violation]) -> list[str]:
    """The distinct rule ids of `violations`, in order."""
    return list(dict.fromkeys(v.rule for v in violations))
