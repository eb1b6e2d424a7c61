"""Fixtures of the client tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.loops import LoopThread


@pytest.fixture
def runner() -> Iterator[LoopThread]:
    """One event loop per test, for the async client's coroutines (in a thread of its own: see tests/loops.py)."""
    with LoopThread() as loop:
        yield loop
