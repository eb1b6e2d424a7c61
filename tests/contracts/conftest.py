"""Fixtures of the contract tests: the spec's strategies and a strict live emulator (only sk_test)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from contracts.strategies import BodyStrategies
from mockserver.server import EmbeddedServer
from tests.contracts.helpers import EMULATOR

# With API_KEYS empty the emulator accepts any token (each its own tenant); Schemathesis' ignored_auth
# check needs a server that refuses unknown tokens.
STRICT_CONFIG = EMULATOR


@pytest.fixture(scope="session")
def body_strategies() -> BodyStrategies:
    """Strategies built once from openapi.yaml."""
    return BodyStrategies()


@pytest.fixture(scope="module")
def strict_emulator() -> Iterator[EmbeddedServer]:
    """A live emulator on a loopback port that accepts only the token sk_test."""
    with EmbeddedServer(STRICT_CONFIG) as server:
        yield server
