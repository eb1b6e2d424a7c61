"""The agreement property: a client's pre-flight verdict equals a server's verdict on every body.

Client verdict: the set of rule ids it reports (empty = accept), or the refusal INVALID_JSON. Server verdict:
200 = accept, 400 VALIDATION_FAILED = reject with `data.rules`, 400 INVALID_JSON = refuse; any other answer is a
disagreement, except the emulator's INVALID_DIRECTIVE on a body whose prompt holds a `[[seedance-mock:` marker:
directives are an emulator feature, not part of the API, so such a body is skipped (counted in `skipped`).
The property runs once per target (each rule id's breakers, valid bodies, noise) so that every disagreeing
rule is reported with its own shrunk body; `negative_only` keeps only bodies the spec rejects, so a real
server never creates a task.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from hypothesis import HealthCheck, Phase, Verbosity, example, given, settings
from hypothesis import seed as hypothesis_seed
from hypothesis import strategies as st

from contracts.boundaries import BoundaryBodies
from contracts.strategies import BodyStrategies
from contracts.verdicts import REQUEST_ERRORS, ClientCheck, SpecOracle, Verdict, client_verdict, json_safe

ServerJudge = Callable[[Any], Verdict]
"""Anything that returns a server's Verdict for a body (HttpServer, WsgiServer, or a stub)."""
VALID_TARGET = "VALID"
NOISE_TARGET = "NOISE"


@dataclass(frozen=True)
class Disagreement:
    """One body on which the client and the server disagree (after shrinking)."""

    target: str
    body: Any
    client: Verdict
    server: Verdict
    spec: Verdict

    @property
    def rules(self) -> list[str]:
        """The rule ids the two verdicts differ on (the target when only the status differs)."""
        differing = sorted(self.client.rules ^ self.server.rules)
        return differing or [self.target]

    def describe(self) -> str:
        """A multi-line report: rule, shrunk body, both verdicts and the spec's."""
        body = json.dumps(self.body, ensure_ascii=not json_safe(self.body))  # a lone surrogate stays escaped
        if len(body) > 600:
            body = body[:600] + f"... ({len(body)} chars)"
        return (f"disagreement on {', '.join(self.rules)} (target {self.target})\n"
                f"  body:   {body}\n  client: {self.client.describe()}\n  server: {self.server.describe()}\n"
                f"  spec:   {self.spec.describe()}")


class AgreementFailure(AssertionError):
    """Raised by the property when the verdicts differ; carries the Disagreement."""

    def __init__(self, disagreement: Disagreement) -> None:
        """Wrap a disagreement."""
        super().__init__(disagreement.describe())
        self.disagreement = disagreement


DIRECTIVE_MARKER = "[[seedance-mock:"
"""The emulator's in-band directive marker (an emulator feature; a real server treats it as prompt text)."""
INVALID_DIRECTIVE = "INVALID_DIRECTIVE"


def compare(client: Verdict, server: Verdict) -> bool:
    """True when a client's verdict and a server's verdict agree."""
    if not server.is_rule_verdict:
        return False
    if server.accepted:
        return client.accepted and not client.rules
    if server.error in REQUEST_ERRORS or client.error is not None:
        return client.error == server.error and not client.rules
    return (not client.accepted) and client.rules == server.rules


def is_directive_answer(body: Any, server: Verdict) -> bool:
    """True for the emulator's INVALID_DIRECTIVE answer to a body whose prompt carries a directive marker."""
    prompt = body.get("prompt") if isinstance(body, dict) else None
    return (server.status == 400 and server.error == INVALID_DIRECTIVE and isinstance(prompt, str)
            and DIRECTIVE_MARKER in prompt)


class AgreementProperty:
    """The property for one (client, server) pair: call it with a body; it raises AgreementFailure."""

    def __init__(self, client_check: ClientCheck, server: ServerJudge, oracle: SpecOracle | None = None) -> None:
        """Bind the client's check, the server's judge and the spec oracle (for reports and coverage)."""
        self.client_check = client_check
        self.server = server
        self.oracle = oracle or SpecOracle()
        self.exercised: Counter[str] = Counter()
        self.cases = 0
        self.skipped = 0

    def judge(self, body: Any, target: str = "") -> Disagreement | None:
        """Both verdicts on `body`; the Disagreement if they differ."""
        spec = self.oracle.verdict(body)
        client = client_verdict(self.client_check, body)
        server = self.server(body)
        self.cases += 1
        if compare(client, server):
            return None
        if client.accepted and is_directive_answer(body, server):
            self.skipped += 1
            return None
        return Disagreement(target or ",".join(sorted(spec.rules)) or VALID_TARGET, body, client, server, spec)

    def __call__(self, body: Any, target: str = "") -> None:
        """Assert agreement on one body."""
        found = self.judge(body, target)
        if found is not None:
            raise AgreementFailure(found)


@dataclass
class TargetResult:
    """The outcome of one target's Hypothesis run."""

    target: str
    examples: int
    disagreement: Disagreement | None = None
    error: str | None = None


