"""For every rule id of the spec, a create body that breaks it (and the control calls an external rule needs).

Found by search, judged by the emulator's own validator, so a body is listed only when the emulator really
answers that rule for it: each model's smallest valid body, then that body with one field (then two)
changed to values drawn from the spec itself (every limit plus and minus one, every enum value of any
route, over-long strings, lists one item too long) and a few of every JSON type. External rules (facts the
body cannot carry) pair a valid body with the declaration that breaks them. Computed once per spec, on
first use (about a second), never at start-up.
"""

from __future__ import annotations

import copy
import itertools
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from mockserver.spec.external_rules import ExternalRules
from mockserver.spec.validation import CreateValidator, rule_ids
from mockserver.state.facts import MediaFacts

PROMPT = "A red fox runs through fresh snow, tracking shot"
URLS = ("https://example.com/a.png", "https://example.com/a.mp4", "https://example.com/a.mp3", "asset://asset-1",
        "http://example.com/a.png", "ftp://example.com/a.png", "https://example.com/a", "not a url")
_BASE_EXTRAS: tuple[dict[str, Any], ...] = (
    {}, {"images": ["https://example.com/a.png"]}, {"images": ["asset://asset-1"]},
    {"first_image": "https://example.com/a.png"}, {"first_image": "asset://asset-1"},
)


@dataclass(frozen=True)
class RuleBody:
    """A body breaking `rule`; `controls` are (path, payload) control calls to make first; `only` when the
    body breaks no other rule."""

    rule: str
    body: Any
    controls: tuple[tuple[str, dict[str, Any]], ...] = ()
    only: bool = False
    model: str = ""


def _walk(node: Any) -> Iterator[dict[str, Any]]:
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, dict):
            yield current
            stack.extend(current.values())
        elif isinstance(current, list):
            stack.extend(current)


def _pool(spec: Mapping[str, Any]) -> list[Any]:
    """Values worth trying in any field, read from the spec's limits and enums."""
    values: list[Any] = [None, True, 0, -1, 5, 5.5, "5", "", "x", {}, [], [1], ["x"]]
    for url in URLS:
        values += [url, [url], [url, url]]
    for node in _walk(spec.get("components", {})):
        for key in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
            if isinstance(node.get(key), int | float) and not isinstance(node.get(key), bool):
                values += [node[key] - 1, node[key], node[key] + 1]
        if isinstance(node.get("maxLength"), int):
            values.append("x" * (node["maxLength"] + 1))
        if isinstance(node.get("maxItems"), int):
            for url in URLS[:4]:
                values.append([url.replace("/a.", f"/{i}.") for i in range(node["maxItems"] + 1)])
        for key in ("enum", "const"):
            found = node.get(key)
            for value in found if isinstance(found, list) else [found] if key in node else []:
                if isinstance(value, str | int) and value not in values:
                    values.append(value)
    unique: list[Any] = []
    for value in values:
        if not any(type(value) is type(seen) and value == seen for seen in unique):
            unique.append(value)
    return unique


def rule_sites(spec: Mapping[str, Any]) -> dict[str, tuple[dict[str, Any], set[str]]]:
    """Rule id -> (its first node with a quote or reason, the models whose family schema reaches it through
    `$ref`; empty = every model)."""
    schemas = spec["components"]["schemas"]
    sites: dict[str, tuple[dict[str, Any], set[str]]] = {}

    def visit(root: Any, models: set[str]) -> None:
        seen: set[str] = set()
        stack = [root]
        while stack:
            node = stack.pop()
            if isinstance(node, list):
                stack.extend(node)
                continue
            if not isinstance(node, dict):
                continue
            rule = node.get("x-rule")
            if isinstance(rule, str):
                found = sites.setdefault(rule, (node, set()))
                if not (found[0].get("x-quote") or found[0].get("x-reason")):
                    found = sites[rule] = (node, found[1])
                found[1].update(models)
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/components/schemas/") and ref not in seen:
                seen.add(ref)
                stack.append(schemas.get(ref.rsplit("/", 1)[-1]))
            stack.extend(v for k, v in node.items() if k != "$ref")

    for schema in schemas.values():
        if isinstance(schema, dict) and "x-family" in schema:
            visit(schema, {str(m) for m in schema.get("x-models", [])})
    visit(schemas["CreateVideoRequest"], set())
    for entry in spec.get("x-external-rules", []):
        sites.setdefault(str(entry["x-rule"]), (entry, {str(m) for m in entry.get("x-models", [])}))
    return sites


