"""The Redis Cluster store (`redis-cluster://HOST:PORT[,HOST:PORT...][?prefix=NAME]`): what managed Redis
offers by default (e.g. ElastiCache in cluster mode). Every script touches one slot; keys are placed so that
no slot is hot with the data:

- a task: `PREFIX/task:{ID}`: one slot per task id, so tasks spread evenly over the masters;
- an owner's index of task ids (scored by finish time): `PREFIX/owner:{HASH}`, HASH the token fingerprint's
  hash: one slot per token. The in-flight cap is checked and the id reserved there in one script;
- the cross-owner indexes (finish times for eviction, creation times for listing), the documents (control
  state, version, secret, counters, rate windows) and the journal: `PREFIX/{PREFIX}:...`, one slot per
  emulator. They are a few keys whatever the number of tasks; the cost is one small `ZADD` script per create
  on that slot's master (the task and owner writes go elsewhere) and that the journal and control state live
  on one master.

A create is three commands (owner slot: reserve; task slot: `SET NX`; index slot: the two `ZADD`s), a query
one `GET`; the control version every request checks comes from a client-side cache (`redis_wire`) kept by
the index slot's master. A lost step between the three leaves at most an id reserved in an owner's index
until its finish time passes, never a task that the cap did not count.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import unquote, urlsplit

import redis
from redis.cluster import ClusterNode, RedisCluster

from mockserver.state.redis_scripts import SCRIPTS
from mockserver.state.redis_store import EVICT_BATCH, RedisStore, _version
from mockserver.state.redis_wire import TrackedCache
from mockserver.state.store import VERSION_KEY
from mockserver.state.store_urls import DEFAULT_PREFIX, shown_url, split_userinfo
from mockserver.state.tasks import Task

SCHEME = "redis-cluster://"
_Node: Any = ClusterNode  # redis-py's cluster helpers are untyped
_Connection: Any = redis.Connection


def seed_nodes(url: str) -> tuple[list[tuple[str, int]], dict[str, str]]:
    """`redis-cluster://[USER:PASSWORD@]HOST:PORT[,HOST:PORT...]` -> seed (host, port)s and credentials."""
    if not url.startswith(SCHEME):
        raise ValueError(f"a Redis Cluster store starts with {SCHEME}")
    user, password, netloc = split_userinfo(urlsplit(url).netloc)
    credentials: dict[str, str] = {}
    if user:
        credentials["username"] = unquote(user)
    if password:
        credentials["password"] = unquote(password)
    nodes = []
    for part in netloc.split(","):
        host, _, port = part.strip().rpartition(":")
        if not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise ValueError(f"invalid Redis Cluster node {part[:80]!r} in {shown_url(url)[:200]!r}: "
                             "use HOST:PORT[,HOST:PORT...]")
        nodes.append((host.strip("[]"), int(port)))
    return nodes, credentials


def _tag(text: str) -> str:
    # Braces would end or start a hash tag early: never inside one.
    return text.replace("{", "(").replace("}", ")")


class RedisClusterStore(RedisStore):
    """The Redis store's layout spread over a cluster's slots (see the module docstring)."""

    kind = "redis-cluster"

    def __init__(self, url: str, prefix: str = DEFAULT_PREFIX) -> None:
        self._nodes, self._credentials = seed_nodes(url)
        super().__init__(url, prefix)

    def _client(self) -> Any:
        startup = [_Node(host, port) for host, port in self._nodes]
        client = RedisCluster(startup_nodes=startup, protocol=2, socket_timeout=10, socket_connect_timeout=5,
                              **self._credentials)  # type: ignore[arg-type]
        self._cache = self._tracker(client)
        return client

    def _tracker(self, client: Any) -> TrackedCache:
        """A client-side cache on the master that holds the index slot (the control version lives there)."""
        node = client.get_node_from_key(self._doc_key(VERSION_KEY))
        options = dict(host=node.host, port=node.port, protocol=2, socket_timeout=10, socket_connect_timeout=5,
                       **self._credentials)
        return TrackedCache(lambda: _Connection(**options), max_entries=16)

    def _register(self) -> None:
        names = ("journal", "journal_read", "journal_before", "reserve", "compare_and_set", "index")
        self._scripts = {name: self._redis.register_script(getattr(SCRIPTS, name)) for name in names}

    def _global(self, name: str) -> str:
        return f"{self.namespace}{{{self.prefix}}}:{name}"

    def _key(self, *parts: str) -> str:
        return self._global(":".join(parts))

    def _task_key(self, task_id: str) -> str:
        return f"{self.namespace}task:{{{_tag(task_id)}}}"

    def _owner_key(self, owner: str) -> str:
        return f"{self.namespace}owner:{{{_tag(owner.rpartition('~')[2])}}}"

    def _doc_key(self, key: str) -> str:
        return self._global("doc:" + key)

    # -- documents ---------------------------------------------------------------------------------
    def control_version(self) -> Any:
        name = self._doc_key(VERSION_KEY)
        try:
            return self._call("read", lambda: self._cache.get(name, _version))
        except redis.ResponseError:  # MOVED: the slot went to another master; follow it
            self._cache.close()
            self._redis.nodes_manager.initialize()
            self._cache = self._tracker(self._redis)
            return _version(self._call("read", lambda: self._redis.get(name)))

    def incr(self, key: str) -> int:
        name = self._doc_key(key)
        value = int(self._call("count", lambda: self._redis.incr(name)))
        if key == VERSION_KEY:
            # The fence (redis_wire): one more command to the same master, answered in a later pass.
            self._call("count", lambda: self._redis.exists(name))
            self._cache.forget(name)
        return value

    # -- tasks -------------------------------------------------------------------------------------
    def add_task(self, task: Task, max_in_flight: int | None, now: float) -> list[float] | None:
        owner_key, task_key = self._owner_key(task.owner), self._task_key(task.task_id)
        cap = -1 if max_in_flight is None else max_in_flight
        answer = self._call("insert", lambda: self._scripts["reserve"](
            keys=[owner_key], args=[task.task_id, repr(task.finished_at), cap, repr(now)]))
        if int(answer[0]) == -1:
            raise KeyError(task.task_id)
        if int(answer[0]) != 0:
            return [float(f) for f in answer[1:]]
        if not self._call("insert", lambda: self._redis.set(task_key, task.to_json(), nx=True)):
            self._call("insert", lambda: self._redis.zrem(owner_key, task.task_id))
            raise KeyError(task.task_id)
        self._counted = int(self._call("insert", lambda: self._scripts["index"](
            keys=[self._key("finish"), self._key("created")],
            args=[task.task_id, repr(task.finished_at), repr(task.created_at)])))
        return None

    def get_task(self, task_id: str) -> Task | None:
        raw = self._call("read", lambda: self._redis.get(self._task_key(task_id)))
        return None if raw is None else Task.from_json(raw)

    def swap_task(self, old: Task, new: Task) -> bool:
        done = bool(self._call("update", lambda: self._scripts["compare_and_set"](
            keys=[self._task_key(old.task_id)], args=[old.version, new.to_json()])))
        if done:
            finished = {old.task_id: new.finished_at}
            self._call("update", lambda: self._redis.zadd(self._owner_key(old.owner), finished))
            self._call("update", lambda: self._redis.zadd(self._key("finish"), finished))
        return done

    def evict(self, before: float, retention: float) -> int:
        return self._evict_before(before - retention, EVICT_BATCH)

    def evict_oldest_finished(self, now: float, count: int) -> int:
        """Drop up to `count` finished tasks, the earliest finished first (a pipeline per slot: not atomic,
        and two instances dropping the same task drop it once)."""
        return self._evict_before(now, count)

    def _evict_before(self, cutoff: float, count: int) -> int:
        finish, created = self._key("finish"), self._key("created")
        ids = [i.decode() for i in self._call("evict", lambda: self._redis.zrangebyscore(finish, "-inf", f"({cutoff!r}",
                                                                                          0, count))]
        if not ids:
            return 0
        raws = self._call("evict", lambda: self._get_many([self._task_key(i) for i in ids]))
        owners: dict[str, list[str]] = {}
        for task_id, raw in zip(ids, raws, strict=True):
            if raw is not None:
                owners.setdefault(Task.from_json(raw).owner, []).append(task_id)

        def drop() -> None:
            pipe = self._redis.pipeline(transaction=False)
            for task_id in ids:
                pipe.delete(self._task_key(task_id))
            for owner, owned in owners.items():
                pipe.zrem(self._owner_key(owner), *owned)
            pipe.zrem(finish, *ids)
            pipe.zrem(created, *ids)
            pipe.execute()

        self._call("evict", drop)
        return len(ids)

    def _get_many(self, keys: list[str]) -> list[Any]:
        pipe = self._redis.pipeline(transaction=False)
        for key in keys:
            pipe.get(key)
        return list(pipe.execute())

    # -- lifecycle ---------------------------------------------------------------------------------
    def _own_keys(self) -> Iterator[bytes]:
        yield from self._redis.scan_iter(match=self.namespace + "*", count=1000)

    def _fence(self) -> None:
        self._call("reset", lambda: self._redis.exists(self._doc_key(VERSION_KEY)))

    def _delete(self, names: list[bytes]) -> None:
        pipe = self._redis.pipeline(transaction=False)
        for name in names:
            pipe.delete(name)
        pipe.execute()

    def close(self) -> None:
        self._cache.close()
        self._redis.close()
