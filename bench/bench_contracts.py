"""How long the contract suite takes and how many cases per second the contract kit checks.

Run: python bench/bench_contracts.py  (writes bench/results/contracts.txt)
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from client.validation import validate_body  # noqa: E402
from contracts.agreement import run_agreement  # noqa: E402
from contracts.schemathesis_run import run_schemathesis  # noqa: E402
from contracts.strategies import BodyStrategies  # noqa: E402
from contracts.verdicts import HttpServer, SpecOracle, WsgiServer  # noqa: E402
from mockserver import create_app  # noqa: E402
from mockserver.server import EmbeddedServer  # noqa: E402
from tests.rule_table import ROWS  # noqa: E402


def client_rules(body: object) -> list[str]:
    """The reference client's verdict as rule ids."""
    return [v.rule for v in validate_body(body)]


def main() -> None:
    """Measure and write the results file."""
    lines = [f"contracts bench, {platform.python_version()}, {os.cpu_count()} CPUs, {time.strftime('%Y-%m-%d')}"]
    strategies = BodyStrategies()
    oracle = SpecOracle()
    bodies = [row.bad for row in ROWS] + [row.good for row in ROWS]
    started = time.perf_counter()
    for _ in range(20):
        for body in bodies:
            oracle._judge(body)  # uncached, the real cost
    per = (time.perf_counter() - started) / (20 * len(bodies))
    lines.append(f"spec oracle (jsonschema, uncached): {per * 1e6:.0f} us per body")

    for examples in (12,):
        report = run_agreement(client_rules, WsgiServer(create_app({"SEED": 0})), strategies, examples=examples)
        lines.append(f"agreement in-process (WSGI), {examples}/rule: {report.cases} cases in {report.seconds:.1f} s"
                     f" = {report.cases / report.seconds:.0f} cases/s, ok={report.ok}")
    with EmbeddedServer({"SEED": 0, "API_KEYS": ["sk_test"]}) as server:
        report = run_agreement(client_rules, HttpServer(server.url, "sk_test"), strategies, examples=12)
        lines.append(f"agreement live (HTTP, waitress), 12/rule: {report.cases} cases in {report.seconds:.1f} s"
                     f" = {report.cases / report.seconds:.0f} cases/s, ok={report.ok}")
        st = run_schemathesis(server.url, "sk_test", examples=25)
        lines.append(f"schemathesis live, all checks, 25 examples: {st.total_cases} cases in {st.seconds:.1f} s"
                     f" = {st.total_cases / st.seconds:.0f} cases/s, ok={st.ok} ({dict(st.cases)})")
    st = run_schemathesis(app=create_app({"SEED": 0, "API_KEYS": ["sk_test"]}), examples=25)
    lines.append(f"schemathesis in-process app (loopback), 25 examples: {st.total_cases} cases in {st.seconds:.1f} s"
                 f" = {st.total_cases / st.seconds:.0f} cases/s, ok={st.ok}")

    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "tests/contracts"],
                          cwd=REPO, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - started
    tail = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else done.stderr[-200:]
    lines.append(f"contract suite (pytest tests/contracts): {elapsed:.1f} s wall; {tail}")
    text = "\n".join(lines) + "\n"
    print(text, end="")
    out = REPO / "bench" / "results" / "contracts.txt"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
