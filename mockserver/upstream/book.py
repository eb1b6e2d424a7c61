"""The proxy's fidelity state (one process, in memory): every difference by rule id or schema path, the
rules' agreement, the assumptions' evidence, measured timings and drifted recordings. `GET /_mock/fidelity`
renders it."""

from __future__ import annotations

import statistics
import threading
from collections.abc import Iterable, Mapping
from typing import Any

from mockserver.upstream.answers import Difference
from mockserver.upstream.evidence import Assumption, Tally

MAX_KEYS = 1000  # distinct differences kept (a broken service cannot grow this without bound)
MAX_SAMPLES = 10_000  # timing samples per model and phase
EXAMPLE_CAP = 500


def _cut(value: Any) -> Any:
    text = value if isinstance(value, str) else None
    return text[:EXAMPLE_CAP] if text is not None else value


def percentile(values: list[float], share: float) -> float:
    """The `share` quantile of `values` (nearest rank), 0 for none."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered) + 0.5) - 1))]


def timing_row(samples: Mapping[str, list[float]]) -> dict[str, Any]:
    """{queue: {n, median, p90}, processing: {...}} of one model's samples (seconds)."""
    return {phase: {"n": len(values), "median": round(statistics.median(values), 3) if values else None,
                    "p90": round(percentile(values, 0.9), 3) if values else None}
            for phase, values in samples.items()}


class FidelityBook:
    """Thread-safe counts; everything bounded."""

    def __init__(self) -> None:
        """Empty."""
        self._lock = threading.Lock()
        self.mismatches: dict[str, dict[str, Any]] = {}
        self.rules: dict[str, dict[str, int]] = {}
        self.counts = {"requests": 0, "judged": 0, "with_mismatch": 0, "refused_locally": 0, "upstream_errors": 0}
        self.tally = Tally()
        self.timings: dict[str, dict[str, list[float]]] = {}
        self.drift: list[dict[str, Any]] = []

    def count(self, name: str) -> None:
        """Add one to a counter (requests, refused_locally, upstream_errors...)."""
        with self._lock:
            self.counts[name] = self.counts.get(name, 0) + 1

    def note(self, differences: Iterable[Difference], example: Mapping[str, Any]) -> list[str]:
        """Count each difference (one example per rule/path kept); returns their keys."""
        keys: list[str] = []
        with self._lock:
            self.counts["judged"] += 1
            for diff in differences:
                keys.append(diff.key)
                row = self.mismatches.get(diff.key)
                if row is None:
                    if len(self.mismatches) >= MAX_KEYS:
                        continue
                    row = {**diff.as_dict(), "count": 0,
                           "example": {**{k: _cut(v) for k, v in example.items()}, "message": diff.message}}
                    row.pop("message", None)
                    self.mismatches[diff.key] = row
                row["count"] += 1
            if keys:
                self.counts["with_mismatch"] += 1
        return list(dict.fromkeys(keys))

    def rule_verdicts(self, involved: Iterable[str], differing: Iterable[str]) -> None:
        """Per rule: one more request judged, and whether the service agreed with the spec on it."""
        bad = set(differing)
        with self._lock:
            for rule in set(involved) | bad:
                row = self.rules.setdefault(rule, {"requests": 0, "agreed": 0})
                row["requests"] += 1
                row["agreed"] += rule not in bad

    def timing(self, model: str, queue: float | None, processing: float | None) -> None:
        """One finished task's measured phases (seconds since create, service time)."""
        with self._lock:
            row = self.timings.setdefault(model[:100], {"queue": [], "processing": []})
            for phase, value in (("queue", queue), ("processing", processing)):
                if value is not None and len(row[phase]) < MAX_SAMPLES:
                    row[phase].append(value)

    def report(self, assumptions: list[Assumption], ours: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """The `data` of GET /_mock/fidelity."""
        with self._lock:
            mismatches = sorted((dict(r) for r in self.mismatches.values()), key=lambda r: -int(r["count"]))
            rules = [{"rule": r, **v, "agrees": v["agreed"] == v["requests"]} for r, v in sorted(self.rules.items())]
            timings = {m: {"measured": timing_row(s), **({"ours": ours[m]} if ours and m in ours else {})}
                       for m, s in sorted(self.timings.items())}
            counts, drift = dict(self.counts), list(self.drift)
        return {"counts": counts, "mismatches": mismatches, "rules": rules,
                "assumptions": self.tally.report(assumptions), "timings": timings, "drift": drift}
