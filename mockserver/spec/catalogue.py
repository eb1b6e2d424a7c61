"""The coverage catalogue: every outcome a client of the API can meet, each with how to provoke it.

Built once per spec and settings from the spec (every `x-rule` id, every `x-error-ids` entry whose
`x-surface` is api or result) and the emulator's own tables (fault kinds, task lifecycle paths, result
downloads): no hand-kept list. Each item carries the documented quote (or the assumption) where there is
one, what a good client does, and `provoke`: the `X-Seedance-Mock` header directive, the control call, the
steps any HTTP client can replay (`mockserver.recipes` runs them) and a pytest snippet.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from mockserver.spec.loader import external_rules, load_spec
from mockserver.spec.rule_bodies import rule_bodies, rule_sites
from mockserver.spec.snippets import control_text, one_liner, pytest_snippet
from mockserver.spec.validation import CreateValidator
from mockserver.state.errors import ERROR_STATUS
from mockserver.state.forcing import FAULT_ERRORS, FAULT_KINDS

CREATE = "/api/open-api/v1/seedance/videos"
TASK = "/api/open-api/v1/videos/{task_id}"
KINDS = ("rule", "error", "fault", "lifecycle", "result")
VALID_BODY = {"model": "seedance2.0-std", "prompt": "A red fox runs through fresh snow, tracking shot", "duration": 5}
LONG_AFTER = 86_400  # seconds the clock moves so that any task of a default emulator has finished

_ADVICE_BY_STATUS = {
    400: "fix the request (data.rules and data.violations name what is wrong) or show it to the user; never "
         "resend it unchanged",
    401: "check the API key (Authorization: Bearer sk_...); do not retry with the same key",
    404: "the task is unknown, another key's, or gone after its retention: stop polling it; do not retry",
    405: "a client bug: use POST to create and GET to query",
    410: "the result URL expired (results are kept about 3 days): download promptly, or create the video again",
    413: "the body is too large: send media as URLs, not inline data; do not resend it unchanged",
    415: "send Content-Type: application/json",
    429: "wait Retry-After seconds (header, else data.retry_after), then retry; creates too (a 429 created nothing)",
    500: "query: retry with backoff; create: do not resend blindly, the task may exist (and be billed)",
    502: "query: retry with backoff after Retry-After if given; create: do not resend blindly, the task may exist",
    503: "wait Retry-After seconds, then retry the query; a create answered 503 may be retried only after that",
}
_ADVICE = {
    "error:NOT_FOUND": "a client bug: the API has two routes (POST .../seedance/videos, GET .../videos/{task_id})",
    "fault:delay": "bound every request with a timeout and keep the UI responsive while it waits",
    "fault:drop": "the connection closed before an answer: retry a query; never resend a create blindly (the task "
                  "may exist: the real service may have created and billed it)",
    "lifecycle:completed": "stop polling; keep this snapshot: it holds data.result.video_url and its expires_at",
    "lifecycle:failed-in-queue": "stop polling; show data.error.message; a new create is a new (billed) task",
    "lifecycle:failed-in-processing": "stop polling; show data.error.message; a new create is a new (billed) task",
    "lifecycle:expired": "the task is forgotten after its retention (404 TASK_NOT_FOUND): stop polling, do not retry",
    "result:downloaded": "download before data.result.expires_at, to a temporary file renamed when complete",
    "result:expired": "410 RESULT_EXPIRED: the URL and the task are gone; create the video again if still needed",
}
_RULE_ADVICE = ("check the body before sending (the reference client does, with the same rule id) and show "
                "data.violations to the user; never resend it unchanged")


@dataclass(frozen=True)
class Item:
    """One catalogue item: `kind:name`, what it is, what documents it, what a good client does, how to
    provoke it."""

    id: str
    kind: str
    title: str
    quote: str
    advice: str
    header: str | None
    steps: tuple[dict[str, Any], ...]
    extra: dict[str, Any] = field(default_factory=dict)

    def provoke(self) -> dict[str, Any]:
        """How to meet this item: header directive, control call, replayable steps, pytest snippet."""
        return {"header": self.header, "control": control_text(self.steps),
                "summary": one_liner(self.header, self.steps, markdown=False),
                "steps": [dict(s) for s in self.steps], "pytest": pytest_snippet(self.id, self.steps)}

    def as_dict(self) -> dict[str, Any]:
        """JSON form (the items of GET /_mock/coverage, without the count)."""
        return {"id": self.id, "kind": self.kind, "title": self.title, "quote": self.quote, "advice": self.advice,
                "provoke": self.provoke()}


def _api(method: str, path: str, expect: int | str, **more: Any) -> dict[str, Any]:
    return {"call": "api", "method": method, "path": path, "expect": expect, **more}


def _control(name: str, **args: Any) -> dict[str, Any]:
    return {"call": "control", "method": name, "args": args}


def _create(expect: int | str = 200, directive: str | None = None, body: Any = None) -> dict[str, Any]:
    headers = {"X-Seedance-Mock": directive} if directive else {}
    return _api("POST", CREATE, expect, headers=headers, json=VALID_BODY if body is None else body)


def _query(expect: int | str = 200, status: str | None = None, directive: str | None = None) -> dict[str, Any]:
    headers = {"X-Seedance-Mock": directive} if directive else {}
    step = _api("GET", TASK, expect, headers=headers)
    if status:
        step["expect_status"] = status
    return step


class CatalogueBuilder:
    """Builds the items from a spec and the emulator settings that shape the recipes."""

    def __init__(self, spec: Mapping[str, Any], max_body_bytes: int, retention: float) -> None:
        self.spec = spec
        self.max_body = max_body_bytes
        self.retention = retention
        self.errors = {str(e["id"]): e for e in spec.get("x-error-ids", [])}
        self.assumptions = {str(a["id"]): " ".join(str(a["text"]).split()) for a in spec.get("x-assumptions", [])}

    def build(self) -> list[Item]:
        """Every item, kind by kind (rules, errors, faults, lifecycle, results)."""
        return [*self.rules(), *self.error_items(), *self.faults(), *self.lifecycle(), *self.results()]

    def rules(self) -> list[Item]:
        """One item per `x-rule` id, with a body the emulator rejects for that rule."""
        bodies = rule_bodies(self.spec, CreateValidator(self.spec), external_rules(dict(self.spec)))
        items = []
        for rule, (node, _) in sorted(rule_sites(self.spec).items()):
            found = bodies[rule]
            quote = _rule_quote(node)
            steps = [_control(_CONTROL_BY_PATH[path], **payload) for path, payload in found.controls]
            steps.append(_api("POST", CREATE, 400, json=found.body, expect_rule=rule))
            items.append(Item(f"rule:{rule}", "rule", f"a create body breaking {rule} is rejected (400)",
                              quote, _RULE_ADVICE, None, tuple(steps)))
        return items

    def error_items(self) -> list[Item]:
        """One item per error id the public API or a result URL can answer (`x-surface`)."""
        items = []
        for error_id, entry in self.errors.items():
            if entry.get("x-surface") not in ("api", "result"):
                continue
            steps, header = self._error_steps(error_id)
            header = header or next((s["headers"]["X-Seedance-Mock"] for s in steps
                                     if (s.get("headers") or {}).get("X-Seedance-Mock")), None)
            status = int(entry.get("status", ERROR_STATUS.get(error_id, 500)))
            advice = _ADVICE.get(f"error:{error_id}") or _ADVICE_BY_STATUS.get(status, _ADVICE_BY_STATUS[500])
            items.append(Item(f"error:{error_id}", "error", f"{status} {error_id}",
                              " ".join(str(entry.get("description", "")).split()), advice, header, tuple(steps)))
        return items

    def _error_steps(self, error_id: str) -> tuple[list[dict[str, Any]], str | None]:
        forced = {err: kind for kind, (err, _) in FAULT_ERRORS.items()}
        if error_id in forced:
            directive = f"fault={forced[error_id]}"
            return [_create(int(forced[error_id]), directive)], directive
        recipes: dict[str, list[dict[str, Any]]] = {
            "VALIDATION_FAILED": [_api("POST", CREATE, 400, json={"model": VALID_BODY["model"], "duration": 5})],
            "INVALID_JSON": [_api("POST", CREATE, 400, data="{", content_type="application/json")],
            "UNAUTHORIZED": [_api("GET", "/api/open-api/v1/videos/vid_0", 401, auth=False)],
            "NOT_FOUND": [_api("GET", "/api/open-api/v1/no-such-route", 404)],
            "TASK_NOT_FOUND": [_api("GET", "/api/open-api/v1/videos/vid_unknown", 404)],
            "METHOD_NOT_ALLOWED": [_api("DELETE", CREATE, 405)],
            "BODY_TOO_LARGE": [_api("POST", CREATE, 413, data="x", repeat=self.max_body + 1,
                                    content_type="application/json")],
            "UNSUPPORTED_MEDIA_TYPE": [_api("POST", CREATE, 415, data="model=x", content_type="text/plain")],
            "TOO_MANY_TASKS": [_control("set_limits", max_in_flight=1), _create(), _create(429)],
            "RESULT_EXPIRED": self._result_steps(expired=True),
        }
        return recipes.get(error_id, [_api("GET", "/api/open-api/v1/no-such-route", 404)]), None

    def faults(self) -> list[Item]:
        """One item per injectable fault kind (`state.forcing.FAULT_KINDS`)."""
        items = []
        for kind in FAULT_KINDS:
            if kind in FAULT_ERRORS:
                error_id = FAULT_ERRORS[kind][0]
                directive, steps = f"fault={kind}", [_create(int(kind), f"fault={kind}")]
                title = f"a forced {kind} {error_id}"
                quote = " ".join(str(self.errors.get(error_id, {}).get("description", "")).split())
                advice = _ADVICE_BY_STATUS[int(kind)]
            elif kind == "drop":
                directive, steps = "fault=drop", [_create("dropped", "fault=drop")]
                title, quote, advice = "the connection closes without an answer", "", _ADVICE["fault:drop"]
            else:
                directive, steps = "delay=0.2", [_create(200, "delay=0.2")]
                title, quote, advice = "a slow answer (forced delay)", "", _ADVICE["fault:delay"]
            items.append(Item(f"fault:{kind}", "fault", title, quote, advice, directive, tuple(steps)))
        return items

    def lifecycle(self) -> list[Item]:
        """How a task ends, as a query shows it: completed, failed in the queue or in processing, expired."""
        gone = self.retention + 1
        recipes: dict[str, tuple[str, str, str, list[dict[str, Any]]]] = {
            "completed": ("complete", "a query answers completed",
                          " ".join(str(self.spec["paths"]["/api/open-api/v1/videos/{task_id}"]["get"]
                                       .get("description", "")).split()),
                          [_create(200, "complete"), _query(200, "completed")]),
            "failed-in-queue": ("fail-at=queue", "a query answers failed (the task never processed)",
                                self.assumptions.get("FAILED_TASK_ERROR", ""),
                                [_create(200, "fail-at=queue"), _control("advance", seconds=LONG_AFTER),
                                 _query(200, "failed")]),
            "failed-in-processing": ("fail", "a query answers failed (after processing)",
                                     self.assumptions.get("FAILED_TASK_ERROR", ""),
                                     [_create(200, "fail"), _control("advance", seconds=LONG_AFTER),
                                      _query(200, "failed")]),
            "expired": ("complete", "a query of a task past its retention answers 404 TASK_NOT_FOUND",
                        self.assumptions.get("TASK_GONE_AFTER_EXPIRY", ""),
                        [_create(200, "complete"), _control("advance", seconds=gone), _query(404)]),
        }
        return [Item(f"lifecycle:{name}", "lifecycle", title, quote, _ADVICE[f"lifecycle:{name}"], directive,
                     tuple(steps)) for name, (directive, title, quote, steps) in recipes.items()]

    def _result_steps(self, expired: bool) -> list[dict[str, Any]]:
        steps = [_create(200, "complete"), _query(200, "completed")]
        if expired:
            steps.append(_control("advance", seconds=self.retention + 1))
        steps.append(_api("GET", "{video_url}", 410 if expired else 200, auth=False))
        return steps

    def results(self) -> list[Item]:
        """Fetching a completed task's video: downloaded, or expired (410)."""
        return [
            Item("result:downloaded", "result", "the result video was downloaded (GET video_url: 200)",
                 self.assumptions.get("RESULT_EXPIRES_AT", ""), _ADVICE["result:downloaded"], "complete",
                 tuple(self._result_steps(expired=False))),
            Item("result:expired", "result", "the result URL answered 410 RESULT_EXPIRED after its retention",
                 self.assumptions.get("RESULT_RETENTION", ""), _ADVICE["result:expired"], "complete",
                 tuple(self._result_steps(expired=True))),
        ]


_CONTROL_BY_PATH = {"/media": "declare_media", "/assets": "set_asset_audit"}


def _rule_quote(node: Mapping[str, Any]) -> str:
    for key, label in (("x-quote", "documented"), ("x-reason", "assumed")):
        value = node.get(key)
        if isinstance(value, str) and value.strip():
            return f"{label}: {' '.join(value.split())}"
    return ""


@functools.lru_cache(maxsize=8)
def catalogue(spec_path: str, max_body_bytes: int = 1_048_576, retention: float = 259_200.0) -> tuple[Item, ...]:
    """The catalogue for the spec at `spec_path` and these settings (built once per process)."""
    return tuple(CatalogueBuilder(load_spec(spec_path), max_body_bytes, retention).build())
