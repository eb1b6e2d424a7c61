"""Verdicts on a create body: the spec's own (jsonschema), a server's (HTTP or WSGI), a client's (a callable).

A verdict is *accept*, *reject with a set of rule ids*, or *refuse with a request-level error id* (INVALID_JSON:
the body cannot be sent as JSON at all). Server verdicts also carry the HTTP status and the envelope's error id,
so an answer that is neither 200 nor a 400 VALIDATION_FAILED / INVALID_JSON is never taken for one.
"""

from __future__ import annotations

import json
import math
import re
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import jsonschema  # type: ignore[import-untyped]
import requests

from contracts.spec import CREATE_PATH, CREATE_SCHEMA, load_spec, resolve

ClientCheck = Callable[[Any], Iterable[Any]]
"""A client's pre-flight check: body -> iterable of rule ids (or objects with a `.rule` attribute)."""
INVALID_JSON = "INVALID_JSON"
"""The error id of a body JSON cannot carry (lone surrogates, NaN, infinities); a client reports it as its id."""
REQUEST_ERRORS = frozenset({INVALID_JSON})
"""Error ids that are a verdict on the body without naming a rule (comparable between client and server)."""
_SURROGATE = re.compile("[\ud800-\udfff]")


@dataclass(frozen=True)
class Verdict:
    """Accept (empty `rules`, status 200 for servers) or reject with the broken rule ids."""

    rules: frozenset[str]
    status: int | None = None  # HTTP status for a server verdict, None for the spec's or a client's
    error: str | None = None  # the envelope's data.error (server), or a request-level id such as INVALID_JSON

    @property
    def accepted(self) -> bool:
        """True when the body was accepted."""
        if self.status is not None:
            return self.status == 200
        return not self.rules and self.error is None

    @property
    def is_rule_verdict(self) -> bool:
        """True for 200 or a 400 VALIDATION_FAILED / INVALID_JSON (the server answers comparable with a client's)."""
        return self.status is None or self.status == 200 or (
            self.status == 400 and (self.error == "VALIDATION_FAILED" or self.error in REQUEST_ERRORS))

    def describe(self) -> str:
        """Human-readable form used in reports."""
        head = "accept" if self.accepted else "reject " + ",".join(sorted(self.rules))
        if self.status is None and self.error is not None:
            head = f"refuse {self.error}"
        if self.status is not None:
            head += f" (HTTP {self.status}" + (f" {self.error}" if self.error else "") + ")"
        return head

    @classmethod
    def accept(cls, status: int | None = None) -> Verdict:
        """An accepting verdict."""
        return cls(frozenset(), status)

    @classmethod
    def reject(cls, rules: Iterable[str], status: int | None = None, error: str | None = None) -> Verdict:
        """A rejecting verdict with these rule ids."""
        return cls(frozenset(rules), status, error)


class SpecOracle:
    """The spec's verdict: the x-rule ids of every jsonschema error of CreateVideoRequest."""

    def __init__(self, spec: dict[str, Any] | None = None) -> None:
        """Compile the create schema of `spec` (default: the located openapi.yaml)."""
        self.spec = spec if spec is not None else load_spec()
        # Local $refs inlined once: resolving them through a registry on every body costs ~2x.
        root = _inline(self.spec, {"$ref": f"#/components/schemas/{CREATE_SCHEMA}"})
        self._validator = jsonschema.Draft202012Validator(root)
        self._memo: OrderedDict[str, frozenset[str]] = OrderedDict()

    def broken_rules(self, body: Any) -> frozenset[str]:
        """The ids of the rules `body` breaks (empty when the spec accepts it)."""
        try:
            # The same body is judged several times (filter, coverage, report): remember recent ones.
            key = json.dumps(body, sort_keys=True)
        except (TypeError, ValueError):
            return self._judge(body)
        if key in self._memo:
            self._memo.move_to_end(key)
            return self._memo[key]
        found = self._judge(body)
        self._memo[key] = found
        if len(self._memo) > 4096:
            self._memo.popitem(last=False)
        return found

    def _judge(self, body: Any) -> frozenset[str]:
        found: set[str] = set()
        for error in self._validator.iter_errors(body):
            rule = _rule_of(error)
            if rule == "BODY_OBJECT":
                # A non-object can only break BODY_OBJECT: conditions such as `required` hold vacuously.
                return frozenset({"BODY_OBJECT"})
            found.add(rule)
        return frozenset(found)

    def verdict(self, body: Any) -> Verdict:
        """The spec's verdict on `body` (INVALID_JSON first: such a body never reaches the schema)."""
        if not json_safe(body):
            return Verdict(frozenset(), None, INVALID_JSON)
        return Verdict(self.broken_rules(body))

    def __call__(self, body: Any) -> frozenset[str]:
        """The oracle as a client check: the broken rules, or {INVALID_JSON} for a body JSON cannot carry."""
        if not json_safe(body):
            return frozenset({INVALID_JSON})
        return self.broken_rules(body)


