"""The Redis store: processes on several machines share one Redis; each operation is one Lua script or
one WATCH/MULTI transaction. Every key starts with a prefix, so one Redis can hold several emulators."""

from __future__ import annotations

import heapq
import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

import redis

from mockserver.state.errors import StoreError
from mockserver.state.journal_entry import Entry, as_dict
from mockserver.state.ledger import DOWNLOADS_KEY, LedgerBatch, LedgerSnapshot
from mockserver.state.store import R, Update
from mockserver.state.tasks import Task

T = TypeVar("T")
_VERSION_FIELD = 16  # 1-based index of Task.version in Task.to_row() (Lua arrays start at 1)

# KEYS: task, owner zset, finish zset, created zset. ARGV: id, value, finished_at, created_at, cap, now.
_ADD = """
if redis.call('EXISTS', KEYS[1]) == 1 then return {-1} end
local cap = tonumber(ARGV[5])
if cap >= 0 then
  local inflight = redis.call('ZRANGEBYSCORE', KEYS[2], '(' .. ARGV[6], '+inf', 'WITHSCORES')
  if #inflight / 2 >= cap then
    local finishes = {1}
    for i = 2, #inflight, 2 do finishes[#finishes + 1] = inflight[i] end
    return finishes
  end
end
redis.call('SET', KEYS[1], ARGV[2])
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[1])
redis.call('ZADD', KEYS[3], ARGV[3], ARGV[1])
redis.call('ZADD', KEYS[4], ARGV[4], ARGV[1])
return {0}
"""
# KEYS: task, owner zset, finish zset. ARGV: id, expected version, new value, new finished_at.
_SWAP = f"""
local current = redis.call('GET', KEYS[1])
if not current then return 0 end
if tonumber(cjson.decode(current)[{_VERSION_FIELD}]) ~= tonumber(ARGV[2]) then return 0 end
redis.call('SET', KEYS[1], ARGV[3])
redis.call('ZADD', KEYS[2], ARGV[4], ARGV[1])
redis.call('ZADD', KEYS[3], ARGV[4], ARGV[1])
return 1
"""
# KEYS: finish zset, created zset. ARGV: cutoff, task key prefix, owner key prefix.
_EVICT = """
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', '(' .. ARGV[1], 'LIMIT', 0, 5000)
for _, id in ipairs(ids) do
  local value = redis.call('GET', ARGV[2] .. id)
  if value then
    redis.call('ZREM', ARGV[3] .. cjson.decode(value)[2], id)
    redis.call('DEL', ARGV[2] .. id)
  end
  redis.call('ZREM', KEYS[1], id)
  redis.call('ZREM', KEYS[2], id)
end
return #ids
"""
# KEYS: journal zset, sequence counter, byte counter. ARGV: max entries, max bytes, entry JSON...
_JOURNAL = """
local bytes = 0
for i = 3, #ARGV do
  local seq = redis.call('INCR', KEYS[2])
  local member = seq .. '|' .. ARGV[i]
  redis.call('ZADD', KEYS[1], seq, member)
  bytes = redis.call('INCRBY', KEYS[3], string.len(member))
end
local count = redis.call('ZCARD', KEYS[1])
while count > 0 and (count > tonumber(ARGV[1]) or bytes > tonumber(ARGV[2])) do
  local oldest = redis.call('ZRANGE', KEYS[1], 0, 0)[1]
  redis.call('ZREM', KEYS[1], oldest)
  bytes = redis.call('DECRBY', KEYS[3], string.len(oldest))
  count = count - 1
end
return count
"""


def _text(value: Any) -> str:
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)


