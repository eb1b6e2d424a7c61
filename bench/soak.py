"""Soak: does the emulator's memory stay flat under full load? (issue 10; a script, not a CI test)

Run: `python bench/soak.py [--duration 600] [--store memory|sqlite:PATH|redis://...] [--workers N]`.
Starts `seedance-mock` on a free loopback port and drives it with wrk (-t2 -c32) for `--duration` seconds
with a mix, per 50 requests: 15 creates, 20 queries of tasks created moments before (ids taken from the
answers), 8 rejected bodies (400), 5 long paths with a bad token (401), 2 journal reads (/_mock/journal).
The RSS of the server's process tree is sampled every `--sample` seconds. PASS when the final RSS is within
10% of the RSS after the first minute, and no answer was a 5xx or an unexpected 404.

Stored tasks are kept for the retention period by design (about 0.7 KB each in the memory store), so the
soak runs with `--speed 10 --retention 30`: a task is evicted about 35 s after its creation and the store
reaches its steady size within the first minute. What is left to grow is a leak.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from proc_tools import Procs, free_port, tree_rss
from servers import Server, bin_path, start_redis
from wrk_runner import BODY, CREATE_PATH, QUERY_PATH, TOKEN

REJECTED = {"model": "seedance2.0-std", "prompt": " ", "duration": 40, "ratio": "21:9"}
LONG_ID = "x" * 1500
MIX = ["create"] * 15 + ["query"] * 20 + ["rejected"] * 8 + ["unauthorized"] * 5 + ["journal"] * 2


def _lua(text: str) -> str:
    return json.dumps(text)


def soak_script(path: Path) -> Path:
    """The wrk script: a fixed, interleaved mix; query ids are harvested from the answers."""
    order = sorted(range(len(MIX)), key=lambda i: (i * 37) % len(MIX))  # spread each kind over the cycle
    kinds = ", ".join(_lua(MIX[i]) for i in order)
    path.write_text(
        f"""
local kinds = {{{kinds}}}
local create_body = {_lua(json.dumps(BODY))}
local rejected_body = {_lua(json.dumps(REJECTED))}
local good = {{["Authorization"] = "Bearer {TOKEN}", ["Content-Type"] = "application/json"}}
local bad = {{["Authorization"] = "Bearer not-a-key-{'k' * 200}"}}
local ids, next_id, n = {{}}, 1, 0
counts = {{}}  -- a global: done() reads it with thread:get
local threads = {{}}

function setup(thread) table.insert(threads, thread) end

