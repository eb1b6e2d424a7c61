"""Real, playable H.264 MP4s (PyAV), encoded once per (width, height, duration) and cached.

The cache is bounded in bytes, one encode runs per key at a time, and at most `MAX_ENCODES` encodes run at
once: a burst of requests for large sizes costs a bounded amount of CPU and memory.
"""

from __future__ import annotations

import io
import threading
from collections import OrderedDict
from fractions import Fraction

FPS = 2  # a still picture: a low frame rate keeps even 4k encodes cheap, and duration stays exact
CACHE_BYTES = 64 * 1024 * 1024
MAX_ENCODES = 2
Key = tuple[int, int, int]


class VideoCache:
    """Bounded (bytes) LRU of encoded MP4 bytes; concurrent requests for one key encode once."""

    def __init__(self, max_bytes: int = CACHE_BYTES, max_encodes: int = MAX_ENCODES) -> None:
        self.max_bytes = max_bytes
        self._cache: OrderedDict[Key, bytes] = OrderedDict()
        self._bytes = 0
        self._locks: dict[Key, threading.Lock] = {}
        self._lock = threading.Lock()
        self._encodes = threading.BoundedSemaphore(max_encodes)

    @property
    def size(self) -> int:
        """Bytes held."""
        return self._bytes

    def peek(self, width: int, height: int, duration: int) -> bytes | None:
        """The cached MP4, or None (never encodes)."""
        with self._lock:
            return self._cache.get((width, height, duration))

    def get(self, width: int, height: int, duration: int) -> bytes:
        """The MP4 for this size and duration (encoded on first use)."""
        key = (width, height, duration)
        with self._lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key]
            key_lock = self._locks.setdefault(key, threading.Lock())
        with key_lock:
            with self._lock:
                if key in self._cache:
                    return self._cache[key]
            with self._encodes:
                data = encode_mp4(width, height, duration)
            with self._lock:
                self._locks.pop(key, None)
                if len(data) <= self.max_bytes:
                    self._cache[key] = data
                    self._bytes += len(data)
                    while self._bytes > self.max_bytes:
                        _, dropped = self._cache.popitem(last=False)
                        self._bytes -= len(dropped)
            return data


def encode_mp4(width: int, height: int, duration: int) -> bytes:
    """Encode a `duration`-second H.264 MP4 of a single grey-blue frame at exactly width x height."""
    import av  # heavy (bundles FFmpeg): loaded on the first encode, not at start-up

    buffer = io.BytesIO()
    with av.open(buffer, mode="w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=FPS)
        stream.width = width
        stream.height = height
        stream.pix_fmt = "yuv420p"
        stream.time_base = Fraction(1, FPS)
        stream.options = {"preset": "ultrafast", "tune": "stillimage", "crf": "40"}
        frame = av.VideoFrame(width, height, "yuv420p")
        for plane, value in zip(frame.planes, (96, 150, 110), strict=True):
            plane.update(bytes([value]) * plane.buffer_size)
        for index in range(duration * FPS):
            frame.pts = index
            frame.time_base = Fraction(1, FPS)
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return buffer.getvalue()
