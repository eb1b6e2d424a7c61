"""The values that break a rule's failing keyword: the one reading of the spec both breakers are built from.

`BodyStrategies` (Hypothesis) samples every value listed here and adds random ones; `BoundaryBodies` (fixed
bodies every run checks) takes the first `fixed` values of each keyword, the ones nearest the boundary: minimum
- 1, maximum + 1, maxItems + 1 items, maxLength + 1 characters, the near misses of an enum, a wrong URL scheme,
what a `not` forbids, other JSON types; at body level a non-object, a required key removed, a lone frame...
Plain Python, no Hypothesis: a value is a value whichever of the two uses it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from contracts.profiles import ModelProfile, Profiles

URL_EXT = {"reference_videos": ".mp4", "reference_audios": ".mp3"}
"""The file extension a deterministic URL of a field gets (.png for every image field)."""
FOREIGN_VALUES: dict[str, tuple[str, ...]] = {
    "ratio": ("3:2", "5:4", "2:1", "ADAPTIVE", "auto"), "resolution": ("2k", "4k", "360p", "1440p"),
    "orientation": ("square", "auto"), "model": ("seedance2.0-pro", "sd2_mx_8k", "seedance-1.0"),
}
"""Values no route accepts, per field: a loosened enum must meet one of them."""
# Other JSON types, the plainest first (the fixed edges take two), then larger and trickier ones.
_WRONG_TYPE_SAMPLES: tuple[Any, ...] = (
    None, True, 7, "7", [], {}, False, 0, -3, 10**20, 4.5, -0.5, 1e308, "", "5", "https://example.com/a.png",
    "asset://a1", ["https://example.com/a.png"], {"url": "https://example.com/a.png"},
)
NON_OBJECTS: tuple[Any, ...] = ([], "", 0, None, True, 4.5, "{}", [{}])
"""Bodies that are not JSON objects (the body rule's edges; the base body in a list is added per base)."""
_FIXED_NEAR_MISSES = 6  # enum near misses no route accepts that the fixed edges keep
_FIXED_PATTERN_MISSES = 12
_FIXED_FORBIDDEN_EXTENSIONS = 2


@dataclass(frozen=True)
class KeywordEdges:
    """Values that break one keyword of a site's schema, nearest the boundary first."""

    keyword: str
    values: list[Any]
    fixed: int  # how many of `values` (from the front) the fixed boundary bodies use

    @property
    def nearest(self) -> list[Any]:
        """The values the fixed boundary bodies use."""
        return self.values[: self.fixed]


def is_json_type(value: Any, json_type: str) -> bool:
    """Whether `value` has a JSON Schema type (5.0 is an integer, booleans are not numbers)."""
    checks = {
        "null": value is None, "boolean": isinstance(value, bool),
        "integer": (isinstance(value, int) and not isinstance(value, bool))
        or (isinstance(value, float) and value.is_integer()),
        "number": isinstance(value, int | float) and not isinstance(value, bool),
        "string": isinstance(value, str), "array": isinstance(value, list), "object": isinstance(value, dict),
    }
    return checks[json_type]


def plain_url(profile: ModelProfile, fld: str, word: str = "x") -> str:
    """A deterministic valid URL for this field on this model."""
    scheme = (profile.schemes.get(fld) or ("https",))[0]
    if scheme == "asset":
        return f"asset://{word}"
    return f"{scheme}://example.com/{word}{URL_EXT.get(fld, '.png')}"


def near_misses(profiles: Profiles, fld: str, allowed: list[str]) -> list[str]:
    """Values outside an enum: what the field takes on other routes, and variants of the allowed ones."""
    found: set[str] = set(profiles.field_values.get(fld, set()))
    for value in allowed:
        found |= {value.upper(), value.title(), f" {value}", f"{value} ", value[:-1], value + "x",
                  value.replace(":", "/"), value.replace("-", "_")}
    found.add("")
    return sorted(v for v in found if v not in allowed)


def pattern_misses(profiles: Profiles, fld: str, pattern: str) -> list[str]:
    """Strings a URL or prompt pattern rejects: other schemes, malformed URLs, blank text."""
    # Only a URL pattern names schemes; a prompt-style pattern such as [^\t\n ...] has none.
    schemes = list(dict.fromkeys(re.findall(r"[a-z]+", pattern.split("://")[0]))) if "://" in pattern else []
    if not schemes:
        # A prompt-style pattern: strings of the characters it excludes (blank text).
        candidates = ["", " ", "\t", "\n \r", "\x0b\x0c", "   \t\t  ", " " * 40]
    else:
        ext = URL_EXT.get(fld, ".png")
        others = sorted((profiles.all_schemes | {"http", "ftp", "file", "data"}) - set(schemes))
        candidates = [f"{s}://example.com/clip{ext}" for s in others]
        for s in schemes:
            candidates += [f"{s.upper()}://example.com/clip{ext}", f"{s}:///clip{ext}", f"{s}://?x{ext}",
                           f"{s}://#x", f"{s}://", f"{s}:/example.com/clip{ext}", f" {s}://example.com/c{ext}"]
        candidates += [f"example.com/clip{ext}", f"//example.com/clip{ext}", "", "asset:/x", "clip" + ext]
    return [c for c in candidates if re.search(pattern, c) is None]


def forbidden_extensions(profiles: Profiles, forbidden: str) -> list[str]:
    """The known media extensions a `not: {pattern}` forbids in a URL."""
    return [e for e in (*profiles.video_exts, *profiles.image_exts)
            if re.search(forbidden, f"https://example.com/x.{e}")]


def keyword_edges(schema: dict[str, Any], fld: str, profile: ModelProfile, profiles: Profiles) -> list[KeywordEdges]:
    """For each failing keyword of a field's schema, the values that break it (nearest the boundary first)."""
    out: list[KeywordEdges] = []
    if "minimum" in schema:
        low = schema["minimum"]
        out.append(KeywordEdges("minimum", [low - 1, low - 2, 0, -1, -(10**12)], 1))
    if "maximum" in schema:
        high = schema["maximum"]
        out.append(KeywordEdges("maximum", [high + 1, high + 2, high + 100, 10**12], 1))
    if "maxItems" in schema:
        too_many = int(schema["maxItems"]) + 1
        out.append(KeywordEdges("maxItems", [[plain_url(profile, fld, f"i{k}") for k in range(too_many)]], 1))
    if "maxLength" in schema:
        too_long = int(schema["maxLength"]) + 1
        out.append(KeywordEdges("maxLength", [c * too_long for c in ("a", "视", "é")], 1))
    if "enum" in schema:
        allowed = [str(v) for v in schema["enum"]]
        misses = near_misses(profiles, fld, allowed)
        # Values other routes accept first ("adaptive" on STD), then values no route accepts ("3:2").
        known = profiles.field_values.get(fld, set())
        nearest = sorted((m for m in misses if m in known), key=str)
        nearest += [v for v in FOREIGN_VALUES.get(fld, ()) if v not in allowed]
        others = sorted(m for m in misses if m not in known)
        out.append(KeywordEdges("enum", nearest + others, len(nearest) + min(len(others), _FIXED_NEAR_MISSES)))
    if "pattern" in schema:
        # Every excluded scheme (http, ftp, asset...), then malformed URLs.
        out.append(KeywordEdges("pattern", pattern_misses(profiles, fld, str(schema["pattern"])),
                                _FIXED_PATTERN_MISSES))
    inner = schema.get("not")
    if isinstance(inner, dict):
        if "const" in inner:
            out.append(KeywordEdges("not", [inner["const"]], 1))
        if "pattern" in inner:
            exts = forbidden_extensions(profiles, str(inner["pattern"]))[:_FIXED_FORBIDDEN_EXTENSIONS]
            urls = [f"https://example.com/x.{e}" for e in exts] + [f"https://example.com/x.{e.upper()}?a=1"
                                                                   for e in exts]
            out.append(KeywordEdges("not", urls, len(urls)))
    if "type" in schema:
        wrong = [v for v in _WRONG_TYPE_SAMPLES if not is_json_type(v, schema["type"])]
        out.append(KeywordEdges("type", wrong, 2))
    return [edges for edges in out if edges.values]


def body_level_edges(schema: dict[str, Any], base: dict[str, Any], profile: ModelProfile) -> list[Any]:
    """Bodies breaking a body-level schema: non-objects, a required key removed, a lone dependent key, keys
    a `not: {anyOf: [{required}]}` forbids added to `base`."""
    out: list[Any] = []
    if schema.get("type") == "object":
        out += [[base], *NON_OBJECTS]
    out += [{k: v for k, v in base.items() if k != key} for key in schema.get("required", [])]
    for key, deps in schema.get("dependentRequired", {}).items():
        out.append(keep_alone(base, key, tuple(deps), plain_url(profile, key)))
    inner = schema.get("not")
    if isinstance(inner, dict):
        for branch in inner.get("anyOf", []):
            out += [{**base, key: plain_url(profile, key)} for key in branch.get("required", [])]
    return out


def keep_alone(base: dict[str, Any], key: str, deps: tuple[str, ...], url: str) -> dict[str, Any]:
    """`base` without the keys `key` depends on, with `key` set (to `url` unless present): the lone-frame case."""
    kept = {k: v for k, v in base.items() if k not in deps}
    kept.setdefault(key, url)
    return kept
