"""Spec mutation score: mutants derived from openapi.yaml, each judged by the agreement with an unmutated client.

Operators, on every node reachable from `CreateVideoRequest`:
- on each `x-rule` node: every numeric bound (minimum, maximum, maxItems, maxLength) moved by one either way
  (never below 0 for counts); every enum with each value removed in turn and one foreign value added; every URL
  scheme list (`^https://...`, `^(?:https|asset)://...`) widened by one scheme and narrowed by each one;
  `not`, `const`, `required`, `dependentRequired` and scheme-less `pattern` constraints dropped;
- every conditional (`if`/`then`) dropped.

For each mutant an emulator is built in-process from the mutated spec by an app factory given by name (for
instance `mockserver:create_app`; this package never imports it), and the agreement property runs against the
unmutated client: first the fixed edge bodies of every rule (those of the rules the mutant touches first), then,
if none disagreed, the generated examples. A mutant is killed by the first disagreement.
"""

from __future__ import annotations

import copy
import json
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from contracts.agreement import AgreementProperty, run_agreement
from contracts.boundaries import BoundaryBodies
from contracts.edges import FOREIGN_VALUES
from contracts.profiles import schemes_of
from contracts.spec import CREATE_SCHEMA, ref_name, schemas
from contracts.strategies import BodyStrategies
from contracts.verdicts import ClientCheck, WsgiServer

AppFactory = Callable[[dict[str, Any]], Any]
"""Builds a WSGI app from a config mapping that holds at least SPEC_PATH (e.g. mockserver.create_app)."""
Path_ = tuple[str | int, ...]
_BOUNDS = ("minimum", "maximum", "maxItems", "maxLength")
_COUNTS = ("maxItems", "maxLength")
_DROPPED = ("not", "const", "required", "dependentRequired")
_EXTRA_SCHEMES = ("http", "https", "asset", "ftp")


@dataclass(frozen=True)
class Mutant:
    """One change to the spec: a readable name, the rule ids it touches, and where and what it sets."""

    name: str
    rules: tuple[str, ...]
    path: Path_
    value: Any  # the node's new content (a dict) at `path`

    def apply(self, spec: dict[str, Any]) -> dict[str, Any]:
        """A deep copy of `spec` with this mutation applied."""
        mutated = copy.deepcopy(spec)
        parent: Any = mutated
        for key in self.path[:-1]:
            parent = parent[key]
        parent[self.path[-1]] = self.value
        return mutated


@dataclass
class MutantResult:
    """How one mutant fared: killed (and by which body), or survived; `error` when it could not be built."""

    mutant: Mutant
    killed: bool
    stage: str = ""  # "edges" or "generated"
    evidence: str = ""
    error: str | None = None


@dataclass
class MutationReport:
    """Every mutant's result, with the score."""

    results: list[MutantResult] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def total(self) -> int:
        """Mutants that could be built and judged."""
        return sum(1 for r in self.results if r.error is None)

    @property
    def killed(self) -> int:
        """Mutants on which the client and the mutated emulator disagreed."""
        return sum(1 for r in self.results if r.error is None and r.killed)

    @property
    def survivors(self) -> list[Mutant]:
        """Mutants no body told apart from the spec."""
        return [r.mutant for r in self.results if r.error is None and not r.killed]

    def summary(self) -> str:
        """Score line, then every survivor and every mutant that could not be built."""
        score = 100.0 * self.killed / self.total if self.total else 0.0
        lines = [f"spec mutants killed: {self.killed}/{self.total} ({score:.1f}%) in {self.seconds:.1f} s"]
        lines += [f"  SURVIVED {m.name}" for m in self.survivors]
        lines += [f"  NOT BUILT {r.mutant.name}: {r.error}" for r in self.results if r.error is not None]
        return "\n".join(lines)


