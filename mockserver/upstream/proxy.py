"""The proxy's work apart from HTTP: send a create or query on, judge the answer, note the differences and
the evidence, follow each task created through it, and record its lifecycle. The web layer's
`upstream_views` parses the request and renders what this returns."""

from __future__ import annotations

import json
import secrets
import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from mockserver.upstream import QUERY_PREFIX, RESULTS_PATH
from mockserver.upstream.answers import AnswerJudge, Difference, Expected
from mockserver.upstream.book import FidelityBook
from mockserver.upstream.evidence import Evidence
from mockserver.upstream.forward import Answer, Forwarder
from mockserver.upstream.recording import TERMINAL, Recorder, mp4_facts, redact

MAX_TASKS = 10_000  # tasks followed (and result URLs kept) at once, oldest forgotten first


@dataclass
class Seen:
    """A task created through the proxy, as far as the proxy saw it."""

    created: float  # proxy clock at the create answer
    owner: str
    body: Any
    model: str
    created_at: int  # the service's own created_at
    first_processing: float | None = None
    last_quiet: float = 0.0  # last time a non-final status was seen
    final: bool = False


@dataclass
class Exchange:
    """What the view answers: the service's answer (possibly rewritten) and what the judge found."""

    status: int
    headers: dict[str, str]
    body: bytes
    mismatch: list[str] = field(default_factory=list)
    rules: list[str] = field(default_factory=list)
    error: str = ""  # the answer's data.error (for the journal line)


def _payload(answer: Answer) -> tuple[Any, bool]:
    try:
        return json.loads(answer.body), True
    except ValueError:
        return None, False


def _data(payload: Any) -> dict[str, Any]:
    data = payload.get("data") if isinstance(payload, dict) else None
    return data if isinstance(data, dict) else {}


