"""Result videos (media/video.py): real MP4s of any documented size, encoded once per size and duration."""

from __future__ import annotations

import pytest

from mockserver.media.video import VideoCache, encode_mp4
from tests.mockserver.conftest import probe


def test_encode_4k_ultrawide_15s() -> None:
    width, height, duration = probe(encode_mp4(5040, 2160, 15))
    assert (width, height, duration) == (5040, 2160, 15.0)


def test_cache_encodes_once(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[int, int, int]] = []

    def fake(width: int, height: int, duration: int) -> bytes:
        calls.append((width, height, duration))
        return b"mp4"

    monkeypatch.setattr("mockserver.media.video.encode_mp4", fake)
    cache = VideoCache(max_bytes=6)  # two 3-byte files
    for _ in range(3):
        assert cache.get(2, 2, 1) == b"mp4"
    cache.get(4, 4, 1)
    cache.get(6, 6, 1)
    cache.get(2, 2, 1)
    assert calls == [(2, 2, 1), (4, 4, 1), (6, 6, 1), (2, 2, 1)]
    assert cache.size <= 6
