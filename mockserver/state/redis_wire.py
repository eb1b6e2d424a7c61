"""The Redis stores' hot path: one RESP command per call on a connection of the calling thread, and a
client-side cache of a few hot keys kept true by Redis' own invalidation messages (`CLIENT TRACKING`).

Why not redis-py's client for every call: its pool, retry and observability layers cost ~25 us of CPU per
command against ~5 us for packing the command here and sending it on a redis-py `Connection` (which still
does the connecting, AUTH, SELECT, TLS and hiredis parsing). And why our own tracking: redis-py's built-in
client-side cache needs Redis 7.4, Debian ships 7.0; `CLIENT TRACKING ... REDIRECT` works since Redis 6.

How the cache stays true: every cached key is read on one tracking connection whose invalidation messages
Redis redirects to a subscriber connection of ours. Before any cached value is used, the subscriber's socket
is checked: a hit is served without the lock only when no byte waits there (a peek that keeps the GIL) and no
thread is applying what it read; otherwise the socket is drained without blocking, under the lock of the
reads. Redis writes the invalidations of a command
to the subscribers' sockets in the same pass of its event loop as the command's answer (just after it), so a
writer that changes a cached key sends one more command (`fence`) and waits for its answer: by then every
subscriber's message has left Redis, and a request that starts after the change was acknowledged finds it
waiting. A lost subscriber (or server) empties the cache and starts over. Absent tasks are not cached.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import select
import socket
import ssl
import struct
import sys
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, TypeVar

import hiredis
import redis
from redis.exceptions import NoScriptError

T = TypeVar("T")


def _gil_keeping_call(name: str) -> Any:
    # Why not select.poll or socket.recv: both release the GIL, and under eight busy threads getting it back
    # costs a wait of up to the switch interval (py-spy: half of a query's samples). recv(2) through
    # ctypes.PyDLL keeps the GIL: about 1 us, no wait.
    try:
        call = getattr(ctypes.PyDLL(None), name)
    except (OSError, AttributeError):
        return None
    call.argtypes = (ctypes.c_int, ctypes.c_char_p, ctypes.c_size_t, ctypes.c_int)
    call.restype = ctypes.c_ssize_t
    return call


_PEEK = _gil_keeping_call("recv") if sys.platform == "linux" else None
_SEND = _gil_keeping_call("send") if sys.platform == "linux" else None
_SEND_FLAGS = getattr(socket, "MSG_DONTWAIT", 0) | getattr(socket, "MSG_NOSIGNAL", 0)
_PEEK_BUFFER = ctypes.create_string_buffer(1)  # never read: a peek only checks that a byte is there
_PEEK_FLAGS = socket.MSG_PEEK | getattr(socket, "MSG_DONTWAIT", 0)
Connection = Any  # a redis-py connection (its methods are untyped)
MakeConnection = Callable[[], Connection]
_INVALIDATE = b"__redis__:invalidate"
_MISSING = object()


def pack(*args: bytes | str | int | float) -> bytes:
    """One RESP command (what redis-py's `pack_command` makes, without its encoder layers)."""
    out = [b"*%d\r\n" % len(args)]
    append = out.append
    for arg in args:
        if isinstance(arg, bytes):
            data = arg
        else:
            text = arg if isinstance(arg, str) else str(arg)
            try:
                data = text.encode()
            except UnicodeEncodeError:  # a lone surrogate from a caller's id: kept, as redis-py would
                data = text.encode("utf-8", "surrogatepass")
        append(b"$%d\r\n" % len(data))
        append(data)
        append(b"\r\n")
    return b"".join(out)


def send(conn: Connection, packed: bytes) -> None:
    """Send a command: a short one in one send(2) that keeps the GIL (it fits the socket buffer, so it never
    waits), anything else through redis-py."""
    sock = conn._sock
    if _SEND is not None and sock is not None and len(packed) <= 16384 and not isinstance(sock, ssl.SSLSocket):
        if _SEND(sock.fileno(), packed, len(packed), _SEND_FLAGS) == len(packed):
            return
        raise redis.ConnectionError("a command could not be sent whole")  # caller reconnects (nothing was read)
    conn.send_packed_command([packed], check_health=False)


def kernel_timeouts(conn: Connection) -> None:
    """Connect `conn` and move its socket timeout into the kernel (`kernel_timeout`)."""
    conn.connect()
    if conn.socket_timeout:
        kernel_timeout(conn._sock, float(conn.socket_timeout))


def kernel_timeout(sock: socket.socket, timeout: float) -> bool:
    """Make `sock` blocking with SO_RCVTIMEO / SO_SNDTIMEO of `timeout` seconds (False: left as it was).

    Why: a Python socket with a timeout polls before every send and every receive, and each of those calls
    gives up the GIL; under eight busy threads each costs a wait to get it back. A blocking socket whose
    kernel gives up after the same timeout makes one call per direction; a timeout still ends the call (an
    OSError, handled as a broken connection). TLS sockets keep Python's timeout."""
    if isinstance(sock, ssl.SSLSocket) or timeout <= 0 or not hasattr(socket, "SO_RCVTIMEO"):
        return False
    seconds = int(timeout)
    value = struct.pack("ll", seconds, int((timeout - seconds) * 1_000_000))
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, value)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO, value)
    sock.settimeout(None)
    return True


