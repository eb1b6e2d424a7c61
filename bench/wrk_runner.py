"""wrk (Debian package) runs: the Lua scripts for create and query, and parsing of `wrk --latency` output."""

from __future__ import annotations

import json
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

CREATE_PATH = "/api/open-api/v1/seedance/videos"
QUERY_PATH = "/api/open-api/v1/videos/"
BODY = {"model": "seedance2.0-std", "prompt": "a red fox in snow", "duration": 8, "ratio": "16:9"}
TOKEN = "sk_bench"
THREADS = 2
CONNECTIONS = 32

_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


@dataclass
class WrkResult:
    """One wrk run: throughput, latency percentiles (ms), failures."""

    rps: float
    p50: float
    p99: float
    requests: int
    non_2xx: int
    socket_errors: int

    @property
    def failures(self) -> int:
        """Non-2xx answers plus socket errors (connect, read, write, timeout)."""
        return self.non_2xx + self.socket_errors


def _lua_string(text: str) -> str:
    return json.dumps(text)  # a JSON string of ASCII text is a valid Lua string literal


def create_script(path: Path) -> Path:
    """A wrk script that POSTs the create body."""
    path.write_text(
        'wrk.method = "POST"\n'
        f'wrk.path = "{CREATE_PATH}"\n'
        f"wrk.body = {_lua_string(json.dumps(BODY))}\n"
        'wrk.headers["Content-Type"] = "application/json"\n'
        f'wrk.headers["Authorization"] = "Bearer {TOKEN}"\n',
        encoding="utf-8",
    )
    return path


def query_script(path: Path, task_ids: list[str]) -> Path:
    """A wrk script that GETs the given task ids in turn (each wrk thread starts at its own offset)."""
    if not task_ids:
        raise ValueError("a query run needs at least one task id")
    ids = ",\n".join(_lua_string(t) for t in task_ids)
    path.write_text(
        f"local ids = {{\n{ids}\n}}\n"
        "local i = 0\n"
        "local counter = 0\n"
        'local headers = {["Authorization"] = "Bearer ' + TOKEN + '"}\n'
        "function setup(thread)\n"
        "  counter = counter + 1\n"
        '  thread:set("offset", counter * 7919)\n'
        "end\n"
        "function init(args)\n"
        "  i = (offset or 0) % #ids\n"
        "end\n"
        "function request()\n"
        "  i = i % #ids + 1\n"
        f'  return wrk.format("GET", "{QUERY_PATH}" .. ids[i], headers)\n'
        "end\n",
        encoding="utf-8",
    )
    return path


def _millis(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text.strip())
    if not match:
        raise ValueError(f"unparsed wrk latency {text!r}")
    return float(match.group(1)) * _UNITS[match.group(2)]


def parse(output: str) -> WrkResult:
    """Requests/sec, the 50% and 99% latency lines, `Non-2xx or 3xx responses` and `Socket errors`."""
    rps = re.search(r"Requests/sec:\s+([\d.]+)", output)
    total = re.search(r"(\d+) requests in", output)
    p50 = re.search(r"^\s+50%\s+(\S+)", output, re.M)
    p99 = re.search(r"^\s+99%\s+(\S+)", output, re.M)
    if not (rps and total and p50 and p99):
        raise ValueError(f"unparsed wrk output:\n{output}")
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    sockets = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    return WrkResult(
        rps=float(rps.group(1)),
        p50=_millis(p50.group(1)),
        p99=_millis(p99.group(1)),
        requests=int(total.group(1)),
        non_2xx=int(non_2xx.group(1)) if non_2xx else 0,
        socket_errors=sum(int(x) for x in sockets.groups()) if sockets else 0,
    )


def run(port: int, script: Path, seconds: float, threads: int = THREADS, connections: int = CONNECTIONS,
        path: str = "/") -> WrkResult:
    """`wrk -t2 -c32 -d<N>s --latency -s script` against loopback; bounded by a hard timeout."""
    argv = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--latency",
            "--timeout", "5s", "-s", str(script), f"http://127.0.0.1:{port}{path}"]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=seconds + 60, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stderr.strip()}")
    return parse(done.stdout)
