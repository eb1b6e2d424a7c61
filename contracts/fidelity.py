"""`seedance-contracts fidelity PATH...`: recordings of the real service (seedance-mock --upstream URL --record
PATH) judged against the current spec: which assumptions it confirmed or contradicted, whether it agreed
with each rule, its timings per model, and the recorded answers the current spec now rejects (drift).

Every answer is judged again here, with the spec given (not the verdicts noted when it was recorded), so a
recording made before a spec change shows what the change broke.
"""

from __future__ import annotations

import json
import statistics
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from contracts.answers import AnswerJudge, Difference, Expected
from contracts.evidence import Evidence, Tally
from contracts.verdicts import INVALID_JSON, SpecOracle, json_safe

MAX_EVENTS = 1_000_000
TERMINAL = frozenset({"completed", "failed"})


def read_events(paths: Iterable[str | Path]) -> Iterator[tuple[str, dict[str, Any]]]:
    """(`file:line`, event) of every JSON line of the recordings; a torn last line (kill -9) is skipped."""
    count = 0
    for path in paths:
        with open(path, encoding="utf-8", errors="replace") as handle:
            for number, line in enumerate(handle, 1):
                count += 1
                if count > MAX_EVENTS:
                    raise ValueError(f"{path}: more than {MAX_EVENTS} events")
                try:
                    event = json.loads(line)
                except ValueError:
                    continue
                if isinstance(event, dict):
                    yield f"{path}:{number}", event


def number(value: Any) -> float:
    """A recorded number, 0.0 when the field is missing or not a finite number (recordings are input)."""
    if isinstance(value, int | float) and not isinstance(value, bool) and abs(value) < 1e12:
        return float(value)
    return 0.0


def http_status(event: Mapping[str, Any]) -> int:
    """A recorded HTTP status, 0 when missing or malformed."""
    status = event.get("status")
    return status if isinstance(status, int) and not isinstance(status, bool) and 0 < status < 1000 else 0


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank quantile (0 for no values)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered) + 0.5) - 1))]


def timing_rows(samples: Mapping[str, Mapping[str, list[float]]]) -> dict[str, Any]:
    """model -> {queue|processing: {n, median, p90}}."""
    return {model: {phase: {"n": len(v), "median": round(statistics.median(v), 3) if v else None,
                            "p90": round(percentile(v, 0.9), 3) if v else None} for phase, v in phases.items()}
            for model, phases in sorted(samples.items())}


@dataclass
class _Task:
    body: Any
    owner: str
    created_at: int
    first_processing: float | None = None
    last_quiet: float = 0.0
    final: bool = False


@dataclass
class FidelityReport:
    """What the recordings say, judged with one spec."""

    counts: dict[str, int] = field(default_factory=lambda: {"events": 0, "answers": 0, "with_mismatch": 0,
                                                            "tasks": 0, "drifted_answers": 0})
    mismatches: dict[str, dict[str, Any]] = field(default_factory=dict)
    rules: dict[str, dict[str, int]] = field(default_factory=dict)
    tally: Tally = field(default_factory=Tally)
    timings: dict[str, dict[str, list[float]]] = field(default_factory=dict)
    baseline: dict[str, dict[str, list[float]]] = field(default_factory=dict)
    drift: list[dict[str, Any]] = field(default_factory=list)

    def note(self, where: str, diffs: list[Difference], recorded: Any) -> None:
        """Count one judged answer's differences; those the proxy did not note when it recorded the answer
        (its `mismatch` keys) are drift: the spec changed since."""
        self.counts["answers"] += 1
        if diffs:
            self.counts["with_mismatch"] += 1
        for diff in diffs:
            row = self.mismatches.setdefault(diff.key, {**diff.as_dict(), "count": 0, "example": where})
            row.pop("message", None)
            row.setdefault("message", diff.message)
            row["count"] += 1
        known = {str(k) for k in recorded} if isinstance(recorded, list) else set()
        new = [d for d in diffs if d.key not in known]
        if new:
            self.counts["drifted_answers"] += 1
            if len(self.drift) < 1000:
                self.drift.append({"where": where, "differences": [d.as_dict() for d in new[:5]]})

    def as_dict(self, evidence: Evidence) -> dict[str, Any]:
        """The JSON report."""
        rules = [{"rule": r, **v, "agrees": v["agreed"] == v["requests"]} for r, v in sorted(self.rules.items())]
        timings = {m: {"measured": row, **({"ours": timing_rows(self.baseline)[m]} if m in self.baseline else {})}
                   for m, row in timing_rows(self.timings).items()}
        return {"counts": self.counts,
                "mismatches": sorted(self.mismatches.values(), key=lambda r: -int(r["count"])),
                "rules": rules, "assumptions": self.tally.report(evidence.assumptions), "timings": timings,
                "drift": self.drift}


