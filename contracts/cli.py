"""`seedance-contracts`: check a server against the spec (Schemathesis + agreement), score the suite against spec
mutants (`mutate`), or print the rules."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from typing import Any

from contracts.agreement import run_agreement
from contracts.catalogue import Catalogue
from contracts.mutate import run_mutation
from contracts.schemathesis_run import run_schemathesis
from contracts.spec import load_spec
from contracts.strategies import BodyStrategies
from contracts.verdicts import ClientCheck, HttpServer, SpecOracle


def load_oracle(reference: str) -> ClientCheck:
    """Import `module:function` (a client's check: body -> rule ids or Violation-like objects)."""
    module_name, _, attribute = reference.partition(":")
    if not module_name or not attribute:
        raise ValueError(f"--oracle must look like module:function, not {reference!r}")
    target: Any = importlib.import_module(module_name)
    for part in attribute.split("."):
        target = getattr(target, part)
    if not callable(target):
        raise ValueError(f"{reference} is not callable")
    return target  # type: ignore[no-any-return]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="seedance-contracts", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    check = sub.add_parser("check", help="run Schemathesis and the agreement property against a server")
    check.add_argument("--base-url", required=True, help="server root, e.g. http://127.0.0.1:8000")
    check.add_argument("--token", required=True, help="bearer token")
    check.add_argument("--examples", type=int, default=10, help="examples per rule id and per operation")
    check.add_argument("--seed", type=int, default=0)
    check.add_argument("--negative-only", action="store_true",
                       help="send only bodies the spec rejects: no task is created, nothing is billed")
    check.add_argument("--oracle", default=None,
                       help="client verdict as module:function (default: the spec's own verdict)")
    check.add_argument("--spec", default=None, help="path to openapi.yaml (default: the installed one)")
    check.add_argument("--skip-schemathesis", action="store_true", help="run only the agreement property")
    mutate = sub.add_parser("mutate", help="spec mutation score: each spec mutant's emulator against a client")
    mutate.add_argument("--app-factory", required=True,
                        help="module:function building a WSGI app from {SPEC_PATH: ...} (e.g. mockserver:create_app)")
    mutate.add_argument("--oracle", required=True, help="client verdict as module:function")
    mutate.add_argument("--examples", type=int, default=10, help="generated examples per rule for survivors")
    mutate.add_argument("--seed", type=int, default=0)
    mutate.add_argument("--only", default=None, help="judge only mutants whose name contains this text")
    mutate.add_argument("--spec", default=None, help="path to openapi.yaml (default: the installed one)")
    mutate.add_argument("--token", default="sk_test", help="bearer token the app accepts (default sk_test)")
    rules = sub.add_parser("rules", help="print the rule catalogue")
    rules.add_argument("--json", action="store_true", help="JSON instead of a table")
    rules.add_argument("--spec", default=None, help="path to openapi.yaml")
    return parser


def _check(args: argparse.Namespace) -> int:
    catalogue = Catalogue(load_spec(args.spec))
    oracle = SpecOracle(catalogue.spec)
    client: ClientCheck = load_oracle(args.oracle) if args.oracle else oracle
    strategies = BodyStrategies(catalogue, oracle)
    server = HttpServer(args.base_url, args.token)
    print(f"agreement: {'spec' if not args.oracle else args.oracle} vs {args.base_url} "
          f"({args.examples} examples per rule{', negative only' if args.negative_only else ''})")
    report = run_agreement(client, server, strategies, examples=args.examples, seed=args.seed,
                           negative_only=args.negative_only)
    print(report.summary(r.id for r in catalogue.body_rules))
    ok = report.ok
    if not args.skip_schemathesis:
        st_report = run_schemathesis(args.base_url, args.token, spec_path=args.spec, examples=args.examples,
                                     seed=args.seed, negative_only=args.negative_only)
        print(st_report.summary())
        ok = ok and st_report.ok
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


def _mutate(args: argparse.Namespace) -> int:
    catalogue = Catalogue(load_spec(args.spec))
    strategies = BodyStrategies(catalogue, SpecOracle(catalogue.spec))
    client = load_oracle(args.oracle)
    factory = load_oracle(args.app_factory)
    report = run_mutation(client, factory, strategies, examples=args.examples, seed=args.seed, only=args.only,
                          config={"SEED": 0, "API_KEYS": [args.token]})
    print(report.summary())
    return 0 if report.total and not report.survivors else 1


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of `seedance-contracts`; returns the exit status."""
    args = _parser().parse_args(argv)
    try:
        if args.command == "rules":
            catalogue = Catalogue(load_spec(args.spec))
            print(catalogue.to_json() if args.json else catalogue.to_table())
            return 0
        if args.command == "mutate":
            return _mutate(args)
        return _check(args)
    except (OSError, ValueError, ImportError, AttributeError) as error:
        print(f"seedance-contracts: error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