class Wire:
    """Commands on a connection of the calling thread (made on first use, again after a fork or a failure)."""

    def __init__(self, make_connection: MakeConnection) -> None:
        self._make = make_connection
        self._local = threading.local()
        self._scripts: dict[str, str] = {}  # sha -> source, to load it after NOSCRIPT
        self._made: list[Connection] = []  # every thread's, to close them all
        self._made_lock = threading.Lock()

    def _connection(self) -> Connection:
        conn: Connection | None = getattr(self._local, "conn", None)
        if conn is None or self._local.pid != os.getpid():
            conn = self._make()
            kernel_timeouts(conn)
            self._local.conn, self._local.pid = conn, os.getpid()
            with self._made_lock:
                self._made.append(conn)
        return conn

    def call(self, *args: bytes | str | int | float, retry: bool = True) -> Any:
        """Send one command and return its answer (redis.ResponseError for an error answer). A broken
        connection is replaced and the command sent once more when `retry` (reads, idempotent writes)."""
        packed = pack(*args)
        conn = self._connection()
        try:
            send(conn, packed)
            return conn.read_response()
        except (redis.ConnectionError, redis.TimeoutError, OSError):
            conn.disconnect()
            if not retry:
                raise
        kernel_timeouts(conn)
        send(conn, packed)
        return conn.read_response()

    def fence(self) -> None:
        """Return once Redis has sent the invalidations of this thread's previous commands (see the module
        docstring): a PING is answered in a later pass of Redis' event loop than the command before it."""
        self.call("PING")

    def script(self, sha: str, source: str) -> None:
        """Remember a script's source so that `evalsha` can load it when the server does not know it."""
        self._scripts[sha] = source

    def evalsha(self, sha: str, keys: list[str], args: list[bytes | str | int | float], retry: bool = True) -> Any:
        """Run a registered script (loaded first if the server has forgotten it); with `retry`, the script
        must give the same answer when run twice (the one retry on a broken connection)."""
        try:
            return self.call("EVALSHA", sha, len(keys), *keys, *args, retry=retry)
        except NoScriptError:
            pass
        self.call("SCRIPT", "LOAD", self._scripts[sha])
        return self.call("EVALSHA", sha, len(keys), *keys, *args, retry=retry)

    def close(self) -> None:
        """Close every thread's connection (a thread that calls again gets a new one)."""
        with self._made_lock:
            made, self._made = self._made, []
        for conn in made:
            conn.disconnect()
        self._local = threading.local()


class Listener:
    """A connection subscribed to Redis' invalidation channel, read without ever blocking. redis-py connects
    it (AUTH, TLS); the messages are read from its socket here, as redis-py's reader keeps pub/sub replies
    for its own PubSub object."""

    def __init__(self, make_connection: MakeConnection) -> None:
        conn = make_connection()
        conn.send_packed_command([pack("CLIENT", "ID")])
        self.client_id = int(conn.read_response())
        sock: socket.socket = conn._sock  # connected by redis-py
        self._conn, self._sock, self._reader = conn, sock, hiredis.Reader()
        sock.sendall(pack("SUBSCRIBE", _INVALIDATE))
        while self._reader.gets() is False:  # the subscription's confirmation, within the socket timeout
            self._feed(sock.recv(65536))
        sock.setblocking(False)
        self._fd = sock.fileno()

    def waiting(self) -> bool:
        """Whether bytes wait on the socket (or it closed): a peek that never blocks, safe from any thread."""
        if _PEEK is not None:
            return bool(_PEEK(self._fd, _PEEK_BUFFER, 1, _PEEK_FLAGS) != -1)
        poller = select.poll()  # one per call: a poll object refuses two threads at once
        poller.register(self._fd, select.POLLIN)
        return bool(poller.poll(0))

    def _feed(self, data: bytes) -> None:
        if not data:
            raise redis.ConnectionError("the invalidation connection was closed")
        self._reader.feed(data)

    def messages(self) -> list[Any]:
        """Every message waiting now (none: an empty list)."""
        found = []
        while True:
            message = self._reader.gets()
            if message is not False:
                found.append(message)
                continue
            try:
                self._feed(self._sock.recv(65536))
            except (BlockingIOError, ssl.SSLWantReadError):
                return found

    def close(self) -> None:
        """Close the connection."""
        self._conn.disconnect()


