"""One default "real service" per test module (each test gets it reset, and its clock)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from mockserver.server import EmbeddedServer
from tests.mockserver.upstream.helpers import Clock, fresh, shared_upstream


@pytest.fixture(scope="module")
def module_upstream() -> Iterator[tuple[EmbeddedServer, Clock]]:
    """A default upstream for the whole module."""
    with shared_upstream() as found:
        yield found


@pytest.fixture
def service(module_upstream: tuple[EmbeddedServer, Clock]) -> tuple[EmbeddedServer, Clock]:
    """The module's upstream, reset, and its clock."""
    upstream, clock = module_upstream
    return fresh(upstream), clock
