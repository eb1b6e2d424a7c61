"""What each model accepts, read from the catalogue's sites (bounds, enums, schemes, modes).

Nothing here lists rule ids or limits by hand: durations come from `minimum`/`maximum`, ratios from the
family's `enum`, list limits from `maxItems`, URL schemes and file extensions are parsed from `pattern`s.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from contracts.catalogue import Catalogue, Site

ASSET_LIST_FIELDS = ("images", "reference_videos", "reference_audios")
FRAME_FIELDS = ("first_image", "last_image")
ASSET_FIELDS = (*ASSET_LIST_FIELDS, *FRAME_FIELDS)


def schemes_of(pattern: str) -> tuple[str, ...]:
    """The URL schemes a `^scheme://...` or `^(?:a|b)://...` pattern accepts."""
    match = re.match(r"\^(?:\(\?:([A-Za-z|]+)\)|([A-Za-z]+))://", pattern)
    if not match:
        return ()
    return tuple((match.group(1) or match.group(2)).split("|"))


def extensions_of(pattern: str) -> tuple[str, ...]:
    r"""The lower-case extensions of a `\.(?:[jJ][pP][eE]?[gG]|...)` group: jpg, jpeg, ..."""
    match = re.search(r"\\\.\(\?:(.*?)\)\(", pattern)
    if not match:
        return ()
    found: list[str] = []
    for alternative in match.group(1).split("|"):
        stems = [""]
        for klass, opt_k, char, opt_c in re.findall(r"\[(.)[^\]]*\](\??)|([^\[\]?])(\??)", alternative):
            unit = (klass or char).lower()
            optional = bool(opt_k or opt_c)
            stems = [s + unit for s in stems] + (stems if optional else [])
        found.extend(stems)
    return tuple(dict.fromkeys(found))


def _requires(condition: dict[str, Any]) -> set[str]:
    keys = set(condition.get("required", []))
    for branch in condition.get("anyOf", []):
        keys |= set(branch.get("required", []))
    return keys


def _not_required_keys(schema: dict[str, Any]) -> set[str]:
    inner = schema.get("not", {})
    return _requires(inner) if isinstance(inner, dict) else set()


@dataclass
class ModelProfile:
    """What a valid body for one model may contain."""

    model: str
    family: str | None
    duration: tuple[float, float] = (float("-inf"), float("inf"))
    ratios: tuple[str, ...] = ()
    resolutions: tuple[str, ...] = ()
    orientations: tuple[str, ...] = ()
    prompt_max: int | None = None
    list_max: dict[str, int] = field(default_factory=dict)
    schemes: dict[str, tuple[str, ...]] = field(default_factory=dict)
    frames_allowed: bool = True
    frames_both: bool = False
    frames_forbid: set[str] = field(default_factory=set)  # list fields that must be empty in frame mode

    def supports(self, list_field: str) -> bool:
        """True when the list field may be non-empty at all."""
        return self.list_max.get(list_field, 1) > 0

    def max_items(self, list_field: str, cap: int = 9) -> int:
        """The longest valid list (capped, to keep bodies small)."""
        return min(self.list_max.get(list_field, cap), cap)

    @property
    def modes(self) -> tuple[str, ...]:
        """Body shapes a valid body can take on this model."""
        modes = ["text"]
        if self.supports("images"):
            modes.append("images")
        if self.frames_allowed:
            modes.append("frames")
        if self.supports("reference_videos") or self.supports("reference_audios"):
            modes.append("refs")
        return tuple(modes)


class Profiles:
    """Model profiles and the URL vocabulary of a catalogue."""

    def __init__(self, catalogue: Catalogue) -> None:
        """Derive every model's profile from the catalogue's sites."""
        self.catalogue = catalogue
        self.image_exts: tuple[str, ...] = ()
        self.video_exts: tuple[str, ...] = ()
        self.all_schemes: set[str] = set()
        self.field_values: dict[str, set[str]] = {}  # every enum/const string the spec names per field
        for site in catalogue.sites:
            self._learn_vocabulary(site)
        self.by_model = {m: self._profile(m) for m in catalogue.all_models}

    def _learn_vocabulary(self, site: Site) -> None:
        schema = site.schema
        inner = schema.get("not", {})
        if isinstance(inner, dict) and "pattern" in inner:
            exts = extensions_of(str(inner["pattern"]))
            # A `not` on reference_videos forbids image extensions; on images, video extensions.
            if site.field == "reference_videos":
                self.image_exts = exts
            elif site.field == "images":
                self.video_exts = exts
        if "pattern" in schema:
            self.all_schemes |= set(schemes_of(str(schema["pattern"])))
        if site.field is not None:
            values = list(schema.get("enum", []))
            if isinstance(inner, dict) and "const" in inner:
                values.append(inner["const"])
            self.field_values.setdefault(site.field, set()).update(v for v in values if isinstance(v, str))

    def _profile(self, model: str) -> ModelProfile:
        profile = ModelProfile(model, self.catalogue.family_of(model))
        low, high = float("-inf"), float("inf")
        for site in self.catalogue.sites_for(model):
            schema, fld = site.schema, site.field
            if fld == "duration":
                low = max(low, float(schema.get("minimum", low)))
                high = min(high, float(schema.get("maximum", high)))
            if fld == "ratio" and "enum" in schema and site.family is not None:
                profile.ratios = tuple(schema["enum"])
            if fld == "resolution" and "enum" in schema:
                profile.resolutions = tuple(schema["enum"])
            if fld == "orientation" and "enum" in schema:
                profile.orientations = tuple(schema["enum"])
            if fld == "prompt" and "maxLength" in schema:
                profile.prompt_max = int(schema["maxLength"])
            if fld in ASSET_LIST_FIELDS and "maxItems" in schema and not site.in_items:
                if site.conditions:
                    if any(_requires(c) & set(FRAME_FIELDS) for c in site.conditions):
                        profile.frames_forbid.add(fld)
                else:
                    profile.list_max[fld] = min(profile.list_max.get(fld, 10**9), int(schema["maxItems"]))
            if fld in ASSET_FIELDS and "pattern" in schema:
                profile.schemes[fld] = schemes_of(str(schema["pattern"]))
            if fld is None and not site.conditions and _not_required_keys(schema) & set(FRAME_FIELDS):
                profile.frames_allowed = False
            if fld is None and "dependentRequired" in schema:
                profile.frames_both = True
        excluded = {s.schema["not"]["const"] for s in self.catalogue.sites_for(model)
                    if s.field == "resolution" and isinstance(s.schema.get("not"), dict)
                    and "const" in s.schema["not"]}
        profile.resolutions = tuple(r for r in profile.resolutions if r not in excluded)
        profile.duration = (low, high)
        return profile
