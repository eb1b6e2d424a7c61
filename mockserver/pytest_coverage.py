"""`pytest --seedance-coverage[=PATH]`: the coverage ledger summed over the tests that used the fixtures.

After each test that used `seedance_mock` or `seedance_mock_inprocess` (before the next test's reset), the
emulator's ledger is read: the items it met are credited to that test and its conduct findings name it
(unless the test is marked `@pytest.mark.seedance_misbehaves("poll-too-fast", ...)`: misbehaving on purpose).
Under pytest-xdist each worker sends its share to the controller, which merges them. At the end: a summary,
the report at PATH (JSON, or JUnit XML when PATH ends in .xml), and a failed session when the share of items
met is under `--seedance-fail-under` or an item matching `--seedance-require` was not met.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

MARKER = "seedance_misbehaves"
OUTPUT_KEY = "seedance_coverage"


class CoverageCollector:
    """The plugin object registered when any --seedance-* coverage option is given."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.path: str | None = config.getoption("seedance_coverage") or None
        self.fail_under: float | None = config.getoption("seedance_fail_under")
        self.require: list[str] = list(config.getoption("seedance_require") or [])
        self.threshold: float = float(config.getoption("seedance_poll_threshold"))
        self.counts: Counter[str] = Counter()
        self.met_by: dict[str, list[str]] = {}
        self.conduct: list[dict[str, Any]] = []
        self.lines: list[str] = []
        self.failed = False

    # -- per test ----------------------------------------------------------------------------------
    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_call(self, item: pytest.Item) -> Iterator[None]:
        """After the test body: read the ledger of every emulator the test used."""
        yield
        self.snapshot(item)

    def snapshot(self, item: pytest.Item) -> None:
        """Credit the items met and the conduct seen to `item`."""
        from mockserver.state.conduct import find_conduct
        from mockserver.testing import SeedanceMock
        from mockserver.web.shared import EXTENSION

        funcargs: dict[str, Any] = getattr(item, "funcargs", {})
        apps = {id(v.app): v.app for v in funcargs.values() if isinstance(v, SeedanceMock)}
        marker = item.get_closest_marker(MARKER)
        excused = set(marker.args) if marker is not None else set()
        for app in apps.values():
            backend = app.extensions[EXTENSION].backend
            snapshot = backend.ledger()
            self.add(item.nodeid, dict(snapshot.counts), [
                {**finding, "test": item.nodeid} for finding in find_conduct(snapshot, self.threshold)
                if finding["id"] not in excused])

    def add(self, test: str, counts: dict[str, int], conduct: list[dict[str, Any]]) -> None:
        """Merge one test's (or one xdist worker's) share."""
        self.counts.update(counts)
        for item_id, count in counts.items():
            if count and test:
                self.met_by.setdefault(item_id, []).append(test)
        self.conduct.extend(conduct)

    # -- pytest-xdist --------------------------------------------------------------------------------
    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node: Any, error: Any) -> None:
        """Controller: merge a worker's share."""
        raw = getattr(node, "workeroutput", {}).get(OUTPUT_KEY)
        if raw:
            share = json.loads(raw)
            self.counts.update(share["counts"])
            for item_id, tests in share["met_by"].items():
                self.met_by.setdefault(item_id, []).extend(tests)
            self.conduct.extend(share["conduct"])

    # -- the end -------------------------------------------------------------------------------------
    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        """Worker: hand the share over. Controller (or no xdist): report, and fail below the bar."""
        workeroutput = getattr(self.config, "workeroutput", None)
        if workeroutput is not None:
            workeroutput[OUTPUT_KEY] = json.dumps({"counts": dict(self.counts), "met_by": self.met_by,
                                                   "conduct": self.conduct})
            return
        document = self.document()
        if self.path:
            write_document(document, self.path)
        self.lines, self.failed = judge(document, self.fail_under, self.require)
        if self.path:
            self.lines.append(f"seedance coverage report: {self.path}")
        if self.failed and session.exitstatus == 0:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED

    def document(self) -> dict[str, Any]:
        """The coverage document of the whole session."""
        from mockserver.spec.catalogue import catalogue
        from mockserver.spec.coverage import coverage_document
        from mockserver.spec.loader import spec_path
        from mockserver.state.ledger import LedgerSnapshot

        items = catalogue(str(spec_path()))
        document = coverage_document(items, LedgerSnapshot(dict(self.counts), {}), self.threshold, self.met_by)
        document["conduct"] = sorted(self.conduct, key=lambda f: (f["test"], f["id"]))
        return document

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        """The summary lines (controller only)."""
        if getattr(self.config, "workeroutput", None) is not None or not self.lines:
            return
        terminalreporter.section("seedance coverage")
        for line in self.lines:
            terminalreporter.write_line(line)


def write_document(document: dict[str, Any], path: str) -> None:
    """JSON, or JUnit XML when `path` ends in .xml."""
    from mockserver.spec.coverage import junit_xml

    target = Path(path)
    if target.suffix.lower() == ".xml":
        target.write_bytes(junit_xml(document))
    else:
        target.write_text(json.dumps(document, ensure_ascii=False, indent=1), encoding="utf-8")


def judge(document: dict[str, Any], fail_under: float | None, require: list[str]) -> tuple[list[str], bool]:
    """The summary lines and whether the session fails the bar."""
    from mockserver.spec.coverage import unmet

    summary = document["summary"]
    lines = [f"{summary['met']}/{summary['total']} catalogue items met ({summary['percent']}%): " + ", ".join(
        f"{kind} {c['met']}/{c['total']}" for kind, c in summary["by_kind"].items())]
    missing = unmet(document)
    if missing:
        shown = ", ".join(row["id"] for row in missing[:20])
        lines.append(f"not met ({len(missing)}): {shown}{' ...' if len(missing) > 20 else ''}")
    for finding in document["conduct"]:
        lines.append(f"conduct {finding['id']} x{finding['count']} in {finding['test']}: {finding['advice']}")
    failed = False
    if fail_under is not None and summary["percent"] < fail_under:
        failed = True
        lines.append(f"FAILED: {summary['percent']}% of the catalogue met, under --seedance-fail-under={fail_under:g}")
    for row in unmet(document, require) if require else []:
        failed = True
        lines.append(f"FAILED: {row['id']} (--seedance-require) was not met; provoke: "
                     f"{row['provoke'].get('header') or row['provoke'].get('control') or 'see provoke.steps'}")
    return lines, failed
