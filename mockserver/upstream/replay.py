"""Replay recorded lifecycles: a create whose (normalised) body matches a recorded one gets that task's
recorded timeline, outcome, error and result shape; its status then advances with elapsed virtual time, so
any poll interval and any `--speed` see the recorded sequence. Recorded timings per model can also feed the
simulation (`--timings-from`). Every recorded answer is judged again against the current spec first: a
task with an answer the spec now rejects (drift) is flagged and never replayed.

The planner is handed to `Backend.planner`; the state layer knows nothing else of it.
"""

from __future__ import annotations

import json
import logging
import random
import threading
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from mockserver.spec.validation import CreateValidator, rule_ids
from mockserver.state.errors import ApiError
from mockserver.state.tasks import Task
from mockserver.upstream.answers import AnswerJudge, Difference
from mockserver.upstream.recording import Lifecycle, http_status, lifecycles, redact

log = logging.getLogger("seedance_mock.replay")
NEVER = 10 * 365 * 86_400.0  # a recording that ended before the task finished: it stays as last seen
REPLAY_ERROR = "REPLAY_NOT_RECORDED"


def normalised(body: Any, defaults: Mapping[str, Any]) -> str:
    """The matching key of a create body: defaults filled in, URL query strings redacted, keys sorted."""
    if not isinstance(body, dict):
        return json.dumps(body, sort_keys=True, default=str)
    full = {**{k: v for k, v in defaults.items() if k not in body}, **body}
    return json.dumps(redact(full), sort_keys=True, ensure_ascii=False, default=str)


def spec_defaults(spec: Mapping[str, Any]) -> dict[str, Any]:
    """The `default` of each create body property that declares one."""
    props = spec["components"]["schemas"]["CreateVideoRequest"].get("properties", {})
    return {str(k): v["default"] for k, v in props.items() if isinstance(v, dict) and "default" in v}


def drift_of(life: Lifecycle, judge: AnswerJudge, validator: CreateValidator) -> list[dict[str, Any]]:
    """Every recorded answer of `life` the current spec rejects (empty: the task can be replayed)."""
    found: list[dict[str, Any]] = []

    def flag(where: str, diffs: Iterable[Difference], event: Mapping[str, Any]) -> None:
        # What the proxy noted when it recorded the answer is the service's own difference, not drift.
        known = event.get("mismatch")
        noted = {str(k) for k in known} if isinstance(known, list) else set()
        for diff in diffs:
            if diff.key not in noted:
                found.append({"source": life.source, "task": life.task, "where": where, **diff.as_dict()})

    body = life.body
    if http_status(life.create) == 200:
        broken = rule_ids(validator.violations(body))
        flag("create request", [Difference(r, None, "a recorded, accepted body the current spec rejects")
                                for r in broken], life.create)
    flag("create answer", judge.judge_answer("create", http_status(life.create), life.create.get("answer")),
         life.create)
    for number, poll in enumerate(life.polls, 1):
        flag(f"poll {number}", judge.judge_answer("query", http_status(poll), poll.get("answer")), poll)
    return found


