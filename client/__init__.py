"""Reference Python client for the Seedance video API (works unchanged against the real service and the emulator).

    from client import SeedanceClient
    with SeedanceClient() as api:                       # SEEDANCE_API_KEY / SEEDANCE_BASE_URL
        path = api.generate(model="seedance2.0-std", prompt="A fox in snow", duration=5, output="fox.mp4")
"""

from client.api import DEFAULT_BASE_URL, SeedanceClient
from client.errors import (
    APIConnectionError,
    AuthenticationError,
    NotFoundError,
    RateLimitError,
    ResultExpiredError,
    SeedanceError,
    ServerError,
    TaskFailedError,
    ValidationError,
    WaitTimeout,
)
from client.models import Task, TaskError
from client.transport import RetryPolicy
from client.validation import Violation, checked_rule_ids, validate_body

__all__ = [
    "DEFAULT_BASE_URL",
    "APIConnectionError",
    "AuthenticationError",
    "NotFoundError",
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
