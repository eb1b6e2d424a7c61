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

import re
from typing import Any

from contracts.catalogue import Site
from contracts.profiles import ModelProfile, schemes_of
from contracts.strategies import BodyStrategies, is_json_type

_EXT = {"reference_videos": ".mp4", "reference_audios": ".mp3"}
_OTHER_TYPES: tuple[Any, ...] = (None, True, 7, "7", [], {})
# Values no route accepts, per field: a loosened enum must meet one of them.
FOREIGN_VALUES: dict[str, tuple[str, ...]] = {
    "ratio": ("3:2", "5:4", "2:1", "ADAPTIVE", "auto"), "resolution": ("2k", "4k", "360p", "1440p"),
    "orientation": ("square", "auto"), "model": ("seedance2.0-pro", "sd2_mx_8k", "seedance-1.0"),
}
ASTRAL = "\U0001f600"  # one code point, two UTF-16 units: the prompt limit counts code points
NOISE_BODIES: tuple[Any, ...] = ({}, [], [{}], "", "{}", 0, 4.5, True, None)


def plain_url(profile: ModelProfile, fld: str, word: str = "x") -> str:
    """A deterministic valid URL for this field on this model."""
    scheme = (profile.schemes.get(fld) or ("https",))[0]
    if scheme == "asset":
        return f"asset://{word}"
    return f"{scheme}://example.com/{word}{_EXT.get(fld, '.png')}"


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
                if oracle.rule_ids(base):
                    continue  # no valid starting point for this model in that mode
                for body in self._mutations(site, base, profile):
                    if body not in found and oracle.rule_ids(body) == {rule_id}:
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
        return [b for b in found if not self.strategies.oracle.rule_ids(b)]

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
                    if body not in found and not self.strategies.oracle.rule_ids(body):
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
                url = "asset://x" if scheme == "asset" else f"{scheme}://example.com/x{_EXT.get(fld, '.png')}"
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
            return self._body_level(schema, base, p)
        values = self._edge_values(schema, fld, p)
        if site.in_items:
            values = [[v] for v in values]
        return [{**base, fld: v} for v in values]

    def _body_level(self, schema: dict[str, Any], base: dict[str, Any], p: ModelProfile) -> list[Any]:
        out: list[Any] = []
        if schema.get("type") == "object":
            out += [[base], [], "", 0, None, True, 4.5, "{}", [{}]]
        out += [{k: v for k, v in base.items() if k != key} for key in schema.get("required", [])]
        for key, deps in schema.get("dependentRequired", {}).items():
            alone = {k: v for k, v in base.items() if k not in deps}
            alone.setdefault(key, plain_url(p, key))
            out.append(alone)
        inner = schema.get("not")
        if isinstance(inner, dict):
            for branch in inner.get("anyOf", []):
                for key in branch.get("required", []):
                    out.append({**base, key: plain_url(p, key)})
        return out

    def _edge_values(self, schema: dict[str, Any], fld: str, p: ModelProfile) -> list[Any]:
        strategies = self.strategies
        out: list[Any] = []
        if "minimum" in schema:
            out.append(schema["minimum"] - 1)
        if "maximum" in schema:
            out.append(schema["maximum"] + 1)
        if "maxItems" in schema:
            out.append([plain_url(p, fld, f"i{k}") for k in range(int(schema["maxItems"]) + 1)])
        if "maxLength" in schema:
            out.append("a" * (int(schema["maxLength"]) + 1))
        if "enum" in schema:
            allowed = [str(v) for v in schema["enum"]]
            misses = strategies.near_misses(fld, allowed)
            # Values other routes accept first ("adaptive" on STD), then values no route accepts ("3:2").
            known = strategies.profiles.field_values.get(fld, set())
            out += sorted((m for m in misses if m in known), key=str)
            out += [v for v in FOREIGN_VALUES.get(fld, ()) if v not in allowed]
            out += sorted(m for m in misses if m not in known)[:6]
        if "pattern" in schema:
            pattern = str(schema["pattern"])
            # Every excluded scheme (http, ftp, asset...), then malformed URLs.
            out += [m for m in strategies.pattern_misses(fld, pattern, p) if re.search(pattern, m) is None][:12]
        inner = schema.get("not")
        if isinstance(inner, dict):
            if "const" in inner:
                out.append(inner["const"])
            if "pattern" in inner:
                forbidden = str(inner["pattern"])
                exts = [e for e in (*strategies.profiles.video_exts, *strategies.profiles.image_exts)
                        if re.search(forbidden, f"https://example.com/x.{e}")]
                out += [f"https://example.com/x.{e}" for e in exts[:2]]
                out += [f"https://example.com/x.{e.upper()}?a=1" for e in exts[:2]]
        if "type" in schema:
            out += [v for v in _OTHER_TYPES if not is_json_type(v, schema["type"])][:2]
        return out