def _connection_url(url: str) -> str:
    """The URL without its query (`?prefix=` is ours, not redis-py's)."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))


class RedisStore:
    """Tasks as JSON strings, indexes as sorted sets, the journal as a sorted set scored by sequence."""

    kind = "redis"

    def __init__(self, url: str, prefix: str = "seedance-mock") -> None:
        self.url = _connection_url(url)
        self.prefix = prefix
        self._redis = redis.Redis.from_url(self.url, socket_timeout=10, socket_connect_timeout=5)
        self._add = self._redis.register_script(_ADD)
        self._swap = self._redis.register_script(_SWAP)
        self._evict = self._redis.register_script(_EVICT)
        self._journal = self._redis.register_script(_JOURNAL)
        with self._errors("reach"):
            self._redis.ping()

    def _key(self, *parts: str) -> str:
        return ":".join((self.prefix, *parts))

    @contextmanager
    def _errors(self, doing: str) -> Iterator[None]:
        try:
            yield
        except redis.RedisError as exc:
            raise StoreError(
                f"Redis store {self.url} (prefix {self.prefix}): cannot {doing} ({exc}); "
                "check that redis-server runs there and is reachable"
            ) from None

    def _call(self, doing: str, fn: Callable[[], T]) -> T:
        with self._errors(doing):
            return fn()

    # -- documents ---------------------------------------------------------------------------------
    def read(self, key: str) -> Any:
        raw = self._call("read", lambda: self._redis.get(self._key("doc", key)))
        return None if raw is None else json.loads(raw)

    def update(self, key: str, fn: Update[R]) -> R:
        name = self._key("doc", key)
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
        return int(self._call("count", lambda: self._redis.incr(self._key("doc", key))))

    # -- tasks -------------------------------------------------------------------------------------
    def add_task(self, task: Task, max_in_flight: int | None, now: float) -> list[float] | None:
        keys = [self._key("task", task.task_id), self._key("owner", task.owner), self._key("finish"),
                self._key("created")]
        cap = -1 if max_in_flight is None else max_in_flight
        args: list[str | int] = [task.task_id, task.to_json(), repr(task.finished_at), repr(task.created_at), cap,
                                 repr(now)]
        answer = self._call("insert", lambda: self._add(keys=keys, args=args))
        if int(answer[0]) == -1:
            raise KeyError(task.task_id)
        return None if int(answer[0]) == 0 else [float(f) for f in answer[1:]]

    def get_task(self, task_id: str) -> Task | None:
        raw = self._call("read", lambda: self._redis.get(self._key("task", task_id)))
        return None if raw is None else Task.from_json(raw)

    def swap_task(self, old: Task, new: Task) -> bool:
        keys = [self._key("task", old.task_id), self._key("owner", old.owner), self._key("finish")]
        args: list[str | int] = [old.task_id, old.version, new.to_json(), repr(new.finished_at)]
        return bool(self._call("update", lambda: self._swap(keys=keys, args=args)))

    def evict(self, before: float, retention: float) -> int:
        keys = [self._key("finish"), self._key("created")]
        args = [repr(before - retention), self._key("task", ""), self._key("owner", "")]
        return int(self._call("evict", lambda: self._evict(keys=keys, args=args)))

    def count_tasks(self) -> int:
        return int(self._call("count", lambda: self._redis.zcard(self._key("finish"))))

    def _tasks(self, ids: list[Any]) -> list[Task]:
        if not ids:
            return []
        raws = self._call("read", lambda: self._redis.mget([self._key("task", _text(i)) for i in ids]))
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
        index, newest, start, page = self._key("owner", owner), list[Task](), 0, limit + 32
        while True:
            rows = self._owner_page(index, start, start + page - 1)
            newest = heapq.nlargest(limit, newest + self._tasks([i for i, _ in rows]), key=lambda t: t.created_at)
            if len(rows) < page or (len(newest) >= limit and newest[-1].created_at >= float(rows[-1][1])):
                return newest
            start, page = start + page, page * 2

    # -- journal -----------------------------------------------------------------------------------
    def journal_append(self, entries: list[tuple[Entry, int]], max_entries: int, max_bytes: int) -> None:
        keys = [self._key("journal"), self._key("doc", "journal-seq"), self._key("journal-bytes")]
        texts = (json.dumps(as_dict(entry), ensure_ascii=False) for entry, _ in entries)
        args: list[str | int] = [max_entries, max_bytes, *texts]
        self._call("journal", lambda: self._journal(keys=keys, args=args))

    def journal_after(self, after: int, limit: int) -> list[dict[str, Any]]:
        members = self._call(
            "read", lambda: self._redis.zrangebyscore(self._key("journal"), f"({after}", "+inf", 0, limit)
        )
        entries = []
        for member in members:
            seq, _, text = _text(member).partition("|")
            entries.append({**json.loads(text), "seq": int(seq)})
        return entries

    def journal_before(self, before: int | None, limit: int) -> list[dict[str, Any]]:
        top = "+inf" if before is None else f"({before}"
        members = self._call("read", lambda: self._redis.zrevrangebyscore(self._key("journal"), top, "-inf", 0, limit))
        entries = []
        for member in members:
            seq, _, text = _text(member).partition("|")
            entries.append({**json.loads(text), "seq": int(seq)})
        return entries

    def journal_clear(self) -> None:
        self._call("clear", lambda: self._redis.delete(self._key("journal"), self._key("journal-bytes")))

    # -- lifecycle ---------------------------------------------------------------------------------
    def clear(self, keep: tuple[str, ...]) -> None:
        kept = {self._key("doc", k).encode() for k in (*keep, "journal-seq")}

        def run() -> None:
            batch: list[bytes] = []
            for name in self._redis.scan_iter(match=self._key("*"), count=1000):
                if name not in kept:
                    batch.append(name)
                if len(batch) >= 1000:
                    self._redis.delete(*batch)
                    batch.clear()
            if batch:
                self._redis.delete(*batch)

        self._call("reset", run)

    def close(self) -> None:
        self._redis.close()

    # -- the bound on stored tasks -------------------------------------------------------------------
    def evict_oldest_finished(self, now: float, count: int) -> int:
        """Drop up to `count` finished tasks, the earliest finished first (one Lua script: atomic)."""
        script = self._redis.register_script(_EVICT_OLDEST)  # no round trip: it runs by its hash
        keys = [self._key("finish"), self._key("created")]
        args: list[str | int] = [repr(now), count, self._key("task", ""), self._key("owner", "")]
        return int(self._call("evict", lambda: script(keys=keys, args=args)))


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
        keys = [self._key("journal"), self._key("doc", "journal-seq"), self._key("journal-bytes"), *ledger_keys]
        texts = (json.dumps(as_dict(entry), ensure_ascii=False) for entry, _ in entries)
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
# The journal script's entries start one ARGV later here (ARGV[3] is the ledger's payload): if _JOURNAL changes,
# this must change with it, so it fails at import rather than silently.
assert "for i = 3, #ARGV do" in _JOURNAL, "the journal script changed: update _JOURNAL_LEDGER"
_LEDGER_ONLY = _LEDGER_PART.replace("LEDGER_BASE", "1").replace("LEDGER_ARG", "1") + "return 1\n"
_JOURNAL_LEDGER = (
    _LEDGER_PART.replace("LEDGER_BASE", "4").replace("LEDGER_ARG", "3")
    + _JOURNAL.replace("for i = 3, #ARGV do", "for i = 4, #ARGV do")
)


# KEYS: finish zset, created zset. ARGV: now, count, task key prefix, owner key prefix.
_EVICT_OLDEST = """
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
for _, id in ipairs(ids) do
  local value = redis.call('GET', ARGV[3] .. id)
  if value then
    redis.call('ZREM', ARGV[4] .. cjson.decode(value)[2], id)
    redis.call('DEL', ARGV[3] .. id)
  end
  redis.call('ZREM', KEYS[1], id)
  redis.call('ZREM', KEYS[2], id)
end
return #ids
"""
