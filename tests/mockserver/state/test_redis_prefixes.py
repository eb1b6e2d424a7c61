"""Prefixes on one Redis are separate emulators: `a` and `a:b` never touch each other's keys, and prefixes
that could match other keys (glob characters) or end early (the separator, braces) are refused."""

from __future__ import annotations

import uuid

import pytest
import redis

from mockserver import create_app
from mockserver.state.stores import open_store
from tests.mockserver.conftest import AUTH, CREATE, get_path, std_body


@pytest.mark.parametrize("prefix", ["*", "a*", "a?", "[ab]", "a/b", "a\\b", "{a}", "", "a b", "é", "x" * 65])
def test_prefixes_that_could_reach_other_keys_are_refused(redis_server: str, prefix: str) -> None:
    with pytest.raises(ValueError, match="invalid Redis key prefix"):
        open_store(f"{redis_server}?prefix={prefix}")


def test_a_reset_of_prefix_a_keeps_every_task_of_prefix_a_colon_b(redis_server: str) -> None:
    base = f"p{uuid.uuid4().hex[:8]}"
    apps = [create_app({"STORE": f"{redis_server}?prefix={name}"}) for name in (base, f"{base}:b")]
    for app in apps:
        app.extensions["seedance_mock"].backend.secret()  # the URL-signing secret, made on first use
    outer, inner = (app.test_client() for app in apps)
    made = {name: [http.post(CREATE, json=std_body(), headers=AUTH).get_json()["data"]["task_id"] for _ in range(100)]
            for name, http in (("outer", outer), ("inner", inner))}
    secret_key = f"{base}:b/doc:secret"
    raw = redis.Redis.from_url(redis_server)
    inner_keys_before = set(raw.scan_iter(match=f"{base}:b/*"))
    assert raw.exists(secret_key) and inner_keys_before
    assert outer.post("/_mock/reset").status_code == 200
    assert all(outer.get(get_path(i), headers=AUTH).status_code == 404 for i in made["outer"])
    assert all(inner.get(get_path(i), headers=AUTH).status_code == 200 for i in made["inner"])
    assert set(raw.scan_iter(match=f"{base}:b/*")) >= inner_keys_before  # secret and all
    # And the other way round.
    assert inner.post("/_mock/reset").status_code == 200
    assert all(inner.get(get_path(i), headers=AUTH).status_code == 404 for i in made["inner"])
    assert {k.decode() for k in raw.scan_iter(match=f"{base}/*")} >= {f"{base}/doc:secret", f"{base}/doc:version"}