class _Search:
    def __init__(self, spec: Mapping[str, Any], validator: CreateValidator) -> None:
        self.validator = validator
        schemas = spec["components"]["schemas"]
        self.fields = [str(name) for name in schemas["CreateVideoRequest"].get("properties", {})]
        self.models = [str(m) for s in schemas.values() if isinstance(s, dict) and "x-family" in s
                       for m in s.get("x-models", [])]
        self.pool = _pool(spec)
        self.sites = rule_sites(spec)
        self.external = list(spec.get("x-external-rules", []))
        self.found: dict[str, RuleBody] = {}
        self._bases: dict[str, dict[str, Any] | None] = {}

    def base(self, model: str) -> dict[str, Any] | None:
        if model not in self._bases:
            self._bases[model] = None
            for duration, extra in itertools.product((5, 4, 6, 8, 10, 1, 12, 15), _BASE_EXTRAS):
                body = {"model": model, "prompt": PROMPT, "duration": duration, **extra}
                if not self.validator.violations(body):
                    self._bases[model] = body
                    break
        return self._bases[model]

    def judge(self, body: Any, model: str) -> None:
        ids = rule_ids(self.validator.violations(body))
        for rule in ids:
            known = self.found.get(rule)
            only = ids == [rule]
            if known is None or (only and not known.only):
                self.found[rule] = RuleBody(rule, copy.deepcopy(body), only=only, model=model)

    def _solved(self, rule: str) -> bool:
        found = self.found.get(rule)
        return found is not None and found.only

    def _candidates(self, node: dict[str, Any]) -> list[Any]:
        own = _pool({"components": node})  # the rule's own limits and enums first
        return [*own, *(v for v in self.pool if v not in own)]

    def bodies_for(self, rule: str) -> Iterator[tuple[dict[str, Any], str]]:
        node, models = self.sites[rule]
        fields = [str(f) for f in node.get("x-fields") or [] if f in self.fields] or self.fields
        candidates = self._candidates(node)
        for model in [m for m in self.models if not models or m in models][:4]:
            base = self.base(model)
            if base is None:
                continue
            for name in fields:
                yield {k: v for k, v in base.items() if k != name}, model
                for value in candidates:
                    yield {**base, name: value}, model
            valid_ish = [v for v in candidates if (isinstance(v, str) and v.startswith(("https://", "asset://")))
                         or (isinstance(v, list) and len(v) == 1 and isinstance(v[0], str))]
            for first, second in itertools.combinations(fields, 2):
                for a, b in itertools.product(valid_ish, repeat=2):
                    yield {**base, first: a, second: b}, model

    def run(self) -> dict[str, RuleBody]:
        not_objects: tuple[Any, ...] = ([], "a prompt")
        for not_object in not_objects:
            self.judge(not_object, "")
        for rule, (node, _) in self.sites.items():
            if node in self.external or (rule in self.found and self.found[rule].only):
                continue
            for body, model in self.bodies_for(rule):
                self.judge(body, model)
                if self._solved(rule):
                    break
        return self.found


def _external(rules: Mapping[str, Mapping[str, Any]], bases: Mapping[str, dict[str, Any]],
              checker: ExternalRules) -> dict[str, RuleBody]:
    """A valid body and the declaration that breaks each external rule (verified by the emulator's check)."""
    found: dict[str, RuleBody] = {}
    for rule, entry in rules.items():
        limits = entry.get("x-limit") or {}
        for model in entry.get("x-models", []):
            if rule in found or model not in bases:
                continue
            for name in entry.get("x-fields", []):
                url = "asset://asset-1" if rule == "FULL_ASSET_AUDIT" else (
                    "https://example.com/clip.mp4" if name == "reference_videos" else "https://example.com/a.png")
                body = {**bases[model], name: [url] if name in ("images", "reference_videos", "reference_audios")
                        else url}
                for other in ("images", "first_image", "last_image", "reference_videos", "reference_audios"):
                    if other != name:
                        body.pop(other, None)
                path, payload = _declaration(rule, limits, url)
                media = {url: MediaFacts.from_dict(payload)} if path == "/media" else {}
                audits = {url.removeprefix("asset://"): "rejected"} if path == "/assets" else {}
                if rule in rule_ids(checker.check(body, media, audits)):
                    found[rule] = RuleBody(rule, body, controls=((path, payload),), only=True, model=model)
                    break
    return found


def _declaration(rule: str, limits: Mapping[str, Any], url: str) -> tuple[str, dict[str, Any]]:
    if rule == "FULL_ASSET_AUDIT":
        return "/assets", {"asset_id": url.removeprefix("asset://"), "state": "rejected"}
    facts: dict[str, Any] = {"url": url, "reachable": True}
    if "max_combined_seconds" in limits:
        facts["duration"] = float(limits["max_combined_seconds"]) + 1
    elif "max_combined_bytes" in limits:
        facts["size"] = int(limits["max_combined_bytes"]) + 1
    elif "min_short_side_px" in limits:
        facts["width"] = facts["height"] = int(limits["min_short_side_px"]) - 2
    else:
        facts["reachable"] = False
    return "/media", facts


def rule_bodies(spec: Mapping[str, Any], validator: CreateValidator,
                external: Mapping[str, Mapping[str, Any]]) -> dict[str, RuleBody]:
    """Rule id -> a body (and control calls) that makes the emulator answer that rule."""
    search = _Search(spec, validator)
    found = {rule: body for rule, body in search.run().items() if rule not in external}
    bases = {m: b for m in search.models if (b := search.base(m)) is not None}
    found.update(_external(external, bases, ExternalRules(external)))
    return found