def _reachable(spec: dict[str, Any]) -> list[str]:
    """Component names reachable from the create schema through $ref, in discovery order."""
    table = schemas(spec)
    seen: list[str] = []
    todo = [CREATE_SCHEMA]
    while todo:
        name = todo.pop(0)
        if name in seen:
            continue
        seen.append(name)
        todo += [n for n in _refs(table[name]) if n not in seen]
    return seen


def _refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        target = ref_name(node)
        if target is not None:
            yield target
        for value in node.values():
            yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


def _nodes(node: Any, path: Path_) -> Iterator[tuple[Path_, dict[str, Any]]]:
    if isinstance(node, dict):
        yield path, node
        for key, value in node.items():
            yield from _nodes(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _nodes(value, (*path, index))


def _rules_under(spec: dict[str, Any], node: Any) -> tuple[str, ...]:
    """x-rule ids found in `node`, following $refs (each component once)."""
    found: list[str] = []
    seen: set[str] = set()
    todo = [node]
    while todo:
        current = todo.pop()
        for _, sub in _nodes(current, ()):
            if "x-rule" in sub and sub["x-rule"] not in found:
                found.append(str(sub["x-rule"]))
            target = ref_name(sub)
            if target is not None and target not in seen:
                seen.add(target)
                todo.append(schemas(spec)[target])
    return tuple(found)


def _scheme_pattern(schemes: Sequence[str], rest: str) -> str:
    head = schemes[0] if len(schemes) == 1 else "(?:" + "|".join(schemes) + ")"
    return f"^{head}://{rest}"


def _rule_mutants(path: Path_, node: dict[str, Any]) -> Iterator[Mutant]:
    rule = str(node["x-rule"])
    fld = str((node.get("x-fields") or [""])[0])

    def with_(name: str, **changes: Any) -> Mutant:
        value = {k: v for k, v in node.items() if k not in changes or changes[k] is not None}
        value.update({k: v for k, v in changes.items() if v is not None})
        return Mutant(f"{rule}: {name}", (rule,), path, value)

    for key in _BOUNDS:
        if isinstance(node.get(key), int) and not isinstance(node[key], bool):
            for delta in (-1, 1):
                if key in _COUNTS and node[key] + delta < 0:
                    continue
                yield with_(f"{key} {node[key]} -> {node[key] + delta}", **{key: node[key] + delta})
    enum = node.get("enum")
    if isinstance(enum, list):
        for value in enum:
            if len(enum) > 1:
                yield with_(f"enum without {value!r}", enum=[v for v in enum if v != value])
        foreign = next((v for v in FOREIGN_VALUES.get(fld, ()) if v not in enum), f"{enum[0]}x")
        yield with_(f"enum with {foreign!r}", enum=[*enum, foreign])
    pattern = node.get("pattern")
    if isinstance(pattern, str):
        yield from _pattern_mutants(rule, path, node, pattern)
    for key in _DROPPED:
        if key in node:
            yield Mutant(f"{rule}: {key} dropped", (rule,), path, {k: v for k, v in node.items() if k != key})


def _pattern_mutants(rule: str, path: Path_, node: dict[str, Any], pattern: str) -> Iterator[Mutant]:
    allowed = schemes_of(pattern)
    if not allowed:
        yield Mutant(f"{rule}: pattern dropped", (rule,), path, {k: v for k, v in node.items() if k != "pattern"})
        return
    rest = pattern.split("://", 1)[1]
    extra = next(s for s in _EXTRA_SCHEMES if s not in allowed)
    yield Mutant(f"{rule}: schemes widened with {extra}", (rule,), path,
                 {**node, "pattern": _scheme_pattern([*allowed, extra], rest)})
    for scheme in allowed:
        kept = [s for s in allowed if s != scheme] or ["none"]
        yield Mutant(f"{rule}: schemes narrowed without {scheme}", (rule,), path,
                     {**node, "pattern": _scheme_pattern(kept, rest)})


def derive_mutants(spec: dict[str, Any]) -> list[Mutant]:
    """Every mutant of the spec's create schema (see the module docstring), in a stable order."""
    out: list[Mutant] = []
    for name in _reachable(spec):
        base: Path_ = ("components", "schemas", name)
        for path, node in _nodes(schemas(spec)[name], base):
            if "x-rule" in node:
                out += list(_rule_mutants(path, node))
            if "if" in node and "then" in node:
                where = "/".join(str(p) for p in path[2:])
                dropped = {k: v for k, v in node.items() if k not in ("if", "then")}
                out.append(Mutant(f"conditional {where} dropped", _rules_under(spec, node["then"]), path, dropped))
    return out


class EdgeBodies:
    """The fixed bodies every mutant meets first: each rule's breakers and valid edges, then all the others."""

    def __init__(self, strategies: BodyStrategies) -> None:
        """Compute every rule's edge bodies once (from the unmutated spec)."""
        edges = BoundaryBodies(strategies)
        self.by_rule = {r: [*edges.for_rule(r), *edges.valid_edges(r)] for r in strategies.breakable_rules}
        self.common = [*edges.valid_bodies(), *edges.noise_edges()]

    def for_mutant(self, mutant: Mutant) -> Iterator[Any]:
        """The touched rules' bodies first, then every other rule's, then valid bodies and noise."""
        first = [r for r in mutant.rules if r in self.by_rule]
        for rule in [*first, *(r for r in self.by_rule if r not in first)]:
            yield from self.by_rule[rule]
        yield from self.common


def judge_mutant(mutant: Mutant, spec: dict[str, Any], client: ClientCheck, app_factory: AppFactory,
                 strategies: BodyStrategies, edges: EdgeBodies, workdir: Path, *, examples: int = 10,
                 seed: int = 0, config: dict[str, Any] | None = None) -> MutantResult:
    """Build the mutated emulator in-process and look for a disagreement with the (unmutated) client."""
    with tempfile.NamedTemporaryFile("w", dir=workdir, suffix=".json", delete=False, encoding="utf-8") as out:
        json.dump(mutant.apply(spec), out)  # JSON is YAML: any spec loader reads it
    spec_file = Path(out.name)
    try:
        app = app_factory({**(config or {}), "SPEC_PATH": str(spec_file)})
    except Exception as error:  # a mutant the emulator refuses to load is not judged
        return MutantResult(mutant, False, error=f"{type(error).__name__}: {error}")
    finally:
        spec_file.unlink()
    server = WsgiServer(app)
    prop = AgreementProperty(client, server, strategies.oracle)
    for body in edges.for_mutant(mutant):
        found = prop.judge(body)
        if found is not None:
            return MutantResult(mutant, True, "edges", found.describe())
    report = run_agreement(client, server, strategies, examples=examples, seed=seed)
    if not report.ok:
        evidence = report.disagreements[0].describe() if report.disagreements else "a target failed to run"
        return MutantResult(mutant, True, "generated", evidence)
    return MutantResult(mutant, False)


def run_mutation(client: ClientCheck, app_factory: AppFactory, strategies: BodyStrategies | None = None, *,
                 examples: int = 10, seed: int = 0, config: dict[str, Any] | None = None,
                 only: str | None = None) -> MutationReport:
    """Derive the spec's mutants (those whose name contains `only`, if given) and judge each one."""
    strategies = strategies or BodyStrategies()
    spec = strategies.catalogue.spec
    mutants = [m for m in derive_mutants(spec) if only is None or only in m.name]
    edges = EdgeBodies(strategies)
    report = MutationReport()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="seedance-mutants-") as tmp:
        for mutant in mutants:
            report.results.append(judge_mutant(mutant, spec, client, app_factory, strategies, edges, Path(tmp),
                                               examples=examples, seed=seed, config=config))
    report.seconds = time.perf_counter() - started
    return report
