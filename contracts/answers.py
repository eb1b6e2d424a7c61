"""Judge a server's answer against openapi.yaml: status, envelope, fields, error id, value ranges, and whether
its verdict on a create body agrees with the spec's. Each difference names a rule id or a schema path.

Deliberate duplicate of `mockserver/upstream/answers.py` (the proxy judges live answers with it): contracts judges
any server and imports nothing of mockserver, so the code below this docstring is a copy; a test keeps the two
identical.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

OPERATIONS: dict[str, tuple[str, str]] = {
    "create": ("/api/open-api/v1/seedance/videos", "post"),
    "query": ("/api/open-api/v1/videos/{task_id}", "get"),
}
"""Operation name -> (path, method) in the spec's `paths`."""
REQUEST_ERRORS = frozenset({"INVALID_JSON", "UNSUPPORTED_MEDIA_TYPE", "BODY_TOO_LARGE"})
"""Error ids that are a verdict on the request itself (no rule named)."""
VERDICT_STATUSES = frozenset({200, 400, 413, 415})
"""Statuses that answer the body (others: auth, limits, outages are not a verdict on it)."""
MAX_DIFFERENCES = 20
_ASSUMPTION = re.compile(r"x-assumptions ([A-Z][A-Z0-9_]+)")
_ERROR_ASSUMPTION = "ERROR_ENVELOPE"


@dataclass(frozen=True)
class Difference:
    """One way an answer differs from the spec: a rule id and/or a JSON pointer into the spec."""

    rule: str | None
    path: str | None
    message: str
    assumption: str | None = None  # the x-assumptions id the differing part of the spec rests on, if any

    @property
    def key(self) -> str:
        """What identical differences share: the rule id, else the path."""
        return f"rule:{self.rule}" if self.rule else f"path:{self.path}"

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form (absent parts left out)."""
        found = {"rule": self.rule, "path": self.path, "message": self.message, "assumption": self.assumption}
        return {k: v for k, v in found.items() if v is not None}


@dataclass(frozen=True)
class Expected:
    """The spec's verdict on a request: accepted, broken rule ids, or a request-level error id."""

    rules: frozenset[str] = frozenset()
    error: str | None = None

    @property
    def accepted(self) -> bool:
        """True when the spec accepts the request."""
        return not self.rules and self.error is None


def pointer(*parts: str) -> str:
    """A JSON pointer into the spec (`~` and `/` escaped)."""
    return "#/" + "/".join(p.replace("~", "~0").replace("/", "~1") for p in parts)


def rule_ids_of(node: Any) -> set[str]:
    """Every `x-rule` id in a spec subtree."""
    found: set[str] = set()
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            if isinstance(item.get("x-rule"), str):
                found.add(item["x-rule"])
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return found


