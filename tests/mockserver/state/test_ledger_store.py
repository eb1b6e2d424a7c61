"""The ledger in each store: counts add up, events keep order and their caps, one write with the journal,
and a reset forgets it."""

from __future__ import annotations

import json

import pytest

from mockserver.state import ledger
from mockserver.state.ledger import DOWNLOADS_KEY, LedgerBatch, make_event
from mockserver.state.store import Store
from mockserver.state.stores import open_store


@pytest.fixture
def store(store_spec: str) -> Store:
    opened = open_store(store_spec)
    yield opened
    opened.close()


def _batch(token: str, n: int, start: float = 0.0) -> LedgerBatch:
    batch = LedgerBatch()
    for i in range(n):
        batch.add(("error:RATE_LIMITED", "fault:429"), token, make_event(start + i, "get", f"vid_{i}", 200))
    return batch


def test_counts_add_up_over_batches(store: Store) -> None:
    store.ledger_add(_batch("sk_a~1", 3))
    store.ledger_add(_batch("sk_b~2", 2, start=10))
    snapshot = store.ledger_read()
    assert snapshot.counts == {"error:RATE_LIMITED": 5, "fault:429": 5}
    assert [e[ledger.TASK] for e in snapshot.events["sk_a~1"]] == ["vid_0", "vid_1", "vid_2"]
    assert len(snapshot.events["sk_b~2"]) == 2


def test_journal_and_ledger_in_one_write(store: Store) -> None:
    store.journal_append_ledger([({"method": "GET", "path": "/x"}, 100)], 1000, 1_000_000, _batch("sk_a~1", 1))
    assert [e["path"] for e in store.journal_after(0, 10)] == ["/x"]
    assert store.ledger_read().counts["fault:429"] == 1
    store.journal_append_ledger([], 1000, 1_000_000, _batch("sk_a~1", 1))  # a ledger-only batch
    assert store.ledger_read().counts["fault:429"] == 2


def test_each_token_keeps_its_newest_events(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ledger, "EVENTS_PER_TOKEN", 5)
    store.ledger_add(_batch("sk_a~1", 12))
    kept = store.ledger_read().events["sk_a~1"]
    assert [e[ledger.T] for e in kept] == [7, 8, 9, 10, 11]
    assert store.ledger_read().counts["fault:429"] == 12  # counts are never capped


def test_least_recent_tokens_are_dropped(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ledger, "MAX_TOKENS", 3)
    for i in range(6):
        store.ledger_add(_batch(f"sk_{i}~x", 1, start=i))
    downloads = LedgerBatch()
    downloads.add(("result:downloaded",), DOWNLOADS_KEY, make_event(0, "download", "vid_0", 200))
    store.ledger_add(downloads)
    tokens = set(store.ledger_read().events)
    assert len(tokens) <= 4  # MAX_TOKENS plus the downloads pool
    assert "sk_5~x" in tokens and "sk_0~x" not in tokens


def test_clear_forgets_the_ledger(store: Store) -> None:
    store.ledger_add(_batch("sk_a~1", 2))
    store.ledger_clear()
    snapshot = store.ledger_read()
    assert snapshot.counts == {} and snapshot.events == {}


def test_batch_payload_is_json() -> None:
    batch = _batch("sk_a~1", 2)
    payload = batch.payload()
    assert json.loads(json.dumps(payload))["tokens"] == [["sk_a~1", ledger.EVENTS_PER_TOKEN]]
    assert [index for index, _ in payload["events"]] == [1, 1]
