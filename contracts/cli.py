"""`seedance-contracts`: check a server against the spec (Schemathesis + agreement), score the suite against spec
mutants (`mutate`), judge recordings of the real service (`fidelity`), or print the rules.

Only the standard library is imported at module level: `--help` and `--version` work on the base install, and a
command run without the `contracts` extra says so in one line (exit 1) instead of a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import os
import sys
from collections.abc import Callable, Sequence
from importlib.metadata import PackageNotFoundError, version
from typing import Any

DISTRIBUTION = "seedance-contract-kit"
EXTRA_MODULES = ("hypothesis", "schemathesis", "yaml", "jsonschema", "werkzeug")
"""What every command needs (the `contracts` extra), checked before any of it is imported."""
INSTALL_HINT = f"pip install '{DISTRIBUTION}[contracts]'"
EXIT_OK, EXIT_FAILED, EXIT_MISSING_EXTRA, EXIT_USAGE = 0, 1, 1, 2


def package_version() -> str:
    """The installed distribution's version ("0+unknown" in a checkout that was never installed)."""
    try:
        return version(DISTRIBUTION)
    except PackageNotFoundError:
        return "0+unknown"


def missing_extra() -> list[str]:
    """The modules of the `contracts` extra that cannot be imported here (empty when it is installed)."""
    return [name for name in EXTRA_MODULES if importlib.util.find_spec(name) is None]


def load_callable(reference: str, option: str = "--client") -> Callable[..., Any]:
    """Import `module:function` given to `option` (a client's check, or an app factory) and return it."""
    module_name, _, attribute = reference.partition(":")
    if not module_name or not attribute:
        raise ValueError(f"{option} must look like module:function, not {reference!r}")
    target: Any = importlib.import_module(module_name)
    for part in attribute.split("."):
        target = getattr(target, part)
    if not callable(target):
        raise ValueError(f"{reference} is not callable")
    return target  # type: ignore[no-any-return]


def _add_client_option(parser: argparse.ArgumentParser, *, required: bool, help: str) -> None:
    parser.add_argument("--client", required=required, metavar="MODULE:FUNCTION", help=help)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="seedance-contracts", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"%(prog)s {package_version()}")
    sub = parser.add_subparsers(dest="command", required=True)
    check = sub.add_parser("check", help="run Schemathesis and the agreement property against a server")
    check.add_argument("--base-url", required=True, help="server root, e.g. http://127.0.0.1:8000")
    check.add_argument("--token", required=True, help="bearer token")
    check.add_argument("--examples", type=int, default=10, help="examples per rule id and per operation")
    check.add_argument("--seed", type=int, default=0)
    check.add_argument("--negative-only", action="store_true",
                       help="send only bodies the spec rejects: no task is created, nothing is billed")
    _add_client_option(check, required=False,
                       help="the client's check as module:function, body -> rule ids (default: the spec's verdict)")
    check.add_argument("--spec", default=None, help="path to openapi.yaml (default: the installed one)")
    check.add_argument("--skip-schemathesis", action="store_true", help="run only the agreement property")
    mutate = sub.add_parser("mutate", help="spec mutation score: each spec mutant's emulator against a client")
    mutate.add_argument("--app-factory", required=True,
                        help="module:function building a WSGI app from {SPEC_PATH: ...} (e.g. mockserver:create_app)")
    _add_client_option(mutate, required=True, help="the client's check as module:function")
    mutate.add_argument("--examples", type=int, default=10, help="generated examples per rule for survivors")
    mutate.add_argument("--seed", type=int, default=0)
    mutate.add_argument("--only", default=None, help="judge only mutants whose name contains this text")
    mutate.add_argument("--spec", default=None, help="path to openapi.yaml (default: the installed one)")
    mutate.add_argument("--token", default="sk_test", help="bearer token the app accepts (default sk_test)")
    fidelity = sub.add_parser("fidelity", help="judge recordings of the real service: assumptions, rules, timings")
    fidelity.add_argument("recordings", nargs="+", metavar="PATH", help="seedance-mock --record files")
    fidelity.add_argument("--format", choices=("markdown", "json"), default="markdown")
    fidelity.add_argument("--spec", default=None, help="path to openapi.yaml (default: the installed one)")
    fidelity.add_argument("--baseline", action="append", default=[], metavar="PATH",
                          help="recordings of the emulator, for its timings per model (repeatable)")
    fidelity.add_argument("--strict", action="store_true",
                          help="exit 1 when an assumption is contradicted, a rule disagrees or an answer drifted")
    _coverage_parser(sub)
    rules = sub.add_parser("rules", help="print the rule catalogue")
    rules.add_argument("--json", action="store_true", help="JSON instead of a table")
    rules.add_argument("--spec", default=None, help="path to openapi.yaml")
    return parser


PROBE_TIMEOUT = 5.0


def unreachable(base_url: str, timeout: float = PROBE_TIMEOUT) -> str | None:
    """Why `base_url` cannot be checked (one line), or None when it answers HTTP at all (any status)."""
    import urllib.error
    import urllib.request
    from urllib.parse import urlsplit

    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return f"--base-url must look like http://HOST:PORT, not {base_url[:100]!r}"
    try:
        with urllib.request.urlopen(base_url.rstrip("/") + "/", timeout=timeout):
            return None
    except urllib.error.HTTPError:
        return None  # it answered
    except (OSError, ValueError) as error:
        reason = getattr(error, "reason", error)
        return f"cannot reach {base_url[:100]}: {reason}"
