"""The Redis store: processes on several machines share one Redis; each operation is one Lua script, one
command or one WATCH/MULTI transaction. One Redis can hold several emulators, each under its own prefix.

A request costs one round trip: a create is one script, a query one GET (none when the task is in the
client-side cache), and the control version every request checks is read from that cache (`redis_wire`).
Journal entries go in batches, one script per batch.

Keys are `PREFIX/...`: a prefix may hold letters, digits and `._:-` only, never `/`, so `team` and `team:ci`
are two emulators whose keys never match each other's pattern, and a reset deletes exactly its own keys.
"""

from __future__ import annotations

import heapq
import json
import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import redis

from mockserver.state.errors import StoreError
from mockserver.state.journal_entry import Entry, entry_json
from mockserver.state.ledger import DOWNLOADS_KEY, LedgerBatch, LedgerSnapshot
from mockserver.state.redis_scripts import SCRIPTS
from mockserver.state.redis_wire import TrackedCache, Wire
from mockserver.state.store import VERSION_KEY, R, Update
from mockserver.state.store_urls import DEFAULT_PREFIX, connection_url, shown_url
from mockserver.state.tasks import Task

T = TypeVar("T")
PREFIX_RULE = re.compile(r"[A-Za-z0-9._:-]{1,64}")
SEPARATOR = "/"  # never in a prefix: it ends the prefix
CACHED_TASKS = 4096
EVICT_BATCH = 5000  # tasks one eviction sweep drops at most


def check_prefix(prefix: str) -> str:
    """`prefix` if it is 1-64 of `A-Z a-z 0-9 . _ : -` (no glob or separator character), else ValueError."""
    if not PREFIX_RULE.fullmatch(prefix):
        raise ValueError(
            f"invalid Redis key prefix {prefix[:80]!r}: use 1 to 64 letters, digits or . _ : - "
            "(no '/', glob characters or braces)"
        )
    return prefix


def _text(value: Any) -> str:
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)


def _version(raw: bytes | None) -> int | None:
    return None if raw is None else int(raw)


def _task(raw: bytes | None) -> Task | None:
    return None if raw is None else Task.from_json(raw)


