"""What the pytest fixtures are made of (see `pytest_plugin`): the live server, the in-process router and the
`SeedanceMock` handle a test gets. Usable without pytest too."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

import requests
import responses
from flask import Flask

from mockserver.control_client import ControlClient
from mockserver.server import EmbeddedServer
from mockserver.serving.drop import is_dropped
from mockserver.web.shared import EXTENSION, MockState

if TYPE_CHECKING:
    import httpx

TEST_TOKEN = "sk_test"
OTHER_TOKEN = "sk_test_other"
# The fixtures accept exactly these two keys: a second tenant for isolation tests, and any other token is
# refused with 401, so integrators can test their bad-token handling (and Schemathesis' ignored_auth check holds).
FIXTURE_CONFIG = {"SEED": 0, "API_KEYS": [TEST_TOKEN, OTHER_TOKEN]}
INPROCESS_URL = "http://seedance-mock.test"
LOOPBACK = re.compile(r"^https?://(localhost|127(\.\d{1,3}){3}|\[::1\])(:\d+)?(/|$)")
_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")


@dataclass
class SeedanceMock:
    """What the fixtures give a test: base URL, a bearer token, the control client and the Flask app."""

    url: str
    token: str
    control: ControlClient
    app: Flask
    other_token: str = OTHER_TOKEN

    @property
    def headers(self) -> dict[str, str]:
        """`Authorization: Bearer <token>`."""
        return {"Authorization": f"Bearer {self.token}"}

    def reset(self) -> None:
        """Reset the emulator (the fixtures do it before each test)."""
        state: MockState = self.app.extensions[EXTENSION]
        state.reset()

    def httpx_transport(self) -> httpx.BaseTransport:
        """An httpx transport into this emulator's app, no socket: `httpx.Client(transport=...)` (needs httpx)."""
        from mockserver.inprocess_httpx import InProcessTransport

        return InProcessTransport(self.app)

    def async_transport(self) -> httpx.AsyncBaseTransport:
        """The same for `httpx.AsyncClient(transport=...)`; the app runs in a worker thread, never on the loop."""
        from mockserver.inprocess_httpx import AsyncInProcessTransport

        return AsyncInProcessTransport(self.app)


def close_app(app: Flask) -> None:
    """Write the app's queued journal entries and release its store (end of a test session)."""
    state: MockState = app.extensions[EXTENSION]
    state.backend.close()


def control_token(app: Flask) -> str | None:
    """The control token the emulator was started with (SEEDANCE_MOCK_CONTROL_TOKEN), if any."""
    state: MockState = app.extensions[EXTENSION]
    token = state.config.get("CONTROL_TOKEN")
    return str(token) if token else None


def route_into_app(mock: responses.RequestsMock, app: Flask, base_url: str) -> None:
    """Send every `requests` call for `base_url` into `app` through its test client (no socket)."""
    test_client = app.test_client()

    def callback(request: requests.PreparedRequest) -> tuple[int, dict[str, str], bytes]:
        body = request.body.encode("utf-8") if isinstance(request.body, str) else request.body
        answer = test_client.open(
            request.path_url,
            method=request.method or "GET",
            headers=list(request.headers.items()),
            data=body or b"",
            base_url=base_url,
        )
        if is_dropped(answer.headers.items()):
            raise requests.ConnectionError("connection dropped by seedance-mock (forced fault)")
        data = answer.get_data()
        headers = dict(answer.headers.items())
        if request.method == "HEAD":
            # A HEAD answer has no body to match its Content-Length; urllib3 would report it cut short.
            headers.pop("Content-Length", None)
        else:
            # Keep Content-Length, so clients can show download progress and detect cut-short bodies.
            headers["Content-Length"] = str(len(data))
        return answer.status_code, headers, data

    pattern = re.compile(re.escape(base_url) + r"(/.*)?$")
    for method in _METHODS:
        mock.add_callback(method, pattern, callback=callback, content_type=None)


def inprocess_mock(app: Flask, mock: responses.RequestsMock) -> SeedanceMock:
    """Route `requests` calls for INPROCESS_URL into `app` (only loopback passes through); the handle."""
    # Only loopback may pass through: a stray request to anywhere else fails instead of reaching the network.
    mock.add_passthru(LOOPBACK)
    route_into_app(mock, app, INPROCESS_URL)
    control = ControlClient(INPROCESS_URL, control_token=control_token(app))
    return SeedanceMock(INPROCESS_URL, TEST_TOKEN, control, app)


def live_mock(server: EmbeddedServer) -> SeedanceMock:
    """The handle of a live server, reset."""
    control = ControlClient(server.url, control_token=control_token(server.app))
    mock = SeedanceMock(server.url, TEST_TOKEN, control, server.app)
    mock.reset()
    return mock
