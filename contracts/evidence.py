"""Which of the spec's assumptions an exchange with the real service bears on, and whether it agreed.

Deliberate duplicate of `mockserver/upstream/evidence.py` (see contracts/answers.py): a test keeps the code below
this docstring identical, package names aside.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from contracts.answers import Difference, Expected

RETENTION_SECONDS = 259_200
RETENTION_SLACK = 5.0
CONFIRMED, CONTRADICTED, NOT_SEEN = "confirmed", "contradicted", "not seen"
UNOBSERVABLE = {
    "BILLING_UNITS": "billing is not visible in the API's answers",
    "USAGE_BILLING": "billing is not visible in the API's answers",
    "TASK_GONE_AFTER_EXPIRY": "needs a query made 3 days after completion",
    "OUTPUT_SIZE": "needs a downloaded result (its MP4 header gives the frame size)",
    "MEDIA_REACHABLE": "needs a request naming an unreachable URL",
}
_FRAME_FIELDS = ("first_image", "last_image")
# OUTPUT_SIZE as the spec states it (a second reading, next to mockserver/state/timings.py: ARCHITECTURE.md).
_SHORT_SIDES = {"480p": 480, "720p": 720, "1080p": 1080, "2k": 1440, "4k": 2160}
_RATIOS = {"16:9": (16, 9), "9:16": (9, 16), "1:1": (1, 1), "4:3": (4, 3), "3:4": (3, 4), "21:9": (21, 9)}
_BODY_PREDICATES = (
    "INTEGRAL_FLOAT_DURATION", "NULL_IS_WRONG_TYPE", "EMPTY_LIST_IS_ABSENT", "UNKNOWN_FIELDS_IGNORED",
    "RESOLUTION_IGNORED", "REFERENCE_AUDIOS_SP_LIKE", "ADAPTIVE_SPELLING", "FAST_I2V_FRAMES",
    "PROMPT_CODE_POINTS", "UNKNOWN_MEDIA_VALID",
)


@dataclass(frozen=True)
class Assumption:
    """One assumption: its id, where the spec states it, and its text."""

    id: str
    kind: str  # "assumed rule", "assumed detail", "decision"
    text: str


def assumptions_of(spec: Mapping[str, Any]) -> list[Assumption]:
    """Every assumption of the spec, by id, in spec order (a rule that is also an x-assumptions entry once)."""
    found: dict[str, Assumption] = {}
    stack: list[Any] = [spec.get("components", {}), spec.get("x-external-rules", [])]
    stack.reverse()
    while stack:  # depth first, in document order
        node = stack.pop()
        if isinstance(node, dict):
            rule = node.get("x-rule")
            if isinstance(rule, str) and rule not in found:
                if node.get("x-source") == "assumed":
                    found[rule] = Assumption(rule, "assumed rule", str(node.get("x-reason", "")))
                elif isinstance(node.get("x-assumed"), str):
                    found[rule] = Assumption(rule, "assumed detail", str(node["x-assumed"]))
            stack.extend(reversed(list(node.values())))
        elif isinstance(node, list):
            stack.extend(reversed(node))
    for entry in spec.get("x-assumptions", []):
        if isinstance(entry, dict) and isinstance(entry.get("id"), str) and entry["id"] not in found:
            found[entry["id"]] = Assumption(entry["id"], "decision", str(entry.get("text", "")))
    return list(found.values())


def families_of(spec: Mapping[str, Any]) -> dict[str, str]:
    """Model id -> family name (x-family / x-models of the family schemas)."""
    found: dict[str, str] = {}
    for schema in spec.get("components", {}).get("schemas", {}).values():
        if isinstance(schema, dict) and "x-family" in schema:
            found.update({str(m): str(schema["x-family"]) for m in schema.get("x-models", [])})
    return found


def _values(body: Mapping[str, Any]) -> Iterable[Any]:
    for value in body.values():
        yield value
        if isinstance(value, list):
            yield from value


class Evidence:
    """What one spec's assumptions say about each exchange."""

    def __init__(self, spec: Mapping[str, Any]) -> None:
        """Read the assumptions, the families and the create body's documented fields."""
        self.assumptions = assumptions_of(spec)
        self.ids = {a.id for a in self.assumptions}
        self.family = families_of(spec)
        schema = spec.get("components", {}).get("schemas", {}).get("CreateVideoRequest", {})
        self.fields = frozenset(schema.get("properties", {}))

    def _applies(self, name: str, body: Mapping[str, Any], family: str | None) -> bool:
        checks = {
            "INTEGRAL_FLOAT_DURATION": lambda: isinstance(body.get("duration"), float | bool | str),
            "NULL_IS_WRONG_TYPE": lambda: any(v is None for v in body.values()),
            "EMPTY_LIST_IS_ABSENT": lambda: any(v == [] for v in body.values()),
            "UNKNOWN_FIELDS_IGNORED": lambda: any(k not in self.fields for k in body),
            "RESOLUTION_IGNORED": lambda: "resolution" in body and family in ("FULL", "MD", "FAST_I2V", "STD"),
            "REFERENCE_AUDIOS_SP_LIKE": lambda: bool(body.get("reference_audios"))
            and family in ("SP_OFFICIAL", "MINI", "MINI_SP"),
            "ADAPTIVE_SPELLING": lambda: family == "FULL" and body.get("ratio") in ("adaptive", "Adaptive"),
            "FAST_I2V_FRAMES": lambda: family == "FAST_I2V" and any(f in body for f in _FRAME_FIELDS),
            "PROMPT_CODE_POINTS": lambda: family == "MD" and isinstance(body.get("prompt"), str)
            and any(ord(c) > 0xFFFF for c in body["prompt"]),
            "UNKNOWN_MEDIA_VALID": lambda: any(isinstance(v, str) and v.startswith("https://")
                                               for v in _values(body)),
        }
        return name in self.ids and checks[name]()

    def on_create(self, body: Any, expected: Expected, status: int, verdict_diffs: list[Difference]
                  ) -> list[tuple[str, bool]]:
        """Evidence of a create exchange: the rules involved, and body-shape decisions (verdict agreement)."""
        if status not in (200, 400) or expected.error is not None:
            return []
        agreed = not verdict_diffs
        differing = {d.rule for d in verdict_diffs if d.rule}
        found = [(rule, rule not in differing) for rule in sorted((expected.rules | differing) & self.ids)]
        if isinstance(body, dict):
            model = body.get("model")
            family = self.family.get(model) if isinstance(model, str) else None
            found += [(name, agreed) for name in _BODY_PREDICATES if self._applies(name, body, family)]
            if "duration" not in body and "DURATION_REQUIRED" in self.ids and "DURATION_REQUIRED" not in expected.rules:
                found.append(("DURATION_REQUIRED", agreed))
        return found

    def on_answer(self, status: int, payload: Any, diffs: list[Difference], body: Any = None) -> list[tuple[str, bool]]:
        """Evidence of any answer: envelopes, failed-task errors, result expiry, applied defaults."""
        tagged = {d.assumption for d in diffs if d.assumption}
        found: list[tuple[str, bool]] = []

        def note(name: str, agreed: bool = True) -> None:
            if name in self.ids:
                found.append((name, agreed and name not in tagged))

        if status >= 400:
            note("ERROR_ENVELOPE")
            return found
        if status != 200 or not isinstance(payload, dict):
            return found
        note("SUCCESS_CODE")
        found_data = payload.get("data")
        data: dict[str, Any] = found_data if isinstance(found_data, dict) else {}
        if data.get("status") == "failed":
            note("FAILED_TASK_ERROR", isinstance(data.get("error"), dict))
        result = data.get("result")
        if data.get("status") == "completed" and isinstance(result, dict):
            note("RESULT_EXPIRES_AT", isinstance(result.get("expires_at"), int))
        if isinstance(body, dict) and ("ratio" in data or "resolution" in data):
            note("DEFAULTS_APPLIED", self._defaults_hold(body, data))
        return found

    def _defaults_hold(self, body: Mapping[str, Any], data: Mapping[str, Any]) -> bool:
        if "ratio" in data and "ratio" not in body:
            wanted = "9:16" if body.get("orientation") == "portrait" else "16:9"
            if data["ratio"] != wanted:
                return False
        family = self.family.get(str(body.get("model")))
        if "resolution" in data and "resolution" not in body and family in ("SP", "SP_OFFICIAL", "MINI", "MINI_SP"):
            return bool(data["resolution"] == "720p")
        return True

    def expected_size(self, body: Mapping[str, Any]) -> tuple[int, int] | None:
        """(width, height) the spec's OUTPUT_SIZE decision gives a valid body (None for an unknown model)."""
        model = str(body.get("model", ""))
        family = self.family.get(model)
        if family is None:
            return None
        short = 720
        if family == "FULL":
            short = next((px for key, px in _SHORT_SIDES.items() if model.endswith("_" + key)), 720)
        elif family in ("SP", "SP_OFFICIAL", "MINI", "MINI_SP"):
            short = _SHORT_SIDES.get(str(body.get("resolution", "720p")), 720)
        ratio = str(body.get("ratio", "")).lower()
        if ratio not in _RATIOS:
            ratio = "9:16" if body.get("orientation") == "portrait" else "16:9"
        w, h = _RATIOS[ratio]

        def even(value: float) -> int:
            return max(2, 2 * round(value / 2))

        return (even(short * w / h), even(short)) if w >= h else (even(short), even(short * h / w))

    def on_result(self, body: Any, width: Any, height: Any) -> list[tuple[str, bool]]:
        """Evidence of a downloaded result's frame size."""
        if "OUTPUT_SIZE" not in self.ids or not isinstance(body, dict) or not isinstance(width, int):
            return []
        wanted = self.expected_size(body)
        return [] if wanted is None else [("OUTPUT_SIZE", (width, height) == wanted)]

    def on_private(self, status: int) -> list[tuple[str, bool]]:
        """Evidence of a query of a task made with another token than the creator's (404 expected)."""
        return [("TASK_PRIVATE", status == 404)] if "TASK_PRIVATE" in self.ids and status in (200, 404) else []

    def on_retention(self, expires_at: int, finished_after: float, finished_before: float) -> list[tuple[str, bool]]:
        """Evidence of a completed task's expiry: it finished in [after, before] (service clock seconds)."""
        if "RESULT_RETENTION" not in self.ids:
            return []
        low = finished_after + RETENTION_SECONDS - RETENTION_SLACK
        high = finished_before + RETENTION_SECONDS + RETENTION_SLACK
        return [("RESULT_RETENTION", low <= expires_at <= high)]