class RedisStore:
    """Tasks as JSON arrays, indexes as sorted sets, the journal as a list of `seq|entry` strings."""

    kind = "redis"

    def __init__(self, url: str, prefix: str = DEFAULT_PREFIX) -> None:
        self.url = connection_url(url)
        self.prefix = check_prefix(prefix)
        self.namespace = prefix + SEPARATOR
        self._counted: int | None = None  # the task count the last insert answered (tasks_counted)
        self._redis = self._client()
        self._register()
        with self._errors("reach"):
            self._redis.ping()

    # -- connections (the cluster store overrides these) --------------------------------------------
    def _client(self) -> Any:
        client = redis.Redis.from_url(self.url, protocol=2, socket_timeout=10, socket_connect_timeout=5)
        pool = client.connection_pool
        make = lambda: pool.connection_class(**pool.connection_kwargs)  # noqa: E731
        self._wire = Wire(make)
        self._cache = TrackedCache(make, CACHED_TASKS)
        return client

    def _register(self) -> None:
        self._scripts = {name: self._redis.register_script(getattr(SCRIPTS, name))
                         for name in ("add", "swap", "evict", "journal", "journal_read", "journal_before")}
        for script in self._scripts.values():
            self._wire.script(script.sha, script.script)

    def _key(self, *parts: str) -> str:
        return self.namespace + ":".join(parts)

    def _task_key(self, task_id: str) -> str:
        return self._key("task", task_id)

    def _owner_key(self, owner: str) -> str:
        return self._key("owner", owner)

    def _doc_key(self, key: str) -> str:
        return self._key("doc", key)

    @contextmanager
    def _errors(self, doing: str) -> Iterator[None]:
        try:
            yield
        except (redis.RedisError, redis.exceptions.RedisClusterException, OSError) as exc:
            raise StoreError(
                f"Redis store {shown_url(self.url)} (prefix {self.prefix}): cannot {doing} ({exc}); "
                "check that redis-server runs there and is reachable"
            ) from None

    def _call(self, doing: str, fn: Callable[[], T]) -> T:
        with self._errors(doing):
            return fn()

    # -- documents ---------------------------------------------------------------------------------
    def read(self, key: str) -> Any:
        raw = self._call("read", lambda: self._redis.get(self._doc_key(key)))
        return None if raw is None else json.loads(raw)

    def control_version(self) -> Any:
        return self._call("read", lambda: self._cache.get(self._doc_key(VERSION_KEY), _version))

    def update(self, key: str, fn: Update[R]) -> R:
        name = self._doc_key(key)
        results: list[R] = []

        def run(pipe: Any) -> None:
            raw = pipe.get(name)
            new, result = fn(None if raw is None else json.loads(raw))
            pipe.multi()
            if new is None:
                pipe.delete(name)
            else:
                pipe.set(name, json.dumps(new))
            results[:] = [result]

        self._call("update", lambda: self._redis.transaction(run, name))
        return results[0]

    def incr(self, key: str) -> int:
        name = self._doc_key(key)
        value = int(self._call("count", lambda: self._wire.call("INCR", name)))
        if key == VERSION_KEY:
            self._call("count", self._wire.fence)  # every instance's invalidation is on its way
            self._cache.forget(name)  # and ours is applied now
        return value

    # -- tasks -------------------------------------------------------------------------------------
    def add_task(self, task: Task, max_in_flight: int | None, now: float) -> list[float] | None:
        keys = [self._task_key(task.task_id), self._owner_key(task.owner), self._key("finish"),
                self._key("created")]
        cap = -1 if max_in_flight is None else max_in_flight
        args: list[bytes | str | int | float] = [task.task_id, task.to_json(), repr(task.finished_at),
                                                 repr(task.created_at), cap, repr(now)]
        answer = self._call("insert", lambda: self._wire.evalsha(self._scripts["add"].sha, keys, args,
                                                                            retry=False))
        if int(answer[0]) == -1:
            raise KeyError(task.task_id)
        if int(answer[0]) != 0:
            return [float(f) for f in answer[1:]]
        self._counted = int(answer[1])
        return None

    def get_task(self, task_id: str) -> Task | None:
        return self._call("read", lambda: self._cache.get(self._task_key(task_id), _task, keep_missing=False))

    def swap_task(self, old: Task, new: Task) -> bool:
        keys = [self._task_key(old.task_id), self._owner_key(old.owner), self._key("finish")]
        args: list[bytes | str | int | float] = [old.task_id, old.version, new.to_json(), repr(new.finished_at)]
        sha = self._scripts["swap"].sha
        done = bool(self._call("update", lambda: self._wire.evalsha(sha, keys, args, retry=False)))
        if done:
            self._call("update", self._wire.fence)
        self._cache.forget(keys[0])
        return done

    def evict(self, before: float, retention: float) -> int:
        keys = [self._key("finish"), self._key("created")]
        args = [repr(before - retention), self._task_key(""), self._owner_key(""), "", EVICT_BATCH]
        return int(self._call("evict", lambda: self._scripts["evict"](keys=keys, args=args)))

    def count_tasks(self) -> int:
        return int(self._call("count", lambda: self._redis.zcard(self._key("finish"))))

    def tasks_counted(self) -> int:
        counted, self._counted = self._counted, None  # used once: the next insert answers a fresh one
        return self.count_tasks() if counted is None else counted

    def _tasks(self, ids: list[Any]) -> list[Task]:
        if not ids:
            return []
        raws = self._call("read", lambda: self._get_many([self._task_key(_text(i)) for i in ids]))
        return [Task.from_json(raw) for raw in raws if raw is not None]

    def _owner_page(self, index: str, first: int, last: int) -> list[tuple[Any, float]]:
        rows = self._call("read", lambda: self._redis.zrevrange(index, first, last, withscores=True))
        return [(row[0], float(row[1])) for row in rows]

    def recent_tasks(self, limit: int, owner: str | None = None) -> list[Task]:
        if owner is None:
            ids = self._call("read", lambda: self._redis.zrevrange(self._key("created"), 0, limit - 1))
            return sorted(self._tasks(ids), key=lambda t: t.created_at, reverse=True)
        # The owner's index is scored by finish time and a task never finishes before it was created: read it
        # newest finish first, in growing pages, until the oldest finish read is older than the limit-th
        # newest creation found (no task further down can be newer).
        index, newest, start, page = self._owner_key(owner), list[Task](), 0, limit + 32
        while True:
            rows = self._owner_page(index, start, start + page - 1)
            newest = heapq.nlargest(limit, newest + self._tasks([i for i, _ in rows]), key=lambda t: t.created_at)
            if len(rows) < page or (len(newest) >= limit and newest[-1].created_at >= float(rows[-1][1])):
                return newest
            start, page = start + page, page * 2

    def _get_many(self, keys: list[str]) -> list[Any]:
        return list(self._redis.mget(keys))

    # -- journal -----------------------------------------------------------------------------------
    def _journal_keys(self) -> list[str]:
        return [self._key("journal"), self._doc_key("journal-seq"), self._key("journal-bytes")]

    def journal_append(self, entries: list[tuple[Entry, int]], max_entries: int, max_bytes: int) -> None:
        texts = (entry_json(entry) for entry, _ in entries)
        args: list[str | int] = [max_entries, max_bytes, *texts]
        keys = self._journal_keys()
        self._call("journal", lambda: self._scripts["journal"](keys=keys, args=args))

    def journal_after(self, after: int, limit: int) -> list[dict[str, Any]]:
        journal = self._journal_keys()[0]
        members = self._call("read", lambda: self._scripts["journal_read"](keys=[journal], args=[after, limit]))
        entries = []
        for member in members:
            seq, _, text = _text(member).partition("|")
            entries.append({**json.loads(text), "seq": int(seq)})
        return entries

    def journal_before(self, before: int | None, limit: int) -> list[dict[str, Any]]:
        journal = self._journal_keys()[0]
        args = [0 if before is None else before, limit]
        members = self._call("read", lambda: self._scripts["journal_before"](keys=[journal], args=args))
        entries = []
        for member in reversed(members):  # newest first
            seq, _, text = _text(member).partition("|")
            entries.append({**json.loads(text), "seq": int(seq)})
        return entries

    def journal_clear(self) -> None:
        journal, _, size = self._journal_keys()
        self._call("clear", lambda: self._redis.delete(journal, size))

    # -- lifecycle ---------------------------------------------------------------------------------
    def _own_keys(self) -> Iterator[bytes]:
        """Every key of this emulator: the pattern is our prefix and separator, which no other prefix has."""
        yield from self._redis.scan_iter(match=self.namespace + "*", count=1000)

    def _delete(self, names: list[bytes]) -> None:
        self._redis.delete(*names)

    def clear(self, keep: tuple[str, ...]) -> None:
        kept = {self._doc_key(k).encode() for k in (*keep, "journal-seq")}

        def run() -> None:
            batch: list[bytes] = []
            for name in self._own_keys():
                if name not in kept:
                    batch.append(name)
                if len(batch) >= 1000:
                    self._delete(batch)
                    batch.clear()
            if batch:
                self._delete(batch)

        self._call("reset", run)
        self._fence()
        self._cache.close()

    def _fence(self) -> None:
        self._call("reset", self._wire.fence)

    def close(self) -> None:
        self._cache.close()
        self._wire.close()
        self._redis.close()

    # -- the bound on stored tasks -------------------------------------------------------------------
    def evict_oldest_finished(self, now: float, count: int) -> int:
        """Drop up to `count` finished tasks, the earliest finished first (the eviction script: atomic)."""
        keys = [self._key("finish"), self._key("created")]
        args = [repr(now), self._task_key(""), self._owner_key(""), "", count]
        return int(self._call("evict", lambda: self._scripts["evict"](keys=keys, args=args)))

    # -- coverage ledger (state/ledger.py) -----------------------------------------------------------
    def _ledger_keys(self, batch: LedgerBatch) -> tuple[list[str], str]:
        tokens = list(dict.fromkeys(token for token, _ in batch.events))
        keys = [self._key("ledger", "counts"), self._key("ledger", "tokens"),
                *(self._key("ledger", "ev", token) for token in tokens)]
        payload = batch.payload()
        now = time.time()
        payload["scores"] = [1e15 if t == DOWNLOADS_KEY else now for t in tokens]
        payload["event_prefix"] = self._key("ledger", "ev", "")
        return keys, json.dumps(payload, separators=(",", ":"))

    def _ledger_script(self, name: str, text: str) -> Any:
        scripts: dict[str, Any] = self.__dict__.setdefault("_ledger_scripts", {})
        if name not in scripts:
            scripts[name] = self._redis.register_script(text)
        return scripts[name]

    def ledger_add(self, batch: LedgerBatch) -> None:
        """Add a batch of item counts and events in one script (each token's newest events kept, the
        least recently seen tokens dropped)."""
        keys, payload = self._ledger_keys(batch)
        script = self._ledger_script("ledger_only", _LEDGER_ONLY)
        self._call("ledger", lambda: script(keys=keys, args=[payload]))

    def journal_append_ledger(self, entries: list[tuple[Entry, int]], max_entries: int, max_bytes: int,
                              batch: LedgerBatch) -> None:
        """`journal_append` and `ledger_add` in one script: one round trip per batch."""
        ledger_keys, payload = self._ledger_keys(batch)
        keys = [*self._journal_keys(), *ledger_keys]
        texts = (entry_json(entry) for entry, _ in entries)
        args: list[str | int] = [max_entries, max_bytes, payload, *texts]
        script = self._ledger_script("journal_ledger", _JOURNAL_LEDGER)
        self._call("journal", lambda: script(keys=keys, args=args))

    def ledger_read(self) -> LedgerSnapshot:
        """Everything the ledger holds (read with one pipeline)."""
        def run() -> LedgerSnapshot:
            counts = self._redis.hgetall(self._key("ledger", "counts"))
            tokens = [_text(t) for t in self._redis.zrange(self._key("ledger", "tokens"), 0, -1)]
            pipe = self._redis.pipeline(transaction=False)
            for token in tokens:
                pipe.lrange(self._key("ledger", "ev", token), 0, -1)
            lists = pipe.execute() if tokens else []
            return LedgerSnapshot.from_raw({_text(k): int(v) for k, v in counts.items()},
                                           dict(zip(tokens, lists, strict=True)))

        return self._call("read", run)

    def ledger_clear(self) -> None:
        """Forget the ledger."""
        def run() -> None:
            names = list(self._redis.scan_iter(match=self._key("ledger", "*"), count=1000))
            for start in range(0, len(names), 1000):
                self._redis.delete(*names[start:start + 1000])

        self._call("reset", run)


