"""`seedance-contracts coverage`: read a running emulator's coverage ledger (GET /_mock/coverage) over HTTP
and judge it: the share of catalogue items met, items that must be met (globs), conduct findings.

Imports nothing of the emulator: any emulator that serves the document can be judged, from any CI.
"""

from __future__ import annotations

import fnmatch
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from xml.etree import ElementTree

import requests

TIMEOUT = 60.0


class CoverageUnavailable(RuntimeError):
    """The server did not answer a coverage document."""


def fetch_coverage(base_url: str, control_token: str | None = None, poll_threshold: float | None = None,
                   session: requests.Session | None = None) -> dict[str, Any]:
    """The `data` of GET {base_url}/_mock/coverage."""
    http = session or requests.Session()
    headers = {"X-Control-Token": control_token} if control_token else {}
    params = {"poll_threshold": str(poll_threshold)} if poll_threshold is not None else {}
    try:
        answer = http.get(base_url.rstrip("/") + "/_mock/coverage", headers=headers, params=params, timeout=TIMEOUT)
    except requests.RequestException as exc:
        raise CoverageUnavailable(f"cannot reach {base_url}: {exc}") from None
    try:
        body = answer.json()
    except ValueError:
        body = None
    if answer.status_code != 200 or not isinstance(body, dict) or not isinstance(body.get("data"), dict):
        raise CoverageUnavailable(f"{base_url}/_mock/coverage answered {answer.status_code}: {answer.text[:300]}")
    data: dict[str, Any] = body["data"]
    if not isinstance(data.get("items"), list) or not isinstance(data.get("summary"), dict):
        raise CoverageUnavailable(f"{base_url}/_mock/coverage is not a coverage document")
    return data


@dataclass
class Verdict:
    """What the bar says about a coverage document."""

    document: Mapping[str, Any]
    fail_under: float | None = None
    require: Sequence[str] = ()
    missing_required: list[Mapping[str, Any]] = field(default_factory=list)
    unknown_globs: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        items = self.document["items"]
        for glob in self.require:
            matched = [i for i in items if fnmatch.fnmatchcase(str(i["id"]), glob)]
            if not matched:
                self.unknown_globs.append(glob)
            self.missing_required += [i for i in matched if not i["met"] and i not in self.missing_required]

    @property
    def percent(self) -> float:
        """The share of items met (as the server computed it)."""
        return float(self.document["summary"]["percent"])

    @property
    def ok(self) -> bool:
        """At or above --fail-under, every --require item met, and every glob names an item."""
        below = self.fail_under is not None and self.percent < self.fail_under
        return not below and not self.missing_required and not self.unknown_globs

    def unmet(self) -> list[Mapping[str, Any]]:
        """Every item not met."""
        return [i for i in self.document["items"] if not i["met"]]


def _provoke_line(item: Mapping[str, Any]) -> str:
    provoke = item.get("provoke") or {}
    parts = []
    if provoke.get("header"):
        parts.append(f"header X-Seedance-Mock: {provoke['header']}")
    if provoke.get("control"):
        parts.append(f"control {provoke['control']}")
    if not parts:
        steps = provoke.get("steps") or []
        api = [s for s in steps if s.get("call") == "api"]
        if api:
            parts.append(f"send {api[-1]['method']} {api[-1]['path']} (see provoke.steps)")
    return "; ".join(parts)


def render_text(verdict: Verdict) -> str:
    """A short human summary: totals by kind, each missing item with how to provoke it, conduct findings."""
    doc = verdict.document
    summary = doc["summary"]
    lines = [f"coverage: {summary['met']}/{summary['total']} items met ({summary['percent']}%)"]
    for kind, counts in (summary.get("by_kind") or {}).items():
        lines.append(f"  {kind:<10} {counts['met']}/{counts['total']}")
    unmet = verdict.unmet()
    if unmet:
        lines.append(f"not met ({len(unmet)}):")
        lines += [f"  {i['id']}: {_provoke_line(i)}" for i in unmet]
    conduct = doc.get("conduct") or []
    if conduct:
        lines.append(f"conduct findings ({len(conduct)}):")
        for finding in conduct:
            example = finding["example"]
            lines.append(f"  {finding['id']} x{finding['count']} ({finding.get('test') or finding['token']}): "
                         f"{example['method']} {example['path']} -> {example['status']}; {finding['advice']}")
    if verdict.fail_under is not None and verdict.percent < verdict.fail_under:
        lines.append(f"FAIL: {verdict.percent}% is under --fail-under {verdict.fail_under:g}")
    for item in verdict.missing_required:
        lines.append(f"FAIL: required {item['id']} was not met")
    for glob in verdict.unknown_globs:
        lines.append(f"FAIL: --require {glob} matches no catalogue item")
    lines.append("PASS" if verdict.ok else "FAIL")
    return "\n".join(lines)


def render_json(verdict: Verdict) -> str:
    """The document plus the verdict."""
    return json.dumps({**verdict.document, "verdict": {
        "ok": verdict.ok, "fail_under": verdict.fail_under, "require": list(verdict.require),
        "missing_required": [i["id"] for i in verdict.missing_required], "unknown_globs": verdict.unknown_globs,
    }}, ensure_ascii=False, indent=1)


def render_junit(verdict: Verdict) -> str:
    """JUnit XML: a test case per item (failed when unmet) and per conduct finding (failed)."""
    suite = ElementTree.Element("testsuite", name="seedance-coverage")
    failures = 0
    for item in verdict.document["items"]:
        case = ElementTree.SubElement(suite, "testcase", classname=f"coverage.{item['kind']}", name=str(item["id"]))
        if not item["met"]:
            failures += 1
            failure = ElementTree.SubElement(case, "failure", type="unmet", message=f"{item['id']} was never met")
            failure.text = _provoke_line(item)
    conduct = verdict.document.get("conduct") or []
    for finding in conduct:
        failures += 1
        case = ElementTree.SubElement(suite, "testcase", classname="conduct",
                                      name=f"{finding['id']} ({finding.get('test') or finding['token']})")
        failure = ElementTree.SubElement(case, "failure", type="conduct",
                                         message=f"{finding['id']} x{finding['count']}")
        failure.text = finding["advice"]
    suite.set("tests", str(len(verdict.document["items"]) + len(conduct)))
    suite.set("failures", str(failures))
    return ElementTree.tostring(suite, encoding="unicode", xml_declaration=True)


RENDERERS = {"text": render_text, "json": render_json, "junit": render_junit}