def _coverage_parser(sub: Any) -> None:
    cov = sub.add_parser("coverage", help="judge a running emulator's coverage ledger (what a client's tests met)")
    cov.add_argument("--base-url", required=True, help="the emulator's root, e.g. http://127.0.0.1:8000")
    cov.add_argument("--fail-under", type=float, default=None, metavar="PERCENT",
                     help="exit 1 when fewer than PERCENT of the catalogue items were met")
    cov.add_argument("--require", action="append", default=[], metavar="GLOB",
                     help="exit 1 unless every item matching GLOB was met (repeatable), e.g. 'error:*'")
    cov.add_argument("--format", choices=("text", "json", "junit"), default="text", help="output format (text)")
    cov.add_argument("--output", default=None, metavar="PATH", help="write the output to PATH instead of stdout")
    cov.add_argument("--control-token", default=None, help="the emulator's control token, if it has one")
    cov.add_argument("--poll-threshold", type=float, default=None, metavar="SECONDS",
                     help="judge poll-too-fast with this threshold instead of the emulator's")
    cov.add_argument("--fail-on-conduct", action="store_true", help="exit 1 when there is any conduct finding")


def _coverage(args: argparse.Namespace) -> int:
    from contracts.coverage import RENDERERS, CoverageUnavailable, Verdict, fetch_coverage

    try:
        document = fetch_coverage(args.base_url, args.control_token, args.poll_threshold)
    except CoverageUnavailable as exc:
        print(f"seedance-contracts: {exc}", file=sys.stderr)
        return EXIT_FAILED
    verdict = Verdict(document, args.fail_under, args.require)
    text = RENDERERS[args.format](verdict)
    if args.output:
        with open(args.output, "w", encoding="utf-8") as fh:
            fh.write(text + "\n")
    else:
        print(text)
    failed = not verdict.ok or (args.fail_on_conduct and bool(document.get("conduct")))
    return EXIT_FAILED if failed else EXIT_OK


def _check(args: argparse.Namespace) -> int:
    from contracts.agreement import run_agreement
    from contracts.catalogue import Catalogue
    from contracts.schemathesis_run import run_schemathesis
    from contracts.spec import load_spec
    from contracts.strategies import BodyStrategies
    from contracts.verdicts import ClientCheck, HttpServer, SpecOracle

    catalogue = Catalogue(load_spec(args.spec))
    oracle = SpecOracle(catalogue.spec)
    client: ClientCheck = load_callable(args.client) if args.client else oracle
    problem = unreachable(args.base_url)  # once, after the options were checked and before any case is sent
    if problem:
        print(f"seedance-contracts: {problem}", file=sys.stderr)
        return EXIT_USAGE
    strategies = BodyStrategies(catalogue, oracle)
    server = HttpServer(args.base_url, args.token)
    print(f"agreement: {args.client or 'spec'} vs {args.base_url} "
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
    return EXIT_OK if ok else EXIT_FAILED


def _mutate(args: argparse.Namespace) -> int:
    from contracts.catalogue import Catalogue
    from contracts.mutate import run_mutation
    from contracts.spec import load_spec
    from contracts.strategies import BodyStrategies
    from contracts.verdicts import SpecOracle

    catalogue = Catalogue(load_spec(args.spec))
    strategies = BodyStrategies(catalogue, SpecOracle(catalogue.spec))
    client = load_callable(args.client)
    factory = load_callable(args.app_factory, "--app-factory")
    report = run_mutation(client, factory, strategies, examples=args.examples, seed=args.seed, only=args.only,
                          config={"SEED": 0, "API_KEYS": [args.token]})
    print(report.summary())
    return EXIT_OK if report.total and not report.survivors else EXIT_FAILED


def _fidelity(args: argparse.Namespace) -> int:
    import json

    from contracts.fidelity import build_report, to_markdown
    from contracts.spec import load_spec

    report, evidence = build_report(args.recordings, load_spec(args.spec), args.baseline)
    data = report.as_dict(evidence)
    print(json.dumps(data, indent=2, ensure_ascii=False) if args.format == "json" else to_markdown(data), end="")
    bad = (any(a["verdict"] == "contradicted" for a in data["assumptions"])
           or any(not r["agrees"] for r in data["rules"]) or data["drift"])
    return EXIT_FAILED if args.strict and bad else EXIT_OK


def _rules(args: argparse.Namespace) -> int:
    from contracts.catalogue import Catalogue
    from contracts.spec import load_spec

    catalogue = Catalogue(load_spec(args.spec))
    print(catalogue.to_json() if args.json else catalogue.to_table())
    return EXIT_OK


def _silence_stdout() -> None:
    # What is still buffered for the closed pipe would fail again when Python flushes stdout at exit.
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of `seedance-contracts`; returns the exit status (2 for usage errors, as argparse)."""
    parser = _parser()
    args = parser.parse_args(argv)
    missing = missing_extra()
    if missing:
        print(f"seedance-contracts: needs {', '.join(missing)} (the contracts extra): {INSTALL_HINT}",
              file=sys.stderr)
        return EXIT_MISSING_EXTRA
    commands = {"check": _check, "mutate": _mutate, "rules": _rules, "fidelity": _fidelity, "coverage": _coverage}
    try:
        return commands[args.command](args)
    except BrokenPipeError:  # `seedance-contracts rules | head -5`: the reader had enough, which is no error
        _silence_stdout()
        return EXIT_OK
    except (OSError, ValueError, ImportError, AttributeError) as error:
        print(f"seedance-contracts: error: {error}", file=sys.stderr)
        return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())
