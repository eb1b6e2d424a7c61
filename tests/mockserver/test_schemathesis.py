"""Schemathesis in-process against the emulator: every check, positive, negative and stateful (the spec's link).

Not collected by the quick loop (`-m "not slow"`: tests/conftest.py, COLLECTED_ONLY_WITH_SLOW); CI runs it."""

from __future__ import annotations

from typing import Any, ClassVar

import hypothesis
import pytest
import schemathesis
from schemathesis import GenerationMode
from schemathesis.checks import CHECKS, load_all_checks

from mockserver import create_app
from mockserver.spec.loader import spec_path

load_all_checks()
ALL_CHECKS = list(CHECKS.get_all())
# With a key list, an invented token is refused (the ignored_auth check sends one); by default any token works.
APP = create_app({"SEED": 11, "API_KEYS": ["sk_schemathesis"]})

schema = schemathesis.openapi.from_path(spec_path())
schema.app = APP
schema.config.generation.update(
    modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE], max_examples=40, deterministic=True
)


@schema.auth()
class BearerToken:
    """Every generated case carries a bearer token (negative/auth checks strip or break it themselves)."""

    def get(self, case: Any, context: Any) -> str:
        return "sk_schemathesis"

    def set(self, case: Any, data: str, context: Any) -> None:
        case.headers = case.headers or {}
        case.headers["Authorization"] = f"Bearer {data}"


def test_all_checks_are_loaded() -> None:
    names = {getattr(c, "__name__", str(c)) for c in ALL_CHECKS}
    assert {"not_a_server_error", "negative_data_rejection", "positive_data_acceptance", "ignored_auth",
            "use_after_free", "unsupported_method", "response_schema_conformance"} <= names


@pytest.mark.slow
@schema.parametrize()
def test_api_conforms(case: Any) -> None:
    case.call_and_validate(checks=ALL_CHECKS)


APIWorkflow = schema.as_state_machine()


class EmulatorWorkflow(APIWorkflow):  # type: ignore[misc,valid-type]
    """Create -> query through the spec's GetVideoByTaskId link, validated with every check."""

    found_tasks: ClassVar[list[str]] = []

    def after_call(self, response: Any, case: Any) -> None:
        super().after_call(response, case)
        if case.operation.label.startswith("GET") and response.status_code == 200:
            self.found_tasks.append(response.json()["data"]["task_id"])

    def validate_response(self, response: Any, case: Any, additional_checks: Any = None, **kwargs: Any) -> None:
        case.validate_response(
            response, checks=ALL_CHECKS, transport_kwargs=kwargs or None, recorder=self.recorder
        )


@pytest.mark.slow
def test_stateful() -> None:
    EmulatorWorkflow.run(
        settings=hypothesis.settings(
            max_examples=30,
            stateful_step_count=6,
            deadline=None,
            phases=[hypothesis.Phase.generate],
            suppress_health_check=list(hypothesis.HealthCheck),
            database=None,
        )
    )
    # Queries answered 200 can only come from task ids the link carried over from a create.
    assert EmulatorWorkflow.found_tasks
