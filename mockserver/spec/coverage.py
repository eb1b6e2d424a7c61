"""The coverage document: the catalogue with the ledger's counts, a summary and the conduct findings,
as JSON (GET /_mock/coverage, `--coverage-report x.json`) or JUnit XML (one test case per item, failed
when unmet, plus one failed case per conduct finding)."""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Mapping, Sequence
from typing import Any
from xml.etree import ElementTree

from mockserver.spec.catalogue import KINDS, Item
from mockserver.state.conduct import DEFAULT_POLL_THRESHOLD, find_conduct
from mockserver.state.ledger import LedgerSnapshot


def coverage_document(items: Sequence[Item], snapshot: LedgerSnapshot,
                      poll_threshold: float = DEFAULT_POLL_THRESHOLD,
                      met_by: Mapping[str, list[str]] | None = None) -> dict[str, Any]:
    """`{items, summary, conduct, poll_threshold}`: every item with its `met` count (and, from the pytest
    plugin, the tests that met it)."""
    rows = []
    for item in items:
        row = {"id": item.id, "kind": item.kind, "met": int(snapshot.counts.get(item.id, 0)), **{
            k: v for k, v in item.as_dict().items() if k not in ("id", "kind")}}
        if met_by is not None:
            row["tests"] = sorted(met_by.get(item.id, []))
        rows.append(row)
    return {"items": rows, "summary": summary(rows), "conduct": find_conduct(snapshot, poll_threshold),
            "poll_threshold": poll_threshold}


def summary(rows: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """Items met / total / percent, overall and by kind."""
    rows = list(rows)
    by_kind = {}
    for kind in KINDS:
        mine = [r for r in rows if r["kind"] == kind]
        by_kind[kind] = {"met": sum(1 for r in mine if r["met"]), "total": len(mine)}
    met = sum(1 for r in rows if r["met"])
    return {"met": met, "total": len(rows), "percent": round(100.0 * met / len(rows), 1) if rows else 100.0,
            "by_kind": by_kind}


def unmet(document: Mapping[str, Any], require: Sequence[str] = ()) -> list[Mapping[str, Any]]:
    """The items not met (only those matching one of the `require` globs, when given)."""
    return [row for row in document["items"] if not row["met"]
            and (not require or any(fnmatch.fnmatchcase(row["id"], g) for g in require))]


def junit_xml(document: Mapping[str, Any], name: str = "seedance-coverage") -> bytes:
    """JUnit XML: a test case per item (failed when unmet, with how to provoke it) and one failed case per
    conduct finding."""
    suite = ElementTree.Element("testsuite", name=name)
    failures = 0
    for row in document["items"]:
        case = ElementTree.SubElement(suite, "testcase", classname=f"coverage.{row['kind']}", name=row["id"])
        if not row["met"]:
            failures += 1
            provoke = row.get("provoke") or {}
            failure = ElementTree.SubElement(case, "failure", message=f"{row['id']} was never met",
                                             type="unmet")
            failure.text = "\n".join(filter(None, [
                row.get("title", ""), f"header: X-Seedance-Mock: {provoke['header']}" if provoke.get("header") else "",
                f"control: {provoke['control']}" if provoke.get("control") else "", provoke.get("pytest", "")]))
        elif row.get("tests"):
            ElementTree.SubElement(case, "system-out").text = "met by " + ", ".join(row["tests"])
    for finding in document["conduct"]:
        failures += 1
        label = f"{finding['id']} ({finding.get('test') or finding['token']})"
        case = ElementTree.SubElement(suite, "testcase", classname="conduct", name=label)
        failure = ElementTree.SubElement(case, "failure", message=f"{finding['id']} x{finding['count']}",
                                         type="conduct")
        example = finding["example"]
        failure.text = (f"{finding['title']}; {finding.get('detail', '')}\nexample: {example['method']} "
                        f"{example['path']} -> {example['status']}\nadvice: {finding['advice']}")
    suite.set("tests", str(len(document["items"]) + len(document["conduct"])))
    suite.set("failures", str(failures))
    suite.set("errors", "0")
    return bytes(ElementTree.tostring(suite, encoding="utf-8", xml_declaration=True))
