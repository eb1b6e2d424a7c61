"""`seedance-contracts`: `check` against a live emulator (passes, --negative-only creates nothing, teeth), its
options (--client, --version), and what it says without its extra."""

from __future__ import annotations

import importlib.metadata
import importlib.util
import subprocess
import sys

import pytest

from contracts import cli
from mockserver.control_client import ControlClient
from mockserver.server import EmbeddedServer


@pytest.mark.slow
def test_check_passes_against_the_emulator(strict_emulator: EmbeddedServer,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    status = cli.main(["check", "--base-url", strict_emulator.url, "--token", "sk_test", "--examples", "3",
                       "--client", "tests.contracts.helpers:client_rules"])
    out = capsys.readouterr().out
    assert status == 0, out
    assert "STD_AUDIOS_MAX" in out and "0 disagreement(s)" in out and out.rstrip().endswith("PASS")
    assert "schemathesis:" in out and "0 failed check(s)" in out


@pytest.mark.slow
def test_negative_only_creates_no_task(strict_emulator: EmbeddedServer,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    control = ControlClient(strict_emulator.url)
    control.reset()
    status = cli.main(["check", "--base-url", strict_emulator.url, "--token", "sk_test", "--examples", "3",
                       "--negative-only"])
    out = capsys.readouterr().out
    assert status == 0, out
    creates = [e for e in control.journal() if e.get("method") == "POST" and "seedance" in str(e.get("path"))]
    assert creates and all(e.get("status") != 200 for e in creates)
    assert "VALID " not in out


@pytest.mark.slow
def test_check_fails_on_a_moved_boundary(strict_emulator: EmbeddedServer,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    status = cli.main(["check", "--base-url", strict_emulator.url, "--token", "sk_test", "--examples", "12",
                       "--client", "tests.contracts.helpers:std_max_16", "--skip-schemathesis"])
    out = capsys.readouterr().out
    assert status == 1
    assert "disagreement on STD_DURATION_RANGE" in out and out.rstrip().endswith("FAIL")


def test_bad_client_reference_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["check", "--base-url", "http://127.0.0.1:9", "--token", "t", "--client", "nocolon"]) == 2
    assert "--client must look like module:function, not 'nocolon'" in capsys.readouterr().err


@pytest.mark.parametrize("command", [["check", "--base-url", "http://h", "--token", "t"],
                                     ["mutate", "--app-factory", "m:f"]])
def test_client_is_the_option(command: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    parser = cli._parser()
    assert parser.parse_args([*command, "--client", "a:b"]).client == "a:b"
    with pytest.raises(SystemExit) as exited:
        parser.parse_args([command[0], "--help"])
    assert exited.value.code == 0
    shown = capsys.readouterr().out
    assert "--client MODULE:FUNCTION" in shown and "--oracle" not in shown


def test_mutate_without_a_client_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        cli.main(["mutate", "--app-factory", "mockserver:create_app"])
    assert exited.value.code == 2
    assert "the following arguments are required: --client" in capsys.readouterr().err


def test_version_is_the_installed_package_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        cli.main(["--version"])
    assert exited.value.code == 0
    installed = importlib.metadata.version("seedance-contract-kit")
    assert capsys.readouterr().out.strip() == f"seedance-contracts {installed}"


def test_without_the_extra_one_line_names_it(monkeypatch: pytest.MonkeyPatch,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *rest: None if name == "schemathesis" else real(name, *rest))
    assert cli.main(["rules"]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    (line,) = captured.err.strip().splitlines()
    assert "schemathesis" in line and "pip install 'seedance-contract-kit[contracts]'" in line


# Run in a fresh interpreter where the extra's modules cannot be imported (None in sys.modules blocks them).
_BLOCKED = ("hypothesis", "schemathesis", "yaml", "jsonschema", "werkzeug")
_WITHOUT_EXTRA = (
    "import sys\n"
    f"for name in {_BLOCKED!r}: sys.modules[name] = None\n"
    "import contracts.cli\n"
    f"heavy = sorted(m for m in sys.modules if m.split('.')[0] in {_BLOCKED!r} and sys.modules[m] is not None)\n"
    "print('imported:', heavy, flush=True)\n"
    "sys.exit(contracts.cli.main(sys.argv[1:]))\n"
)


@pytest.mark.parametrize(("argv", "status", "said"), [
    (["--help"], 0, "usage: seedance-contracts"),
    (["--version"], 0, "seedance-contracts "),
    (["rules"], 1, ""),
    (["check", "--base-url", "http://h", "--token", "t"], 1, ""),
])
def test_help_and_version_work_without_the_extra_and_commands_name_it(argv: list[str], status: int,
                                                                      said: str) -> None:
    done = subprocess.run([sys.executable, "-c", _WITHOUT_EXTRA, *argv], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == status, done.stderr
    assert done.stdout.startswith("imported: []") and said in done.stdout
    if status:
        (line,) = done.stderr.strip().splitlines()
        assert line.endswith("pip install 'seedance-contract-kit[contracts]'")


def test_a_reader_that_stops_early_is_no_error() -> None:
    # `seedance-contracts rules | head -5` under `set -o pipefail` (docs/contracts.md): the pipe is closed
    # before the catalogue is written; the command stops quietly with 0, not "error: Broken pipe" and 2.
    process = subprocess.Popen([sys.executable, "-m", "contracts.cli", "rules"], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE)
    assert process.stdout is not None and process.stderr is not None
    process.stdout.close()
    stderr = process.stderr.read()
    assert process.wait(timeout=60) == 0, stderr
    assert stderr == b""
