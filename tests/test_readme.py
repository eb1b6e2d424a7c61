"""The README's promises: exactly two set-up commands, the same test command in .ci/run, and the example
tests it shows run as they are (through pytester, with the installed pytest plugin)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
README = (REPO / "README.md").read_text(encoding="utf-8")
MARK = "# tested by tests/test_readme.py"

pytest_plugins = ["pytester"]


def code_blocks(language: str) -> list[str]:
    """The README's fenced code blocks of one language."""
    return re.findall(rf"```{language}\n(.*?)```", README, flags=re.S)


def test_exactly_two_set_up_commands_and_ci_runs_the_test_one() -> None:
    section = README.split("## Set-up", 1)[1].split("\n## ", 1)[0]
    commands = [block.strip() for block in re.findall(r"```sh\n(.*?)```", section, flags=re.S)]
    assert len(commands) == 2
    install_and_run, install_and_test = commands
    assert install_and_run.startswith("pip install .") and "seedance-mock" in install_and_run
    assert install_and_test.startswith("pip install '.[test]'") and "pytest" in install_and_test
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    assert install_and_test in ci.splitlines()


def test_readme_example_tests_run_as_shown(pytester: pytest.Pytester) -> None:
    blocks = [b for b in code_blocks("python") if b.startswith(MARK)]
    assert blocks, "the README shows no tested examples"
    for index, block in enumerate(blocks):
        pytester.makepyfile(**{f"test_readme_example_{index}": block})
    expected = sum(len(re.findall(r"^def test_", b, flags=re.M)) for b in blocks)
    result = pytester.runpytest_inprocess("-q", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=expected)
