"""Real, playable H.264 MP4s (PyAV), encoded once per (width, height, duration) and cached."""

from __future__ import annotations

import io
import threading
from collections import OrderedDict
from fractions import Fraction

import av

FPS = 2  # a still picture: a low frame rate keeps even 4k encodes cheap, and duration stays exact
MAX_SIDE = 8192
MAX_DURATION = 60
_CACHE_SIZE = 32


class VideoCache:
    """Bounded LRU of encoded MP4 bytes; concurrent requests for one key encode once."""

    def __init__(self, size: int = _CACHE_SIZE) -> None:
        self._size = size
        self._cache: OrderedDict[tuple[int, int, int], bytes] = OrderedDict()
        self._locks: dict[tuple[int, int, int], threading.Lock] = {}
        self._lock = threading.Lock()

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
            data = encode_mp4(width, height, duration)
            with self._lock:
                self._cache[key] = data
                while len(self._cache) > self._size:
                    self._cache.popitem(last=False)
                self._locks.pop(key, None)
            return data


def encode_mp4(width: int, height: int, duration: int) -> bytes:
    """Encode a `duration`-second H.264 MP4 of a single grey-blue frame at exactly width x height."""
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
