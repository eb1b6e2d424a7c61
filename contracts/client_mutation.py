"""Mutation score of the client's pre-flight module with mutmut 3: `python -m contracts.client_mutation`.

Copies `client/`, the client's validation tests, `tests/rule_table.py` and `openapi.yaml` into a temporary
workspace, runs `mutmut run` on `client/validation.py` only (every other client module is excluded), and prints
killed/total with every surviving mutant's diff. Exit status 0 when the score reaches `--min-score` (default 95).
An empty `conftest.py` at the workspace's root makes pytest put the mutated copy first on sys.path, so an
installed (or editable) `client` cannot shadow it. Nothing here imports the client: it only copies files and runs
processes. Measured on 2 shared cores: 734/736 killed in 1-3 minutes; the two survivors are equivalent (the
`' or '.join` of a one-scheme list).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TESTS = ("tests/client/test_validation.py", "tests/client/test_validation_messages.py")


def other_modules() -> list[str]:
    """Every client module but validation.py (listed from the folder, so a new module is never mutated)."""
    return sorted(p.name for p in (REPO / "client").glob("*.py") if p.name != "validation.py")


def _config() -> str:
    excluded = "".join(f"\n    client/{name}" for name in other_modules())
    selection = "".join(f"\n    {path}" for path in TESTS)
    return (f"[mutmut]\nsource_paths=client/\ndo_not_mutate={excluded}\n"
            f"pytest_add_cli_args_test_selection={selection}\n"
            "pytest_add_cli_args=\n    -p\n    no:randomly\n    -x\n    -q\nalso_copy=openapi.yaml\n")


def prepare(workspace: Path) -> None:
    """Lay out the files mutmut needs in `workspace`."""
    shutil.copytree(REPO / "client", workspace / "client", ignore=shutil.ignore_patterns("__pycache__"))
    (workspace / "tests" / "client").mkdir(parents=True)
    for name in ("tests/__init__.py", "tests/client/__init__.py", "tests/rule_table.py", *TESTS):
        shutil.copy(REPO / name, workspace / name)
    shutil.copy(REPO / "openapi.yaml", workspace / "openapi.yaml")
    (workspace / "setup.cfg").write_text(_config(), encoding="utf-8")
    # Its directory goes first on sys.path when pytest loads it: the mutated client wins over an installed one.
    (workspace / "conftest.py").write_text('"""Puts this workspace first on sys.path."""\n', encoding="utf-8")


def score(results: str) -> tuple[int, int, list[str]]:
    """(killed, total, surviving mutant names) from the text of `mutmut results --all true`."""
    states = re.findall(r"^\s*(\S+): (\w+)", results, flags=re.M)
    survivors = [name for name, state in states if state != "killed"]
    return len(states) - len(survivors), len(states), survivors


def run(min_score: float, children: int) -> int:
    """Run mutmut in a fresh workspace and print the score; the exit status."""
    mutmut = shutil.which("mutmut") or str(Path(sys.executable).with_name("mutmut"))
    with tempfile.TemporaryDirectory(prefix="client-mutmut-") as tmp:
        workspace = Path(tmp)
        prepare(workspace)
        env = {**os.environ, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}
        started = time.perf_counter()
        subprocess.run([mutmut, "run", "--max-children", str(children)], cwd=workspace, env=env, check=False,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        seconds = time.perf_counter() - started
        listed = subprocess.run([mutmut, "results", "--all", "true"], cwd=workspace, env=env, check=False,
                                capture_output=True, text=True)
        killed, total, survivors = score(listed.stdout)
        for name in survivors:
            shown = subprocess.run([mutmut, "show", name], cwd=workspace, env=env, check=False,
                                   capture_output=True, text=True)
            print(f"SURVIVED {name}\n" + "\n".join(
                line for line in shown.stdout.splitlines() if line.startswith(("-  ", "+  ", "- ", "+ "))))
    percent = 100.0 * killed / total if total else 0.0
    print(f"client/validation.py mutants killed: {killed}/{total} ({percent:.1f}%) in {seconds:.0f} s")
    return 0 if total and percent >= min_score else 1


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point: `python -m contracts.client_mutation [--min-score 95] [--children 2]`."""
    parser = argparse.ArgumentParser(prog="python -m contracts.client_mutation", description=__doc__)
    parser.add_argument("--min-score", type=float, default=95.0, help="percentage of killed mutants required")
    parser.add_argument("--children", type=int, default=2, help="parallel mutmut workers")
    args = parser.parse_args(argv)
    return run(args.min_score, args.children)


if __name__ == "__main__":
    sys.exit(main())
