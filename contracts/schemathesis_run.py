"""Schemathesis against a server: every check, positive and negative, and stateful (create -> get by link).

Runs through Schemathesis' Python engine (the same one its CLI drives), so the results come back as
objects. A WSGI app is served on a loopback port for the run: Schemathesis 4.32's in-process WSGI transport
crashes its `ignored_auth` check (it forwards `max_redirects` to werkzeug), and that check must run.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import schemathesis
from schemathesis.config import SchemathesisConfig
from schemathesis.engine import events, from_schema

from contracts.spec import CREATE_PATH, load_spec, locate_spec
from contracts.verdicts import SpecOracle

ALL_PHASES = ("examples", "coverage", "fuzzing", "stateful")


@dataclass(frozen=True)
class CheckFailure:
    """One failed Schemathesis check."""

    phase: str
    operation: str
    check: str
    title: str
    message: str

    def describe(self) -> str:
        """One line (plus the message) for reports."""
        return f"[{self.phase}] {self.operation}: {self.check}: {self.title}\n    {self.message.strip()[:500]}"


@dataclass
class SchemathesisReport:
    """Cases run per phase, failed checks and engine errors."""

    cases: Counter[str] = field(default_factory=Counter)
    failures: list[CheckFailure] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        """True when no check failed and the engine reported no error."""
        return not self.failures and not self.errors

    @property
    def total_cases(self) -> int:
        """Cases over all phases."""
        return sum(self.cases.values())

    def summary(self) -> str:
        """Per-phase case counts, then every failure and error."""
        phases = ", ".join(f"{p} {n}" for p, n in sorted(self.cases.items()))
        lines = [f"schemathesis: {self.total_cases} cases ({phases}) in {self.seconds:.1f} s; "
                 f"{len(self.failures)} failed check(s); {len(self.errors)} error(s)"]
        lines.extend(f.describe() for f in self._unique_failures())
        lines.extend(f"error: {e}" for e in self.errors)
        return "\n".join(lines)

    def _unique_failures(self) -> list[CheckFailure]:
        seen: dict[tuple[str, str, str], CheckFailure] = {}
        for failure in self.failures:
            seen.setdefault((failure.operation, failure.check, failure.title), failure)
        return list(seen.values())


@contextmanager
def serve_on_loopback(app: Any) -> Iterator[str]:
    """Serve a WSGI app on 127.0.0.1 (free port, threaded) for the duration of the block; yields its URL."""
    from werkzeug.serving import WSGIRequestHandler, make_server

    class QuietHandler(WSGIRequestHandler):
        def log(self, type: str, message: str, *args: Any) -> None:
            """Keep test output clean: no access log."""

    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=QuietHandler)
    thread = threading.Thread(target=server.serve_forever, name="contracts-wsgi", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)
        server.server_close()


def negative_guard(spec_path: str | Path | None) -> Callable[[Any, Any], bool]:
    """Schemathesis' `filter_body` hook for --negative-only: keep only bodies the spec at `spec_path` rejects.

    Never send a body that spec accepts: on a real service it would create (and bill) a task. The spec is the
    one under test (`--spec`), not the installed one.
    """
    oracle = SpecOracle(load_spec(spec_path))

    def filter_body(_context: Any, body: Any) -> bool:  # the name is how Schemathesis knows the hook
        return bool(oracle.broken_rules(body))

    return filter_body


def _build_schema(base_url: str, token: str, spec_path: str | Path | None, examples: int, seed: int,
                  phases: tuple[str, ...], negative_only: bool) -> Any:
    config = SchemathesisConfig()
    config.update(seed=seed, max_failures=None)
    project = config.projects.override
    project.checks.update(included_check_names=["all"])
    modes = [schemathesis.GenerationMode.NEGATIVE]
    if not negative_only:
        modes.insert(0, schemathesis.GenerationMode.POSITIVE)
    project.generation.update(modes=modes, max_examples=examples, deterministic=True)
    project.phases.update(phases=list(phases))
    located = locate_spec(spec_path)
    schema: Any = schemathesis.openapi.from_path(str(located), config=config)
    schema.config.update(base_url=base_url, headers={"Authorization": f"Bearer {token}"}, request_timeout=10)
    if negative_only:
        schema = schema.include(path=CREATE_PATH, method="POST")
        schema.hook(negative_guard(located))

    return schema


def run_schemathesis(base_url: str | None = None, token: str = "sk_test", *, app: Any = None,
                     spec_path: str | Path | None = None, examples: int = 20, seed: int = 0,
                     phases: tuple[str, ...] = ALL_PHASES, negative_only: bool = False) -> SchemathesisReport:
    """Run every Schemathesis check against `base_url`, or against a WSGI `app` served on loopback.

    `negative_only` tests only the create operation with bodies the spec rejects (no examples, no stateful
    phase), so that no task is created on a real server.
    """
    if app is not None:
        with serve_on_loopback(app) as url:
            return run_schemathesis(url, token, spec_path=spec_path, examples=examples, seed=seed,
                                    phases=phases, negative_only=negative_only)
    if base_url is None:
        raise ValueError("give a base_url or a WSGI app")
    if negative_only:
        phases = tuple(p for p in phases if p in ("coverage", "fuzzing"))
    schema = _build_schema(base_url, token, spec_path, examples, seed, phases, negative_only)
    report = SchemathesisReport()
    started = time.perf_counter()
    for event in from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished):
            _record(report, str(event.phase.value if hasattr(event.phase, "value") else event.phase), event)
        elif isinstance(event, events.NonFatalError | events.FatalError):
            report.errors.append(str(getattr(event, "info", None) or getattr(event, "exception", event)))
    report.seconds = time.perf_counter() - started
    return report


def _record(report: SchemathesisReport, phase: str, event: Any) -> None:
    recorder = event.recorder
    report.cases[phase] += len(recorder.cases)
    for checks in recorder.checks.values():
        for check in checks:
            if check.failure_info is None:
                continue
            failure = check.failure_info.failure
            report.failures.append(CheckFailure(
                phase, str(recorder.label or "stateful"), str(check.name),
                str(getattr(failure, "title", type(failure).__name__)), str(getattr(failure, "message", ""))))
