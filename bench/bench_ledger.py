"""The coverage ledger's cost (issue 18): the default emulator with the ledger on against `--no-ledger`, side by
side in ONE run, with wrk; and, on Redis, the commands per request counted (not timed) with the ledger on and off.

Run: `python bench/bench_ledger.py [--seconds 4] [--rounds 3] [--warmup 2] [--skip-redis]`. Both servers are
started here (default `seedance-mock`: one process, memory store; then `--workers 2 --store redis://...` on and
off) and stopped at the end. Each operation (create, query) gets a warm-up, then `--rounds` measured
`wrk -t2 -c32` runs interleaved between "on" and "off" (order reversed every other round). The ratio is the
median of same-round on/off pairs; the target is on >= 0.95 x off for create and query. Redis commands per
request: `redis-cli monitor` over 400 creates and 400 queries on fresh connections (round trips, and all
commands including those run inside Lua scripts). Writes bench/results/ledger.txt.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import servers
from bench_server import create_ids, measure
from proc_tools import Procs, free_port
from report import Series
from servers import BENCH, Server
from wrk_runner import create_script, query_script

TARGET = 0.95
COUNTED = 400


def pair_ratio(on: Series, off: Series) -> float:
    """Median of the per-round ratios on/off (rounds are side by side in time)."""
    return statistics.median(a.rps / b.rps for a, b in zip(on.runs, off.runs, strict=True) if b.rps)


def commands_per_request(redis_port: int, server: Server, tmp: Path) -> dict[str, float]:
    """Redis round trips (commands sent by clients: what the scale issue's budget counts) and all commands
    (those run inside Lua scripts too), per create and per query, each request over a fresh connection; read
    from `redis-cli monitor` (script-issued commands carry a `[db lua]` tag)."""
    import http.client

    def monitored(action: Callable[[], None]) -> tuple[int, int]:
        log = tmp / "monitor.txt"
        with log.open("w") as sink:
            monitor = subprocess.Popen(["redis-cli", "-p", str(redis_port), "monitor"], stdout=sink)
            time.sleep(0.3)
            action()
            time.sleep(0.3)  # the journal writer's last batch
            monitor.terminate()
            monitor.wait(timeout=10)
        lines = [x for x in log.read_text(encoding="utf-8", errors="replace").splitlines() if x[:1].isdigit()]
        return sum(1 for x in lines if " lua] " not in x), len(lines)

    ids: list[str] = []

    def creates() -> None:
        found, failures = create_ids(server.port, COUNTED)
        if failures:
            raise RuntimeError(f"{failures} creates failed")
        ids.extend(found)

    def queries() -> None:
        for task_id in ids:
            conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
            conn.request("GET", f"/api/open-api/v1/videos/{task_id}", headers={"Authorization": "Bearer sk_bench"})
            conn.getresponse().read()
            conn.close()

    trips_c, all_c = monitored(creates)
    trips_q, all_q = monitored(queries)
    return {"round trips per create": trips_c / COUNTED, "round trips per query": trips_q / COUNTED,
            "commands per create": all_c / COUNTED, "commands per query": all_q / COUNTED}


def main() -> int:
    """Measure, print and write bench/results/ledger.txt."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=4.0, help="length of one measured wrk run (4)")
    parser.add_argument("--warmup", type=float, default=2.0, help="length of the warm-up run (2)")
    parser.add_argument("--rounds", type=int, default=3, help="measured runs per server and operation (3)")
    parser.add_argument("--skip-redis", action="store_true", help="no Redis commands-per-request count")
    parser.add_argument("--out", type=Path, default=BENCH / "results", help="directory of ledger.txt")
    args = parser.parse_args()
    lines: list[str] = []

    def log(text: str) -> None:
        print(text, flush=True)
        lines.append(text)

    with tempfile.TemporaryDirectory(prefix="seedance-bench-ledger-") as name, Procs(Path(name) / "logs") as procs:
        tmp = Path(name)
        plan = {"ledger-on": servers.mock_cli(free_port(), "ledger-on", "--quiet"),
                "ledger-off": servers.mock_cli(free_port(), "ledger-off", "--quiet", "--no-ledger")}
        for key, server in plan.items():
            log(f"started {key} on :{server.port} in {server.start(procs):.2f} s")
        series: dict[tuple[str, str], Series] = {}
        creates = {k: (s, create_script(tmp / "create.lua")) for k, s in plan.items()}
        measure(creates, "create", args.seconds, args.warmup, args.rounds, series, log)
        queries = {}
        for key, server in plan.items():
            ids, _ = create_ids(server.port, 200)
            queries[key] = (server, query_script(tmp / f"query-{key}.lua", ids))
        measure(queries, "query", args.seconds, args.warmup, args.rounds, series, log)
        ratios = {op: pair_ratio(series[("ledger-on", op)], series[("ledger-off", op)]) for op in ("create", "query")}
        for server in plan.values():
            if server.child is not None:
                procs.stop(server.child)
        counted: dict[str, dict[str, float]] = {}
        if not args.skip_redis:
            redis_port, _ = servers.start_redis(procs)
            for key, extra in (("ledger-on", ()), ("ledger-off", ("--no-ledger",))):
                store = f"redis://127.0.0.1:{redis_port}/0?prefix={key}"
                server = servers.mock_cli(free_port(), f"redis-{key}", "--quiet", "--workers", "2", "--store", store,
                                          *extra)
                server.start(procs)
                counted[key] = commands_per_request(redis_port, server, tmp)
                assert server.child is not None
                procs.stop(server.child)
    log("")
    log(f"Measured {time.strftime('%Y-%m-%d %H:%M')} by `python bench/bench_ledger.py --seconds {args.seconds:g} "
        f"--rounds {args.rounds}` on {os.cpu_count()} cores shared with wrk; default seedance-mock (memory).")
    for op, ratio in ratios.items():
        on = statistics.median(r.rps for r in series[("ledger-on", op)].runs)
        off = statistics.median(r.rps for r in series[("ledger-off", op)].runs)
        verdict = "PASS" if ratio >= TARGET else "FAIL"
        log(f"{op:<6}: ledger on {on:8.0f} req/s, off {off:8.0f} req/s, on/off {ratio:.3f} "
            f"(target >= {TARGET}) {verdict}")
    for key, figures in counted.items():
        log(f"redis --workers 2, {key}: " + ", ".join(f"{v:.3f} {k}" for k, v in figures.items()))
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "ledger.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(json.dumps({"ratios": ratios, "redis_commands": counted}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
