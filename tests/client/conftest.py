"""Fixtures of the client tests."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest


@pytest.fixture
def runner() -> Iterator[asyncio.Runner]:
    """One event loop per test, for the async client's coroutines."""
    with asyncio.Runner() as loop:
        yield loop
