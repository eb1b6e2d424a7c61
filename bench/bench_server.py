"""Throughput of the emulator side by side with Prism and bare Flask, in ONE run, with wrk (issue 9 item 5),
and the shared stores against memory with their round trips per request (issue 19).

Run: `python bench/bench_server.py [--seconds 4] [--rounds 3] [--warmup 2] [--big 100000]`
(`--only-startup [--startup-runs 5] [--startup-baseline DIR]`: the start-up figures alone, about 20 s, see
startup.py). Every server is
started here on a free loopback port and stopped at the end (also on Ctrl-C or an error):
  Prism 5.x mock of openapi.yaml (default logging), the default `seedance-mock` (one process, memory),
  `seedance-mock --workers 2` over SQLite and over Redis (a redis-server started here), bare Flask on the same
  WSGI server with 2 workers, and bare Flask on waitress (one process, baseline of the default).
Each server and operation gets a warm-up run, then `--rounds` measured `wrk -t2 -c32 --latency` runs,
interleaved across servers so that machine noise hits all alike; req/s and latency are medians of the runs.
Create POSTs the sample body; query cycles through task ids created on the server under test beforehand (a
404 counts as a failure). Then query with 10 vs 100,000 stored tasks per store, memory per stored task and
start-up to the first 200, and round trips per request per store (round_trips.py: Redis commands counted
with MONITOR, SQLite statements). Writes bench/results/server.txt (every run) and bench/results/server.md (the
table the README includes). On 2 shared cores only the ratios of one run mean anything.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import servers
from proc_tools import Procs, free_port, tree_rss
from report import Series, check_table, checks, raw_lines, server_table, size_table
from round_trips import OPERATIONS, redis_round_trips, round_trip_table, sqlite_round_trips
from servers import BENCH, Server
from startup import startup_figures, startup_lines
from wrk_runner import BODY, CREATE_PATH, TOKEN, create_script, query_script
from wrk_runner import run as wrk

RESULTS = BENCH / "results"
SEEDED_IDS = 200


def create_ids(port: int, count: int) -> tuple[list[str], int]:
    """`count` creates over fresh connections (so that every worker gets some); the ids and the failures."""
    ids, failures = [], 0
    body = json.dumps(BODY)
    headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
    for _ in range(count):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        try:
            conn.request("POST", CREATE_PATH, body=body, headers=headers)
            response = conn.getresponse()
            data = response.read()
            if response.status == 200:
                ids.append(json.loads(data)["data"]["task_id"])
            else:
                failures += 1
        finally:
            conn.close()
    return ids, failures


def measure(plan: dict[str, tuple[Server, Path]], op: str, seconds: float, warmup: float, rounds: int,
            series: dict[tuple[str, str], Series], log: Callable[[str], None]) -> None:
    """Warm-up on every server, then `rounds` rounds over all of them (order reversed every other round)."""
    keys = list(plan)
    for key in keys:
        server, script = plan[key]
        s = series.setdefault((key, op), Series())
        s.warmup.append(wrk(server.port, script, warmup))
    for round_no in range(rounds):
        # forward, backward, forward...: servers compared with each other stay next to each other in time
        for key in keys if round_no % 2 == 0 else keys[::-1]:
            server, script = plan[key]
            result = wrk(server.port, script, seconds)
            s = series[(key, op)]
            s.runs.append(result)
            assert server.child is not None
            s.rss.append(tree_rss(server.child.pid))
            log(f"  {op:<6} {key:<16} {result.rps:8.0f} req/s  p50 {result.p50:6.2f} ms  p99 {result.p99:7.2f} ms"
                f"  failures {result.failures}")


def memory_per_task(count: int) -> dict[str, float]:
    """Bytes per stored task, measured in a fresh process (store_fill.py memory-per-task)."""
    done = subprocess.run([sys.executable, str(BENCH / "store_fill.py"), "memory-per-task", "--count", str(count)],
                          capture_output=True, text=True, timeout=900, check=True, cwd=BENCH)
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def fill_stores(procs: Procs, stores: dict[str, tuple[str, int]], tmp: Path) -> dict[str, list[str]]:
    """Fill shared stores in-process (two fills at a time); the sampled ids of each."""
    ids: dict[str, list[str]] = {}
    pending = list(stores.items())
    while pending:
        batch, pending = pending[:2], pending[2:]
        running = []
        for key, (spec, count) in batch:
            out = tmp / f"{key}.ids.json"
            argv = [sys.executable, str(BENCH / "store_fill.py"), "fill", "--store", spec, "--count", str(count),
                    "--ids-out", str(out)]
            running.append((key, out, procs.spawn(f"fill-{key}", argv, cwd=BENCH)))
        for key, out, child in running:
            if child.wait(timeout=900) != 0:
                raise RuntimeError(f"filling {key} failed (see {procs.log_dir}/fill-{key}.log)")
            ids[key] = json.loads(out.read_text(encoding="utf-8"))
    return ids


def start_all(procs: Procs, plan: dict[str, Server], log: Callable[[str], None]) -> None:
    """Start every server of `plan` (one after the other: start-up competes for the cores)."""
    for key, server in plan.items():
        took = server.start(procs)
        log(f"  started {key:<16} on :{server.port} in {took:.2f} s")


def stop_all(procs: Procs, plan: dict[str, Server]) -> None:
    """Stop the servers of `plan`."""
    for server in plan.values():
        if server.child is not None:
            procs.stop(server.child)


def single_figures(args: argparse.Namespace, procs: Procs, tmp: Path, log: Callable[[str], None],
                   cli: str) -> dict[str, float]:
    """Bytes per stored task and start-up times (median of `--startup-runs`)."""
    extra: dict[str, float] = {}
    if not args.skip_memory:
        per_task = memory_per_task(args.big)
        extra["bytes_per_task"] = per_task["rss_bytes_per_task"]
        log(f"memory store: {per_task['rss_bytes_per_task']:.0f} B/task RSS, "
            f"{per_task['traced_bytes_per_task']:.0f} B/task tracemalloc ({args.big:,} tasks)")
    baseline = Path(args.startup_baseline).resolve() if args.startup_baseline else None
    extra.update(startup_figures(args.startup_runs, args.workers, baseline, procs, tmp, log, cli))
    return extra


def main_servers(args: argparse.Namespace, procs: Procs, tmp: Path, redis_url: str, cli: str,
                 log: Callable[[str], None]) -> tuple[dict[str, Server], dict[str, str], str, str]:
    """Start the servers of the main table, in the order they run (servers compared with each other next
    to each other); their labels, and the WSGI servers of one and N processes."""
    w = args.workers
    use_cli = "--workers" in cli and not args.wsgi_fallback
    started: dict[str, Server] = {}
    labels: dict[str, str] = {}
    if not args.skip_prism:
        started["prism"] = servers.prism(free_port())
        labels["prism"] = f"Prism {servers.PRISM_VERSION} mock (default logging)"
    started["mock-1p"] = servers.mock_cli(free_port(), "mock-1p")
    stores = {"sqlite": f"sqlite:{tmp / 'main.sqlite'}", "redis": f"{redis_url}?prefix=main"}
    for store, spec in stores.items():
        key = f"mock-w{w}-{store}"
        if use_cli:
            started[key] = servers.mock_cli(free_port(), key, "--workers", str(w), "--store", spec)
        else:
            started[key] = servers.mock_workers(free_port(), w, spec, args.wsgi, key)
        labels[key] = f"seedance-mock --workers {w}, {'SQLite' if store == 'sqlite' else 'Redis'}"
    start_all(procs, started, log)
    pid1, pid_n = (started[k].child.pid for k in ("mock-1p", f"mock-w{w}-sqlite"))  # type: ignore[union-attr]
    wsgi1, wsgi_n = servers.detect_wsgi(pid1, "waitress"), servers.detect_wsgi(pid_n, args.wsgi)
    labels["mock-1p"] = f"seedance-mock (default: 1 process, memory, {wsgi1})"
    more = {"bare-1p": servers.bare(free_port(), wsgi1, 1, "bare-1p"),
            "bare-w": servers.bare(free_port(), wsgi_n, w, "bare-w")}
    labels["bare-1p"], labels["bare-w"] = f"bare Flask, {wsgi1} 1 process", f"bare Flask, {wsgi_n} {w} processes"
    if not args.skip_store_1p:
        for store in stores:
            spec = f"sqlite:{tmp / 'one.sqlite'}" if store == "sqlite" else f"{redis_url}?prefix=one"
            more[f"mock-1p-{store}"] = servers.mock_cli(free_port(), f"mock-1p-{store}", "--store", spec)
            labels[f"mock-1p-{store}"] = f"seedance-mock 1 process, {'SQLite' if store == 'sqlite' else 'Redis'}"
    if "--server" in cli and wsgi1 != "waitress" and not args.skip_waitress:
        more["mock-waitress"] = servers.mock_cli(free_port(), "mock-waitress", "--server", "waitress")
        more["bare-waitress"] = servers.bare(free_port(), "waitress", 1, "bare-waitress")
        labels["mock-waitress"] = "seedance-mock --server waitress"
        labels["bare-waitress"] = "bare Flask, waitress 1 process"
    start_all(procs, more, log)
    started.update(more)
    order = ["prism", "mock-1p", "bare-1p", "mock-1p-sqlite", f"mock-w{w}-sqlite", "bare-w", f"mock-w{w}-redis",
             "mock-1p-redis", "mock-waitress", "bare-waitress"]
    plan = {k: started[k] for k in order if k in started}
    return plan, {k: labels[k] for k in plan}, wsgi1, wsgi_n


def size_runs(args: argparse.Namespace, procs: Procs, tmp: Path, redis_url: str, wsgi1: str, cli: str,
              series: dict[tuple[str, str], Series], log: Callable[[str], None]) -> None:
    """Query with `--small` vs `--big` stored tasks, memory (default server), SQLite and Redis (--workers)."""
    w = args.workers
    log(f"query with {args.small:,} vs {args.big:,} stored tasks")
    shared = {f"{store}-{size}": (spec, count)
              for store, spec in (("sqlite", "sqlite:{tmp}/{key}.sqlite"), ("redis", redis_url + "?prefix={key}"))
              for size, count in (("small", args.small), ("big", args.big))}
    shared = {k: (spec.format(tmp=tmp, key=k), n) for k, (spec, n) in shared.items()}
    ids = fill_stores(procs, shared, tmp)
    sizes: dict[str, Server] = {}
    for size, count in (("small", args.small), ("big", args.big)):
        key = f"memory-{size}"
        sizes[key] = servers.mock_filled_memory(free_port(), count, tmp / f"{key}.ids.json", wsgi1, key)
    for key, (spec, _) in shared.items():
        if "--workers" in cli and not args.wsgi_fallback:
            sizes[key] = servers.mock_cli(free_port(), key, "--workers", str(w), "--store", spec)
        else:
            sizes[key] = servers.mock_workers(free_port(), w, spec, args.wsgi, key)
    start_all(procs, sizes, log)
    for key in ("memory-small", "memory-big"):
        ids[key] = json.loads((tmp / f"{key}.ids.json").read_text(encoding="utf-8"))
    ops = {k: (s, query_script(tmp / f"size-{k}.lua", ids[k])) for k, s in sizes.items()}
    measure(ops, "query", args.seconds, args.warmup, args.rounds, series, log)
    stop_all(procs, sizes)


def count_round_trips(args: argparse.Namespace, plan: dict[str, Server], redis_url: str,
                      log: Callable[[str], None]) -> dict[str, dict[str, float]]:
    """Round trips per request per store (round_trips.py), after the throughput runs."""
    found: dict[str, dict[str, float]] = {"memory": dict.fromkeys(OPERATIONS, 0.0)}
    if not args.skip_store_1p:
        found["sqlite"] = sqlite_round_trips(args.count)
    for key, label in (("mock-1p-redis", "redis"), (f"mock-w{args.workers}-redis", f"redis, --workers {args.workers}")):
        if key in plan:
            found[label] = redis_round_trips(plan[key].port, redis_url, args.count)
    for store, values in found.items():
        log(f"round trips per request, {store}: " + ", ".join(f"{op} {v:.2f}" for op, v in values.items()))
    return found


def main_run(args: argparse.Namespace, procs: Procs, tmp: Path, log: Callable[[str], None]
             ) -> tuple[dict[tuple[str, str], Series], dict[str, str], dict[str, float], str,
                        dict[str, dict[str, float]]]:
    """Every measurement; returns the series, the row labels, single figures, the servers used and the
    round trips per request."""
    series: dict[tuple[str, str], Series] = {}
    cli = subprocess.run([servers.bin_path("seedance-mock"), "--help"], capture_output=True, text=True,
                         timeout=60, check=False).stdout
    extra = single_figures(args, procs, tmp, log, cli)
    redis_port, redis = servers.start_redis(procs)
    redis_url = f"redis://127.0.0.1:{redis_port}/0"
    plan, labels, wsgi1, wsgi_n = main_servers(args, procs, tmp, redis_url, cli, log)
    create_lua = create_script(tmp / "create.lua")
    scripts: dict[str, Path] = {}
    for key, server in plan.items():
        ids, failures = create_ids(server.port, SEEDED_IDS)
        if failures or not ids:
            raise RuntimeError(f"{key}: {failures} of {SEEDED_IDS} creates failed before the query runs")
        scripts[key] = query_script(tmp / f"query-{key}.lua", ids)
    for op in ("create", "query"):
        log(f"{op}: warm-up {args.warmup:g} s, then {args.rounds} x {args.seconds:g} s per server")
        ops = {k: (s, create_lua if op == "create" else scripts[k]) for k, s in plan.items()}
        measure(ops, op, args.seconds, args.warmup, args.rounds, series, log)
    trips = count_round_trips(args, plan, redis_url, log)
    stop_all(procs, plan)
    log(f"redis-server RSS (not in the rows above): {tree_rss(redis.pid) / 1e6:.0f} MB")
    if not args.skip_sizes:
        size_runs(args, procs, tmp, redis_url, wsgi1, cli, series, log)
    return series, labels, extra, f"one process: {wsgi1}; --workers {args.workers}: {wsgi_n}", trips


def startup_only(args: argparse.Namespace, log: Callable[[str], None]) -> int:
    """`--only-startup`: the start-up figures and their check, printed (results files untouched)."""
    args.skip_memory = True
    cli = subprocess.run([servers.bin_path("seedance-mock"), "--help"], capture_output=True, text=True,
                         timeout=60, check=False).stdout
    with tempfile.TemporaryDirectory(prefix="seedance-bench-") as name, Procs(Path(name) / "logs") as procs:
        extra = single_figures(args, procs, Path(name), log, cli)
    print("\n".join([*startup_lines(extra), "", *check_table(checks({}, extra, args.workers, {}))]))
    return 0


def main() -> int:
    """Parse options, measure, print and write the results."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=4.0, help="length of one measured wrk run (4)")
    parser.add_argument("--warmup", type=float, default=2.0, help="length of the warm-up run (2)")
    parser.add_argument("--rounds", type=int, default=3, help="measured runs per server and operation (3)")
    parser.add_argument("--workers", type=int, default=2, help="worker processes of the shared-store servers (2)")
    parser.add_argument("--wsgi", choices=["gunicorn", "granian"], default="gunicorn",
                        help="WSGI server for the multi-worker runs until `seedance-mock --workers` exists")
    parser.add_argument("--wsgi-fallback", action="store_true", help="use --wsgi even if the CLI has --workers")
    parser.add_argument("--small", type=int, default=10, help="stored tasks, small store (10)")
    parser.add_argument("--big", type=int, default=100_000, help="stored tasks, big store (100000)")
    parser.add_argument("--startup-runs", type=int, default=5)
    parser.add_argument("--only-startup", action="store_true",
                        help="measure start-up to the first 200 only (default, --server waitress, --workers N) and "
                             "print it; writes no results file")
    parser.add_argument("--startup-baseline", metavar="DIR",
                        help="a checkout of another tree: its starts alternate with ours, ratios printed")
    parser.add_argument("--skip-prism", action="store_true")
    parser.add_argument("--skip-memory", action="store_true", help="skip the bytes-per-task measurement")
    parser.add_argument("--skip-waitress", action="store_true", help="no `--server waitress` rows")
    parser.add_argument("--skip-sizes", action="store_true", help="no 10 vs 100,000 stored tasks runs")
    parser.add_argument("--skip-store-1p", action="store_true", help="no one-process SQLite and Redis rows")
    parser.add_argument("--count", type=int, default=300, help="requests per operation counting round trips (300)")
    parser.add_argument("--out", type=Path, default=RESULTS, help="directory of server.txt and server.md")
    args = parser.parse_args()

    lines: list[str] = []

    def log(text: str) -> None:
        print(text, flush=True)
        lines.append(text)

    if args.only_startup:
        return startup_only(args, log)
    started = time.time()
    with tempfile.TemporaryDirectory(prefix="seedance-bench-") as name, Procs(Path(name) / "logs") as procs:
        series, labels, extra, used, trips = main_run(args, procs, Path(name), log)
    found = checks(series, extra, args.workers, trips)
    when = time.strftime("%Y-%m-%d %H:%M", time.localtime(started))
    tree = subprocess.run(["git", "describe", "--always", "--dirty"], capture_output=True, text=True,
                          cwd=servers.REPO, check=False).stdout.strip() or "?"
    header = (f"Measured {when} by `python bench/bench_server.py` on {os.cpu_count()} cores shared with wrk "
              f"(tree {tree}; Python {platform.python_version()}; wrk -t2 -c32, warm-up {args.warmup:g} s, median of "
              f"{args.rounds} runs of {args.seconds:g} s, interleaved; {used}). "
              "Ratios are medians of same-round pairs; only ratios within one run mean anything.")
    md = [header, "", *server_table(labels, series), "", *round_trip_table(trips), "",
          *size_table(series, args.small, args.big), "", *check_table(found), "", *startup_lines(extra), ""]
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "server.md").write_text("\n".join(md), encoding="utf-8")
    text = [*lines, "", *raw_lines(series), "", *md]
    (args.out / "server.txt").write_text("\n".join(text), encoding="utf-8")
    print("\n".join(md))
    targets = [c for c in found if not c.reference]
    failed = [c.name for c in targets if not c.passed]
    print(f"{len(targets) - len(failed)} of {len(targets)} targets pass"
          + (f"; FAIL: {'; '.join(failed)}" if failed else ""))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