class ReplayPlanner:
    """Backend.planner: recorded timelines for matching creates, recorded timings per model, or neither."""

    def __init__(self, spec: Mapping[str, Any], replay: Iterable[str | Path] = (),
                 timings_from: Iterable[str | Path] = (), strict: bool = False,
                 sizes: frozenset[tuple[int, int]] = frozenset()) -> None:
        """Read the recordings (OSError/ValueError when unreadable) and judge them against `spec`; a recorded
        result size is replayed when it is one of `sizes` (the emulator serves only those)."""
        self.defaults = spec_defaults(spec)
        self.sizes = sizes
        self.strict = strict
        judge, validator = AnswerJudge(spec), CreateValidator(spec)
        self.drift: list[dict[str, Any]] = []
        self._by_key: dict[str, list[Lifecycle]] = {}
        self._drifted: dict[str, str] = {}
        self._turn: dict[str, int] = {}
        self._lock = threading.Lock()
        self.counts = {"recorded": 0, "drifted": 0, "replayed": 0, "simulated": 0, "refused": 0, "drift_hits": 0}
        for life in lifecycles(list(replay)):
            if life.phases()[0] is None and life.phases()[1] is None and not life.polls:
                continue  # never polled: nothing to replay
            key = normalised(life.body, self.defaults)
            problems = drift_of(life, judge, validator)
            self.counts["recorded"] += 1
            if problems:
                self.counts["drifted"] += 1
                self.drift.extend(problems[:50])
                self._drifted.setdefault(key, life.source)
                continue
            self._by_key.setdefault(key, []).append(life)
        self._samples: dict[str, list[tuple[float, float]]] = {}
        for life in lifecycles(list(timings_from)):
            processing, finished, _ = life.phases()
            if finished is not None:
                queued = processing if processing is not None else finished
                self._samples.setdefault(life.model, []).append((queued, finished - queued))
        if self.counts["drifted"]:
            log.warning("replay: %d of %d recorded tasks drifted from the spec (%d answers); they are not "
                        "replayed: see GET /_mock/fidelity", self.counts["drifted"], self.counts["recorded"],
                        len(self.drift))

    def _count(self, name: str) -> None:
        with self._lock:
            self.counts[name] += 1

    def _pick(self, key: str) -> Lifecycle | None:
        found = self._by_key.get(key)
        if not found:
            return None
        with self._lock:
            turn = self._turn.get(key, 0)
            self._turn[key] = turn + 1
        return found[turn % len(found)]

    def __call__(self, task: Task, body: Mapping[str, Any], speed: float) -> Task:
        """The task with a recorded timeline (matching create), recorded timings (its model), or as simulated."""
        key = normalised(dict(body), self.defaults)
        life = self._pick(key)
        if life is not None:
            self._count("replayed")
            return self._replayed(task, life, speed)
        if key in self._drifted:
            self._count("drift_hits")
            log.warning("replay: the recording %s matches but drifted from the spec; simulated instead",
                        self._drifted[key])
        if self.strict:
            self._count("refused")
            why = " (its recording drifted from the spec)" if key in self._drifted else ""
            raise ApiError(REPLAY_ERROR, f"no recorded task matches this body{why} (--replay-strict)")
        self._count("simulated")
        samples = self._samples.get(task.model)
        if samples:
            queued, processing = random.Random(task.task_id).choice(samples)
            start = task.created_at + queued / speed
            return task.replace(processing_at=start, finished_at=start + processing / speed, version=task.version)
        return task

    def _replayed(self, task: Task, life: Lifecycle, speed: float) -> Task:
        processing, finished, outcome = life.phases()
        created = task.created_at
        end = created + (finished / speed if finished is not None else NEVER)
        start = created + (processing / speed if processing is not None else (end - created))
        changes: dict[str, Any] = {"processing_at": start, "finished_at": end, "outcome": outcome or "completed",
                                   "skip_processing": processing is None, "version": task.version}
        final = life.final or {}
        data = (final.get("answer") or {}).get("data") if isinstance(final.get("answer"), dict) else None
        if isinstance(data, dict):
            error = data.get("error")
            if outcome == "failed" and isinstance(error, dict):
                changes["error_code"] = str(error.get("code", ""))[:100]
                changes["error_message"] = str(error.get("message", ""))[:500]
            if isinstance(data.get("resolution"), str):
                changes["resolution"] = data["resolution"][:20]
        facts = life.result or {}
        size = (facts.get("width"), facts.get("height"))
        if size in self.sizes:
            changes["width"], changes["height"] = size
        return task.replace(**changes)

    def report(self) -> dict[str, Any]:
        """Counts for GET /_mock/fidelity."""
        with self._lock:
            return dict(self.counts)