# The ledger part of a batched write. KEYS (from LEDGER_BASE): counts hash, tokens zset, one event list per
# token of the batch. ARGV[LEDGER_ARG]: the JSON payload of LedgerBatch.payload() plus scores, event_prefix.
_LEDGER_PART = """
local ledger = cjson.decode(ARGV[LEDGER_ARG])
for item, n in pairs(ledger.counts) do redis.call('HINCRBY', KEYS[LEDGER_BASE], item, n) end
for _, pair in ipairs(ledger.events) do redis.call('RPUSH', KEYS[LEDGER_BASE + 1 + pair[1]], pair[2]) end
for i, token in ipairs(ledger.tokens) do
  redis.call('LTRIM', KEYS[LEDGER_BASE + 1 + i], -token[2], -1)
  redis.call('ZADD', KEYS[LEDGER_BASE + 1], ledger.scores[i], token[1])
end
local n = redis.call('ZCARD', KEYS[LEDGER_BASE + 1])
if n > ledger.max_tokens then
  local old = redis.call('ZRANGE', KEYS[LEDGER_BASE + 1], 0, n - ledger.max_tokens - 1)
  for _, name in ipairs(old) do redis.call('DEL', ledger.event_prefix .. name) end
  redis.call('ZREMRANGEBYRANK', KEYS[LEDGER_BASE + 1], 0, n - ledger.max_tokens - 1)
end
"""
# The journal script's entries start one ARGV later here (ARGV[3] is the ledger's payload): if the journal
# script changes, this must change with it, so it fails at import rather than silently.
_JOURNAL_ARGS = ("local n = #ARGV - 2", "ARGV[i + 2]")
assert all(part in SCRIPTS.journal for part in _JOURNAL_ARGS), "the journal script changed: update _JOURNAL_LEDGER"
_LEDGER_ONLY = _LEDGER_PART.replace("LEDGER_BASE", "1").replace("LEDGER_ARG", "1") + "return 1\n"
_JOURNAL_LEDGER = (
    _LEDGER_PART.replace("LEDGER_BASE", "4").replace("LEDGER_ARG", "3")
    + SCRIPTS.journal.replace(_JOURNAL_ARGS[0], "local n = #ARGV - 3").replace(_JOURNAL_ARGS[1], "ARGV[i + 3]")
)
