"""Every Python and shell example in README.md and docs/ runs as it is shown.

- Python blocks marked `# tested by tests/test_docs.py` are test files: pytester runs them with the installed
  plugin and every test in them must pass.
- Other Python blocks and every shell block run in a fresh folder against a live emulator; the address the docs
  use (`http://127.0.0.1:8000`, Redis at `127.0.0.1:6379`) is swapped for the test's own.
- A shell block that starts the emulator (`seedance-mock ...`) must print its URL, answer, and stop cleanly on
  SIGTERM.
- The README's two set-up commands are not re-run here (they install from the network): the test command is the
  one `.ci/run` runs, checked word for word, and the emulator command's parts (`pip install` of the `[mock]`
  extra, `seedance-mock`) are what the packaging and CLI tests exercise.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from mockserver.control_client import ControlClient
from mockserver.server import EmbeddedServer

REPO = Path(__file__).resolve().parents[1]
DOCUMENTS = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
MARK = "# tested by tests/test_docs.py"
DOC_URL = "http://127.0.0.1:8000"
DOC_REDIS = "127.0.0.1:6379"
BLOCK = re.compile(r"^```(\w*)\n(.*?)^```", re.M | re.S)

pytest_plugins = ["pytester"]


def blocks(path: Path, language: str) -> list[tuple[int, str]]:
    """(line number, code) of every fenced block of `language` ('sh' also takes 'bash')."""
    text = path.read_text(encoding="utf-8")
    found = []
    for match in BLOCK.finditer(text):
        lang = match.group(1)
        if lang == language or (language == "sh" and lang in ("bash", "shell")):
            found.append((text.count("\n", 0, match.start()) + 1, match.group(2)))
    return found


def setup_section(text: str) -> str:
    """The README's set-up section."""
    return text.split("## Set-up", 1)[1].split("\n## ", 1)[0]


def example_ids(language: str, tested: bool) -> list[tuple[Path, int, str]]:
    """Every example of `language` (tested ones are pytest files), except the README's set-up commands."""
    readme_setup = setup_section((REPO / "README.md").read_text(encoding="utf-8"))
    found = []
    for path in DOCUMENTS:
        for line, code in blocks(path, language):
            if path.name == "README.md" and code in readme_setup:
                continue
            if language == "python" and code.startswith(MARK) != tested:
                continue
            found.append((path, line, code))
    return found


def _id(example: tuple[Path, int, str]) -> str:
    return f"{example[0].relative_to(REPO)}:{example[1]}"


def params(examples: list[tuple[Path, int, str]], heavy: bool = False) -> list[Any]:
    """The examples as test parameters; the ones that run pytest or a contract check, or start the emulator as a
    process of its own, are `slow` (CI runs them, the quick loop does not)."""
    return [pytest.param(e, id=_id(e), marks=[pytest.mark.slow] if heavy or _is_heavy(e[2]) else [])
            for e in examples]


def _starts_emulator(code: str) -> bool:
    return code.lstrip().startswith("seedance-mock")


def _is_heavy(code: str) -> bool:
    return "seedance-contracts" in code or _starts_emulator(code)


@pytest.fixture(scope="module")
def live() -> Iterator[EmbeddedServer]:
    """The emulator the examples talk to (default configuration, as a user starts it)."""
    with EmbeddedServer() as server:
        yield server


@pytest.fixture
def environment(live: EmbeddedServer, tmp_path: Path, request: pytest.FixtureRequest) -> dict[str, str]:
    """A fresh emulator state and the environment an example runs in."""
    ControlClient(live.url).reset()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SEEDANCE_", "PYTEST"))}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env["PYTHONPATH"] = str(REPO)
    return env


def localise(code: str, live_url: str, redis_address: str, folder: Path) -> str:
    """The example with the docs' addresses replaced by the test's own."""
    code = code.replace(DOC_URL, live_url).replace(DOC_REDIS, redis_address)
    return code.replace("/tmp/seedance-mock.db", str(folder / "seedance-mock.db"))


def test_exactly_two_set_up_commands_and_ci_runs_the_test_one() -> None:
    section = setup_section((REPO / "README.md").read_text(encoding="utf-8"))
    commands = [code.strip() for code in re.findall(r"```sh\n(.*?)```", section, flags=re.S)]
    assert len(commands) == 2
    install_and_run, install_and_test = commands
    assert ".venv" in install_and_run and "'.[mock]'" in install_and_run and install_and_run.endswith("seedance-mock")
    assert ".venv" in install_and_test and "'.[test]'" in install_and_test and install_and_test.endswith("pytest")
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    test_part = install_and_test.split("pip install", 1)[1]
    assert any(line.startswith("pip install") and line.endswith(test_part.split("'.[test]'", 1)[1])
               and "'.[test]'" in line for line in ci.splitlines())


