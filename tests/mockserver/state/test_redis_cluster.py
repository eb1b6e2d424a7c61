"""The Redis Cluster store against real clusters: keys spread over three masters, no script or transaction
across slots, and a one-node cluster (which rejects cross-slot scripts too) running the emulator end to end.
The backend behaviour and multi-process tests run on the cluster through the store-kind fixtures. Every test
that starts a cluster is marked slow (CI runs them; the quick loop does not)."""

from __future__ import annotations

import uuid

import pytest
import redis

from mockserver import create_app
from mockserver.state.backend import Backend, BackendConfig
from mockserver.state.redis_cluster import RedisClusterStore, seed_nodes
from mockserver.state.stores import open_store
from mockserver.state.tasks import Task, fingerprint
from tests.conftest import cluster_url
from tests.mockserver.conftest import AUTH, CREATE, FAMILIES, FakeClock, get_path, std_body


def crossslot_errors(ports: list[int]) -> int:
    """CROSSSLOT errors every node has answered since it started (`INFO errorstats`)."""
    total = 0
    for port in ports:
        stats = redis.Redis(port=port).info("errorstats")
        total += int(stats.get("errorstat_CROSSSLOT", {}).get("count", 0))
    return total


def keys_per_master(ports: list[int], prefix: str) -> list[int]:
    """How many of the emulator's keys each master holds."""
    return [sum(1 for _ in redis.Redis(port=port).scan_iter(match=f"{prefix}/*", count=1000)) for port in ports]


def exercise(store_spec: str) -> None:
    """Every kind of store operation through the HTTP surface and the backend."""
    clock = FakeClock()
    app = create_app({"STORE": store_spec, "CLOCK": clock, "SEED": 3})
    http = app.test_client()
    ids = [http.post(CREATE, json=std_body(), headers=AUTH).get_json()["data"]["task_id"] for _ in range(5)]
    assert all(http.get(get_path(i), headers=AUTH).status_code == 200 for i in ids)
    assert http.post(f"/_mock/tasks/{ids[0]}/complete").status_code == 200
    assert http.post(f"/_mock/tasks/{ids[1]}/fail", json={"reason": "boom"}).status_code == 200
    assert http.post("/_mock/limits", json={"token": "sk_test", "max_in_flight": 3}).status_code == 200
    assert http.post(CREATE, json=std_body(), headers=AUTH).status_code == 429
    assert http.post("/_mock/faults", json={"kind": "503", "count": 1}).status_code == 200
    assert http.get(get_path(ids[2]), headers=AUTH).status_code == 503
    assert len(http.get("/_mock/journal?limit=100").get_json()["data"]["entries"]) >= 10
    assert http.get("/_mock/tasks?limit=3").status_code == 200
    assert http.get("/_mock/usage").status_code == 200
    clock.advance(10 * 86_400)
    backend: Backend = app.extensions["seedance_mock"].backend
    assert backend.store.evict(backend.now(), backend.config.retention_seconds) == 5
    assert http.post("/_mock/reset").status_code == 200
    assert http.get(get_path(ids[4]), headers=AUTH).status_code == 404
    backend.close()


def test_seed_nodes_are_parsed_and_bad_ones_refused() -> None:
    assert seed_nodes("redis-cluster://a:1,b:2?prefix=x") == ([("a", 1), ("b", 2)], {})
    assert seed_nodes("redis-cluster://u:p%40ss@a:1") == ([("a", 1)], {"username": "u", "password": "p@ss"})
    for bad in ("redis-cluster://a", "redis-cluster://a:x", "redis-cluster://a:1,:2", "redis-cluster://a:70000"):
        with pytest.raises(ValueError, match="invalid Redis Cluster node"):
            seed_nodes(bad)


@pytest.mark.slow
def test_keys_of_one_task_owner_and_emulator_hash_to_deliberate_slots(redis_cluster: list[int]) -> None:
    store = RedisClusterStore(cluster_url(redis_cluster, "place"), "place")
    slot = store._redis.keyslot
    owner = fingerprint("sk_alpha")
    # Task keys spread by id; an owner's keys share the owner's slot; indexes, documents and journal share one.
    assert len({slot(store._task_key(f"vid_{i}")) for i in range(50)}) > 40
    assert slot(store._owner_key(owner)) == slot("{" + owner.rpartition("~")[2] + "}")
    shared = {slot(store._key("finish")), slot(store._key("created")), slot(store._doc_key("version")),
              slot(store._doc_key("control")), slot(store._doc_key("journal-seq")), slot(store._key("journal"))}
    assert len(shared) == 1
    store.close()


@pytest.mark.slow
def test_ten_thousand_tasks_over_a_hundred_tokens_spread_over_three_masters(redis_cluster: list[int]) -> None:
    prefix = f"spread{uuid.uuid4().hex[:8]}"
    store = open_store(cluster_url(redis_cluster, prefix))
    owners = [fingerprint(f"sk_token{i}") for i in range(100)]
    for i in range(10_000):
        task = Task(f"vid_{uuid.uuid4().hex[:24]}", owners[i % 100], "seedance2.0-std", 0.0, 1.0, 2.0e9,
                    "completed", 1280, 720, 5)
        assert store.add_task(task, None, 0.0) is None
    counts = keys_per_master(redis_cluster, prefix)
    assert sum(counts) == 10_000 + 100 + 2  # tasks, owner indexes, the two cross-owner indexes
    assert max(counts) <= 0.4 * sum(counts), counts
    assert store.count_tasks() == 10_000
    store.clear(keep=())
    assert keys_per_master(redis_cluster, prefix) == [0, 0, 0]
    store.close()


@pytest.mark.slow
def test_the_emulator_on_three_masters_never_crosses_slots(redis_cluster: list[int]) -> None:
    exercise(cluster_url(redis_cluster, f"x{uuid.uuid4().hex[:8]}"))
    assert crossslot_errors(redis_cluster) == 0


@pytest.mark.slow
def test_the_emulator_on_a_one_node_cluster_never_crosses_slots(redis_single_cluster: int) -> None:
    exercise(f"redis-cluster://127.0.0.1:{redis_single_cluster}?prefix=one")
    assert crossslot_errors([redis_single_cluster]) == 0


@pytest.mark.slow
def test_two_backends_on_the_cluster_see_each_others_control_changes(redis_cluster: list[int]) -> None:
    spec = cluster_url(redis_cluster, f"v{uuid.uuid4().hex[:8]}")
    clock = FakeClock()
    first, second = (Backend(BackendConfig(seed=1), FAMILIES, open_store(spec), clock=clock) for _ in range(2))
    first.sync()
    second.sync()
    second.set_speed(50.0)
    first.sync()
    assert first.speed() == 50.0
    first.close()
    second.close()
