"""Reference Python client for the Seedance video API (works unchanged against the real service and the emulator).

    from client import SeedanceClient
    with SeedanceClient() as api:                       # SEEDANCE_API_KEY / SEEDANCE_BASE_URL
        path = api.generate(model="seedance2.0-std", prompt="A fox in snow", duration=5, output="fox.mp4")

``AsyncSeedanceClient`` (the same methods as coroutines, on httpx) needs the ``[async]`` extra; it is imported
only when asked for, so the base install stays requests-only.
"""

from typing import TYPE_CHECKING, Any

from client.api import DEFAULT_BASE_URL, SeedanceClient
from client.core import RetryPolicy
from client.errors import (
    APIConnectionError,
    AuthenticationError,
    NotFoundError,
    ProtocolError,
    RateLimitError,
    ResultExpiredError,
    SeedanceError,
    ServerError,
    TaskFailedError,
    ValidationError,
    WaitTimeout,
)
from client.models import Task, TaskError
from client.validation import Violation, checked_rule_ids, validate_body

if TYPE_CHECKING:
    from client.aio import AsyncSeedanceClient

__all__ = [
    "DEFAULT_BASE_URL",
    "APIConnectionError",
    "AsyncSeedanceClient",
    "AuthenticationError",
    "NotFoundError",
    "ProtocolError",
    "RateLimitError",
    "ResultExpiredError",
    "RetryPolicy",
    "SeedanceClient",
    "SeedanceError",
    "ServerError",
    "Task",
    "TaskError",
    "TaskFailedError",
    "ValidationError",
    "Violation",
    "WaitTimeout",
    "checked_rule_ids",
    "validate_body",
]

ASYNC_EXTRA = "AsyncSeedanceClient needs httpx: pip install 'seedance-contract-kit[async]'"


def __getattr__(name: str) -> Any:
    """``AsyncSeedanceClient`` on first use (httpx is an extra, never imported by ``import client``)."""
    if name == "AsyncSeedanceClient":
        try:
            from client.aio import AsyncSeedanceClient
        except ModuleNotFoundError as exc:
            if exc.name not in ("httpx", "anyio"):
                raise
            raise ImportError(ASYNC_EXTRA) from exc
        return AsyncSeedanceClient
    raise AttributeError(f"module 'client' has no attribute {name!r}")
