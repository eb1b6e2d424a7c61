"""Hypothesis strategies built from the spec: valid bodies, rule breakers at the boundary, and noise.

Every breaker starts from a valid body of a model the rule applies to, changes the field the rule's site
names using the rule's own failing keyword (minimum/maximum -> min-1/max+1, maxItems -> max+1, enum -> a
near miss, pattern -> a wrong scheme, `not` -> what it forbids, required -> the key removed, type -> other
JSON types...), and is kept only if the spec oracle says it breaks exactly that rule.
"""

from __future__ import annotations

import re
from functools import cached_property, partial
from typing import Any

from hypothesis import strategies as st

from contracts.catalogue import Catalogue, Site
from contracts.edges import body_level_edges, forbidden_extensions, is_json_type, keep_alone, keyword_edges
from contracts.profiles import ASSET_LIST_FIELDS, FRAME_FIELDS, ModelProfile, Profiles
from contracts.verdicts import SpecOracle

JSON_SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-(10**6), 10**6),
                         st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=12))
JSON_VALUES = st.recursive(JSON_SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=8), inner, max_size=3)), max_leaves=8)
_ASCII_SPACE = " \t\n\x0b\x0c\r"
_HOSTS = st.sampled_from(["example.com", "cdn.test", "media.example.org", "a.b"])
_WORDS = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-_", min_size=1, max_size=10)


