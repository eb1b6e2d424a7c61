"""Both clients share one I/O-free core: at least 70% of their lines are the core's (counted, not guessed).

Counted: lines of code (neither blank nor comment-only; docstrings count) in
- the core: what both clients import and run, with no network I/O: core, operations, errors, validation, models,
  files;
- each client's own sending: api + transport (requests), aio (httpx).
The command line, its display, billing and the package's __init__ belong to neither client.
"""

from __future__ import annotations

from pathlib import Path

CLIENT = Path(__file__).resolve().parents[2] / "client"
CORE = ("core.py", "operations.py", "errors.py", "validation.py", "models.py", "files.py")
SYNC = ("api.py", "transport.py")
ASYNC = ("aio.py",)


def code_lines(name: str) -> int:
    """Lines that are neither blank nor only a comment."""
    lines = (CLIENT / name).read_text(encoding="utf-8").splitlines()
    return sum(1 for line in lines if line.strip() and not line.strip().startswith("#"))


def share() -> tuple[int, int, int]:
    return sum(map(code_lines, CORE)), sum(map(code_lines, SYNC)), sum(map(code_lines, ASYNC))


def test_the_core_is_at_least_70_percent_of_both_clients() -> None:
    core, sync, coro = share()
    assert core / (core + sync + coro) >= 0.70, (core, sync, coro)


def test_every_client_module_is_counted_or_named_as_neither() -> None:
    neither = {"__init__.py", "cli.py", "display.py", "billing.py"}
    assert {p.name for p in CLIENT.glob("*.py")} == set(CORE) | set(SYNC) | set(ASYNC) | neither


if __name__ == "__main__":
    core, sync, coro = share()
    bare = core - code_lines("validation.py")
    print(f"core {core}, sync-only {sync}, async-only {coro}: share {core / (core + sync + coro):.1%}; "
          f"without validation.py {bare / (bare + sync + coro):.1%}")
