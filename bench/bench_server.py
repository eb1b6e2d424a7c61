"""Benchmark: the emulator vs a bare Flask app with the same two routes, both on waitress (same threads).

Run: `python bench/bench_server.py [--seconds 4] [--clients 4] [--threads 8]`. It prints (and writes to
bench/results/server.txt) create and query throughput and p50/p99 latency side by side with the ratio, query
latency with 100,000 stored tasks vs 10, and the cost of the two validators. Load comes from loopback client
processes (http.client, keep-alive), bounded in count and time. Speed targets live here, never in unit tests.
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing as mp
import os
import random
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

CREATE = "/api/open-api/v1/seedance/videos"
QUERY = "/api/open-api/v1/videos/"
BODY = json.dumps({"model": "seedance2.0-std", "prompt": "a red fox in snow", "duration": 8, "ratio": "16:9"})
HEADERS = {"Authorization": "Bearer sk_bench", "Content-Type": "application/json"}


def bare_app() -> Any:
    """The baseline: Flask, the same two routes, a dict store, no validation."""
    from flask import Flask, Response, request

    app = Flask("bare")
    tasks: dict[str, dict[str, Any]] = {}

    @app.post(CREATE)
    def create() -> Response:
        body = request.get_json()
        task = {"task_id": "vid_" + uuid.uuid4().hex[:24], "status": "queued", "model": body["model"],
                "created_at": int(time.time())}
        tasks[task["task_id"]] = task
        return Response(json.dumps({"code": "20000", "msg": "ok", "data": task}), mimetype="application/json")

    @app.get(QUERY + "<task_id>")
    def get(task_id: str) -> Response:
        task = tasks.get(task_id)
        if task is None:
            return Response("{}", status=404, mimetype="application/json")
        return Response(json.dumps({"code": "20000", "msg": "ok", "data": task}), mimetype="application/json")

    return app


def serve(kind: str, threads: int) -> None:
    """Child process: serve one app on a free port and print its port."""
    from waitress.server import create_server

    if kind == "emulator":
        from mockserver import create_app

        app = create_app({"SEED": 1})
    else:
        app = bare_app()
    server = create_server(app, host="127.0.0.1", port=0, threads=threads)
    print(server.effective_port, flush=True)
    server.run()


def load(args: tuple[int, str, str, float, list[str]]) -> list[float]:
    """Client process: hammer one operation for `seconds`; return latencies in seconds."""
    port, op, _kind, seconds, ids = args
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    latencies: list[float] = []
    rng = random.Random(os.getpid())
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        start = time.perf_counter()
        if op == "create":
            conn.request("POST", CREATE, body=BODY, headers=HEADERS)
        else:
            conn.request("GET", QUERY + rng.choice(ids), headers=HEADERS)
        response = conn.getresponse()
        response.read()
        if response.status != 200:
            raise RuntimeError(f"{op} answered {response.status}")
        latencies.append(time.perf_counter() - start)
    conn.close()
    return latencies


def seed_tasks(port: int, count: int) -> list[str]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    ids = []
    for _ in range(count):
        conn.request("POST", CREATE, body=BODY, headers=HEADERS)
        ids.append(json.loads(conn.getresponse().read())["data"]["task_id"])
    conn.close()
    return ids


def start_server(kind: str, threads: int) -> tuple[subprocess.Popen[str], int]:
    """Start one server in its own process; return it and its port."""
    child = subprocess.Popen([sys.executable, __file__, "--serve", kind, "--threads", str(threads)],
                             stdout=subprocess.PIPE, text=True)
    assert child.stdout is not None
    return child, int(child.stdout.readline())


def measure(threads: int, clients: int, seconds: float, rounds: int) -> dict[str, dict[str, dict[str, float]]]:
    """Both servers up at once; phases interleaved (emulator, bare, bare, emulator, ...) so that machine noise
    hits both alike. Throughput: median over rounds; latency percentiles: pooled over rounds."""
    servers = {kind: start_server(kind, threads) for kind in ("emulator", "bare")}
    try:
        ids = {kind: seed_tasks(port, 200) for kind, (_, port) in servers.items()}
        for kind, (_, port) in servers.items():
            load((port, "create", kind, 0.5, ids[kind]))  # warm-up
        rps: dict[tuple[str, str], list[float]] = {}
        lat: dict[tuple[str, str], list[float]] = {}
        with mp.Pool(clients) as pool:
            for round_no in range(rounds):
                order = ["emulator", "bare"] if round_no % 2 == 0 else ["bare", "emulator"]
                for op in ("create", "query"):
                    for kind in order:
                        port = servers[kind][1]
                        runs = pool.map(load, [(port, op, kind, seconds, ids[kind])] * clients)
                        got = [x for run in runs for x in run]
                        rps.setdefault((kind, op), []).append(len(got) / seconds)
                        lat.setdefault((kind, op), []).extend(got)
        results: dict[str, dict[str, dict[str, float]]] = {}
        for (kind, op), values in lat.items():
            values.sort()
            results.setdefault(kind, {})[op] = {
                "rps": statistics.median(rps[(kind, op)]),
                "p50": values[len(values) // 2] * 1000,
                "p99": values[int(len(values) * 0.99)] * 1000,
            }
        return results
    finally:
        for child, _ in servers.values():
            child.terminate()
            child.wait(timeout=10)


def query_latency_by_size(
    sizes: tuple[int, ...] = (10, 100_000), samples: int = 5000
) -> dict[int, tuple[float, float]]:
    """In-process (Flask test client): p50/p99 of a query with N tasks in the store, filled directly."""
    from mockserver import create_app

    out = {}
    for size in sizes:
        app = create_app({"SEED": 2})
        backend = app.extensions["seedance_mock"].backend
        body = json.loads(BODY)
        ids = [backend.create("sk_bench", body).task_id for _ in range(size)]
        client = app.test_client()
        headers = {"Authorization": "Bearer sk_bench"}
        rng = random.Random(0)
        lat = []
        for _ in range(samples):
            task_id = rng.choice(ids)
            start = time.perf_counter()
            client.get(QUERY + task_id, headers=headers)
            lat.append(time.perf_counter() - start)
        lat.sort()
        out[size] = (lat[len(lat) // 2] * 1e6, lat[int(len(lat) * 0.99)] * 1e6)
    return out


def validator_costs() -> list[tuple[str, float, float]]:
    """Microseconds per body for jsonschema-rs and Python jsonschema, valid and invalid."""
    import jsonschema
    import jsonschema_rs

    from mockserver.spec.loader import load_spec

    spec = load_spec()
    schema = {"$ref": "#/components/schemas/CreateVideoRequest", "components": spec["components"]}
    valid = json.loads(BODY)
    invalid = {"model": "seedance2.0-md", "prompt": " ", "duration": 40, "ratio": "21:9", "first_image": "x"}
    rust = jsonschema_rs.Draft202012Validator(schema)
    python = jsonschema.Draft202012Validator(schema)

    def timed(fn: Any, n: int) -> float:
        start = time.perf_counter()
        for _ in range(n):
            fn()
        return (time.perf_counter() - start) / n * 1e6

    return [
        ("jsonschema-rs is_valid", timed(lambda: rust.is_valid(valid), 20000),
         timed(lambda: rust.is_valid(invalid), 20000)),
        ("jsonschema iter_errors", timed(lambda: list(python.iter_errors(valid)), 2000),
         timed(lambda: list(python.iter_errors(invalid)), 2000)),
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--serve", choices=["emulator", "bare"])
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--clients", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=2.0)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.threads)
        return 0

    lines = [f"# bench_server.py  (python {sys.version.split()[0]}, {os.cpu_count()} cpus, waitress threads="
             f"{args.threads}, {args.clients} client processes, {args.seconds:g} s per phase,",
             f"#   {args.rounds} interleaved rounds; req/s = median of rounds, latency pooled)", ""]
    best = measure(args.threads, args.clients, args.seconds, args.rounds)
    lines.append(f"{'operation':<10}{'server':<10}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}")
    for op in ("create", "query"):
        for kind in ("emulator", "bare"):
            r = best[kind][op]
            lines.append(f"{op:<10}{kind:<10}{r['rps']:>10.0f}{r['p50']:>10.2f}{r['p99']:>10.2f}")
        ratio = best["emulator"][op]["rps"] / best["bare"][op]["rps"]
        lines.append(f"{op:<10}{'ratio':<10}{ratio:>10.2f}   (emulator / bare; target >= 0.80)")
    lines.append("")
    lines.append("query latency by store size (in-process test client, 5000 queries of random ids)")
    sizes = query_latency_by_size()
    for size, (p50, p99) in sizes.items():
        lines.append(f"  {size:>7} tasks: p50 {p50:7.1f} us   p99 {p99:7.1f} us")
    lines.append(f"  ratio p50 (100,000 / 10): {sizes[100_000][0] / sizes[10][0]:.2f}")
    lines.append("")
    lines.append("validator cost per body (us): valid / invalid")
    for name, valid_us, invalid_us in validator_costs():
        lines.append(f"  {name:<24}{valid_us:8.1f} /{invalid_us:8.1f}")
    text = "\n".join(lines)
    print(text)
    out = REPO / "bench" / "results" / "server.txt"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
