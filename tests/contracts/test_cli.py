"""`seedance-contracts check` against a live emulator: passes, --negative-only creates nothing, teeth."""

from __future__ import annotations

import pytest

from contracts import cli
from mockserver.control_client import ControlClient
from mockserver.server import EmbeddedServer


def test_check_passes_against_the_emulator(strict_emulator: EmbeddedServer,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    status = cli.main(["check", "--base-url", strict_emulator.url, "--token", "sk_test", "--examples", "3",
                       "--oracle", "tests.contracts.helpers:client_rules"])
    out = capsys.readouterr().out
    assert status == 0, out
    assert "STD_AUDIOS_MAX" in out and "0 disagreement(s)" in out and out.rstrip().endswith("PASS")
    assert "schemathesis:" in out and "0 failed check(s)" in out


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


def test_check_fails_on_a_moved_boundary(strict_emulator: EmbeddedServer,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    status = cli.main(["check", "--base-url", strict_emulator.url, "--token", "sk_test", "--examples", "12",
                       "--oracle", "tests.contracts.helpers:std_max_16", "--skip-schemathesis"])
    out = capsys.readouterr().out
    assert status == 1
    assert "disagreement on STD_DURATION_RANGE" in out and out.rstrip().endswith("FAIL")


def test_bad_oracle_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["check", "--base-url", "http://127.0.0.1:9", "--token", "t", "--oracle", "nocolon"]) == 2
    assert "module:function" in capsys.readouterr().err