function request()
  n = n + 1
  local kind = kinds[(n - 1) % #kinds + 1]
  if kind == "query" and #ids > 0 then
    local id = ids[(n * 7919) % #ids + 1]
    return wrk.format("GET", "{QUERY_PATH}" .. id, good)
  elseif kind == "rejected" then
    return wrk.format("POST", "{CREATE_PATH}", good, rejected_body)
  elseif kind == "unauthorized" then
    return wrk.format("GET", "{QUERY_PATH}{LONG_ID}", bad)
  elseif kind == "journal" then
    return wrk.format("GET", "/_mock/journal?limit=20")
  end
  return wrk.format("POST", "{CREATE_PATH}", good, create_body)
end

function response(status, headers, body)
  local key = tostring(status)
  counts[key] = (counts[key] or 0) + 1
  if status == 200 and #body < 2000 then
    local id = body:match('"task_id":%s*"(vid_[%w]+)"')
    if id then
      ids[next_id] = id
      next_id = next_id % 500 + 1
    end
  end
end

function done(summary, latency, requests)
  local total = {{}}
  for _, thread in ipairs(threads) do
    local c = thread:get("counts")
    for k, v in pairs(c) do total[k] = (total[k] or 0) + v end
  end
  local parts = {{}}
  for k, v in pairs(total) do table.insert(parts, k .. "=" .. v) end
  io.write("SOAK_STATUS " .. table.concat(parts, " ") .. "\\n")
end
""",
        encoding="utf-8",
    )
    return path


def parse_statuses(output: str) -> dict[str, int]:
    """The `SOAK_STATUS 200=... 400=...` line of the script's done()."""
    match = re.search(r"^SOAK_STATUS (.*)$", output, re.M)
    if not match:
        return {}
    return {k: int(v) for k, v in (p.split("=") for p in match.group(1).split())}


def run(args: argparse.Namespace) -> tuple[bool, list[str]]:
    """Start the server, load it for `--duration` seconds while sampling RSS; the verdict and the report."""
    lines: list[str] = []

    def log(text: str) -> None:
        print(text, flush=True)
        lines.append(text)

    with tempfile.TemporaryDirectory(prefix="seedance-soak-") as name, Procs(Path(name) / "logs") as procs:
        store = args.store
        if store == "redis":
            redis_port, _ = start_redis(procs)
            store = f"redis://127.0.0.1:{redis_port}/0?prefix=soak"
        elif store == "sqlite":
            store = f"sqlite:{Path(name) / 'soak.sqlite'}"
        port = free_port()
        argv = [bin_path("seedance-mock"), "--port", str(port), "--store", store, "--speed", str(args.speed),
                "--retention", str(args.retention)]
        if args.workers:
            argv += ["--workers", str(args.workers)]
        if args.quiet:
            argv.append("--quiet")
        server = Server("soak-server", argv, port=port)
        server.start(procs)
        assert server.child is not None
        pid = server.child.pid
        script = soak_script(Path(name) / "soak.lua")
        wrk_argv = ["wrk", "-t2", "-c32", f"-d{int(args.duration)}s", "--timeout", "5s", "--latency", "-s",
                    str(script), f"http://127.0.0.1:{port}/"]
        log(f"soak: {' '.join(argv[1:])}  ({args.duration:g} s, RSS every {args.sample:g} s)")
        started = time.monotonic()
        load = subprocess.Popen(wrk_argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        samples: list[tuple[float, int]] = []
        try:
            for i in range(int(args.duration / args.sample) + 2):
                time.sleep(max(0.0, started + (i + 1) * args.sample - time.monotonic()))
                if load.poll() is not None:
                    break
                samples.append((time.monotonic() - started, tree_rss(pid)))
                t, rss = samples[-1]
                log(f"  t={t:6.0f} s  RSS {rss / 1e6:7.1f} MB")
            out, err = load.communicate(timeout=args.duration + 60)
        finally:
            if load.poll() is None:
                load.kill()
                load.wait(timeout=10)
        samples.append((time.monotonic() - started, tree_rss(pid)))
    return verdict(args, samples, out, err, log), lines


def verdict(args: argparse.Namespace, samples: list[tuple[float, int]], out: str, err: str,
            say: Callable[[str], None]) -> bool:
    """PASS when the final RSS is within 10% of the RSS after the first minute and no answer was a 5xx or 404."""
    if not samples:
        say("no RSS sample taken")
        return False
    baseline_at = min(args.baseline_at, args.duration / 3)
    base = next((rss for t, rss in samples if t >= baseline_at), samples[0][1])
    final = samples[-1][1]
    growth = (final - base) / base if base else 0.0
    statuses = parse_statuses(out)
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    p99 = re.search(r"^\s+99%\s+(\S+)", out, re.M)
    bad = {k: v for k, v in statuses.items() if k.startswith("5") or k in ("404", "0")}
    sockets = re.search(r"Socket errors: .*", out)
    say(f"load: {rps.group(1) if rps else '?'} req/s, p99 {p99.group(1) if p99 else '?'}, statuses {statuses}"
        + (f", {sockets.group(0)}" if sockets else ""))
    if err.strip():
        say(f"wrk stderr: {err.strip()[:500]}")
    rss_values = [rss for _, rss in samples]
    say(f"RSS after {baseline_at:.0f} s: {base / 1e6:.1f} MB; final: {final / 1e6:.1f} MB ({growth:+.1%}); "
        f"min {min(rss_values) / 1e6:.1f}, median {statistics.median(rss_values) / 1e6:.1f}, "
        f"max {max(rss_values) / 1e6:.1f} MB")
    ok = abs(growth) <= 0.10 and not bad and bool(statuses)
    say(f"{'PASS' if ok else 'FAIL'}: final RSS within 10% of the RSS after the first minute"
        + (f"; unexpected answers {bad}" if bad else "") + ("" if statuses else "; no answers counted"))
    return ok


def main() -> int:
    """Parse options, soak, write the report."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=float, default=600.0, help="seconds of full load (600)")
    parser.add_argument("--sample", type=float, default=10.0, help="seconds between RSS samples (10)")
    parser.add_argument("--baseline-at", type=float, default=60.0, help="the reference RSS sample (60 s)")
    parser.add_argument("--store", default="memory", help="memory (default), sqlite, redis (started here), "
                                                          "or any --store value")
    parser.add_argument("--workers", type=int, default=0, help="seedance-mock --workers N (shared stores)")
    parser.add_argument("--speed", type=float, default=10.0, help="simulated time factor (10)")
    parser.add_argument("--retention", type=float, default=30.0, help="result retention in seconds (30)")
    parser.add_argument("--quiet", action="store_true", help="run the server with --quiet (default: a line "
                                                             "per request, as its default)")
    parser.add_argument("--out", type=Path, default=None,
                        help="write the report here (e.g. bench/results/soak.txt)")
    args = parser.parse_args()
    if args.duration < 30 or args.sample <= 0:
        parser.error("--duration must be >= 30 s and --sample > 0")
    ok, lines = run(args)
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        stamp = time.strftime("%Y-%m-%d %H:%M")
        args.out.write_text(f"# python bench/soak.py ({stamp}, {sys.platform})\n" + "\n".join(lines) + "\n",
                            encoding="utf-8")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
