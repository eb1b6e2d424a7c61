"""The rule catalogue: every `x-rule` of openapi.yaml with its source, quote/reason, fields and models.

Walking `CreateVideoRequest` (through `$ref`, `allOf`, `properties`, `items` and `if`/`then`) finds every
*site* where a rule's subschema is applied: which top-level field, whether to the list's items, under
which extra conditions, and for which models (the `if: {properties: {model: {enum}}}` branch whose
`then` reaches a family schema `<FAM>_RULES`). The strategies build bodies from these sites.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from contracts.spec import CREATE_SCHEMA, load_spec, ref_name, schemas


@dataclass(frozen=True)
class Site:
    """One place where a rule's subschema is applied to the create body."""

    rule: str
    schema_name: str
    field: str | None  # top-level body field, None for the body itself
    in_items: bool  # applied to each item of the list in `field`
    conditions: tuple[dict[str, Any], ...]  # `if` schemas (other than model selection) that must hold
    models: frozenset[str]
    family: str | None
    schema: dict[str, Any]  # the rule's own subschema (its failing keyword lives here)


@dataclass(frozen=True)
class Rule:
    """One rule id as the spec describes it."""

    id: str
    source: str  # "documented" or "assumed"
    quote: str | None
    reason: str | None
    assumed: str | None
    fields: tuple[str, ...]
    models: tuple[str, ...]
    families: tuple[str, ...]
    external: bool = False
    sites: tuple[Site, ...] = field(default=(), repr=False)

    @property
    def is_global(self) -> bool:
        """True for a rule judged on every body whatever the model."""
        return not self.families and not self.external

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready description (what `seedance-contracts rules --json` prints)."""
        return {
            "id": self.id,
            "source": self.source,
            "quote": self.quote,
            "reason": self.reason,
            "assumed": self.assumed,
            "fields": list(self.fields),
            "families": list(self.families),
            "models": list(self.models),
            "external": self.external,
        }


@dataclass(frozen=True)
class _Context:
    field: str | None
    in_items: bool
    conditions: tuple[dict[str, Any], ...]
    models: frozenset[str]
    family: str | None


def _model_enum(condition: dict[str, Any]) -> list[str] | None:
    model = condition.get("properties", {}).get("model", {})
    enum = model.get("enum") if isinstance(model, dict) else None
    return list(enum) if isinstance(enum, list) else None


class Catalogue:
    """All rules of a spec, with the models and families they apply to."""

    def __init__(self, spec: dict[str, Any]) -> None:
        """Build the catalogue from a loaded spec document."""
        self.spec = spec
        self.schemas = schemas(spec)
        self.all_models: tuple[str, ...] = tuple(self._model_enum_of_known())
        self.families: dict[str, tuple[str, ...]] = {
            str(s["x-family"]): tuple(s.get("x-models", []))
            for s in self.schemas.values()
            if isinstance(s, dict) and "x-family" in s
        }
        self.sites: list[Site] = []
        root = _Context(None, False, (), frozenset(self.all_models), None)
        self._walk({"$ref": f"#/components/schemas/{CREATE_SCHEMA}"}, root, CREATE_SCHEMA)
        self.rules: dict[str, Rule] = {}
        self._collect_body_rules()
        self._collect_external_rules()

    @classmethod
    def load(cls, path: str | Path | None = None) -> Catalogue:
        """The catalogue of the spec at `path` (default: the located openapi.yaml)."""
        return cls(load_spec(path))

    def _model_enum_of_known(self) -> list[str]:
        for schema in self.schemas.values():
            if isinstance(schema, dict) and schema.get("x-rule") == "MODEL_KNOWN":
                return list(schema["enum"])
        raise ValueError("spec has no MODEL_KNOWN rule listing the models")

    def _walk(self, node: Any, ctx: _Context, name: str) -> None:
        if not isinstance(node, dict):
            return
        target = ref_name(node)
        if target is not None:
            schema = self.schemas[target]
            if isinstance(schema, dict) and "x-family" in schema:
                ctx = replace(ctx, family=str(schema["x-family"]),
                              models=ctx.models & frozenset(schema.get("x-models", [])))
            self._walk(schema, ctx, target)
            return
        if "x-rule" in node:
            self.sites.append(Site(str(node["x-rule"]), name, ctx.field, ctx.in_items, ctx.conditions,
                                   ctx.models, ctx.family, node))
        for sub in node.get("allOf", []):
            self._walk(sub, ctx, name)
        for prop, sub in node.get("properties", {}).items():
            self._walk(sub, replace(ctx, field=prop if ctx.field is None else ctx.field), name)
        if "items" in node:
            self._walk(node["items"], replace(ctx, in_items=True), name)
        if "then" in node:
            condition = node.get("if", {})
            enum = _model_enum(condition)
            if enum is not None:
                # A model selector: narrows the models, it is not a condition on the body's shape.
                self._walk(node["then"], replace(ctx, models=ctx.models & frozenset(enum)), name)
            else:
                self._walk(node["then"], replace(ctx, conditions=(*ctx.conditions, condition)), name)

    def _ordered(self, models: set[str] | frozenset[str]) -> tuple[str, ...]:
        return tuple(m for m in self.all_models if m in models)

    def _collect_body_rules(self) -> None:
        by_rule: dict[str, list[Site]] = {}
        for site in self.sites:
            by_rule.setdefault(site.rule, []).append(site)
        for rule_id, sites in by_rule.items():
            first = sites[0].schema
            models: set[str] = set()
            fields: list[str] = []
            for site in sites:
                models |= site.models
                for f in site.schema.get("x-fields", []):
                    if f not in fields:
                        fields.append(str(f))
            families = tuple(dict.fromkeys(s.family for s in sites if s.family is not None))
            self.rules[rule_id] = Rule(
                id=rule_id, source=str(first.get("x-source", "")), quote=first.get("x-quote"),
                reason=first.get("x-reason"), assumed=first.get("x-assumed"), fields=tuple(fields),
                models=self._ordered(models), families=families, sites=tuple(sites))

    def _collect_external_rules(self) -> None:
        for entry in self.spec.get("x-external-rules", []) or []:
            rule_id = str(entry["x-rule"])
            families = tuple(f for f, ms in self.families.items() if set(ms) & set(entry.get("x-models", [])))
            self.rules[rule_id] = Rule(
                id=rule_id, source=str(entry.get("x-source", "")), quote=entry.get("x-quote"),
                reason=entry.get("x-reason"), assumed=entry.get("x-assumed"),
                fields=tuple(entry.get("x-fields", [])),
                models=self._ordered(set(entry.get("x-models", self.all_models))), families=families,
                external=True)

    @property
    def body_rules(self) -> list[Rule]:
        """Rules judged from the body alone (what the agreement property exercises)."""
        return [r for r in self.rules.values() if not r.external]

    @property
    def external_rules(self) -> list[Rule]:
        """Rules that need facts outside the body (emulator-only)."""
        return [r for r in self.rules.values() if r.external]

    def family_of(self, model: str) -> str | None:
        """The family a model id belongs to (None for an unknown id)."""
        for fam, models in self.families.items():
            if model in models:
                return fam
        return None

    def sites_for(self, model: str | None) -> list[Site]:
        """Every site that applies to a body with this model (global sites for None)."""
        return [s for s in self.sites if (model in s.models) or (model is None and s.family is None)]

    def to_json(self) -> str:
        """The catalogue as a JSON array."""
        return json.dumps([r.as_dict() for r in self.rules.values()], indent=2, ensure_ascii=False)

    def to_table(self) -> str:
        """The catalogue as a plain-text table: id, D/A, models, quote or reason."""
        lines = [f"{'RULE':<30} {'SRC':<3} {'MODELS':<24} QUOTE / REASON"]
        for rule in self.rules.values():
            src = "D" if rule.source == "documented" else "A"
            if rule.external:
                src += "*"
            if rule.is_global:
                scope = f"all {len(self.all_models)}"
            else:
                scope = ",".join(rule.families) + f" ({len(rule.models)})"
            text = rule.quote if rule.source == "documented" else rule.reason
            lines.append(f"{rule.id:<30} {src:<3} {scope:<24} {(text or '').strip()}")
        lines.append("D = documented, A = assumed, * = needs facts outside the body (emulator only)")
        return "\n".join(lines)
