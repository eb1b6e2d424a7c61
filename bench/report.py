"""Turning the runs of bench_server.py into the results: medians, target checks (PASS/FAIL) and the
markdown table the README includes verbatim (bench/results/server.md) plus a plain-text log (server.txt)."""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field

from wrk_runner import WrkResult


@dataclass
class Series:
    """The wrk runs of one server and one operation (warm-up kept apart), and RSS samples."""

    warmup: list[WrkResult] = field(default_factory=list)
    runs: list[WrkResult] = field(default_factory=list)
    rss: list[int] = field(default_factory=list)

    @property
    def rps(self) -> float:
        """Median req/s of the measured runs."""
        return statistics.median(r.rps for r in self.runs) if self.runs else 0.0

    @property
    def p50(self) -> float:
        """Median of the runs' p50 (ms)."""
        return statistics.median(r.p50 for r in self.runs) if self.runs else 0.0

    @property
    def p99(self) -> float:
        """Median of the runs' p99 (ms)."""
        return statistics.median(r.p99 for r in self.runs) if self.runs else 0.0

    @property
    def failures(self) -> int:
        """Non-2xx answers and socket errors over every run, warm-up included."""
        return sum(r.failures for r in (*self.warmup, *self.runs))

    @property
    def rss_mb(self) -> float:
        """Largest RSS of the server's process tree seen after a run (MB)."""
        return max(self.rss, default=0) / 1e6


@dataclass
class Check:
    """One target: a measured ratio (or value) against its bound."""

    name: str
    value: float
    bound: float
    at_most: bool = False  # True: the value must not exceed the bound
    unit: str = "×"

    @property
    def passed(self) -> bool:
        """Within the bound?"""
        return self.value <= self.bound if self.at_most else self.value >= self.bound

    def row(self) -> str:
        """A markdown row."""
        fmt = {"×": "{:.2f}×", "B": "{:,.0f} B", "s": "{:.3f} s", "": "{:,.0f}"}[self.unit]
        goal = ("≤ " if self.at_most else "≥ ") + fmt.format(self.bound)
        return f"| {self.name} | {fmt.format(self.value)} | {goal} | {'PASS' if self.passed else '**FAIL**'} |"


def ratio(a: float, b: float) -> float:
    """a / b, 0 when b is 0."""
    return a / b if b else 0.0


def server_table(labels: dict[str, str], series: dict[tuple[str, str], Series]) -> list[str]:
    """One row per server: create and query req/s, p50, p99, failures, and the RSS of its process tree."""
    lines = [
        "| server | create req/s | p50 ms | p99 ms | non-2xx | query req/s | p50 ms | p99 ms | non-2xx | RSS MB |",
        "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for key, label in labels.items():
        c, q = series.get((key, "create"), Series()), series.get((key, "query"), Series())
        rss = max(c.rss_mb, q.rss_mb)
        lines.append(
            f"| {label} | {c.rps:,.0f} | {c.p50:.2f} | {c.p99:.2f} | {c.failures} "
            f"| {q.rps:,.0f} | {q.p50:.2f} | {q.p99:.2f} | {q.failures} | {rss:.0f} |"
        )
    return lines


def size_table(series: dict[tuple[str, str], Series], small: int, big: int) -> list[str]:
    """Query req/s with `small` vs `big` stored tasks, per store."""
    lines = [
        f"| store (query) | req/s, {small:,} tasks | req/s, {big:,} tasks | p99 ms, {small:,} | p99 ms, {big:,} "
        "| non-2xx | ratio |",
        "|---|--:|--:|--:|--:|--:|--:|",
    ]
    for store in ("memory", "sqlite", "redis"):
        s, b = series.get((f"{store}-small", "query")), series.get((f"{store}-big", "query"))
        if s is None or b is None:
            continue
        lines.append(f"| {store} | {s.rps:,.0f} | {b.rps:,.0f} | {s.p99:.2f} | {b.p99:.2f} "
                     f"| {s.failures + b.failures} | {ratio(b.rps, s.rps):.2f}× |")
    return lines


def checks(series: dict[tuple[str, str], Series], extra: dict[str, float], workers: int) -> list[Check]:
    """Every target of issue 9 item 5 that the run measured."""
    def rps(key: str, op: str) -> float:
        found = series.get((key, op))
        return found.rps if found else 0.0

    out: list[Check] = []
    for op in ("create", "query"):
        if (("prism", op) in series) and (("mock-1p", op) in series):
            out.append(Check(f"default seedance-mock / Prism, {op}", ratio(rps("mock-1p", op), rps("prism", op)), 1.5))
    for store in ("sqlite", "redis"):
        key = f"mock-w{workers}-{store}"
        for op in ("create", "query"):
            if (key, op) not in series:
                continue
            out.append(Check(f"--workers {workers} {store} / one process, {op}",
                             ratio(rps(key, op), rps("mock-1p", op)), 1.6))
            if ("bare-w", op) in series:
                out.append(Check(f"--workers {workers} {store} / bare Flask same server, {op}",
                                 ratio(rps(key, op), rps("bare-w", op)), 0.7))
            out.append(Check(f"--workers {workers} {store} non-2xx + socket errors, {op}",
                             float(series[(key, op)].failures), 0, at_most=True, unit=""))
    for store in ("memory", "sqlite", "redis"):
        s, b = series.get((f"{store}-small", "query")), series.get((f"{store}-big", "query"))
        if s is not None and b is not None:
            out.append(Check(f"query, 100k tasks / 10 tasks, {store}", ratio(b.rps, s.rps), 0.9))
    if "bytes_per_task" in extra:
        out.append(Check("memory store, bytes per stored task (RSS)", extra["bytes_per_task"], 1024,
                         at_most=True, unit="B"))
    if "startup" in extra:
        out.append(Check("start-up to first 200, median of 5", extra["startup"], 0.3, at_most=True, unit="s"))
    return out


def check_table(found: list[Check]) -> list[str]:
    """The targets as a markdown table."""
    return ["| target | measured | goal | result |", "|---|--:|--:|---|", *(c.row() for c in found)]


def raw_lines(series: dict[tuple[str, str], Series]) -> list[str]:
    """Every run, for the plain-text log."""
    lines = []
    for (key, op), s in series.items():
        runs = " ".join(f"{r.rps:.0f}" for r in s.runs)
        warm = " ".join(f"{r.rps:.0f}" for r in s.warmup)
        fails = [r.failures for r in (*s.warmup, *s.runs)]
        lines.append(f"{key:<22}{op:<7} runs req/s [{runs}]  warm-up [{warm}]  failures per run {fails}  "
                     f"RSS MB {[round(x / 1e6) for x in s.rss]}")
    return lines