class AnswerJudge:
    """The response schemas of one spec, compiled once; judges answers and verdicts."""

    def __init__(self, spec: Mapping[str, Any]) -> None:
        """Compile the schema of every documented answer of the create and query operations."""
        self.spec = spec
        self.components: dict[str, Any] = dict(spec.get("components", {}).get("schemas", {}))
        self.error_status = {str(e["id"]): int(e["status"]) for e in spec.get("x-error-ids", [])
                             if isinstance(e, dict) and "id" in e and "status" in e}
        self.rules = rule_ids_of(spec.get("components", {})) | {
            str(r["x-rule"]) for r in spec.get("x-external-rules", []) if isinstance(r, dict) and "x-rule" in r}
        import jsonschema  # type: ignore[import-untyped,unused-ignore]  # here: its import costs a start-up

        self._validators: dict[str, Any] = {}
        self._documented = {op: self._answer_schemas(op) for op in OPERATIONS}
        for name in {n for schemas in self._documented.values() for n in schemas.values()}:
            root = {"$schema": "https://json-schema.org/draft/2020-12/schema",
                    "$ref": f"#/components/schemas/{name}", "components": spec.get("components", {})}
            self._validators[name] = jsonschema.Draft202012Validator(root)

    def _answer_schemas(self, operation: str) -> dict[str, str]:
        path, method = OPERATIONS[operation]
        responses = self.spec.get("paths", {}).get(path, {}).get(method, {}).get("responses", {})
        found: dict[str, str] = {}
        for status, answer in responses.items():
            schema = (answer or {}).get("content", {}).get("application/json", {}).get("schema", {})
            ref = schema.get("$ref") if isinstance(schema, dict) else None
            if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
                found[str(status)] = ref.rsplit("/", 1)[-1]
        return found

    def schema_for(self, operation: str, status: int) -> str | None:
        """The component name documented for this status (or `default` for an error), None if undocumented."""
        schemas = self._documented[operation]
        if str(status) in schemas:
            return schemas[str(status)]
        return schemas.get("default") if status >= 400 else None

    # -- answers ---------------------------------------------------------------------------------------
    def judge_answer(self, operation: str, status: int, payload: Any, is_json: bool = True) -> list[Difference]:
        """Differences between one answer and what the spec documents for it."""
        path, method = OPERATIONS[operation]
        name = self.schema_for(operation, status)
        if name is None:
            return [Difference(None, pointer("paths", path, method, "responses"),
                               f"status {status} is not documented for {method.upper()} {path}")]
        if not is_json:
            return [Difference(None, pointer("components", "schemas", name), "the answer is not JSON",
                               _ERROR_ASSUMPTION if status >= 400 else None)]
        found = [self._from_schema_error(name, error) for error in self._validators[name].iter_errors(payload)]
        if status >= 400 and isinstance(payload, dict):
            found.extend(self._error_facts(status, payload))
        return found[:MAX_DIFFERENCES]

    def _error_facts(self, status: int, payload: Mapping[str, Any]) -> list[Difference]:
        found: list[Difference] = []
        code = payload.get("code")
        if isinstance(code, str) and code != f"{status * 100}":
            found.append(Difference(None, pointer("components", "schemas", "ErrorEnvelope", "properties", "code"),
                                    f"code {code[:20]!r} is not HTTP status x 100 ({status * 100})",
                                    _ERROR_ASSUMPTION))
        data = payload.get("data")
        error = data.get("error") if isinstance(data, dict) else None
        if isinstance(error, str):
            if error not in self.error_status:
                found.append(Difference(None, pointer("x-error-ids"), f"error id {error[:60]!r} is not listed",
                                        _ERROR_ASSUMPTION))
            elif self.error_status[error] != status:
                found.append(Difference(None, pointer("x-error-ids", error, "status"),
                                        f"{error} came with HTTP {status}, listed as {self.error_status[error]}",
                                        _ERROR_ASSUMPTION))
        return found

    def _from_schema_error(self, root: str, error: Any) -> Difference:
        node: Any = self.components.get(root, {})
        parts = ["components", "schemas", root]
        assumption = _assumption_in(node)
        tokens = [t for t in error.absolute_schema_path if t != "$ref"]
        for index, token in enumerate(tokens):
            # jsonschema's path skips the $ref hops: follow one whenever the token is not in the node itself.
            while isinstance(node, dict) and token not in node and isinstance(node.get("$ref"), str):
                name = str(node["$ref"]).rsplit("/", 1)[-1]
                node, parts = self.components.get(name, {}), ["components", "schemas", name]
                assumption = _assumption_in(node) or assumption
            if index == len(tokens) - 1:
                break
            if isinstance(node, list) and isinstance(token, int) and token < len(node):
                node = node[token]
            else:
                node = node.get(token, {}) if isinstance(node, dict) else {}
            parts.append(str(token))
            assumption = _assumption_in(node) or assumption
        if tokens:
            parts.append(str(tokens[-1]))
        where = "/" + "/".join(str(p) for p in error.absolute_path)
        text = str(error.message)
        return Difference(None, pointer(*parts), f"{where}: {text[:160]}", assumption)

    # -- verdicts on a create body ----------------------------------------------------------------------
    def judge_verdict(self, expected: Expected, status: int, payload: Any) -> list[Difference]:
        """Differences between the spec's verdict on a request and the server's answer to it."""
        if status not in VERDICT_STATUSES:
            return []
        data = payload.get("data") if isinstance(payload, dict) else None
        error = data.get("error") if isinstance(data, dict) else None
        named = data.get("rules") if isinstance(data, dict) else None
        theirs = frozenset(str(r) for r in named) if isinstance(named, list) else frozenset()
        create = pointer("paths", *OPERATIONS["create"], "requestBody")
        if expected.error is not None:
            if error == expected.error:
                return []
            return [Difference(None, pointer("x-error-ids", expected.error),
                               f"expected {expected.error}, got HTTP {status} {str(error)[:60]}")]
        if status == 200:
            return [Difference(r, None, "the service accepted a body the spec rejects for this rule")
                    for r in sorted(expected.rules)]
        if status != 400 or error != "VALIDATION_FAILED":
            why = f"HTTP {status} {str(error)[:60]}"
            if expected.accepted:
                return [Difference(None, create, f"the spec accepts this body, the service refused it: {why}")]
            return [Difference(r, None, f"the spec rejects this rule, the service answered {why}")
                    for r in sorted(expected.rules)]
        found = [Difference(r, None, "the service did not name this rule the spec says the body breaks")
                 for r in sorted(expected.rules - theirs)]
        for rule in sorted(theirs - expected.rules):
            known = "a rule the spec does not break here" if rule in self.rules else "a rule id the spec lacks"
            found.append(Difference(rule, None, f"the service named {known}"))
        if expected.accepted and not theirs:
            found.append(Difference(None, create, "the service rejected a body the spec accepts, naming no rule"))
        return found


def _assumption_in(node: Any) -> str | None:
    text = node.get("description") if isinstance(node, dict) else None
    match = _ASSUMPTION.search(text) if isinstance(text, str) else None
    return match.group(1) if match else None


def merge_keys(differences: Iterable[Difference]) -> list[str]:
    """The distinct keys of `differences`, in order."""
    return list(dict.fromkeys(d.key for d in differences))
