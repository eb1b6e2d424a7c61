"""`pytest --seedance-coverage`: items credited to the tests that met them (both fixtures, pytest-xdist),
conduct findings naming their test, the bar failing the session, and removing the only test that meets an item
failing `--seedance-fail-under=100`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from junitparser import JUnitXml

pytest_plugins = ["pytester"]
pytestmark = pytest.mark.slow  # each test runs a pytest session in a subprocess

SMALL = '''
import pytest
import requests

CREATE = "/api/open-api/v1/seedance/videos"


def test_rate_limited(seedance_mock):
    headers = {**seedance_mock.headers, "X-Seedance-Mock": "fault=429"}
    assert requests.post(seedance_mock.url + CREATE, json={}, headers=headers, timeout=30).status_code == 429


def test_rejected_twice(seedance_mock_inprocess):
    for _ in range(2):
        requests.post(seedance_mock_inprocess.url + CREATE, json={"model": "seedance2.0-std"},
                      headers=seedance_mock_inprocess.headers, timeout=30)


@pytest.mark.seedance_misbehaves("invalid-after-rejection")
def test_rejected_twice_on_purpose(seedance_mock):
    for _ in range(2):
        requests.post(seedance_mock.url + CREATE, json={"model": "seedance2.0-std", "duration": 5},
                      headers=seedance_mock.headers, timeout=30)
'''

ALL_RECIPES = '''
import pytest

from mockserver.recipes import run_steps
from mockserver.spec.catalogue import catalogue
from mockserver.spec.loader import spec_path

ITEMS = catalogue(str(spec_path()))


@pytest.mark.parametrize("item", ITEMS, ids=[i.id.replace(":", "-") for i in ITEMS])
def test_meets(seedance_mock, item):
    run_steps(item.provoke()["steps"], seedance_mock.url, seedance_mock.token, seedance_mock.control)
'''


def _report(path: Path) -> dict[str, object]:
    document: dict[str, object] = json.loads(path.read_text(encoding="utf-8"))
    return document


@pytest.mark.parametrize("xdist", [False, True], ids=["one-process", "xdist"])
def test_items_name_their_tests_and_findings_name_theirs(pytester: pytest.Pytester, xdist: bool) -> None:
    pytester.makepyfile(test_small=SMALL)
    report = pytester.path / "coverage.json"
    args = ["-p", "no:randomly", f"--seedance-coverage={report}"] + (["-n", "2"] if xdist else [])
    result = pytester.runpytest_subprocess(*args)
    result.assert_outcomes(passed=3)
    document = _report(report)
    rows = {row["id"]: row for row in document["items"]}  # type: ignore[attr-defined]
    assert rows["fault:429"]["tests"] == ["test_small.py::test_rate_limited"]
    assert rows["rule:PROMPT_REQUIRED"]["met"] == 4
    assert rows["rule:PROMPT_REQUIRED"]["tests"] == ["test_small.py::test_rejected_twice",
                                                     "test_small.py::test_rejected_twice_on_purpose"]
    conduct = document["conduct"]
    assert [(f["id"], f["test"]) for f in conduct] == [  # type: ignore[attr-defined]
        ("invalid-after-rejection", "test_small.py::test_rejected_twice")]
    result.stdout.fnmatch_lines(["*seedance coverage*", "*catalogue items met*",
                                 "*conduct invalid-after-rejection x1 in test_small.py::test_rejected_twice*"])


def test_the_bar_fails_the_session(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_small=SMALL)
    junit = pytester.path / "coverage.xml"
    result = pytester.runpytest_subprocess("-p", "no:randomly", f"--seedance-coverage={junit}",
                                           "--seedance-require=fault:5*", "--seedance-fail-under=10")
    assert result.ret == 1
    result.stdout.fnmatch_lines(["*FAILED: 5.3% of the catalogue met, under --seedance-fail-under=10*",
                                 "*FAILED: fault:500 (--seedance-require) was not met*"])
    suite = next(iter(JUnitXml.fromfile(str(junit))))
    assert next(case for case in suite if case.name == "fault:429").is_passed


def test_removing_the_only_test_of_an_item_fails_fail_under_100(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_recipes=ALL_RECIPES)
    full = pytester.runpytest_subprocess("-p", "no:randomly", "--seedance-fail-under=100")
    assert full.ret == 0, full.stdout.str()[-3000:]
    full.stdout.fnmatch_lines(["*catalogue items met (100.0%)*"])
    without = pytester.runpytest_subprocess("-p", "no:randomly", "--seedance-fail-under=100", "-k",
                                            "not fault-delay")
    assert without.ret == 1
    without.stdout.fnmatch_lines(["*not met (1): fault:delay*", "*FAILED: * under --seedance-fail-under=100*"])