class Proxy:
    """One per app: the forwarder, the judge, the book and the recorder."""

    def __init__(self, spec: Mapping[str, Any], forwarder: Forwarder, recorder: Recorder | None = None,
                 refuse_invalid: bool = False) -> None:
        """Compile the judge for `spec`; `recorder` writes lifecycles when given."""
        self.forwarder = forwarder
        self.judge = AnswerJudge(spec)
        self.evidence = Evidence(spec)
        self.book = FidelityBook()
        self.recorder = recorder
        self.refuse_invalid = refuse_invalid
        self._tasks: OrderedDict[str, Seen] = OrderedDict()
        self._results: OrderedDict[str, tuple[str, str]] = OrderedDict()
        self._lock = threading.Lock()

    def _remember(self, table: OrderedDict[str, Any], key: str, value: Any) -> None:
        with self._lock:
            table[key] = value
            table.move_to_end(key)
            while len(table) > MAX_TASKS:
                table.popitem(last=False)

    def _record(self, event: dict[str, Any]) -> None:
        if self.recorder is not None:
            self.recorder.write(event)

    # -- create ------------------------------------------------------------------------------------
    def create(self, owner: str, headers: Mapping[str, str], raw: bytes, body: Any, expected: Expected,
               now: float) -> Exchange:
        """Send a create on, judge the answer and the verdict, follow the new task."""
        answer = self.forwarder.send("POST", "/api/open-api/v1/seedance/videos", headers, raw)
        payload, is_json = _payload(answer)
        shape = self.judge.judge_answer("create", answer.status, payload, is_json)
        verdict = self.judge.judge_verdict(expected, answer.status, payload)
        data = _data(payload)
        theirs = [str(r) for r in data.get("rules", [])] if isinstance(data.get("rules"), list) else []
        example = {"operation": "create", "status": answer.status, "error": str(data.get("error", ""))[:80]}
        keys = self.book.note(shape + verdict, example)
        if answer.status in (200, 400) and expected.error is None:
            self.book.rule_verdicts(expected.rules | set(theirs), (d.rule for d in verdict if d.rule))
        evidence = self.evidence.on_create(body, expected, answer.status, verdict)
        evidence += self.evidence.on_answer(answer.status, payload, shape)
        self.book.tally.add(evidence, example)
        task_id = data.get("task_id") if answer.status == 200 else None
        if isinstance(task_id, str) and task_id:
            model = str(body.get("model", "")) if isinstance(body, dict) else ""
            stamp = data.get("created_at")
            created_at = stamp if isinstance(stamp, int) else int(now)
            self._remember(self._tasks, task_id, Seen(now, owner, body, model, created_at))
        if self.recorder is not None:  # redacting answers costs: only when recording
            self._record({"kind": "create", "task": task_id if isinstance(task_id, str) else None, "since": 0.0,
                          "at": now, "owner": owner, "body": redact(body) if body is not None else
                          {"raw": raw[:4096].decode("utf-8", "replace")}, "status": answer.status,
                          "answer": redact(payload), "mismatch": keys})
        return Exchange(answer.status, answer.headers, answer.body, keys, theirs, str(example["error"]))

    # -- query -------------------------------------------------------------------------------------
    def query(self, owner: str, task_id: str, headers: Mapping[str, str], now: float, base_url: str) -> Exchange:
        """Send a query on, judge it, note the task's progress, and point a result URL at this proxy."""
        answer = self.forwarder.send("GET", QUERY_PREFIX + quote(task_id, safe=""), headers)
        payload, is_json = _payload(answer)
        shape = self.judge.judge_answer("query", answer.status, payload, is_json)
        data = _data(payload)
        example = {"operation": "query", "status": answer.status, "error": str(data.get("error", ""))[:80]}
        keys = self.book.note(shape, example)
        with self._lock:
            seen = self._tasks.get(task_id)
        evidence = self.evidence.on_answer(answer.status, payload, shape, seen.body if seen else None)
        if seen is not None and owner != seen.owner:
            evidence += self.evidence.on_private(answer.status)
        body = answer.body
        status = data.get("status") if answer.status == 200 else None
        if seen is not None and self.recorder is not None:
            self._record({"kind": "poll", "task": task_id, "since": round(now - seen.created, 3), "owner": owner,
                          "status": answer.status, "task_status": status if seen.owner == owner else None,
                          "answer": redact(payload), "mismatch": keys})
        if seen is not None and seen.owner == owner and isinstance(status, str):
            evidence += self._progress(task_id, seen, status, data, now, payload)
        self.book.tally.add(evidence, example)
        result = data.get("result")
        if status == "completed" and isinstance(result, dict) and isinstance(result.get("video_url"), str):
            nonce = secrets.token_urlsafe(18)
            self._remember(self._results, nonce, (task_id, result["video_url"]))
            result["video_url"] = f"{base_url.rstrip('/')}{RESULTS_PATH}{nonce}.mp4"
            body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        return Exchange(answer.status, answer.headers, body, keys, [], str(example["error"]))

    def _progress(self, task_id: str, seen: Seen, status: str, data: dict[str, Any], now: float,
                  payload: Any) -> list[tuple[str, bool]]:
        since = round(now - seen.created, 3)
        if status == "processing" and seen.first_processing is None:
            seen.first_processing = since
        if status not in TERMINAL:
            seen.last_quiet = since
            return []
        if seen.final:
            return []
        seen.final = True
        queued = seen.first_processing if seen.first_processing is not None else since
        self.book.timing(seen.model, queued, since - queued)
        error = data.get("error") if isinstance(data.get("error"), dict) else None
        self._record({"kind": "final", "task": task_id, "since": since, "task_status": status,
                      "error": redact(error), "answer": redact(payload)})
        expires = (data.get("result") or {}).get("expires_at") if isinstance(data.get("result"), dict) else None
        if status == "completed" and isinstance(expires, int):
            return self.evidence.on_retention(expires, seen.created_at + seen.last_quiet,
                                              seen.created_at + 1 + since)
        return []

    # -- result download ---------------------------------------------------------------------------
    def result_source(self, nonce: str) -> tuple[str, str] | None:
        """(task id, the service's signed URL) behind a rewritten result URL, None when unknown."""
        with self._lock:
            return self._results.get(nonce)

    def downloaded(self, task_id: str, status: int, size: int, head: bytes, now: float) -> None:
        """Record a result download (size, and duration / frame size read from the MP4)."""
        with self._lock:
            seen = self._tasks.get(task_id)
        since = round(now - seen.created, 3) if seen else None
        facts = mp4_facts(head) if status == 200 else {}
        if seen is not None:
            self.book.tally.add(self.evidence.on_result(seen.body, facts.get("width"), facts.get("height")),
                                {"operation": "result", "status": status})
        self._record({"kind": "result", "task": task_id, "since": since, "status": status, "bytes": size, **facts})

    def note_download_error(self, status: int, payload: Any) -> list[Difference]:
        """Judge an error answer of a result download (the envelope)."""
        shape = self.judge.judge_answer("query", status, payload)
        self.book.note(shape, {"operation": "result", "status": status})
        return shape
