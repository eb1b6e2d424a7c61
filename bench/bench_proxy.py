"""Latency the proxy adds (issue 21: at most 10 ms at p95 over a direct call), side by side in one run.

Run: `python bench/bench_proxy.py [--seconds 5] [--rounds 3]` (under `flock /work/heavy.lock` on shared machines).
Starts here, on free loopback ports: the "real service" (`seedance-mock --speed 50`, one process) and
`seedance-mock --upstream <it>` (one process, judging every request and answer; `--record` too unless
`--no-record`). One client, one keep-alive connection per target, sequential requests: creates and queries
(of tasks created beforehand, queued, processing and completed ones) alternate. Rounds interleave direct and
proxied runs so that machine noise hits both alike; the percentiles pool every round. Writes
bench/results/proxy.txt. The figure that counts is `added p95` = proxied p95 - direct p95, per operation.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
RESULTS = BENCH / "results"
TOKEN = "sk_bench_proxy"
CREATE_PATH = "/api/open-api/v1/seedance/videos"
BODY = json.dumps({"model": "seedance2.0-std", "prompt": "a lighthouse at dusk, slow pan", "duration": 5,
                   "ratio": "16:9"}).encode()
HEADERS = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
TARGET_MS = 10.0


def start(args: list[str]) -> tuple[subprocess.Popen[str], str]:
    """`python -m mockserver ARGS --port 0 --quiet`: the process and its base URL (first stdout line)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SEEDANCE_MOCK_")}
    process = subprocess.Popen([sys.executable, "-m", "mockserver", *args, "--port", "0", "--quiet"],
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env,
                               start_new_session=True)
    assert process.stdout is not None
    url = process.stdout.readline().strip()
    if not url.startswith("http://"):
        process.kill()
        raise SystemExit(f"the emulator did not start: {args}")
    return process, url


def stop(process: subprocess.Popen[str]) -> None:
    """SIGTERM, then SIGKILL to the group if needed."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


class Client:
    """One keep-alive connection; `call` returns (status, milliseconds)."""

    def __init__(self, url: str) -> None:
        host, port = url.removeprefix("http://").split(":")
        self.conn = http.client.HTTPConnection(host, int(port), timeout=30)

    def call(self, method: str, path: str, body: bytes | None = None) -> tuple[int, float, bytes]:
        started = time.perf_counter()
        self.conn.request(method, path, body=body, headers=HEADERS)
        response = self.conn.getresponse()
        data = response.read()
        return response.status, (time.perf_counter() - started) * 1000, data


def run(client: Client, ids: list[str], seconds: float, samples: dict[str, list[float]]) -> int:
    """Alternate creates and queries for `seconds`; adds latencies to `samples`; returns the failures."""
    failures, n = 0, 0
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        if n % 2 == 0:
            status, ms, _ = client.call("POST", CREATE_PATH, BODY)
            samples["create"].append(ms)
        else:
            status, ms, _ = client.call("GET", f"/api/open-api/v1/videos/{ids[n % len(ids)]}")
            samples["query"].append(ms)
        failures += status != 200
        n += 1
    return failures


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank quantile."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered) + 0.5) - 1))]


def main() -> int:
    """Run the bench; exit 1 when an added p95 is over the target."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=5.0, help="length of each measured run")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved direct/proxied rounds")
    parser.add_argument("--warmup", type=float, default=1.0)
    parser.add_argument("--no-record", action="store_true", help="proxy without --record")
    parser.add_argument("--server", choices=("auto", "waitress", "granian"), default="auto",
                        help="the server both processes run on (seedance-mock --server)")
    args = parser.parse_args()
    record = Path(tempfile.mkdtemp(prefix="bench-proxy-")) / "rec.jsonl"
    upstream, upstream_url = start(["--speed", "50", "--api-key", TOKEN, "--seed", "1", "--server", args.server])
    proxy_args = ["--upstream", upstream_url, "--server", args.server]
    proxy_args += [] if args.no_record else ["--record", str(record)]
    proxy, proxy_url = start(proxy_args)
    try:
        direct, proxied = Client(upstream_url), Client(proxy_url)
        ids = [json.loads(proxied.call("POST", CREATE_PATH, BODY)[2])["data"]["task_id"] for _ in range(60)]
        time.sleep(1.0)  # some of them are processing or completed by now (speed 50)
        samples = {name: {"create": [], "query": []} for name in ("direct", "proxied")}
        scratch: dict[str, list[float]] = {"create": [], "query": []}
        run(direct, ids, args.warmup, scratch)
        run(proxied, ids, args.warmup, scratch)
        failures = 0
        for round_ in range(args.rounds):
            order = [("direct", direct), ("proxied", proxied)]
            for name, client in order if round_ % 2 == 0 else order[::-1]:
                failures += run(client, ids, args.seconds, samples[name])
    finally:
        stop(proxy)
        stop(upstream)
    lines = [f"bench_proxy.py on {platform.python_version()}, {os.cpu_count()} cores; {args.rounds} interleaved "
             f"rounds of {args.seconds:g} s per target, one keep-alive connection, sequential; "
             f"--server {args.server}; proxy "
             f"{'without' if args.no_record else 'with'} --record; failures {failures}",
             "operation  target   n      p50 ms  p95 ms  p99 ms"]
    verdict = True
    for op in ("create", "query"):
        for name in ("direct", "proxied"):
            values = samples[name][op]
            lines.append(f"{op:<10} {name:<8} {len(values):<6} {percentile(values, .5):7.2f} "
                         f"{percentile(values, .95):7.2f} {percentile(values, .99):7.2f}")
        added = percentile(samples["proxied"][op], .95) - percentile(samples["direct"][op], .95)
        ok = added <= TARGET_MS
        verdict = verdict and ok
        lines.append(f"{op:<10} added p95 {added:.2f} ms (target <= {TARGET_MS:g} ms): {'PASS' if ok else 'FAIL'}")
    text = "\n".join(lines)
    print(text)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "proxy.txt").write_text(text + "\n", encoding="utf-8")
    return 0 if verdict and not failures else 1


if __name__ == "__main__":
    sys.exit(main())
