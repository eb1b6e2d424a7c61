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
    reference: bool = False  # shown for context (e.g. what bare Flask gets), not a target


    @property
    def passed(self) -> bool:
        """Within the bound? (a reference row always passes)"""
        if self.reference:
            return True
        return self.value <= self.bound if self.at_most else self.value >= self.bound

    def row(self) -> str:
        """A markdown row."""
        fmt = {"×": "{:.2f}×", "B": "{:,.0f} B", "s": "{:.3f} s", "": "{:,.0f}", "n": "{:.2f}"}[self.unit]
        if self.reference:
            return f"| {self.name} | {fmt.format(self.value)} | (reference) | |"
        goal = ("≤ " if self.at_most else "≥ ") + fmt.format(self.bound)
        return f"| {self.name} | {fmt.format(self.value)} | {goal} | {'PASS' if self.passed else '**FAIL**'} |"


def ratio(a: float, b: float) -> float:
    """a / b, 0 when b is 0."""
    return a / b if b else 0.0


def paired(a: Series | None, b: Series | None) -> float:
    """Median over rounds of a's req/s / b's req/s in the same round (servers of one round run back to back,
    so a pair shares the machine's load of that moment); 0 when either is missing."""
    if a is None or b is None or not a.runs or not b.runs:
        return 0.0
    return statistics.median(ratio(x.rps, y.rps) for x, y in zip(a.runs, b.runs, strict=False))


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
                     f"| {s.failures + b.failures} | {paired(b, s):.2f}× |")
    return lines


def store_checks(series: dict[tuple[str, str], Series], workers: int,
                 trips: dict[str, dict[str, float]] | None) -> list[Check]:
    """Issue 19's targets: one process on Redis and SQLite against one process on memory, two processes on
    Redis against it, and round trips per request."""
    out: list[Check] = []
    goals = (("mock-1p-redis", "one process redis", 0.75), ("mock-1p-sqlite", "one process sqlite", 0.8),
             (f"mock-w{workers}-redis", f"--workers {workers} redis", 1.2))
    for key, name, goal in goals:
        for op in ("create", "query"):
            if (key, op) in series and ("mock-1p", op) in series:
                out.append(Check(f"{name} / one process memory (default), {op}",
                                 paired(series[(key, op)], series[("mock-1p", op)]), goal))
    for store, values in (trips or {}).items():
        if store == "memory":
            continue
        for op, value in values.items():
            out.append(Check(f"round trips per request, {store}, {op}", value, 1.1, at_most=True, unit="n"))
    return out


def checks(series: dict[tuple[str, str], Series], extra: dict[str, float], workers: int,
           trips: dict[str, dict[str, float]] | None = None) -> list[Check]:
    """Every target of issue 9 item 5 and issue 19 that the run measured, as paired ratios (see `paired`)."""
    def pair(a: str, b: str, op: str) -> float:
        return paired(series.get((a, op)), series.get((b, op)))

    out: list[Check] = store_checks(series, workers, trips)
    w = f"--workers {workers}"
    for op in ("create", "query"):
        if ("prism", op) in series:
            out.append(Check(f"default seedance-mock / Prism, {op}", pair("mock-1p", "prism", op), 1.5))
    for store in ("sqlite", "redis"):
        key = f"mock-w{workers}-{store}"
        for op in ("create", "query"):
            if (key, op) not in series:
                continue
            out.append(Check(f"{w} {store} / default one process, {op}", pair(key, "mock-1p", op), 1.6))
            if (f"mock-1p-{store}", op) in series:
                out.append(Check(f"{w} {store} / one process {store}, {op}", pair(key, f"mock-1p-{store}", op),
                                 1.6, reference=True))
            if ("bare-w", op) in series:
                out.append(Check(f"{w} {store} / bare Flask same server, {op}", pair(key, "bare-w", op), 0.7))
            out.append(Check(f"{w} {store} non-2xx + socket errors, {op}",
                             float(series[(key, op)].failures), 0, at_most=True, unit=""))
    for op in ("create", "query"):
        if ("bare-w", op) in series and ("bare-1p", op) in series:
            out.append(Check(f"bare Flask {workers} processes / 1 process, {op} (this machine's ceiling)",
                             pair("bare-w", "bare-1p", op), 1.6, reference=True))
            out.append(Check(f"default seedance-mock / bare Flask same server, {op}", pair("mock-1p", "bare-1p", op),
                             0.7, reference=True))
    for store in ("memory", "sqlite", "redis"):
        s, b = series.get((f"{store}-small", "query")), series.get((f"{store}-big", "query"))
        if s is not None and b is not None:
            out.append(Check(f"query, 100k tasks / 10 tasks, {store}", paired(b, s), 0.9))
    if "bytes_per_task" in extra:
        out.append(Check("memory store, bytes per stored task (RSS)", extra["bytes_per_task"], 1024,
                         at_most=True, unit="B"))
    if "startup" in extra:
        runs = int(extra.get("startup_runs", 5))
        out.append(Check(f"start-up to first 200, median of {runs}", extra["startup"], 0.3, at_most=True, unit="s"))
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
