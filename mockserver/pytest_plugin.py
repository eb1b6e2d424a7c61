"""pytest plugin (entry point `pytest11`): fixtures `seedance_mock` (a live server) and
`seedance_mock_inprocess` (no socket).

pytest loads this module in every project where the package is installed, with or without the [mock]
extra, so it imports nothing but pytest at load time: Flask and the emulator come in when a fixture is used.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from flask import Flask

    from mockserver.server import EmbeddedServer
    from mockserver.testing import SeedanceMock

MISSING_EXTRA = "the seedance_mock fixtures need the emulator: pip install 'seedance-contract-kit[mock]'"


def _require_emulator() -> None:
    try:
        import flask  # noqa: F401
        import responses  # noqa: F401
    except ImportError:
        pytest.fail(MISSING_EXTRA, pytrace=False)


@pytest.fixture(scope="session")
def _seedance_mock_server() -> Iterator[EmbeddedServer]:
    _require_emulator()
    from mockserver.server import EmbeddedServer
    from mockserver.testing import FIXTURE_CONFIG

    with EmbeddedServer(FIXTURE_CONFIG) as server:
        yield server


@pytest.fixture
def seedance_mock(_seedance_mock_server: EmbeddedServer) -> SeedanceMock:
    """A live emulator on a free loopback port (one per session), reset for each test; keys sk_test, sk_test_other."""
    from mockserver.testing import live_mock

    return live_mock(_seedance_mock_server)


@pytest.fixture(scope="session")
def _seedance_mock_app() -> Iterator[Flask]:
    _require_emulator()
    from mockserver import create_app
    from mockserver.testing import FIXTURE_CONFIG, close_app

    app = create_app(FIXTURE_CONFIG)
    yield app
    close_app(app)


@pytest.fixture
def seedance_mock_inprocess(_seedance_mock_app: Flask) -> Iterator[SeedanceMock]:
    """The emulator without a socket (one app per session, reset for each test): `requests` calls to
    http://seedance-mock.test go into the app."""
    import responses

    from mockserver.testing import inprocess_mock

    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        handle = inprocess_mock(_seedance_mock_app, mock)
        handle.reset()
        yield handle


# -- the coverage ledger's options (mockserver/pytest_coverage.py does the work) ---------------------------
def pytest_addoption(parser: pytest.Parser) -> None:
    """--seedance-coverage[=PATH], --seedance-fail-under=N, --seedance-require=GLOB, --seedance-poll-threshold."""
    group = parser.getgroup("seedance", "Seedance emulator coverage ledger")
    group.addoption("--seedance-coverage", nargs="?", const="", default=None, metavar="PATH",
                    help="report which catalogue items the tests using the seedance fixtures met (and write the "
                         "report to PATH: JSON, or JUnit XML for *.xml)")
    group.addoption("--seedance-fail-under", type=float, default=None, metavar="N",
                    help="fail the session when under N percent of the catalogue was met")
    group.addoption("--seedance-require", action="append", default=[], metavar="GLOB",
                    help="fail the session unless every item matching GLOB was met (repeatable)")
    group.addoption("--seedance-poll-threshold", type=float, default=1.0, metavar="SECONDS",
                    help="conduct: polls of one task closer than this are poll-too-fast (default 1)")


def pytest_configure(config: pytest.Config) -> None:
    """Register the `seedance_misbehaves` marker, and the collector when a coverage option is given."""
    config.addinivalue_line("markers", "seedance_misbehaves(*conduct_ids): this test misbehaves on purpose; "
                            "its conduct findings of these ids are not reported")
    wanted = (config.getoption("seedance_coverage", None) is not None
              or config.getoption("seedance_fail_under", None) is not None
              or bool(config.getoption("seedance_require", None)))
    if wanted:
        _require_emulator()
        from mockserver.pytest_coverage import CoverageCollector

        config.pluginmanager.register(CoverageCollector(config), "seedance-coverage")