class BodyStrategies:
    """Strategies for one spec (catalogue + profiles + oracle)."""

    def __init__(self, catalogue: Catalogue | None = None, oracle: SpecOracle | None = None) -> None:
        """Prepare profiles for every model of the catalogue."""
        self.catalogue = catalogue or Catalogue.load()
        self.oracle = oracle or SpecOracle(self.catalogue.spec)
        self.profiles = Profiles(self.catalogue)

    # -- building blocks -------------------------------------------------------------------------
    def url(self, profile: ModelProfile, fld: str) -> st.SearchStrategy[str]:
        """A valid URL for this field on this model (scheme from the family pattern, neutral extension)."""
        schemes = profile.schemes.get(fld) or ("https",)
        if fld == "reference_videos":
            exts = st.sampled_from(["", *self.profiles.video_exts])
        elif fld == "reference_audios":
            exts = st.sampled_from(["", "mp3", "wav", "m4a"])
        else:
            exts = st.sampled_from(["", *self.profiles.image_exts])
        return st.builds(self._compose_url, st.sampled_from(schemes), _HOSTS, _WORDS, exts,
                         st.sampled_from(["", "?v=1", "#t"]))

    @staticmethod
    def _compose_url(scheme: str, host: str, word: str, ext: str, suffix: str) -> str:
        if scheme == "asset":
            return f"asset://{word}"
        return f"{scheme}://{host}/{word}" + (f".{ext}" if ext else "") + suffix

    def prompt(self, profile: ModelProfile) -> st.SearchStrategy[str]:
        """A non-blank prompt (any unicode but lone surrogates), sometimes exactly at the length limit."""
        texts = st.text(max_size=60).map(lambda s: s if s.strip(_ASCII_SPACE) else "a video of " + s)
        if profile.prompt_max is None:
            return texts
        return st.one_of(texts, texts, texts, st.just("视" * profile.prompt_max))

    def duration(self, profile: ModelProfile) -> st.SearchStrategy[int | float]:
        """A duration in range: any integer, the bounds, or an integral float (5.0 counts as integer)."""
        low, high = int(profile.duration[0]), int(profile.duration[1])
        return st.one_of(st.integers(low, high), st.sampled_from([low, high]),
                         st.integers(low, high).map(float))

    # -- valid bodies ----------------------------------------------------------------------------
    def valid_body(self, model: str | None = None, mode: str | None = None) -> st.SearchStrategy[dict[str, Any]]:
        """Bodies the spec accepts, for `model` (default: any of the 22) in `mode` (text/images/frames/refs)."""
        models = [model] if model else list(self.catalogue.all_models)
        return st.sampled_from(models).flatmap(lambda m: self._valid_for(m, mode)).filter(
            lambda body: not self.oracle.broken_rules(body))

    def _valid_for(self, model: str, mode: str | None) -> st.SearchStrategy[dict[str, Any]]:
        profile = self.profiles.by_model[model]
        modes = [mode] if mode in profile.modes else list(profile.modes)
        return st.sampled_from(modes).flatmap(lambda m: self._valid_in_mode(profile, m))

    def _valid_in_mode(self, p: ModelProfile, mode: str) -> st.SearchStrategy[dict[str, Any]]:
        @st.composite
        def build(draw: st.DrawFn) -> dict[str, Any]:
            body: dict[str, Any] = {"model": p.model, "prompt": draw(self.prompt(p)),
                                    "duration": draw(self.duration(p))}
            for fld, values in (("ratio", p.ratios), ("resolution", p.resolutions),
                                ("orientation", p.orientations)):
                wanted: bool = draw(st.booleans())
                if values and wanted:
                    body[fld] = draw(st.sampled_from(values))
            if mode == "images":
                body["images"] = draw(st.lists(self.url(p, "images"), min_size=1, max_size=p.max_items("images")))
            if mode == "frames":
                which = ["both"] if p.frames_both else ["first", "last", "both"]
                chosen = draw(st.sampled_from(which))
                if chosen in ("first", "both"):
                    body["first_image"] = draw(self.url(p, "first_image"))
                if chosen in ("last", "both"):
                    body["last_image"] = draw(self.url(p, "last_image"))
            if mode in ("refs", "frames"):
                for fld in ("reference_videos", "reference_audios"):
                    if p.supports(fld) and not (mode == "frames" and fld in p.frames_forbid):
                        low = 1 if mode == "refs" and fld == "reference_videos" else 0
                        body[fld] = draw(st.lists(self.url(p, fld), min_size=low, max_size=p.max_items(fld, 3)))
                if mode == "refs" and not any(body.get(f) for f in ASSET_LIST_FIELDS):
                    body["reference_audios"] = [draw(self.url(p, "reference_audios"))]
            # An empty list selects no mode (EMPTY_LIST_IS_ABSENT); unknown fields are ignored.
            if draw(st.booleans()):
                empty = draw(st.sampled_from(ASSET_LIST_FIELDS))
                body.setdefault(empty, [])
            if draw(st.integers(0, 4)) == 4:
                body[draw(st.sampled_from(["seed", "x_extra", "callback_url", "watermark"]))] = draw(JSON_SCALARS)
            return body

        return build()

    # -- rule breakers ---------------------------------------------------------------------------
    def breaking(self, rule_id: str) -> st.SearchStrategy[Any]:
        """Bodies that break exactly `rule_id` (the spec oracle says so), at the rule's boundary."""
        rule = self.catalogue.rules[rule_id]
        if not rule.sites:
            raise ValueError(f"{rule_id} needs facts outside the body; no body can break it alone")
        sites = list(rule.sites)
        return st.sampled_from(sites).flatmap(self._break_site).filter(
            lambda body: self.oracle.broken_rules(body) == {rule_id})

    @cached_property
    def breakable_rules(self) -> list[str]:
        """Every body rule id (the ones `breaking` accepts)."""
        return [r.id for r in self.catalogue.body_rules]

    def _break_site(self, site: Site) -> st.SearchStrategy[Any]:
        models = [m for m in self.catalogue.all_models if m in site.models]
        mode = self.mode_for(site)
        return st.sampled_from(models).flatmap(
            lambda m: st.tuples(self._valid_for(m, mode), st.just(self.profiles.by_model[m]))).flatmap(
            lambda pair: self._mutate(site, pair[0], pair[1]))

    @staticmethod
    def mode_for(site: Site) -> str | None:
        """The body mode (images, frames, refs, or None) a rule's site needs to be reachable."""
        needed: set[str] = set()
        for condition in site.conditions:
            needed |= set(condition.get("required", []))
            for branch in condition.get("anyOf", []):
                needed |= set(branch.get("required", []))
        if "images" in needed:
            return "images"
        if needed & set(FRAME_FIELDS) or site.field in FRAME_FIELDS or "dependentRequired" in site.schema:
            return "frames"
        if site.field == "images":
            return "images"
        if site.field in ("reference_videos", "reference_audios"):
            return "refs"
        return None

    def _mutate(self, site: Site, base: dict[str, Any], p: ModelProfile) -> st.SearchStrategy[Any]:
        schema, fld = site.schema, site.field
        options: list[st.SearchStrategy[Any]] = []
        if fld is None:
            options += self._body_level(schema, base, p)
        else:
            values = self._bad_values(schema, site, p)
            if values:
                bad = st.one_of(values)
                if site.in_items:
                    bad = st.tuples(st.lists(self.url(p, fld), max_size=2), bad).map(lambda t: [*t[0], t[1]])
                options.append(bad.map(lambda v: {**base, fld: v}))
        if not options:
            raise ValueError(f"no mutation known for {site.rule} at {fld}: {sorted(schema)}")
        return st.one_of(options)

    def _body_level(self, schema: dict[str, Any], base: dict[str, Any],
                    p: ModelProfile) -> list[st.SearchStrategy[Any]]:
        out: list[st.SearchStrategy[Any]] = []
        fixed = body_level_edges(schema, base, p)
        if fixed:
            out.append(st.sampled_from(fixed))
        if schema.get("type") == "object":
            out.append(JSON_VALUES.filter(lambda v: not isinstance(v, dict)))
        for key, deps in schema.get("dependentRequired", {}).items():
            # Keep `key`, drop what it depends on: the lone-frame case, with any valid URL.
            out.append(self.url(p, key).map(partial(keep_alone, base, key, tuple(deps))))
        inner = schema.get("not")
        if isinstance(inner, dict):
            keys = [k for branch in inner.get("anyOf", []) for k in branch.get("required", [])]
            if keys:
                subsets = st.sampled_from([[k] for k in keys] + [keys])
                out.append(subsets.flatmap(lambda ks: st.fixed_dictionaries(
                    {k: self.url(p, k) for k in ks}).map(lambda extra: {**base, **extra})))
        return out

    def _bad_values(self, schema: dict[str, Any], site: Site, p: ModelProfile) -> list[st.SearchStrategy[Any]]:
        fld = site.field or ""
        # Every value the fixed boundary bodies know, then random ones around them.
        out: list[st.SearchStrategy[Any]] = [
            st.sampled_from(edges.values) for edges in keyword_edges(schema, fld, p, self.profiles)]
        if "type" in schema:
            out.append(JSON_VALUES.filter(lambda v: not is_json_type(v, schema["type"])))
        if "maxItems" in schema:
            limit = int(schema["maxItems"])
            out.append(st.integers(limit + 1, limit + 3).flatmap(
                lambda n: st.lists(self.url(p, fld), min_size=n, max_size=n)))
        inner = schema.get("not")
        exts = forbidden_extensions(self.profiles, str(inner["pattern"])) if isinstance(inner, dict) and (
            "pattern" in inner) else []
        if exts:
            out.append(st.builds(self._forbidden_extension, self.url(p, fld), st.sampled_from(exts),
                                 st.sampled_from(["lower", "upper", "title"]),
                                 st.sampled_from(["", "?x=1", "#frag"])))
        return out

    @staticmethod
    def _forbidden_extension(url: str, ext: str, case: str, suffix: str) -> str:
        stem = re.split(r"[?#]", url, maxsplit=1)[0]
        stem = stem.rsplit(".", 1)[0] if "." in stem.rsplit("/", 1)[-1] else stem
        ext = {"lower": ext.lower(), "upper": ext.upper(), "title": ext.title()}[case]
        return f"{stem}.{ext}{suffix}"

    # -- noise -----------------------------------------------------------------------------------
    def noise(self) -> st.SearchStrategy[Any]:
        """Wrong types, non-objects, unicode, huge numbers, long strings and unknown fields."""
        valid = self.valid_body()
        fields = ["model", "prompt", "duration", "ratio", "resolution", "orientation", *ASSET_LIST_FIELDS,
                  *FRAME_FIELDS]
        replace_field = st.tuples(valid, st.sampled_from(fields), JSON_VALUES).map(
            lambda t: {**t[0], t[1]: t[2]})
        huge = st.tuples(valid, st.sampled_from(["duration", "ratio", "images"]), st.one_of(
            st.integers(min_value=10**15, max_value=10**40), st.floats(min_value=1e15, max_value=1e308),
            st.integers(max_value=-(10**15), min_value=-(10**40)))).map(lambda t: {**t[0], t[1]: t[2]})
        long_text = st.tuples(valid, st.sampled_from(["prompt", "ratio", "model", "first_image"]),
                              st.integers(1000, 20000), st.sampled_from(["a", "视", "😀", " "])).map(
            lambda t: {**t[0], t[1]: t[3] * t[2]})
        unicode_text = st.tuples(valid, st.sampled_from(["prompt", "ratio", "model", "resolution"]),
                                 st.text(min_size=1, max_size=30)).map(lambda t: {**t[0], t[1]: t[2]})
        unknown = st.tuples(valid, st.dictionaries(
            st.text(min_size=1, max_size=12).filter(lambda k: k not in fields), JSON_VALUES, max_size=3)).map(
            lambda t: {**t[1], **t[0]})
        dropped = st.tuples(valid, st.sets(st.sampled_from(fields), max_size=4)).map(
            lambda t: {k: v for k, v in t[0].items() if k not in t[1]})
        return st.one_of(JSON_VALUES, st.dictionaries(st.text(max_size=10), JSON_VALUES, max_size=5),
                         replace_field, huge, long_text, unicode_text, unknown, dropped)

    def any_body(self) -> st.SearchStrategy[Any]:
        """A mix of valid bodies, every rule's breakers, and noise."""
        breakers = [self.breaking(r) for r in self.breakable_rules]
        return st.one_of(self.valid_body(), st.one_of(breakers), self.noise())
