"""--spec PATH: the emulator runs from another copy of the contract, checked at start-up (one line, exit 2)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from mockserver import create_app
from mockserver.cli import main
from mockserver.state.queries import TaskFilter
from mockserver.web.shared import EXTENSION
from tests.mockserver.upstream.helpers import AUTH, CREATE, planted_spec, schemas, std_body


def test_the_emulator_follows_the_given_spec(tmp_path: Path) -> None:
    def tighten(spec: dict[str, Any]) -> None:
        schemas(spec)["STD_DURATION_RANGE"]["maximum"] = 10

    app = create_app({"SPEC_PATH": str(planted_spec(tmp_path, "tight", tighten))})
    answer = app.test_client().post(CREATE, json=std_body(duration=12), headers=AUTH)
    assert answer.get_json()["data"]["rules"] == ["STD_DURATION_RANGE"]
    assert app.test_client().get("/_mock/openapi.yaml").data == (tmp_path / "tight.yaml").read_bytes()
    app.extensions[EXTENSION].backend.close()


def broken_schema(spec: dict[str, Any]) -> None:
    schemas(spec)["STD_RATIO"]["minItems"] = "three"


def dangling_ref(spec: dict[str, Any]) -> None:
    schemas(spec)["Task"]["properties"]["result"] = {"$ref": "#/components/schemas/Nowhere"}


def no_query_path(spec: dict[str, Any]) -> None:
    del spec["paths"]["/api/open-api/v1/videos/{task_id}"]


@pytest.mark.parametrize(("change", "expected"), [
    (broken_schema, "components/schemas/STD_RATIO/minItems"),
    (dangling_ref, "/components/schemas/Nowhere"),
    (no_query_path, "paths lacks /api/open-api/v1/videos/{task_id}"),
])
def test_an_invalid_spec_is_one_line_and_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                change: Any, expected: str) -> None:
    path = planted_spec(tmp_path, "bad", change)
    assert main(["--spec", str(path), "--port", "0"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and expected in err and str(path) in err


@pytest.mark.parametrize(("text", "expected"), [("openapi: [\n", "not valid YAML at line 2"),
                                                ("- a list\n", "is not an OpenAPI document")])
def test_unreadable_specs_are_one_line_too(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                           text: str, expected: str) -> None:
    path = tmp_path / "odd.yaml"
    path.write_text(text, encoding="utf-8")
    assert main(["--spec", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and expected in err
    assert main(["--spec", str(tmp_path / "missing.yaml")]) == 2
    assert "cannot read the spec" in capsys.readouterr().err


@pytest.mark.parametrize(("argv", "expected"), [
    (["--upstream", "ftp://example.com"], "--upstream must look like"),
    (["--upstream", "https://user:pw@example.com"], "must not carry credentials"),
    (["--record", "x.jsonl"], "need --upstream"),
    (["--replay-strict"], "--replay-strict needs --replay"),
    (["--upstream", "http://127.0.0.1:9", "--timings-from", __file__], "use one or the other"),
    (["--upstream", "http://127.0.0.1:9", "--workers", "2"], "drop --workers"),
])
def test_upstream_options_are_refused_when_they_cannot_work(capsys: pytest.CaptureFixture[str],
                                                            argv: list[str], expected: str) -> None:
    assert main([*argv, "--port", "0"]) == 2
    assert expected in capsys.readouterr().err


def test_without_upstream_options_the_api_paths_are_the_emulators_own() -> None:
    app = create_app({})
    names = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert "upstream.result" not in names and "fidelity.fidelity_report" in names
    assert not any(f.__module__.endswith("upstream_views") for fs in app.before_request_funcs.values() for f in fs)
    answer = app.test_client().post(CREATE, json=std_body(), headers=AUTH)
    assert answer.status_code == 200 and app.extensions[EXTENSION].backend.find_tasks(TaskFilter())
    app.extensions[EXTENSION].backend.close()
