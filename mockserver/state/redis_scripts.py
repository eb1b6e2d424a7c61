"""The Lua scripts of the Redis stores. A task is stored as the JSON array of `Task.to_row()`; the scripts
find its owner and version by the positions of those names in the task's field list (`FIELDS`), never by
a hand-written number, so reordering the fields of `Task` moves the scripts along with the rows."""

from __future__ import annotations

from dataclasses import dataclass

from mockserver.state.tasks import FIELDS


@dataclass(frozen=True)
class Scripts:
    """Every script's source for one field order."""

    add: str
    swap: str
    evict: str
    journal: str
    journal_read: str
    journal_before: str
    reserve: str
    compare_and_set: str
    index: str


def lua_field(fields: tuple[str, ...], name: str) -> int:
    """The 1-based position of `name` in a task row (Lua arrays start at 1)."""
    return fields.index(name) + 1


def scripts_for(fields: tuple[str, ...] = FIELDS) -> Scripts:
    """The scripts for tasks whose rows list `fields` in this order."""
    version, owner = lua_field(fields, "version"), lua_field(fields, "owner")
    # KEYS: task, owner zset, finish zset, created zset. ARGV: id, value, finished_at, created_at, cap, now.
    # Answers {-1} (id taken), {1, finish times in flight...} (owner at its cap) or {0, tasks stored}: the
    # count comes free with the insert, so the task bound needs no ZCARD of its own.
    add = """
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
return {0, redis.call('ZCARD', KEYS[3])}
"""
    # KEYS: task, owner zset, finish zset. ARGV: id, expected version, new value, new finished_at.
    swap = f"""
local current = redis.call('GET', KEYS[1])
if not current then return 0 end
if tonumber(cjson.decode(current)[{version}]) ~= tonumber(ARGV[2]) then return 0 end
redis.call('SET', KEYS[1], ARGV[3])
redis.call('ZADD', KEYS[2], ARGV[4], ARGV[1])
redis.call('ZADD', KEYS[3], ARGV[4], ARGV[1])
return 1
"""
    # KEYS: finish zset, created zset. ARGV: cutoff (tasks finished before it go), task key before the id,
    # owner key before the owner, owner key after the owner, how many at most.
    evict = f"""
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', '(' .. ARGV[1], 'LIMIT', 0, tonumber(ARGV[5]))
for _, id in ipairs(ids) do
  local value = redis.call('GET', ARGV[2] .. id)
  if value then
    redis.call('ZREM', ARGV[3] .. cjson.decode(value)[{owner}] .. ARGV[4], id)
    redis.call('DEL', ARGV[2] .. id)
  end
  redis.call('ZREM', KEYS[1], id)
  redis.call('ZREM', KEYS[2], id)
end
return #ids
"""
    # KEYS: journal list, sequence counter, byte counter. ARGV: max entries, max bytes, entry JSON...
    # A list of "seq|json" members: sequence numbers are consecutive from its head, so a reader finds a
    # cursor by index; one INCRBY numbers the whole batch, RPUSH appends it, one LTRIM drops the oldest.
    journal = """
local n = #ARGV - 2
if n <= 0 then return redis.call('LLEN', KEYS[1]) end
local first = redis.call('INCRBY', KEYS[2], n) - n + 1
local added = 0
local chunk = {}
for i = 1, n do
  local member = (first + i - 1) .. '|' .. ARGV[i + 2]
  added = added + string.len(member)
  chunk[#chunk + 1] = member
  if #chunk == 500 or i == n then
    redis.call('RPUSH', KEYS[1], unpack(chunk))
    chunk = {}
  end
end
local bytes = redis.call('INCRBY', KEYS[3], added)
local count = redis.call('LLEN', KEYS[1])
local drop, freed = 0, 0
if count > tonumber(ARGV[1]) then
  drop = count - tonumber(ARGV[1])
  for _, member in ipairs(redis.call('LRANGE', KEYS[1], 0, drop - 1)) do freed = freed + string.len(member) end
end
while drop < count and bytes - freed > tonumber(ARGV[2]) do
  freed = freed + string.len(redis.call('LINDEX', KEYS[1], drop))
  drop = drop + 1
end
if drop > 0 then
  redis.call('LTRIM', KEYS[1], drop, -1)
  redis.call('DECRBY', KEYS[3], freed)
end
return count - drop
"""
    # KEYS: journal list. ARGV: after (a sequence number), limit. The entries after the cursor, oldest first.
    journal_read = """
local head = redis.call('LINDEX', KEYS[1], 0)
if not head then return {} end
local first = tonumber(string.match(head, '^(%d+)|'))
local start = tonumber(ARGV[1]) - first + 1
if start < 0 then start = 0 end
return redis.call('LRANGE', KEYS[1], start, start + tonumber(ARGV[2]) - 1)
"""
    # KEYS: journal list. ARGV: before (a sequence number; 0: none), limit. The newest `limit` entries before
    # the cursor, oldest first.
    journal_before = """
local head = redis.call('LINDEX', KEYS[1], 0)
if not head then return {} end
local first = tonumber(string.match(head, '^(%d+)|'))
local stop = redis.call('LLEN', KEYS[1]) - 1
if tonumber(ARGV[1]) > 0 then stop = math.min(stop, tonumber(ARGV[1]) - first - 1) end
if stop < 0 then return {} end
local start = math.max(0, stop - tonumber(ARGV[2]) + 1)
return redis.call('LRANGE', KEYS[1], start, stop)
"""
    # Cluster, owner slot. KEYS: owner zset. ARGV: id, finished_at, cap, now. The in-flight check and the
    # reservation of the id in the owner's index are one step, so the cap holds across instances.
    reserve = """
if redis.call('ZSCORE', KEYS[1], ARGV[1]) then return {-1} end
local cap = tonumber(ARGV[3])
if cap >= 0 then
  local inflight = redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. ARGV[4], '+inf', 'WITHSCORES')
  if #inflight / 2 >= cap then
    local finishes = {1}
    for i = 2, #inflight, 2 do finishes[#finishes + 1] = inflight[i] end
    return finishes
  end
end
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
return {0}
"""
    # Cluster, task slot. KEYS: task. ARGV: expected version, new value.
    compare_and_set = f"""
local current = redis.call('GET', KEYS[1])
if not current then return 0 end
if tonumber(cjson.decode(current)[{version}]) ~= tonumber(ARGV[1]) then return 0 end
redis.call('SET', KEYS[1], ARGV[2])
return 1
"""
    # Cluster, index slot. KEYS: finish zset, created zset. ARGV: id, finished_at, created_at.
    index = """
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[1])
return redis.call('ZCARD', KEYS[1])
"""
    return Scripts(add, swap, evict, journal, journal_read, journal_before, reserve, compare_and_set, index)


SCRIPTS = scripts_for()