@dataclass
class AgreementReport:
    """Every target's outcome plus per-rule coverage (bodies whose spec verdict named the rule)."""

    results: list[TargetResult] = field(default_factory=list)
    exercised: Counter[str] = field(default_factory=Counter)
    cases: int = 0
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        """True when no target found a disagreement or failed to run."""
        return all(r.disagreement is None and r.error is None for r in self.results)

    @property
    def disagreements(self) -> list[Disagreement]:
        """Every shrunk disagreement."""
        return [r.disagreement for r in self.results if r.disagreement is not None]

    def disagreeing_rules(self) -> Counter[str]:
        """Rule id -> number of targets whose shrunk disagreement involves it."""
        counts: Counter[str] = Counter()
        for d in self.disagreements:
            counts.update(d.rules)
        return counts

    def summary(self, listed_rules: Iterable[str]) -> str:
        """A table with a row per rule of `listed_rules` (exercised bodies, disagreements), then each disagreement."""
        bad = self.disagreeing_rules()
        errors = {r.target: r.error for r in self.results if r.error}
        lines = [f"{'RULE':<30} {'EXERCISED':>9} {'DISAGREE':>8}"]
        for rule in [*listed_rules, VALID_TARGET, NOISE_TARGET]:
            if rule in (VALID_TARGET, NOISE_TARGET) and not any(r.target == rule for r in self.results):
                continue
            count = self.exercised[rule] if rule not in (VALID_TARGET, NOISE_TARGET) else next(
                r.examples for r in self.results if r.target == rule)
            mark = f"{bad[rule]:>8}" + (f"  error: {errors[rule]}" if rule in errors else "")
            lines.append(f"{rule:<30} {count:>9} {mark}")
        lines.append(f"{self.cases} cases in {self.seconds:.1f} s; "
                     f"{len(self.disagreements)} disagreement(s); {len(errors)} error(s)")
        lines.extend(d.describe() for d in self.disagreements)
        return "\n".join(lines)


def _settings(examples: int) -> settings:
    return settings(max_examples=examples, database=None, deadline=None, derandomize=False,
                    report_multiple_bugs=False, print_blob=False, verbosity=Verbosity.quiet,
                    phases=(Phase.explicit, Phase.generate, Phase.shrink),
                    suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow,
                                           HealthCheck.data_too_large, HealthCheck.large_base_example])


def run_target(prop: AgreementProperty, target: str, strategy: st.SearchStrategy[Any], examples: int,
               seed: int, exercised: Counter[str], explicit: Sequence[Any] = ()) -> TargetResult:
    """Run the property over the `explicit` bodies, then `examples` generated ones; the shrunk disagreement if any."""
    result = TargetResult(target, 0)
    failed = False

    @hypothesis_seed(seed)
    @_settings(examples)
    @given(strategy)
    def check(body: Any) -> None:
        nonlocal failed
        if not failed:  # shrinking replays bodies: count only the generated ones
            result.examples += 1
            exercised.update(prop.oracle.broken_rules(body))
        try:
            prop(body, target)
        except AgreementFailure:
            failed = True
            raise

    for body in reversed(explicit):  # `example` stacks: reversed keeps the given order
        check = example(body)(check)
    try:
        check()
    except AgreementFailure as failure:
        result.disagreement = failure.disagreement
    except Exception as error:  # e.g. Unsatisfiable, or the server unreachable: report, don't crash
        result.error = f"{type(error).__name__}: {error}"
    return result


def run_agreement(client_check: ClientCheck, server: ServerJudge, strategies: BodyStrategies | None = None,
                  *, examples: int = 10, seed: int = 0, negative_only: bool = False,
                  targets: Sequence[str] | None = None) -> AgreementReport:
    """Run the property for every rule id (+ valid bodies and noise); `examples` per target."""
    strategies = strategies or BodyStrategies()
    prop = AgreementProperty(client_check, server, strategies.oracle)
    report = AgreementReport()
    started = time.perf_counter()
    names = list(targets) if targets is not None else [*strategies.breakable_rules, VALID_TARGET, NOISE_TARGET]
    edges = BoundaryBodies(strategies)
    for offset, name in enumerate(names):
        explicit: list[Any] = []
        if name == VALID_TARGET:
            if negative_only:
                continue
            strategy: st.SearchStrategy[Any] = strategies.valid_body()
            explicit = edges.valid_bodies()
        elif name == NOISE_TARGET:
            strategy = strategies.noise()
            explicit = edges.noise_edges()
            if negative_only:
                strategy = strategy.filter(lambda body: bool(strategies.oracle.broken_rules(body)))
                explicit = [b for b in explicit if not strategies.oracle.verdict(b).accepted]
        else:
            strategy = strategies.breaking(name)
            explicit = edges.for_rule(name)
        report.results.append(run_target(prop, name, strategy, examples, seed + offset, report.exercised, explicit))
    report.cases = prop.cases
    report.seconds = time.perf_counter() - started
    return report
