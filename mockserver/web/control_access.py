"""Who may use the control API and the dashboard: known Host names, loopback callers, not through a proxy,
with the control token when one is set (shared by both blueprints; API tokens grant nothing here)."""

from __future__ import annotations

import hmac
import ipaddress
from typing import Any
from urllib.parse import urlsplit

from flask import request

from mockserver.state.errors import ApiError
from mockserver.web.hosts import check_host
from mockserver.web.shared import state

CONTROL_TOKEN_HEADER = "X-Control-Token"
CONTROL_TOKEN_COOKIE = "seedance_control"
_PROXY_HEADERS = ("HTTP_FORWARDED", "HTTP_X_FORWARDED_FOR", "HTTP_X_REAL_IP", "HTTP_X_FORWARDED_HOST")


def _is_loopback(address: str | None) -> bool:
    if not address:
        return False
    try:
        return ipaddress.ip_address(address.split("%")[0]).is_loopback
    except ValueError:
        return False


def guard() -> None:
    """Known Host names only (web/hosts.py); loopback callers only (unless CONTROL_LOOPBACK_ONLY is off),
    and not through a proxy (unless TRUST_PROXY), and with the control token when one is set. API tokens
    grant nothing here."""
    config = state().config
    environ = request.environ
    check_host(environ, config)  # DNS rebinding: a page of another name resolved to us
    if config["CONTROL_LOOPBACK_ONLY"]:
        if not _is_loopback(request.remote_addr):
            raise ApiError("FORBIDDEN", "the control API only answers loopback clients")
        if not config.get("TRUST_PROXY") and any(environ.get(h) for h in _PROXY_HEADERS):
            # A reverse proxy on this host makes every caller look local: refuse what it forwards.
            raise ApiError("FORBIDDEN", "the control API refuses proxied requests (start with --trust-proxy)")
    if request.method not in ("GET", "HEAD") and _cross_site(environ):
        # A web page the user happens to visit must not reset or fault a local emulator (CSRF).
        raise ApiError("FORBIDDEN", "the control API refuses cross-site requests")
    expected = config.get("CONTROL_TOKEN")
    if expected:
        given = request.headers.get(CONTROL_TOKEN_HEADER) or request.cookies.get(CONTROL_TOKEN_COOKIE) or ""
        if not hmac.compare_digest(given.encode(), str(expected).encode()):
            raise ApiError("FORBIDDEN", f"the control API needs the control token (header {CONTROL_TOKEN_HEADER})")


def _cross_site(environ: dict[str, Any]) -> bool:
    """Does a browser say this request comes from another site (Sec-Fetch-Site, else Origin vs Host)?"""
    fetch_site = environ.get("HTTP_SEC_FETCH_SITE")
    if fetch_site:
        return fetch_site not in ("same-origin", "none")
    origin = environ.get("HTTP_ORIGIN")
    if not origin:
        return False  # not a browser, or a same-origin GET-like navigation
    return origin == "null" or urlsplit(str(origin)).netloc != str(environ.get("HTTP_HOST", ""))


