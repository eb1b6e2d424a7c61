"""The Redis hot path's shortcuts keep their promises: cache hits without the lock stay exact under many
threads, the GIL-keeping peek and send behave like the calls they replace, and the kernel's timeouts still
end a call to a server that stopped answering."""

from __future__ import annotations

import socket
import threading
import time
import uuid

import pytest
import redis

from mockserver.state import redis_wire
from mockserver.state.redis_store import RedisStore
from mockserver.state.redis_wire import Wire, kernel_timeout
from mockserver.state.store import VERSION_KEY


def test_every_read_that_starts_after_an_acknowledged_change_sees_it(redis_server: str) -> None:
    # Eight readers share one cache (the lock-free hit path) while another instance keeps moving the version.
    # Whatever a reader reads must be at least what the writer had acknowledged before that read began.
    prefix = f"w{uuid.uuid4().hex[:8]}"
    reader, writer = RedisStore(redis_server, prefix), RedisStore(redis_server, prefix)
    acknowledged = [writer.incr(VERSION_KEY)]
    stop = threading.Event()
    stale: list[tuple[int, int]] = []

    def read() -> None:
        while not stop.is_set():
            floor = acknowledged[-1]
            seen = reader.control_version()
            if seen < floor:
                stale.append((seen, floor))

    threads = [threading.Thread(target=read) for _ in range(8)]
    for thread in threads:
        thread.start()
    for _ in range(400):
        acknowledged.append(writer.incr(VERSION_KEY))
    stop.set()
    for thread in threads:
        thread.join()
    assert stale == []
    assert reader._cache.hits > 0  # the readers did use the cache
    reader.close()
    writer.close()


def test_a_read_while_another_thread_applies_invalidations_takes_the_locked_path(redis_server: str) -> None:
    prefix = f"d{uuid.uuid4().hex[:8]}"
    store, other = RedisStore(redis_server, prefix), RedisStore(redis_server, prefix)
    first = store.control_version()
    cache = store._cache
    cache._draining = True  # as if a thread had read the socket and not yet applied what it read
    moved = other.incr(VERSION_KEY)
    cache._draining = False
    assert store.control_version() == moved != first
    store.close()
    other.close()


@pytest.mark.skipif(redis_wire._PEEK is None, reason="the GIL-keeping calls exist on Linux only")
def test_the_peek_tells_waiting_bytes_and_a_closed_peer_from_silence() -> None:
    left, right = socket.socketpair()
    left.setblocking(False)
    peek, buffer, flags = redis_wire._PEEK, redis_wire._PEEK_BUFFER, redis_wire._PEEK_FLAGS
    assert peek is not None
    assert peek(left.fileno(), buffer, 1, flags) == -1  # nothing: would block
    right.send(b"x")
    assert peek(left.fileno(), buffer, 1, flags) == 1
    assert left.recv(1) == b"x"  # a peek leaves the byte where it was
    right.close()
    assert peek(left.fileno(), buffer, 1, flags) == 0  # closed: "waiting" too
    left.close()


def test_a_kernel_timeout_leaves_a_blocking_socket_that_still_times_out() -> None:
    # A server that accepts and never answers: the read must end after the timeout, with an OSError.
    listener = socket.create_server(("127.0.0.1", 0))
    sock = socket.create_connection(listener.getsockname(), timeout=2)
    assert kernel_timeout(sock, 0.3)
    assert sock.gettimeout() is None  # no poll before each call
    started = time.monotonic()
    with pytest.raises(OSError):
        sock.recv(10)
    assert 0.2 < time.monotonic() - started < 5
    sock.close()
    listener.close()


def test_wire_connections_get_the_kernel_timeout(redis_server: str) -> None:
    client = redis.Redis.from_url(redis_server, socket_timeout=7)
    pool = client.connection_pool
    wire = Wire(lambda: pool.connection_class(**pool.connection_kwargs))
    assert wire.call("PING") in (b"PONG", True)
    sock = wire._local.conn._sock
    assert sock.gettimeout() is None
    assert sock.getsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, 16)[:8] != bytes(8)
    wire.close()


def test_a_long_command_goes_through_redis_py_and_arrives_whole(redis_server: str) -> None:
    client = redis.Redis.from_url(redis_server)
    pool = client.connection_pool
    wire = Wire(lambda: pool.connection_class(**pool.connection_kwargs))
    key = f"long{uuid.uuid4().hex[:8]}"
    value = "v" * 100_000  # past the one-send size
    assert wire.call("SET", key, value) == b"OK"
    assert wire.call("GET", key) == value.encode()
    assert wire.call("DEL", key) == 1
    wire.close()
