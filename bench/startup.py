"""Start-up of `seedance-mock`: spawn to the first 200 on /_mock/health, then the first create and query.

Used by bench_server.py (its start-up rows, and `--only-startup`). With `--startup-baseline DIR` (a checkout
of another tree, e.g. `git worktree add /tmp/base main`) every measured start alternates with one of DIR's
code (run through PYTHONPATH with the same venv), so that the ratio survives a busy machine. This machine
sets PYTHONDONTWRITEBYTECODE: each start then compiles the package from source (a pip install ships its
bytecode), so a last row measures the default start with its bytecode cached.
"""

from __future__ import annotations

import http.client
import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import servers
from proc_tools import Procs, free_port
from wrk_runner import BODY, CREATE_PATH, TOKEN

NAMES = {"startup": "seedance-mock", "startup_waitress": "seedance-mock --server waitress",
         "startup_workers": "seedance-mock --workers 2 --store sqlite:…",
         "startup_bytecode": "seedance-mock with its bytecode cached (as a pip install has it)"}


def first_requests(port: int) -> tuple[float, float]:
    """Seconds of the first create and of the first query of a server just started (one connection each)."""
    took = []
    headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
    path, body = CREATE_PATH, json.dumps(BODY)
    for method in ("POST", "GET"):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        try:
            conn.connect()
            start = time.perf_counter()
            conn.request(method, path, body=body if method == "POST" else None, headers=headers)
            response = conn.getresponse()
            data = response.read()
            took.append(time.perf_counter() - start)
        finally:
            conn.close()
        if response.status != 200:
            raise RuntimeError(f"{method} {path} answered {response.status} right after start-up")
        path = f"/api/open-api/v1/videos/{json.loads(data)['data']['task_id']}"
    return took[0], took[1]


def startup_seconds(procs: Procs, runs: int, *extra: str, env: dict[str, str] | None = None,
                    first: list[tuple[float, float]] | None = None) -> list[float]:
    """Spawn-to-first-200 of `seedance-mock [extra]` on /_mock/health, `runs` times (`first`: also collect the
    first create's and first query's seconds)."""
    found = []
    for i in range(runs):
        server = servers.mock_cli(free_port(), f"startup-{i}", *extra)
        server.env.update(env or {})
        found.append(server.start(procs))
        assert server.child is not None
        if first is not None:
            first.append(first_requests(server.port))
        procs.stop(server.child)
    return found


def bytecode_env(tmp: Path) -> dict[str, str]:
    """Python writes and reads the bytecode in `tmp` (as a pip install or any second start has it), even where
    PYTHONDONTWRITEBYTECODE is set."""
    return {"PYTHONDONTWRITEBYTECODE": "", "PYTHONPYCACHEPREFIX": str(tmp / "pycache")}


def _show(starts: list[float]) -> str:
    return " ".join(f"{s:.3f}" for s in starts)


def startup_figures(runs: int, workers: int, baseline: Path | None, procs: Procs, tmp: Path,
                    log: Callable[[str], None], cli: str) -> dict[str, float]:
    """Medians of `runs` starts of each variant the CLI offers (and of `baseline`'s, alternated), the first
    requests after the default start, and the default start with its bytecode cached."""
    extra: dict[str, float] = {"startup_runs": runs}
    variants: dict[str, tuple[str, ...]] = {"startup": ()}
    if "--server" in cli:
        variants["startup_waitress"] = ("--server", "waitress")
    if "--workers" in cli:
        variants["startup_workers"] = ("--workers", str(workers), "--store", "sqlite:{tmp}/start-{tree}.sqlite")
    for key, pattern in variants.items():
        first: list[tuple[float, float]] = []
        ours: list[float] = []
        theirs: list[float] = []
        for _ in range(runs):
            args = [a.format(tmp=tmp, tree="ours") for a in pattern]
            ours += startup_seconds(procs, 1, *args, first=first if key == "startup" else None)
            if baseline is not None:
                args = [a.format(tmp=tmp, tree="baseline") for a in pattern]
                theirs += startup_seconds(procs, 1, *args, env={"PYTHONPATH": str(baseline)})
        extra[key] = statistics.median(ours)
        log(f"start-up to first 200, {NAMES[key]}: {_show(ours)} s")
        if theirs:
            extra[f"{key}_baseline"] = statistics.median(theirs)
            log(f"  baseline {baseline} (alternating): {_show(theirs)} s; ratio of medians "
                f"{extra[key] / extra[f'{key}_baseline']:.2f}")
        if first:
            extra["first_create_ms"] = 1000 * statistics.median(c for c, _ in first)
            extra["first_query_ms"] = 1000 * statistics.median(q for _, q in first)
            log(f"  first create {extra['first_create_ms']:.1f} ms, first query {extra['first_query_ms']:.1f} ms "
                "(medians, after the first 200)")
    if sys.flags.dont_write_bytecode or os.environ.get("PYTHONDONTWRITEBYTECODE"):
        env = bytecode_env(tmp)
        startup_seconds(procs, 1, env=env)  # compiles and writes the bytecode: not counted
        starts = startup_seconds(procs, runs, env=env)
        extra["startup_bytecode"] = statistics.median(starts)
        log(f"start-up to first 200, {NAMES['startup_bytecode']}: {_show(starts)} s")
    return extra


def startup_lines(extra: dict[str, float]) -> list[str]:
    """Start-up figures beyond the checked one."""
    shown = [f"{NAMES[k]} {v:.2f} s" for k, v in extra.items() if k in NAMES]
    lines = [f"Start-up to the first 200 on /_mock/health (median): {'; '.join(shown)}."] if shown else []
    ratios = [f"{NAMES[k]} {v / extra[k + '_baseline']:.2f}×" for k, v in extra.items()
              if k in NAMES and k + "_baseline" in extra]
    if ratios:
        lines.append(f"Against the baseline tree, starts alternating: {'; '.join(ratios)}.")
    if "first_create_ms" in extra:
        lines.append(f"Right after it: first create {extra['first_create_ms']:.1f} ms, first query "
                     f"{extra['first_query_ms']:.1f} ms (medians).")
    return lines
