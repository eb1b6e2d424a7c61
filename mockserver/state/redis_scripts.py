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
return {0}
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
    # KEYS: finish zset, created zset. ARGV: cutoff, task key before the id, owner key before the owner,
    # owner key after the owner.
    evict = f"""
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', '(' .. ARGV[1], 'LIMIT', 0, 5000)
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
    # KEYS: journal zset, sequence counter, byte counter. ARGV: max entries, max bytes, entry JSON...
    journal = """
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
return 1
"""
    return Scripts(add, swap, evict, journal, reserve, compare_and_set, index)


SCRIPTS = scripts_for()
