"""Result URLs: `/_mock/files/<task_id>.mp4?w=&h=&d=&exp=&sig=`, signed with the store's shared secret.

The file view needs no store lookup (it works on any worker and after the task is evicted), yet serves only
URLs the emulator issued: the signature covers every parameter, so a caller cannot ask for another size,
duration or expiry.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping

from mockserver.state.tasks import Task

SIGNATURE_HEX = 32
MAX_DIGITS = 12  # enough for a Unix time; a 5,000-digit number is refused before int() sees it


def sign(secret: bytes, task_id: str, width: int, height: int, duration: int, expires_at: int) -> str:
    """The signature of one result URL's parameters."""
    message = f"{task_id}|{width}|{height}|{duration}|{expires_at}".encode()
    return hmac.new(secret, message, hashlib.sha256).hexdigest()[:SIGNATURE_HEX]


def result_url(host_url: str, secret: bytes, task: Task, expires_at: int) -> str:
    """The signed URL of a completed task's MP4."""
    sig = sign(secret, task.task_id, task.width, task.height, task.duration, expires_at)
    return (f"{host_url}_mock/files/{task.task_id}.mp4"
            f"?w={task.width}&h={task.height}&d={task.duration}&exp={expires_at}&sig={sig}")


def ascii_int(args: Mapping[str, str], name: str) -> int | None:
    """A query parameter made only of ASCII digits (int() would accept '²' or '١'), else None."""
    raw = args.get(name, "")
    if not raw or len(raw) > MAX_DIGITS or not (raw.isascii() and raw.isdigit()):
        return None
    return int(raw)


def signature_matches(secret: bytes, task_id: str, width: int, height: int, duration: int, expires_at: int,
                      given: str) -> bool:
    """Constant-time check of a URL's `sig`."""
    return hmac.compare_digest(sign(secret, task_id, width, height, duration, expires_at), given)