class TrackedCache:
    """Values of hot keys (the control version, tasks) kept in process, dropped as soon as Redis says the
    key changed; at most `max_entries` values (least recently used go first)."""

    def __init__(self, make_connection: MakeConnection, max_entries: int = 4096) -> None:
        self._make = make_connection
        self._max = max_entries
        self._lock = threading.Lock()
        self._values: OrderedDict[str, Any] = OrderedDict()
        self._reader: Connection | None = None
        self._listener: Listener | None = None
        self._pid = 0
        self.tracking = True  # False when the server refuses CLIENT TRACKING (Redis < 6, some managed ones)
        self._draining = False  # True while a thread applies what it read from the subscriber's socket
        self.hits = 0
        self.misses = 0

    def _open(self) -> None:
        # The subscriber first: the reader redirects its invalidations to the subscriber's client id.
        self._close_connections()
        reader = self._make()
        if self.tracking:
            listener = Listener(self._make)
            reader.send_packed_command([pack("CLIENT", "TRACKING", "ON", "REDIRECT", listener.client_id)])
            try:
                reader.read_response()
            except redis.ResponseError:  # no tracking here: every read goes to the server, nothing is cached
                listener.close()
                self.tracking = False
            else:
                self._listener = listener
        self._reader, self._pid = reader, os.getpid()

    def _close_connections(self) -> None:
        self._values.clear()
        if self._listener is not None:
            self._listener.close()
        if self._reader is not None:
            self._reader.disconnect()
        self._listener = self._reader = None

    def _drain(self) -> None:
        """Apply every invalidation waiting on the subscriber's socket (never blocks)."""
        assert self._listener is not None
        self._draining = True
        try:
            messages = self._listener.messages()
            self._apply(messages)
        finally:
            self._draining = False

    def _apply(self, messages: list[Any]) -> None:
        for message in messages:
            if not isinstance(message, list) or len(message) < 3 or message[1] != _INVALIDATE:
                continue
            keys = message[2]
            if keys is None:  # FLUSHDB / FLUSHALL, or the server dropped its tracking table
                self._values.clear()
                continue
            for key in keys:
                self._values.pop(key.decode("utf-8", "surrogateescape") if isinstance(key, bytes) else key, None)

    def get(self, key: str, decode: Callable[[bytes | None], T], keep_missing: bool = True) -> T:
        """`decode(value)` of `key` (value None when absent), from the cache or one tracked GET; an absent
        key is cached only with `keep_missing`. A lost connection empties the cache (invalidations may have
        been lost with it) and the read starts over once."""
        found = self._hit(key)
        if found is not _MISSING:
            return found  # type: ignore[no-any-return]
        with self._lock:
            try:
                return self._get(key, decode, keep_missing)
            except (redis.ConnectionError, redis.TimeoutError, OSError):
                self._close_connections()
            try:
                return self._get(key, decode, keep_missing)
            except (redis.ConnectionError, redis.TimeoutError, OSError):
                self._close_connections()
                raise

    def _hit(self, key: str) -> Any:
        """A cached value read without the lock, when nothing is waiting to invalidate it (else _MISSING).

        Eight threads taking one lock for every read made the lock the bottleneck (65% of a query's samples
        under py-spy). Safe without it: the socket is polled first and the `_draining` flag read second, so
        either nothing was waiting and nobody is applying what they read (the cache is as fresh as the
        socket), or the caller takes the locked path and drains."""
        listener = self._listener
        if listener is None or self._pid != os.getpid() or listener.waiting() or self._draining:
            return _MISSING
        found = self._values.get(key, _MISSING)
        if found is not _MISSING:
            # KeyError: dropped by another thread just now; the value read is still the fresh one
            with contextlib.suppress(KeyError):
                self._values.move_to_end(key)
            self.hits += 1
        return found

    def _get(self, key: str, decode: Callable[[bytes | None], T], keep_missing: bool) -> T:
        if self._reader is None or self._pid != os.getpid():
            self._open()
        if self._listener is None:
            assert self._reader is not None
            self._reader.send_packed_command([pack("GET", key)], check_health=False)
            return decode(self._reader.read_response())
        self._drain()
        found = self._values.get(key, _MISSING)
        if found is not _MISSING:
            self._values.move_to_end(key)
            self.hits += 1
            return found  # type: ignore[no-any-return]
        assert self._reader is not None
        self._reader.send_packed_command([pack("GET", key)], check_health=False)
        raw = self._reader.read_response()
        value = decode(raw)
        self.misses += 1
        if raw is None and not keep_missing:
            return value
        self._values[key] = value
        if len(self._values) > self._max:
            self._values.popitem(last=False)
        return value

    def forget(self, key: str) -> None:
        """Drop a key we changed ourselves (its invalidation will follow; this makes it immediate here)."""
        with self._lock:
            self._values.pop(key, None)

    def close(self) -> None:
        """Close both connections and empty the cache."""
        with self._lock:
            self._close_connections()
            self._values.clear()