def _inline(spec: dict[str, Any], node: Any) -> Any:
    if isinstance(node, dict):
        if set(node) == {"$ref"}:
            return _inline(spec, resolve(spec, node))
        return {key: _inline(spec, value) for key, value in node.items()}
    if isinstance(node, list):
        return [_inline(spec, value) for value in node]
    return node


def _rule_of(error: jsonschema.ValidationError) -> str:
    schema = error.schema
    if isinstance(schema, dict) and "x-rule" in schema:
        return str(schema["x-rule"])
    # Should not happen with this spec: every failing keyword sits next to its x-rule.
    return "UNMAPPED:" + "/".join(str(p) for p in error.absolute_schema_path)


def json_safe(value: Any) -> bool:
    """Whether strict JSON (UTF-8, no NaN/Infinity) can carry `value`: no lone surrogate in any string or key."""
    if isinstance(value, str):
        return _SURROGATE.search(value) is None
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, dict):
        return all(json_safe(k) and json_safe(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return all(json_safe(v) for v in value)
    return True


def client_verdict(check: ClientCheck, body: Any) -> Verdict:
    """Run a client's check and normalise what it returns (ids or Violation-like objects) to a Verdict.

    An id in REQUEST_ERRORS (INVALID_JSON) makes the verdict a refusal with that error id.
    """
    rules: set[str] = set()
    for item in check(body):
        rules.add(item if isinstance(item, str) else str(item.rule))
    errors = sorted(rules & REQUEST_ERRORS)
    if errors:
        return Verdict(frozenset(rules - REQUEST_ERRORS), None, errors[0])
    return Verdict(frozenset(rules))


def verdict_from_response(status: int, payload: Any) -> Verdict:
    """Read a server answer: 200 accepts, 400 VALIDATION_FAILED rejects with data.rules, others are kept as is."""
    if status == 200:
        return Verdict.accept(status)
    data = payload.get("data") if isinstance(payload, dict) else None
    error = data.get("error") if isinstance(data, dict) else None
    rules = data.get("rules") if isinstance(data, dict) else None
    ids = frozenset(str(r) for r in rules) if isinstance(rules, list) else frozenset()
    return Verdict(ids, status, str(error) if error is not None else None)


def verdict_from_answer(status: int, raw: bytes) -> Verdict:
    """Read a server answer from its status and raw body (a body that is not JSON is kept as no payload)."""
    try:
        payload = json.loads(raw)
    except ValueError:  # includes a body that is not UTF-8
        payload = None
    return verdict_from_response(status, payload)


class HttpServer:
    """A server judged over HTTP: POSTs the body to `<base_url>/api/open-api/v1/seedance/videos`."""

    def __init__(self, base_url: str, token: str, session: requests.Session | None = None,
                 timeout: float = 10.0) -> None:
        """Remember where to send bodies and with which bearer token."""
        self.url = base_url.rstrip("/") + CREATE_PATH
        self.token = token
        self.session = session or requests.Session()
        self.timeout = timeout

    def verdict(self, body: Any) -> Verdict:
        """POST `body` as JSON and read the answer."""
        response = self.session.post(
            self.url, data=json.dumps(body).encode("utf-8"), timeout=self.timeout,
            headers={"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"})
        return verdict_from_answer(response.status_code, response.content)

    __call__ = verdict


class WsgiServer:
    """A server judged in-process: the body goes through werkzeug's test Client into a WSGI app."""

    def __init__(self, app: Any, token: str = "sk_test") -> None:
        """Wrap any WSGI callable (a Flask app, a middleware...)."""
        from werkzeug.test import Client

        self.app = app
        self.token = token
        self._client = Client(app)

    def verdict(self, body: Any) -> Verdict:
        """POST `body` as JSON through the app and read the answer."""
        response = self._client.post(
            CREATE_PATH, data=json.dumps(body).encode("utf-8"),
            headers={"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"})
        return verdict_from_answer(response.status_code, response.get_data())

    __call__ = verdict
