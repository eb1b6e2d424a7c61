"""Per-test cost of the pytest fixtures `seedance_mock` (live server) and `seedance_mock_inprocess`
(issue 19 item 6; target: at most 2 ms of fixture overhead per test for both).

Run: `python bench/bench_fixtures.py [--tests 100] [--runs 3]`. For each fixture, pytest runs (in a fresh
process, in a temporary folder) a file of 1 + N tests that take the fixture and a file of 1 + N tests that
do not; the first test of each file is a warm-up that pays the session's one-time set-up (start-up of the
server or the app), reported apart. The overhead per test is (time of the N tests with the fixture - time
of the N tests without) / N, median of `--runs` pairs run back to back.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

CONFTEST = textwrap.dedent('''
    import json, os, time
    marks = {}

    def pytest_runtest_logreport(report):
        # From the end of the warm-up test to the end of the last test's call: the session's set-up (in the
        # warm-up) and its teardown (after the last test's call) are left out.
        name = report.nodeid.rsplit("::", 1)[-1]
        if (name, report.when) in (("test_0", "teardown"), ("test_last", "call")):
            marks[name] = time.perf_counter()

    def pytest_sessionfinish(session, exitstatus):
        with open(os.environ["BENCH_FIXTURE_OUT"], "w") as out:
            json.dump({"steady": marks["test_last"] - marks["test_0"], "failed": session.testsfailed}, out)
''')


def test_file(fixture: str | None, tests: int) -> str:
    """1 + `tests` tests taking `fixture` (or nothing), the last one named test_last."""
    arg = fixture or ""
    body = f"    assert {fixture}.url\n" if fixture else "    assert True\n"
    names = ["test_0", *(f"test_{i}" for i in range(1, tests)), "test_last"]
    return "".join(f"def {name}({arg}):\n{body}\n" for name in names)


def run_once(folder: Path, fixture: str | None, tests: int) -> float:
    """Seconds from the end of the warm-up test to the end of the last test's call."""
    path = folder / f"test_{fixture or 'none'}.py"
    path.write_text(test_file(fixture, tests), encoding="utf-8")
    out = folder / "result.json"
    env = {**os.environ, "BENCH_FIXTURE_OUT": str(out)}
    done = subprocess.run([sys.executable, "-m", "pytest", str(path), "-q", "-p", "no:randomly", "-p",
                           "no:cacheprovider", "-p", "no:xdist"], cwd=folder, capture_output=True, text=True,
                          timeout=600, env=env, check=False)
    result = json.loads(out.read_text(encoding="utf-8"))
    if done.returncode != 0 or result["failed"]:
        raise RuntimeError(f"pytest failed:\n{done.stdout}\n{done.stderr}")
    return float(result["steady"])


def main() -> int:
    """Measure and print the overhead per test of each fixture."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tests", type=int, default=100)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    failed = False
    with tempfile.TemporaryDirectory(prefix="seedance-fixtures-") as name:
        folder = Path(name)
        (folder / "conftest.py").write_text(CONFTEST, encoding="utf-8")
        for fixture in ("seedance_mock", "seedance_mock_inprocess"):
            overheads = []
            for _ in range(args.runs):
                with_fixture = run_once(folder, fixture, args.tests)
                without = run_once(folder, None, args.tests)
                overheads.append((with_fixture - without) / args.tests * 1000)
            median = statistics.median(overheads)
            verdict = "PASS" if median <= 2.0 else "FAIL"
            failed |= verdict == "FAIL"
            print(f"{fixture:<26} {median:6.2f} ms per test (runs: {', '.join(f'{o:.2f}' for o in overheads)}; "
                  f"target <= 2 ms) {verdict}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
