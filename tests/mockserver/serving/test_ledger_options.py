"""The ledger's command-line options become app configuration (and the environment's SEEDANCE_MOCK_LEDGER)."""

from __future__ import annotations

import pytest

from mockserver.cli import build_parser, config_from_args
from mockserver.web.app import resolve_config


def test_options_become_configuration() -> None:
    config = config_from_args(build_parser().parse_args(["--no-ledger", "--poll-threshold", "0.5"]))
    assert config["LEDGER"] is False and config["POLL_THRESHOLD"] == 0.5
    assert "LEDGER" not in config_from_args(build_parser().parse_args([]))


def test_a_bad_threshold_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stopped:
        build_parser().parse_args(["--poll-threshold", "-1"])
    assert stopped.value.code == 2
    assert "--poll-threshold" in capsys.readouterr().err


def test_the_environment_switches_it_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SEEDANCE_MOCK_LEDGER", "0")
    monkeypatch.setenv("SEEDANCE_MOCK_POLL_THRESHOLD", "2.5")
    config = resolve_config(None)
    assert config["LEDGER"] is False and config["POLL_THRESHOLD"] == 2.5
