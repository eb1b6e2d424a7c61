"""The coverage ledger's data: counts of catalogue items met, and each token's recent traffic (bounded).

The web layer classifies each answered request into the catalogue items it met (`rule:…`, `error:…`,
`fault:…`, `lifecycle:…`, `result:…`) and one compact `event` (what conduct findings are derived from).
Both ride along with the journal: at once into the memory store, in the journal writer's batches into a
shared store, so the ledger adds no round trip per request. Conduct is derived when the ledger is read
(`conduct.find_conduct`), so its threshold can be chosen at read time and nothing is judged twice.

Bounds: EVENTS_PER_TOKEN events per token (the newest), MAX_TOKENS tokens (the least recently seen are
dropped), DOWNLOADS download events (result files carry no token: they are kept under DOWNLOADS_KEY).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

EVENTS_PER_TOKEN = 200
MAX_TOKENS = 100
DOWNLOADS = 2000
DOWNLOADS_KEY = "~files"
BODY_SNIPPET = 160

# Positions in an event (a JSON list, small on the wire and in the store).
T, OP, TASK, STATUS, ERROR, RETRY_AFTER, BODY_HASH, TASK_STATUS, BODY = range(9)


def make_event(time: float, op: str, task_id: str, status: int, error: str = "", retry_after: int | None = None,
               body_hash: str = "", task_status: str = "", body: str = "") -> list[Any]:
    """One request as the conduct rules see it (`op`: create, get or download; status 0 = dropped)."""
    return [round(time, 4), op, task_id[:120], status, error, retry_after, body_hash, task_status,
            body[:BODY_SNIPPET]]


def event_cap(token: str) -> int:
    """How many events are kept under `token` (downloads have a pool of their own, larger)."""
    return DOWNLOADS if token == DOWNLOADS_KEY else EVENTS_PER_TOKEN


def max_tokens() -> int:
    """How many tokens' events are kept, besides the downloads pool."""
    return MAX_TOKENS


@dataclass
class LedgerBatch:
    """Ledger changes waiting to be written: item counts and (token, event JSON) pairs, in order."""

    counts: Counter[str] = field(default_factory=Counter)
    events: list[tuple[str, list[Any]]] = field(default_factory=list)

    def add(self, items: Iterable[str], token: str, event: list[Any] | None) -> None:
        """Count `items` once each and queue `event` under `token` (no event when None)."""
        for item in items:
            self.counts[item] += 1
        if event is not None:
            self.events.append((token, event))

    def texts(self) -> list[tuple[str, str]]:
        """The events as (token, JSON text) pairs: what a shared store keeps (serialised off the request path,
        on the journal writer's thread)."""
        return [(token, json.dumps(event, separators=(",", ":"))) for token, event in self.events]

    def __bool__(self) -> bool:
        return bool(self.counts) or bool(self.events)

    def payload(self) -> dict[str, Any]:
        """The batch as one JSON-ready document (what a Redis script decodes)."""
        index = {t: i for i, t in enumerate(dict.fromkeys(token for token, _ in self.events), start=1)}
        return {
            "counts": dict(self.counts),
            "tokens": [[t, event_cap(t)] for t in index],
            "events": [[index[t], e] for t, e in self.texts()],
            "max_tokens": MAX_TOKENS + 1,  # the downloads pool is a token of its own
        }


@dataclass
class LedgerSnapshot:
    """What the store holds: counts by item id, and each token's events oldest first."""

    counts: dict[str, int] = field(default_factory=dict)
    events: dict[str, list[list[Any]]] = field(default_factory=dict)

    @classmethod
    def from_raw(cls, counts: Mapping[str, Any], events: Mapping[str, Iterable[str | bytes | list[Any]]]
                 ) -> LedgerSnapshot:
        """Decode the stored form (counts as numbers or strings, events as JSON texts or lists)."""
        decoded: dict[str, list[list[Any]]] = {}
        for token, texts in events.items():
            rows = [list(t) if isinstance(t, list) else json.loads(t) for t in texts]
            decoded[token] = sorted(rows, key=lambda e: e[T])
        return cls({str(k): int(v) for k, v in counts.items() if int(v)}, decoded)