def _phases(events: list[dict[str, Any]]) -> dict[str, tuple[float, float]]:
    """task -> (queued seconds, processing seconds) of every task seen reaching a final status."""
    first: dict[str, float] = {}
    found: dict[str, tuple[float, float]] = {}
    for event in events:
        task, status = event.get("task"), event.get("task_status")
        if event.get("kind") != "poll" or not isinstance(task, str) or task in found:
            continue
        since = number(event.get("since"))
        if status == "processing":
            first.setdefault(task, since)
        elif status in TERMINAL:
            queued = first.get(task, since)
            found[task] = (queued, since - queued)
    return found


def sample_timings(events: list[dict[str, Any]], models: Mapping[str, str]) -> dict[str, dict[str, list[float]]]:
    """model -> {queue: [...], processing: [...]} of the recorded tasks."""
    samples: dict[str, dict[str, list[float]]] = {}
    for task, (queued, processing) in _phases(events).items():
        row = samples.setdefault(models.get(task, "?"), {"queue": [], "processing": []})
        row["queue"].append(queued)
        row["processing"].append(processing)
    return samples


def _models(events: list[dict[str, Any]]) -> dict[str, str]:
    return {str(e["task"]): str(e["body"].get("model", "?")) for e in events
            if e.get("kind") == "create" and isinstance(e.get("task"), str) and isinstance(e.get("body"), dict)}


def build_report(paths: Iterable[str | Path], spec: dict[str, Any],
                 baseline: Iterable[str | Path] = ()) -> tuple[FidelityReport, Evidence]:
    """Judge every recorded exchange of `paths` with `spec`; `baseline`: recordings of the emulator (ours)."""
    judge, evidence, oracle = AnswerJudge(spec), Evidence(spec), SpecOracle(spec)
    report = FidelityReport()
    tasks: dict[str, _Task] = {}
    events = [(where, e) for where, e in read_events(paths)]
    for where, event in events:
        report.counts["events"] += 1
        kind, status = event.get("kind"), http_status(event)
        answer = event.get("answer")
        if kind == "create":
            body = event.get("body")
            raw = isinstance(body, dict) and set(body) == {"raw"}
            expected = Expected(error=INVALID_JSON) if raw or not json_safe(body) else Expected(
                rules=oracle.broken_rules(body))
            shape = judge.judge_answer("create", status, answer)
            verdict = [] if raw else judge.judge_verdict(expected, status, answer)
            report.note(where, shape + verdict, event.get("mismatch"))
            if status in (200, 400) and expected.error is None:
                data = answer.get("data") if isinstance(answer, dict) else None
                named = data.get("rules") if isinstance(data, dict) else None
                theirs = {str(r) for r in named} if isinstance(named, list) else set()
                differing = {d.rule for d in verdict if d.rule}
                for rule in expected.rules | theirs | differing:
                    row = report.rules.setdefault(rule, {"requests": 0, "agreed": 0})
                    row["requests"] += 1
                    row["agreed"] += rule not in differing
            found = evidence.on_create(body, expected, status, verdict) + evidence.on_answer(status, answer, shape)
            report.tally.add(found, {"where": where})
            task = event.get("task")
            if isinstance(task, str) and status == 200:
                data = answer.get("data") if isinstance(answer, dict) else None
                stamp = data.get("created_at") if isinstance(data, dict) else None
                created = stamp if isinstance(stamp, int) else 0
                tasks[task] = _Task(body, str(event.get("owner", "")), created)
                report.counts["tasks"] += 1
        elif kind == "poll":
            shape = judge.judge_answer("query", status, answer)
            report.note(where, shape, event.get("mismatch"))
            seen = tasks.get(str(event.get("task")))
            found = evidence.on_answer(status, answer, shape, seen.body if seen else None)
            if seen is not None and event.get("owner") not in (None, seen.owner):
                found += evidence.on_private(status)
            elif seen is not None:
                found += _progress(evidence, seen, event, answer)
            report.tally.add(found, {"where": where})
        elif kind == "result" and status == 200:
            seen = tasks.get(str(event.get("task")))
            if seen is not None:
                report.tally.add(evidence.on_result(seen.body, event.get("width"), event.get("height")),
                                 {"where": where})
    plain = [e for _, e in events]
    report.timings = sample_timings(plain, _models(plain))
    base = [e for _, e in read_events(baseline)]
    report.baseline = sample_timings(base, _models(base))
    return report, evidence


