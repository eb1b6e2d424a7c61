"""httpx transports into an emulator app, with no socket: sync (``httpx.WSGITransport``) and async (the same
WSGI call run in a worker thread, so a request never blocks the event loop).

Loaded only when a test asks `SeedanceMock.httpx_transport()` / `.async_transport()`: httpx is not needed by
the [mock] extra otherwise. A forced `drop` fault becomes what httpx raises when a server closes the
connection without answering (``httpx.RemoteProtocolError``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import anyio.to_thread
import httpx

from mockserver.serving.drop import is_dropped

__all__ = ["AsyncInProcessTransport", "InProcessTransport"]

WsgiApp = Callable[..., Iterable[bytes]]


class InProcessTransport(httpx.BaseTransport):
    """``httpx.Client(transport=InProcessTransport(app))``: every request goes into ``app``, read whole."""

    def __init__(self, app: WsgiApp) -> None:
        self._wsgi = httpx.WSGITransport(app=app)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Run the app on the request; its whole answer (the app's body is iterated here, in this thread)."""
        answer = self._wsgi.handle_request(request)
        body = answer.read()
        if is_dropped(answer.headers.multi_items()):
            raise httpx.RemoteProtocolError("Server disconnected without sending a response "
                                            "(seedance-mock drop fault)", request=request)
        return httpx.Response(answer.status_code, headers=answer.headers, content=body)


class AsyncInProcessTransport(httpx.AsyncBaseTransport):
    """``httpx.AsyncClient(transport=AsyncInProcessTransport(app))``: the WSGI call runs in a worker thread
    (anyio's pool, 40 at once by default), so the event loop keeps running while the app works."""

    def __init__(self, app: WsgiApp) -> None:
        self._sync = InProcessTransport(app)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Read the request body, then hand the request to the sync transport in a thread."""
        body = await request.aread()
        copy = httpx.Request(request.method, request.url, headers=request.headers, content=body,
                             extensions=request.extensions)
        response: httpx.Response = await anyio.to_thread.run_sync(self._sync.handle_request, copy)
        return response

