"""Our own checks pass against a default `seedance-mock`, as a user starts it: Schemathesis' CLI with every
check (ignored_auth included: an invented token is refused by default), and `seedance-contracts check`."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.mockserver.hostile.processes import running

SPEC = Path(__file__).resolve().parents[3] / "openapi.yaml"


@pytest.mark.slow
def test_schemathesis_cli_with_every_check_passes_against_a_default_emulator() -> None:
    schemathesis = shutil.which("schemathesis", path=str(Path(sys.executable).parent))
    assert schemathesis is not None, "schemathesis is installed with the [contracts] extra"
    with running(["--quiet"]) as emulator:
        done = subprocess.run(
            [schemathesis, "run", str(SPEC), "--url", emulator.url, "--checks", "all", "--mode", "all",
             "-H", "Authorization: Bearer sk_test", "--max-examples", "20", "--seed", "1"],
            capture_output=True, text=True, timeout=600,
        )
    assert done.returncode == 0, done.stdout[-4000:]
    assert "No issues found" in done.stdout


@pytest.mark.slow
def test_seedance_contracts_check_passes_against_a_default_emulator() -> None:
    with running(["--quiet"]) as emulator:
        done = subprocess.run(
            [sys.executable, "-m", "contracts.cli", "check", "--base-url", emulator.url, "--token", "sk_test",
             "--examples", "3", "--seed", "0"],
            capture_output=True, text=True, timeout=600,
        )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert "PASS" in done.stdout