@dataclass
class Tally:
    """Evidence counts per assumption id, with one example of each verdict."""

    seen: dict[str, int] = field(default_factory=dict)
    against: dict[str, int] = field(default_factory=dict)
    examples: dict[str, dict[str, Any]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, evidence: Iterable[tuple[str, bool]], example: Mapping[str, Any]) -> None:
        """Count each (id, agreed); the first contradiction (else the first confirmation) is the example."""
        with self.lock:
            for name, agreed in evidence:
                self.seen[name] = self.seen.get(name, 0) + 1
                if not agreed:
                    self.against[name] = self.against.get(name, 0) + 1
                    if self.examples.get(name, {}).get("agreed", False) or name not in self.examples:
                        self.examples[name] = {"agreed": False, **example}
                elif name not in self.examples:
                    self.examples[name] = {"agreed": True, **example}

    def report(self, assumptions: Iterable[Assumption]) -> list[dict[str, Any]]:
        """`[{id, kind, verdict, seen, contradicted, example|reason}]` for every assumption."""
        rows = []
        with self.lock:
            for item in assumptions:
                seen, against = self.seen.get(item.id, 0), self.against.get(item.id, 0)
                verdict = CONTRADICTED if against else CONFIRMED if seen else NOT_SEEN
                row: dict[str, Any] = {"id": item.id, "kind": item.kind, "verdict": verdict, "seen": seen,
                                       "contradicted": against}
                if item.id in self.examples:
                    row["example"] = self.examples[item.id]
                elif item.id in UNOBSERVABLE:
                    row["reason"] = UNOBSERVABLE[item.id]
                rows.append(row)
        return rows