def test_the_docs_show_examples_of_every_kind() -> None:
    assert len(example_ids("python", tested=True)) >= 3
    assert len(example_ids("python", tested=False)) >= 3
    assert len(example_ids("sh", tested=False)) >= 6


@pytest.mark.parametrize("example", params(example_ids("python", tested=True), heavy=True))
def test_example_test_files_pass(example: tuple[Path, int, str], pytester: pytest.Pytester) -> None:
    _, line, code = example
    pytester.makepyfile(**{f"test_example_{line}": code})
    # In a subprocess, as a user runs it: an in-process run would unload and reload modules (yaml's among
    # them) under this session's feet.
    result = pytester.runpytest_subprocess("-q", "-p", "no:cacheprovider", "-p", "no:randomly", timeout=300)
    result.assert_outcomes(passed=len(re.findall(r"^def test_", code, flags=re.M)))


@pytest.mark.parametrize("example", params(example_ids("python", tested=False)))
def test_python_examples_run(example: tuple[Path, int, str], live: EmbeddedServer, environment: dict[str, str],
                             tmp_path: Path, redis_server: str) -> None:
    code = localise(example[2], live.url, redis_server.split("//")[1].rsplit("/", 1)[0], tmp_path)
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=environment, capture_output=True,
                          text=True, timeout=180)
    assert done.returncode == 0, done.stderr[-3000:]
    assert_no_conduct_findings(live.url, code)


# Examples that fuzz the server on purpose (the contract checker and Schemathesis send invalid bodies again and
# poll as fast as they can): they misbehave by design, so the conduct check does not judge them.
FUZZERS = ("seedance-contracts check", "seedance-contracts mutate", "schemathesis", "st run")


def misbehaves_on_purpose(code: str) -> bool:
    """Does this example run a fuzzer against the emulator?"""
    return any(fuzzer in code for fuzzer in FUZZERS)


def assert_no_conduct_findings(url: str, code: str = "") -> None:
    """What the docs show is what a careful client does: the coverage ledger saw no conduct finding."""
    if misbehaves_on_purpose(code):
        return
    findings = requests.get(f"{url}/_mock/coverage", timeout=60).json()["data"]["conduct"]
    assert findings == [], [(f["id"], f["detail"], f["example"]) for f in findings]


@pytest.mark.parametrize("example", params(example_ids("sh", tested=False)))
def test_shell_examples_run(example: tuple[Path, int, str], live: EmbeddedServer, environment: dict[str, str],
                            tmp_path: Path, redis_server: str) -> None:
    code = localise(example[2], live.url, redis_server.split("//")[1].rsplit("/", 1)[0], tmp_path)
    if not _starts_emulator(code):
        done = subprocess.run(["bash", "-euo", "pipefail", "-c", code], cwd=tmp_path, env=environment,
                              capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, (done.stdout[-2000:], done.stderr[-3000:])
        assert_no_conduct_findings(live.url, code)
        return
    # An emulator command: on a free port, it must print its URL, answer, and stop cleanly on SIGTERM.
    command = re.sub(r"--port \d+", "--port 0", code.replace("\\\n", " "))
    command = command if "--port" in command else command.strip() + " --port 0"
    process = subprocess.Popen(["bash", "-c", f"exec {command.strip()}"], cwd=tmp_path, env=environment,
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, start_new_session=True)
    try:
        assert process.stdout is not None
        url = process.stdout.readline().strip()
        assert url.startswith("http://"), f"no URL from {command!r}"
        headers = {"X-Control-Token": m.group(1)} if (m := re.search(r"--control-token (\S+)", command)) else {}
        assert requests.get(f"{url}/_mock/health", headers=headers, timeout=10).status_code == 200
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=60) == 0
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=30)


def test_measured_figures_have_one_source() -> None:
    """docs/performance.md shows the bench's own output, unchanged."""
    page = (REPO / "docs" / "performance.md").read_text(encoding="utf-8")
    begin, end = "<!-- begin bench/results/server.md -->\n", "<!-- end bench/results/server.md -->"
    shown = page.split(begin, 1)[1].split(end)[0]
    assert shown.strip() == (REPO / "bench" / "results" / "server.md").read_text(encoding="utf-8").strip()
