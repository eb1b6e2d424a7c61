"""The baseline: bare Flask with the emulator's two routes answering fixed dicts (no auth, store or checks).

Served by the same WSGI server as the emulator it is compared with, e.g.
`gunicorn --pythonpath bench -w 2 -k gthread 'bare_app:create_app()'` or
`python bench/bare_app.py --port P` (waitress, one process, like the default `seedance-mock`).
"""

from __future__ import annotations

import argparse
import json

from flask import Flask, Response

CREATE_PATH = "/api/open-api/v1/seedance/videos"
QUERY_PATH = "/api/open-api/v1/videos/<path:task_id>"
_CREATED = {"code": "20000", "msg": "ok", "data": {"task_id": "vid_0123456789abcdef01234567", "status": "queued",
                                                   "model": "seedance2.0-std", "created_at": 1767225600}}
_QUERIED = {"code": "20000", "msg": "ok", "data": {"task_id": "vid_0123456789abcdef01234567", "status": "queued",
                                                   "model": "seedance2.0-std", "created_at": 1767225600,
                                                   "ratio": "16:9", "resolution": "720p", "duration": 8}}


def create_app() -> Flask:
    """Two routes, fixed answers; the create body is read and parsed as the emulator does."""
    from flask import request

    app = Flask("bare")

    @app.post(CREATE_PATH)
    def create() -> Response:
        request.get_json()
        return Response(json.dumps(_CREATED), mimetype="application/json")

    @app.get(QUERY_PATH)
    def query(task_id: str) -> Response:
        return Response(json.dumps(_QUERIED), mimetype="application/json")

    @app.get("/_mock/health")
    def health() -> Response:
        return Response('{"status":"ok"}', mimetype="application/json")

    return app


def main() -> None:
    """Serve on waitress (8 threads, as `seedance-mock`)."""
    from waitress import serve

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--threads", type=int, default=8)
    args = parser.parse_args()
    serve(create_app(), host="127.0.0.1", port=args.port, threads=args.threads, _quiet=True)


if __name__ == "__main__":
    main()
