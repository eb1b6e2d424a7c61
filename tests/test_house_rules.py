"""House rules a reviewer would otherwise check by eye: no dead code (vulture), and every library the bench
scripts import is declared in the `[bench]` extra (which `[test]` includes)."""

from __future__ import annotations

import ast
import functools
import re
import subprocess
import sys
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PACKAGES = ("mockserver", "client", "contracts")
# Names vulture cannot see used, each with the reason it stays.
KEPT = {
    # requests' own body cache, filled after a bounded read so that .content and .json() work (transport.py)
    ("client/transport.py", "_content"),
    # create_video's keyword arguments reach the shared core through locals() (one body builder for both
    # clients), which vulture cannot follow
    *((client, name) for client in ("client/api.py", "client/aio.py")
      for name in ("images", "first_image", "last_image", "reference_videos", "reference_audios")),
}
_FINDING = re.compile(
    r"^(?P<path>[^:]+):(?P<line>\d+): (?P<what>.+?) '(?P<name>[^']+)' \((?P<confidence>\d+)% confidence\)$")


_LOWEST = 60


def vulture(min_confidence: int) -> list[re.Match[str]]:
    """vulture's findings over the three packages at `min_confidence` or more."""
    assert min_confidence >= _LOWEST, f"run vulture at {min_confidence}% (the one run starts at {_LOWEST}%)"
    return [match for match in _vulture_findings() if int(match.group("confidence")) >= min_confidence]


@functools.cache
def _vulture_findings() -> tuple[re.Match[str], ...]:
    # One vulture run at the lowest confidence any test asks for (a second run would find a subset of it).
    run = subprocess.run([sys.executable, "-m", "vulture", *PACKAGES, "--min-confidence", str(_LOWEST)],
                         capture_output=True, text=True, cwd=REPO, timeout=120)
    assert run.returncode in (0, 3), run.stderr  # 3: findings
    lines = [line for line in run.stdout.splitlines() if line.strip()]
    found = [_FINDING.match(line) for line in lines]
    assert all(found), lines  # a line this test cannot read would hide a finding
    return tuple(match for match in found if match is not None)



def test_no_dead_code_vulture_is_sure_of() -> None:
    found = [m.group(0) for m in vulture(100) if (m.group("path"), m.group("name")) not in KEPT]
    assert found == []  # unreachable code, unused imports and arguments


def test_no_unused_private_name() -> None:
    """A private name (`_x`) has no caller outside its module: unused, it is dead (public names may be API)."""
    unused = [m.group(0) for m in vulture(60)
              if m.group("name").startswith("_") and not m.group("name").startswith("__")
              and (m.group("path"), m.group("name")) not in KEPT]
    assert unused == []


def bench_imports() -> set[str]:
    """Top-level modules the bench scripts import that are neither stdlib nor the repository's own."""
    local = {p.stem for p in (REPO / "bench").glob("*.py")} | {*PACKAGES, "tests"}
    roots: set[str] = set()
    for path in (REPO / "bench").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                roots.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                roots.add(node.module.split(".")[0])
    return {r for r in roots if r not in sys.stdlib_module_names and r not in local and r != "__future__"}


def declared(extra: str, optional: dict[str, list[str]]) -> set[str]:
    """Distribution names an extra pulls in, through the project's own extras."""
    names: set[str] = set()
    for requirement in optional[extra]:
        name = re.split(r"[<>=!~\[ ;]", requirement, maxsplit=1)[0].lower()
        if name == "seedance-contract-kit":
            for inner in re.findall(r"\[(.*)\]", requirement)[0].split(","):
                names |= declared(inner.strip(), optional)
        else:
            names.add(name.replace("_", "-"))
    return names


def test_the_bench_extra_declares_what_bench_imports() -> None:
    optional = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]["optional-dependencies"]
    # the import name -> its distribution, where they differ or come in through another package
    distribution = {"yaml": "pyyaml", "werkzeug": "flask", "av": "av"}
    needed = {distribution.get(root, root).replace("_", "-") for root in bench_imports()}
    assert needed, "the bench imports no library: this test reads the wrong folder"
    assert needed <= declared("bench", optional), needed - declared("bench", optional)
    assert declared("bench", optional) <= declared("test", optional)  # the README's test set-up installs it
