"""The spec is a valid OpenAPI 3.1 document, complete, and every $ref resolves."""

from __future__ import annotations

import re
from typing import Any

import jsonschema
import pytest

from tests.rule_table import ALL_MODELS, FAMILIES
from tests.spec.schema_tools import CREATE, DOCS_DIR, QUERY, REPO, rule_schemas, schema_for, spec


def test_openapi_spec_validator_accepts_it() -> None:
    from openapi_spec_validator import validate  # ~0.3 s to import: only the process that runs this test pays

    validate(spec())


def _refs(node: Any, path: str = "#") -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                found.append((path, value))
            else:
                found.extend(_refs(value, f"{path}/{key}"))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found.extend(_refs(value, f"{path}/{index}"))
    return found


def _resolve(pointer: str) -> Any:
    assert pointer.startswith("#/"), f"only local refs are used: {pointer}"
    node: Any = spec()
    for part in pointer[2:].split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        assert isinstance(node, dict) and part in node, f"dangling $ref {pointer}"
        node = node[part]
    return node


def test_every_ref_resolves_including_inside_then_blocks() -> None:
    refs = _refs(spec())
    assert len(refs) > 100
    assert any("/then" in where for where, _ in refs), "the walk must reach refs inside then blocks"
    for where, ref in refs:
        target = _resolve(ref)
        assert isinstance(target, dict), f"{where} -> {ref} is not a schema"


def test_dangling_ref_detector_has_teeth() -> None:
    with pytest.raises(AssertionError, match="dangling"):
        _resolve("#/components/schemas/NO_SUCH_RULE")


def test_both_operations_with_bearer_security_and_servers() -> None:
    doc = spec()
    assert doc["openapi"].startswith("3.1")
    create = doc["paths"][CREATE]["post"]
    query = doc["paths"][QUERY]["get"]
    assert create["operationId"] == "createVideo" and query["operationId"] == "getVideo"
    scheme = doc["components"]["securitySchemes"]["bearerAuth"]
    assert (scheme["type"], scheme["scheme"]) == ("http", "bearer")
    for op in (create, query):
        assert op["security"] == [{"bearerAuth": []}]
    urls = [s["url"] for s in doc["servers"]]
    assert "https://www.jimmyai.cn" in urls
    assert any(u.startswith("http://127.0.0.1") for u in urls)


def test_create_links_to_get_through_task_id() -> None:
    link = spec()["paths"][CREATE]["post"]["responses"]["200"]["links"]["GetVideoByTaskId"]
    assert link["operationId"] == "getVideo"
    assert link["parameters"] == {"task_id": "$response.body#/data/task_id"}


def test_all_22_models_in_8_disjoint_families() -> None:
    schemas = spec()["components"]["schemas"]
    assert schemas["MODEL_KNOWN"]["enum"] == ALL_MODELS
    assert len(ALL_MODELS) == 22 == len(set(ALL_MODELS))
    branches = [
        b for b in schemas["CreateVideoRequest"]["allOf"] if "if" in b and "model" in b["if"].get("properties", {})
    ]
    seen: dict[str, list[str]] = {}
    for branch in branches:
        family = _resolve(branch["then"]["$ref"])
        assert family["x-models"] == branch["if"]["properties"]["model"]["enum"]
        seen[family["x-family"]] = family["x-models"]
    assert seen == FAMILIES


def test_every_non_2xx_uses_the_one_error_envelope() -> None:
    expected = {
        CREATE: {"400", "401", "405", "413", "415", "429", "500", "502", "503", "default"},
        QUERY: {"401", "404", "405", "429", "500", "502", "503", "default"},
    }
    for path, method in ((CREATE, "post"), (QUERY, "get")):
        responses = spec()["paths"][path][method]["responses"]
        errors = {code for code in responses if code != "200"}
        assert errors == expected[path]
        for code in errors:
            schema = responses[code]["content"]["application/json"]["schema"]
            assert schema == {"$ref": "#/components/schemas/ErrorEnvelope"}, (path, code)


def _examples() -> list[tuple[str, Any, str]]:
    out: list[tuple[str, Any, str]] = []
    for path, method in ((CREATE, "post"), (QUERY, "get")):
        for code, response in spec()["paths"][path][method]["responses"].items():
            media = response.get("content", {}).get("application/json", {})
            schema_name = media.get("schema", {}).get("$ref", "").rsplit("/", 1)[-1]
            if "example" in media:
                out.append((f"{method} {code}", media["example"], schema_name))
            for name, example in media.get("examples", {}).items():
                out.append((f"{method} {code} {name}", example["value"], schema_name))
    return out


@pytest.mark.parametrize(("where", "example", "schema_name"), _examples(), ids=[e[0] for e in _examples()])
def test_response_examples_match_their_schemas(where: str, example: Any, schema_name: str) -> None:
    jsonschema.validate(example, schema_for(schema_name), cls=jsonschema.Draft202012Validator)


def test_query_examples_cover_all_four_statuses() -> None:
    statuses = {e["data"]["status"] for w, e, _ in _examples() if w.startswith("get 200")}
    assert statuses == {"queued", "processing", "completed", "failed"}


def test_every_rule_says_where_it_comes_from() -> None:
    for rule in rule_schemas():
        assert re.fullmatch(r"[A-Z][A-Z0-9_]+", rule["x-rule"])
        assert rule["x-source"] in ("documented", "assumed"), rule["x-rule"]
        if rule["x-source"] == "documented":
            assert rule.get("x-quote"), rule["x-rule"]
        else:
            assert rule.get("x-reason"), rule["x-rule"]
        assert isinstance(rule.get("x-fields"), list), rule["x-rule"]


def _normalise(text: str) -> str:
    return " ".join(text.split())


@pytest.mark.skipif(not DOCS_DIR.is_dir(), reason="the API documents (../shared/api-docs) are not beside this checkout")
def test_every_documented_quote_is_in_the_documents() -> None:
    docs = _normalise(" ".join(p.read_text(encoding="utf-8") for p in sorted(DOCS_DIR.glob("*.txt"))))
    for rule in rule_schemas():
        if rule["x-source"] != "documented":
            continue
        for fragment in rule["x-quote"].split("..."):
            fragment = _normalise(fragment).strip(" |")
            assert fragment in docs, f"{rule['x-rule']}: {fragment!r} is not in the documents"


def test_assumption_list_names_every_assumption_with_its_id() -> None:
    section = (REPO / "docs" / "assumptions.md").read_text(encoding="utf-8")
    assumed = {r["x-rule"] for r in rule_schemas() if r["x-source"] == "assumed" or r.get("x-assumed")}
    assumed |= {a["id"] for a in spec()["x-assumptions"]}
    missing = sorted(i for i in assumed if f"`{i}`" not in section)
    assert not missing, f"docs/assumptions.md lacks: {missing}"
