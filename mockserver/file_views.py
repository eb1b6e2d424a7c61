"""Result files: `/_mock/files/<task_id>.mp4?w=&h=&d=&exp=`, stateless (works across workers and after eviction)."""

from __future__ import annotations

import re

from flask import Blueprint, Response, request

from mockserver.api_views import state
from mockserver.apierror import ApiError
from mockserver.video import MAX_DURATION, MAX_SIDE, VideoCache

files = Blueprint("files", __name__, url_prefix="/_mock/files")
_NAME = re.compile(r"[A-Za-z0-9_\-]{1,100}\.mp4")
_cache = VideoCache()


def _param(name: str, low: int, high: int) -> int:
    raw = request.args.get(name, "")
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise ApiError("VALIDATION_FAILED", f"query parameter {name} must be an integer in {low}..{high}")
    return int(raw)


@files.get("/<name>")
def result_file(name: str) -> Response:
    """The task's MP4 (no auth: the URL is the capability), or 410 RESULT_EXPIRED past its expiry."""
    if not _NAME.fullmatch(name):
        raise ApiError("NOT_FOUND", "no such result file")
    width = _param("w", 2, MAX_SIDE)
    height = _param("h", 2, MAX_SIDE)
    duration = _param("d", 1, MAX_DURATION)
    expires = _param("exp", 0, 2**53)
    if width % 2 or height % 2:
        raise ApiError("VALIDATION_FAILED", "w and h must be even")
    if state().backend.now() > expires:
        raise ApiError("RESULT_EXPIRED", f"the result {name} expired at {expires}")
    data = _cache.get(width, height, duration)
    response = Response(data, status=200, mimetype="video/mp4")
    response.headers["Cache-Control"] = "private, max-age=60"
    response.headers["Content-Disposition"] = f'inline; filename="{name}"'
    return response
