"""Result files: signed `/_mock/files/<task_id>.mp4` URLs, stateless (any worker, even after eviction)."""

from __future__ import annotations

import re

from flask import Blueprint, Response, request

from mockserver.media.urls import ascii_int, signature_matches
from mockserver.state.errors import ApiError
from mockserver.state.timings import MAX_RESULT_SECONDS
from mockserver.web.ledger_hooks import record_download
from mockserver.web.shared import state

files = Blueprint("files", __name__, url_prefix="/_mock/files")
_NAME = re.compile(r"(vid_[A-Za-z0-9_\-]{1,96})\.mp4")


@files.after_request
def ledger(response: Response) -> Response:
    """Count a download or an expired result in the coverage ledger."""
    match = _NAME.fullmatch(str((request.view_args or {}).get("name", "")))
    return record_download(response, match.group(1)) if match else response


@files.route("/<name>", methods=["GET", "HEAD"], provide_automatic_options=False)
def result_file(name: str) -> Response:
    """The task's MP4 (no auth: the signed URL is the capability), or 410 RESULT_EXPIRED past its expiry."""
    st = state()
    match = _NAME.fullmatch(name)
    args = request.args
    width, height = ascii_int(args, "w"), ascii_int(args, "h")
    duration, expires = ascii_int(args, "d"), ascii_int(args, "exp")
    if match is None:
        raise ApiError("NOT_FOUND", "no such result file")
    if None in (width, height, duration, expires):
        raise ApiError("VALIDATION_FAILED", "query parameters w, h, d and exp must be plain integers")
    assert width is not None and height is not None and duration is not None and expires is not None
    if (width, height) not in st.sizes or not 1 <= duration <= MAX_RESULT_SECONDS:
        raise ApiError("NOT_FOUND", "no such result file (size or duration outside the documented outputs)")
    if not signature_matches(st.backend.secret(), match.group(1), width, height, duration, expires,
                             args.get("sig", "")):
        raise ApiError("NOT_FOUND", "no such result file (this URL was not issued by this emulator)")
    if st.backend.now() > expires:
        raise ApiError("RESULT_EXPIRED", f"the result {name} expired at {expires}")
    headers = {"Cache-Control": "private, max-age=60", "Content-Disposition": f'inline; filename="{name}"',
               "Accept-Ranges": "none"}
    if request.method == "HEAD":
        # From metadata only: a HEAD never encodes (the length is known only once the file was made).
        # An iterator leaves Content-Length out rather than claiming 0 bytes.
        cached = st.videos.peek(width, height, duration)
        return Response(cached if cached is not None else iter(()), status=200, mimetype="video/mp4", headers=headers)
    return Response(st.videos.get(width, height, duration), status=200, mimetype="video/mp4", headers=headers)
