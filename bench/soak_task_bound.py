"""Soak the task bound: a memory emulator with a small `--max-tasks` stays flat in RSS under create load.

Run: `python bench/soak_task_bound.py [--seconds 300] [--max-tasks 1000] [--speed 1000]`.
Starts `seedance-mock --quiet --max-tasks N --speed S` (default retention: 3 days, so only the bound can keep
the store small) and drives it with creates only (wrk -t2 -c32) for `--seconds`, sampling the server's RSS
and `/_mock/health` every `--sample` seconds. Tasks finish within a fraction of a second at speed 1000, so
the bound forgets the oldest finished ones and no create is refused.

PASS when the final RSS is within 10% of the RSS at a third of the run, the store never held more than the
bound (plus the 64-create counting slack, see `Backend._make_room`), and no answer was an error. Run the
same command with `--max-tasks 100000000` beside it to see the unbounded store grow instead.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from proc_tools import Procs, free_port, tree_rss
from servers import Server, bin_path
from wrk_runner import create_script, parse

SLACK = 64  # creates between two counts of the store (mockserver/state/backend.py _EVICT_EVERY)


def health(port: int) -> dict[str, int]:
    """The emulator's stored task count and bound."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/_mock/health", timeout=10) as answer:
        data = json.loads(answer.read())["data"]
    return {"tasks": int(data["tasks"]), "max_tasks": int(data["max_tasks"])}


def run(args: argparse.Namespace) -> bool:
    """Start, load and sample; print the report; the verdict."""
    with tempfile.TemporaryDirectory(prefix="seedance-bound-") as name, Procs(Path(name) / "logs") as procs:
        port = free_port()
        argv = [bin_path("seedance-mock"), "--port", str(port), "--quiet", "--max-tasks", str(args.max_tasks),
                "--speed", str(args.speed)]
        server = Server("bound-server", argv, port=port)
        server.start(procs)
        assert server.child is not None
        pid = server.child.pid
        script = create_script(Path(name) / "create.lua")
        wrk = ["wrk", "-t2", "-c32", f"-d{int(args.seconds)}s", "--timeout", "5s", "--latency", "-s", str(script),
               f"http://127.0.0.1:{port}/"]
        print(f"soak: {' '.join(argv[1:])}  (creates for {args.seconds:g} s, sampled every {args.sample:g} s)",
              flush=True)
        started = time.monotonic()
        load = subprocess.Popen(wrk, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        samples: list[tuple[float, int, int]] = []
        try:
            for i in range(int(args.seconds / args.sample) + 2):
                time.sleep(max(0.0, started + (i + 1) * args.sample - time.monotonic()))
                if load.poll() is not None:
                    break
                stored = health(port)["tasks"]
                samples.append((time.monotonic() - started, tree_rss(pid), stored))
                t, rss, stored = samples[-1]
                print(f"  t={t:6.0f} s  RSS {rss / 1e6:7.1f} MB  stored tasks {stored}", flush=True)
            out, err = load.communicate(timeout=args.seconds + 60)
        finally:
            if load.poll() is None:
                load.kill()
                load.wait(timeout=10)
        samples.append((time.monotonic() - started, tree_rss(pid), health(port)["tasks"]))
    if len(samples) < 3:
        print("FAIL: too few samples (did wrk start?)", err.strip()[:300])
        return False
    result = parse(out)
    base = next((rss for t, rss, _ in samples if t >= args.seconds / 3), samples[-1][1])
    final = samples[-1][1]
    growth = (final - base) / base
    most = max(stored for _, _, stored in samples)
    rss_values = [rss for _, rss, _ in samples]
    print(f"load: {result.rps:.0f} creates/s, p99 {result.p99:.1f} ms, {result.requests} requests, "
          f"{result.non_2xx} non-2xx, {result.socket_errors} socket errors")
    print(f"RSS at {args.seconds / 3:.0f} s: {base / 1e6:.1f} MB; final {final / 1e6:.1f} MB ({growth:+.1%}); "
          f"min {min(rss_values) / 1e6:.1f}, median {statistics.median(rss_values) / 1e6:.1f}, "
          f"max {max(rss_values) / 1e6:.1f} MB; most tasks stored {most} (bound {args.max_tasks})")
    ok = abs(growth) <= 0.10 and most <= args.max_tasks + SLACK and result.failures == 0
    print(f"{'PASS' if ok else 'FAIL'}: RSS flat within 10%, store within its bound, every create answered 200")
    return ok


def main() -> int:
    """Parse options and soak."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=300.0, help="seconds of create load (300)")
    parser.add_argument("--sample", type=float, default=5.0, help="seconds between samples (5)")
    parser.add_argument("--max-tasks", type=int, default=1000, help="the emulator's --max-tasks (1000)")
    parser.add_argument("--speed", type=float, default=1000.0, help="the emulator's --speed (1000)")
    args = parser.parse_args()
    if args.seconds < 15 or args.sample <= 0:
        parser.error("--seconds must be >= 15 and --sample > 0")
    return 0 if run(args) else 1


if __name__ == "__main__":
    sys.exit(main())
