"""The Lua scripts find a task's version and owner from the task's field list: reorder the fields and the
scripts move with them (compare-and-swap and eviction keep working), against a real Redis."""

from __future__ import annotations

import json
import re
import uuid

import redis

from mockserver.state.redis_scripts import SCRIPTS, lua_field, scripts_for
from mockserver.state.tasks import FIELDS


def test_the_positions_in_the_scripts_name_version_and_owner() -> None:
    used = {int(n) for n in re.findall(r"cjson\.decode\(current\)\[(\d+)\]", SCRIPTS.swap + SCRIPTS.compare_and_set)}
    assert used == {lua_field(FIELDS, "version")} and FIELDS[lua_field(FIELDS, "version") - 1] == "version"
    (owner,) = {int(n) for n in re.findall(r"cjson\.decode\(value\)\[(\d+)\]", SCRIPTS.evict)}
    assert FIELDS[owner - 1] == "owner"


def test_reordered_fields_keep_compare_and_swap_and_eviction_right(redis_server: str) -> None:
    fields = tuple(reversed(FIELDS))  # as if somebody reordered Task's fields
    scripts = scripts_for(fields)
    r = redis.Redis.from_url(redis_server)
    p = f"order{uuid.uuid4().hex[:8]}/"

    def row(**values: object) -> str:
        base = {name: 0 for name in fields} | {"task_id": "vid_1", "owner": "alice", "version": 0}
        return json.dumps([(base | values)[name] for name in fields])

    r.set(p + "task:vid_1", row(version=4, width=7))
    swap = r.register_script(scripts.swap)
    keys = [p + "task:vid_1", p + "owner:alice", p + "finish"]
    # The wrong version (even one equal to another field of the row) loses; the stored version wins.
    assert swap(keys=keys, args=["vid_1", 7, row(version=8), 5.0]) == 0
    assert swap(keys=keys, args=["vid_1", 4, row(version=5), 5.0]) == 1
    assert json.loads(r.get(p + "task:vid_1"))[fields.index("version")] == 5
    cas = r.register_script(scripts.compare_and_set)
    assert cas(keys=[p + "task:vid_1"], args=[4, row(version=6)]) == 0
    assert cas(keys=[p + "task:vid_1"], args=[5, row(version=6)]) == 1
    # Eviction finds the owner's index through the owner's position.
    r.zadd(p + "owner:alice", {"vid_1": 5.0})
    r.zadd(p + "created", {"vid_1": 0.0})
    evict = r.register_script(scripts.evict)
    assert evict(keys=[p + "finish", p + "created"], args=[10.0, p + "task:", p + "owner:", "", 100]) == 1
    assert not r.exists(p + "task:vid_1", p + "owner:alice", p + "finish", p + "created")
