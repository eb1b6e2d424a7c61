"""Rules that need facts outside the body (`x-external-rules`): declared media and asset audit states."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from mockserver.spec.validation import Violation
from mockserver.state.facts import MediaFacts, asset_id


def _strings(body: Mapping[str, Any], fields: list[str]) -> Iterator[tuple[str, str]]:
    for name in fields:
        value = body.get(name)
        items = value if isinstance(value, list) else [value]
        for item in items:
            if isinstance(item, str):
                yield name, item


class ExternalRules:
    """Judges the external rules with limits read from the spec's `x-limit`."""

    def __init__(self, rules: Mapping[str, Mapping[str, Any]]) -> None:
        self._rules = rules

    def _applies(self, rule: str, model: str) -> bool:
        entry = self._rules.get(rule)
        return entry is not None and model in entry.get("x-models", [])

    def _limit(self, rule: str, key: str) -> float:
        return float(self._rules[rule]["x-limit"][key])

    def check(
        self, body: Mapping[str, Any], media: Mapping[str, MediaFacts], audits: Mapping[str, str]
    ) -> list[Violation]:
        """Violations of the external rules for a body (an object with a known model)."""
        model = body.get("model")
        if not isinstance(model, str):
            return []
        found: list[Violation] = []
        if self._applies("MEDIA_REACHABLE", model):
            fields = list(self._rules["MEDIA_REACHABLE"].get("x-fields", []))
            for name, url in _strings(body, fields):
                facts = media.get(url)
                if facts is not None and not facts.reachable:
                    found.append(Violation("MEDIA_REACHABLE", name, f"{name}: {url} is not reachable"))
        if self._applies("FULL_ASSET_AUDIT", model):
            fields = list(self._rules["FULL_ASSET_AUDIT"].get("x-fields", []))
            for name, value in _strings(body, fields):
                state = audits.get(asset_id(value))
                if state in ("pending", "rejected"):
                    found.append(Violation("FULL_ASSET_AUDIT", name, f"{name}: asset {value} is {state} audit"))
        videos = body.get("reference_videos")
        if isinstance(videos, list):
            found.extend(self._md_videos(model, [media[v] for v in videos if isinstance(v, str) and v in media]))
        return found

    def _md_videos(self, model: str, known: list[MediaFacts]) -> list[Violation]:
        found: list[Violation] = []
        if not known:
            return found
        field = "reference_videos"
        if self._applies("MD_REFERENCE_VIDEOS_DURATION", model):
            limit = self._limit("MD_REFERENCE_VIDEOS_DURATION", "max_combined_seconds")
            total = sum(f.duration for f in known if f.duration is not None)
            if total > limit:
                msg = f"{field}: combined duration {total:g} s exceeds {limit:g} s"
                found.append(Violation("MD_REFERENCE_VIDEOS_DURATION", field, msg))
        if self._applies("MD_REFERENCE_VIDEOS_SIZE", model):
            limit = self._limit("MD_REFERENCE_VIDEOS_SIZE", "max_combined_bytes")
            size = sum(f.size for f in known if f.size is not None)
            if size > limit:
                msg = f"{field}: combined size {size} bytes exceeds {limit:.0f} bytes"
                found.append(Violation("MD_REFERENCE_VIDEOS_SIZE", field, msg))
        if self._applies("MD_REFERENCE_VIDEO_RESOLUTION", model):
            low = self._limit("MD_REFERENCE_VIDEO_RESOLUTION", "min_short_side_px")
            high = self._limit("MD_REFERENCE_VIDEO_RESOLUTION", "max_short_side_px")
            for facts in known:
                sides = [s for s in (facts.width, facts.height) if s is not None]
                if sides:
                    short = min(sides)
                    if not low <= short <= high:
                        msg = f"{field}: a video's shorter side is {short} px, outside {low:.0f}..{high:.0f} px"
                        found.append(Violation("MD_REFERENCE_VIDEO_RESOLUTION", field, msg))
                        break
        return found
