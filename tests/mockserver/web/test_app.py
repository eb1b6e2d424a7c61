"""`create_app` (web/app.py): speed has one bound wherever it is given (command line, configuration, control API)."""

from __future__ import annotations

import pytest

from mockserver import create_app
from mockserver.cli import build_parser
from mockserver.state.control_input import MAX_SPEED, MIN_SPEED


@pytest.mark.parametrize("speed", [MIN_SPEED / 2, MAX_SPEED * 2])
def test_out_of_bound_speed_is_refused_everywhere(speed: float, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        build_parser().parse_args(["--speed", repr(speed)])
    assert "--speed" in capsys.readouterr().err
    with pytest.raises(ValueError, match="SPEED must be a number from"):
        create_app({"SPEED": speed})


def test_the_bounds_themselves_are_accepted() -> None:
    for speed in (MIN_SPEED, MAX_SPEED):
        assert build_parser().parse_args(["--speed", repr(speed)]).speed == speed
        create_app({"SPEED": speed}).extensions["seedance_mock"].backend.close()