def _progress(evidence: Evidence, seen: _Task, event: dict[str, Any], answer: Any) -> list[tuple[str, bool]]:
    status, since = event.get("task_status"), number(event.get("since"))
    if status not in TERMINAL:
        if isinstance(status, str):
            seen.last_quiet = since
        return []
    if seen.final:
        return []
    seen.final = True
    data = answer.get("data") if isinstance(answer, dict) else None
    result = data.get("result") if isinstance(data, dict) else None
    expires = result.get("expires_at") if isinstance(result, dict) else None
    if status == "completed" and isinstance(expires, int):
        return evidence.on_retention(expires, seen.created_at + seen.last_quiet, seen.created_at + 1 + since)
    return []


def to_markdown(data: Mapping[str, Any]) -> str:
    """The report as Markdown: what a maintainer reads to fix the spec."""
    lines = ["# Fidelity report", "", "Counts: " + ", ".join(f"{k} {v}" for k, v in data["counts"].items()), ""]
    lines += ["## Assumptions", "", "| id | verdict | seen | contradicted | evidence |", "|---|---|---|---|---|"]
    for row in data["assumptions"]:
        proof = row.get("example", {}).get("where") or row.get("reason", "")
        lines.append(f"| `{row['id']}` | {row['verdict']} | {row['seen']} | {row['contradicted']} | {proof} |")
    lines += ["", "## Differences (rule id or spec path)", ""]
    if not data["mismatches"]:
        lines.append("None: every recorded answer is what the spec documents.")
    for row in data["mismatches"]:
        what = f"`{row['rule']}`" if row.get("rule") else f"`{row.get('path')}`"
        lines.append(f"- {what} x{row['count']}: {row.get('message', '')} ({row['example']})")
    lines += ["", "## Rules", "", "| rule | requests | agreed |", "|---|---|---|"]
    lines += [f"| `{r['rule']}` | {r['requests']} | {r['agreed']}{'' if r['agrees'] else ' (disagrees)'} |"
              for r in data["rules"]]
    lines += ["", "## Timings (seconds)", "", "| model | phase | n | median | p90 | ours median | ours p90 |",
              "|---|---|---|---|---|---|---|"]
    for model, row in data["timings"].items():
        for phase, cell in row["measured"].items():
            ours = row.get("ours", {}).get(phase, {})
            lines.append(f"| {model} | {phase} | {cell['n']} | {cell['median']} | {cell['p90']} | "
                         f"{ours.get('median', '-')} | {ours.get('p90', '-')} |")
    lines += ["", "## Drift", ""]
    lines.append(f"{len(data['drift'])} recorded answers that were clean when recorded break the current spec."
                 if data["drift"] else "None.")
    lines += [f"- {d['where']}: " + "; ".join(x.get("rule") or x.get("path", "") for x in d["differences"])
              for d in data["drift"][:50]]
    return "\n".join(lines) + "\n"
