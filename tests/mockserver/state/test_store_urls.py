"""Redis store addresses: a unix socket with its database and prefix, options we would not honour refused, and
a password never shown (not in a start-up error, not in the 503 an API caller reads)."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest
import redis

from mockserver import create_app
from mockserver.state.errors import StoreError
from mockserver.state.store_urls import connection_url, shown_url, url_options
from mockserver.state.stores import open_store
from tests.conftest import free_port, start_redis, stop_all
from tests.mockserver.conftest import AUTH, CREATE, assert_envelope, get_path, std_body


def test_a_unix_socket_store_uses_its_database_and_prefix_and_is_shared() -> None:
    workdir = Path(tempfile.mkdtemp(prefix="rs", dir="/tmp"))  # a socket's path must stay under 108 bytes
    sock = workdir / "redis.sock"
    process, _ = start_redis(workdir, "--unixsocket", str(sock), "--unixsocketperm", "700")
    try:
        apps = [create_app({"STORE": f"unix://{sock}?db=2&prefix=team"}) for _ in range(2)]
        first, second = (app.test_client() for app in apps)
        task_id = first.post(CREATE, json=std_body(), headers=AUTH).get_json()["data"]["task_id"]
        assert second.get(get_path(task_id), headers=AUTH).get_json()["data"]["task_id"] == task_id
        assert redis.Redis(unix_socket_path=str(sock), db=2).exists(f"team/task:{task_id}")
        assert redis.Redis(unix_socket_path=str(sock), db=0).dbsize() == 0
        for app in apps:
            app.extensions["seedance_mock"].backend.close()
    finally:
        stop_all([process])
        shutil.rmtree(workdir, ignore_errors=True)


@pytest.mark.parametrize(("url", "message"), [
    ("redis://127.0.0.1:1/0?prefx=a", "unknown store option 'prefx'"),
    ("redis://127.0.0.1:1/0?db=1", r"name the database in the path"),
    ("redis://127.0.0.1:1/0?socket_timeout=0", "unknown store option 'socket_timeout'"),
    ("redis://127.0.0.1:1/0?prefix=a&prefix=b", "given twice"),
    ("unix:///tmp/x.sock?db=one", "must be a database number"),
    ("unix:///tmp/x.sock?db=1&db=2", "given twice"),
    ("redis-cluster://127.0.0.1:1?db=1", "unknown store option 'db'"),
])
def test_options_a_redis_store_would_not_honour_are_refused(url: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        open_store(url)


def test_the_connection_url_keeps_only_what_redis_py_needs() -> None:
    assert connection_url("redis://h:1/3?prefix=a") == "redis://h:1/3"
    assert connection_url("unix:///run/r.sock?prefix=a&db=4") == "unix:///run/r.sock?db=4"
    assert connection_url("unix:///run/r.sock") == "unix:///run/r.sock"
    assert url_options("rediss://u:p@h:1/0?prefix=team:ci") == {"prefix": "team:ci"}


def test_a_password_is_never_shown() -> None:
    assert shown_url("redis://:s3cret@h:1/0?prefix=a") == "redis://:***@h:1/0?prefix=a"
    assert shown_url("rediss://user:s3cret@h:1/0") == "rediss://user:***@h:1/0"
    assert shown_url("redis-cluster://user:s3cret@a:1,b:2") == "redis-cluster://user:***@a:1,b:2"
    assert shown_url("redis://user@h:1/0") == "redis://user@h:1/0"  # a user name alone is not a secret
    with pytest.raises(StoreError) as unreachable:
        open_store(f"redis://:s3cret@127.0.0.1:{free_port()}/0")
    assert "s3cret" not in str(unreachable.value) and ":***@" in str(unreachable.value)
    with pytest.raises(ValueError) as bad_node:
        open_store("redis-cluster://:s3cret@127.0.0.1:1,nohost")
    assert "s3cret" not in str(bad_node.value)


def test_the_503_of_a_redis_that_went_away_does_not_show_its_password(tmp_path: Path) -> None:
    process, port = start_redis(tmp_path, "--requirepass", "s3cret")
    app = create_app({"STORE": f"redis://:s3cret@127.0.0.1:{port}/0"})
    http = app.test_client()
    task_id = http.post(CREATE, json=std_body(), headers=AUTH).get_json()["data"]["task_id"]
    stop_all([process])
    try:
        answer = http.get(get_path(task_id), headers=AUTH)
        created = http.post(CREATE, json=std_body(), headers=AUTH)
        assert_envelope(created, 503, "STORE_UNAVAILABLE")  # a create always reaches the store
        for seen in (answer, created):
            assert b"s3cret" not in seen.data
        assert ":***@127.0.0.1" in created.get_json()["msg"]
    finally:
        app.extensions["seedance_mock"].backend.close()
