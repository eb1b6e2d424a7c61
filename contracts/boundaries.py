"""Concrete boundary bodies per rule: the exact edges every agreement run checks before generating.

Hypothesis only samples a rule's boundary (min-1 is one value among several), so a server or client with one
boundary moved by one would be found only most of the time. These bodies are fixed and derived from the same
failing keyword the strategies use: the spec's minimum - 1 and maximum + 1, maxItems + 1 items, maxLength + 1
characters, the value a `not` forbids, the near misses of an enum, a wrong URL scheme, the key removed...
One model of every family the rule applies to; each body is kept only if the spec oracle says it breaks
exactly that rule. Every limit also gets its valid side: bodies exactly at the bound, at the longest list,
at the longest prompt (in code points), with every enum value and every allowed scheme (`valid_edges`).
`noise_edges` adds bodies that break several rules or none: non-objects, `{}`, strings JSON cannot carry.
Enum edges include values outside every route's list; scheme edges include every scheme the spec excludes
(`http` among them).
"""

from __future__ import annotations

from typing import Any

from contracts.catalogue import Site
from contracts.edges import URL_EXT, body_level_edges, keyword_edges, plain_url
from contracts.profiles import ModelProfile, schemes_of
from contracts.strategies import BodyStrategies

ASTRAL = "\U0001f600"  # one code point, two UTF-16 units: the prompt limit counts code points
NOISE_BODIES: tuple[Any, ...] = ({}, [], [{}], "", "{}", 0, 4.5, True, None)


def base_body(profile: ModelProfile, mode: str | None) -> dict[str, Any]:
    """The smallest valid body of a model in a mode (text, images, frames or refs)."""
    body: dict[str, Any] = {"model": profile.model, "prompt": "A red fox runs through fresh snow",
                            "duration": int(max(profile.duration[0], min(5, profile.duration[1])))}
    if mode == "images":
        body["images"] = [plain_url(profile, "images")]
    elif mode == "frames":
        body["first_image"] = plain_url(profile, "first_image", "first")
        body["last_image"] = plain_url(profile, "last_image", "last")
    elif mode == "refs":
        for fld in ("reference_videos", "reference_audios"):
            if profile.supports(fld):
                body[fld] = [plain_url(profile, fld)]
    return body


class BoundaryBodies:
    """The fixed edge bodies of every rule, for one set of strategies (same spec, catalogue and oracle)."""

    def __init__(self, strategies: BodyStrategies, per_rule: int = 64) -> None:
        """Remember the strategies; `per_rule` caps how many bodies one rule gets."""
        self.strategies = strategies
        self.per_rule = per_rule

    def for_rule(self, rule_id: str) -> list[Any]:
        """Bodies that break exactly `rule_id` at its boundary, in a stable order, without duplicates."""
        rule = self.strategies.catalogue.rules[rule_id]
        oracle = self.strategies.oracle
        found: list[Any] = []
        for site in rule.sites:
            mode = self.strategies.mode_for(site)
            for model in self._one_model_per_family(site):
                profile = self.strategies.profiles.by_model[model]
                base = base_body(profile, mode if mode in profile.modes else None)
                if oracle.broken_rules(base):
                    continue  # no valid starting point for this model in that mode
                for body in self._mutations(site, base, profile):
                    if body not in found and oracle.broken_rules(body) == {rule_id}:
                        found.append(body)
        return found[: self.per_rule]

    def valid_bodies(self) -> list[dict[str, Any]]:
        """The smallest valid body of every model in every mode, each duration bound, and every rule's valid edges."""
        found: list[dict[str, Any]] = []
        for model in self.strategies.catalogue.all_models:
            profile = self.strategies.profiles.by_model[model]
            for mode in profile.modes:
                found.append(base_body(profile, mode))
            for bound in profile.duration:
                found.append({**base_body(profile, None), "duration": int(bound)})
            if "frames" in profile.modes:  # an empty list selects no mode, even in frame mode
                frames = base_body(profile, "frames")
                found += [{**frames, fld: []} for fld in ("reference_audios", "reference_videos")]
        for rule in self.strategies.breakable_rules:
            found += [b for b in self.valid_edges(rule) if b not in found]
        return [b for b in found if not self.strategies.oracle.broken_rules(b)]

    def valid_edges(self, rule_id: str) -> list[dict[str, Any]]:
        """Valid bodies at the rule's limit on every model it applies to (the side a loosened limit keeps)."""
        rule = self.strategies.catalogue.rules[rule_id]
        found: list[dict[str, Any]] = []
        for site in rule.sites:
            if site.field is None:
                continue
            mode = self.strategies.mode_for(site)
            for model in self.strategies.catalogue.all_models:
                if model not in site.models:
                    continue
                profile = self.strategies.profiles.by_model[model]
                base = base_body(profile, mode if mode in profile.modes else None)
                for value in self._limit_values(site.schema, site.field, profile):
                    body = {**base, site.field: value}
                    if body not in found and not self.strategies.oracle.broken_rules(body):
                        found.append(body)
        return found

    @staticmethod
    def noise_edges() -> list[Any]:
        """Bodies breaking several rules or none: non-objects, `{}`, unknown fields only, strings JSON cannot
        carry (a lone surrogate), and an emulator directive marker that is not a directive."""
        prompt = "A red fox runs through fresh snow"
        std = {"model": "seedance2.0-std", "prompt": prompt, "duration": 5}
        return [*NOISE_BODIES, {"unknown": 1}, {"model": "seedance2.0-std"}, {**std, "prompt": "fox \ud800"},
                {**std, "prompt": "fox [[seedance-mock:bogus]]"}, {**std, "x_\udc00": 1},
                {**std, "duration": 5.0}, {**std, "seed": None, "callback_url": "http://example.com/x"}]

    def _limit_values(self, schema: dict[str, Any], fld: str, p: ModelProfile) -> list[Any]:
        out: list[Any] = []
        out += [schema[k] for k in ("minimum", "maximum") if k in schema]
        if "maxItems" in schema:
            out.append([plain_url(p, fld, f"i{k}") for k in range(int(schema["maxItems"]))])
        if "maxLength" in schema:
            out += ["a" * int(schema["maxLength"]), ASTRAL * int(schema["maxLength"])]
        out += list(schema.get("enum", []))
        if "pattern" in schema:
            for scheme in schemes_of(str(schema["pattern"])):
                url = "asset://x" if scheme == "asset" else f"{scheme}://example.com/x{URL_EXT.get(fld, '.png')}"
                out.append([url] if fld in ("images", "reference_videos", "reference_audios") else url)
        return out

    def _one_model_per_family(self, site: Site) -> list[str]:
        chosen: dict[str | None, str] = {}
        for model in self.strategies.catalogue.all_models:
            if model in site.models:
                chosen.setdefault(self.strategies.profiles.by_model[model].family, model)
        return list(chosen.values())

    def _mutations(self, site: Site, base: dict[str, Any], p: ModelProfile) -> list[Any]:
        schema, fld = site.schema, site.field
        if fld is None:
            return body_level_edges(schema, base, p)
        values = self._edge_values(schema, fld, p)
        if site.in_items:
            values = [[v] for v in values]
        return [{**base, fld: v} for v in values]

    def _edge_values(self, schema: dict[str, Any], fld: str, p: ModelProfile) -> list[Any]:
        return [value for edges in keyword_edges(schema, fld, p, self.strategies.profiles)
                for value in edges.nearest]
