"""A small hostile HTTP server for the client's tests: each behaviour lives under its own path prefix, so
``base_url = server.url + "/<mode>"`` picks it. It serves raw bytes from a thread per connection."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from types import TracebackType

MP4_HEAD = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom"
MODEL = "seedance2.0-mini-sp"  # the smallest documented video (720p, 15 s): the download bound is ~52 MB


def task(mode: str, task_id: str, video: str) -> bytes:
    data = {"task_id": task_id, "status": "completed", "model": MODEL, "created_at": 1,
            "result": {"video_url": f"/{mode}/{video}", "expires_at": 2}}
    return json.dumps({"code": "20000", "msg": "ok", "data": data}).encode()


def head(status: str = "200 OK", kind: str = "application/json", length: int | None = None) -> bytes:
    size = f"Content-Length: {length}\r\n" if length is not None else ""
    # One answer per connection, said up front: a client must not reuse a connection this server closes.
    return f"HTTP/1.1 {status}\r\nContent-Type: {kind}\r\n{size}Connection: close\r\n\r\n".encode()


def forever(chunk: bytes, pause: float = 0.0) -> Iterator[bytes]:
    while True:
        yield chunk
        if pause:
            time.sleep(pause)


class HostileServer:
    """Start with ``with HostileServer() as server:``; ``server.url`` is its base."""

    def __init__(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._listener.getsockname()[1]}"
        self._stop = threading.Event()

    def __enter__(self) -> HostileServer:
        threading.Thread(target=self._accept, daemon=True).start()
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self._stop.set()
        self._listener.close()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        with conn:
            request = b""
            while b"\r\n\r\n" not in request:
                data = conn.recv(65536)
                if not data:
                    return
                request += data
            path = request.split(b" ", 2)[1].decode()
            mode, _, rest = path.lstrip("/").partition("/")
            try:
                for piece in self.answer(mode, rest):
                    if self._stop.is_set():
                        return
                    conn.sendall(piece)
            except OSError:
                return  # the client hung up: what it should do with an endless answer

    def answer(self, mode: str, rest: str) -> Iterator[bytes]:
        """The bytes of the answer to ``/<mode>/<rest>``."""
        video: dict[str, Callable[[], Iterator[bytes]]] = {
            "endless.mp4": lambda: _chain(head(kind="video/mp4"), forever(b"\0" * 65536)),
            "slow.mp4": lambda: _chain(head(kind="video/mp4"), forever(b"\0" * 1024, 0.05)),
            "huge.mp4": lambda: iter([head(kind="video/mp4", length=10**12), MP4_HEAD]),
            "small.mp4": lambda: iter([head(kind="video/mp4", length=len(MP4_HEAD)), MP4_HEAD]),
        }
        file = rest.rsplit("/", 1)[-1]
        if file in video:
            return video[file]()
        if mode == "garbage":
            return iter([b"\x00\xffnot http at all\r\n\r\n"])
        if mode == "html":
            page = b"<html><body><h1>Welcome to nginx!</h1></body></html>"
            return iter([head(kind="text/html", length=len(page)), page])
        if mode == "endless":
            return _chain(head(), forever(b" " * 65536))
        if mode == "trickleheaders":
            return _chain(b"HTTP/1.1 200 OK\r\nX-Slow: ", forever(b"a", 0.1))
        if mode == "trickle":
            return _chain(head(length=10**6), forever(b" ", 0.1))
        if mode == "deep":
            body = b"[" * 100_000 + b"]" * 100_000
            return iter([head(length=len(body)), body])
        videos = {"dotdot": ("../../x", "small.mp4"), "absolute": ("/tmp/seedance-hostile", "small.mp4"),
                  "endlessmp4": ("vid_1", "endless.mp4"), "hugemp4": ("vid_1", "huge.mp4"),
                  "slowmp4": ("vid_1", "slow.mp4"), "ok": ("vid_1", "small.mp4")}
        task_id, file = videos.get(mode, ("vid_1", "small.mp4"))
        body = task(mode, task_id, file)
        return iter([head(length=len(body)), body])


def _chain(first: bytes, rest: Iterator[bytes]) -> Iterator[bytes]:
    yield first
    yield from rest
