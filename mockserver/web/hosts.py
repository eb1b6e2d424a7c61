"""The Host check of the /_mock/ control API and dashboard: the defence against DNS rebinding.

A page on `evil.example` whose name is made to resolve to 127.0.0.1 reaches a local emulator with the
browser's blessing (same origin as far as the browser knows), but its requests carry `Host: evil.example`.
So under /_mock/ only loopback names, the bound host and the names the operator allowed (`--allow-host`,
SEEDANCE_MOCK_ALLOWED_HOSTS) are answered; anything else is 403 HOST_NOT_ALLOWED. A request without a
Host header (HTTP/1.0 tools) is not a browser's and passes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from mockserver.state.errors import ApiError

LOOPBACK_NAMES = frozenset({"127.0.0.1", "localhost", "::1"})
IN_PROCESS_NAME = "seedance-mock.test"
"""The in-process fixture's host (mockserver/testing.py): requests never leave the process, and `.test` is a
reserved top-level domain no public DNS answers, so no page can be served under it to rebind."""
_ANY_ADDRESS = frozenset({"", "0.0.0.0", "::"})  # binding every interface names no host


def host_name(header: str) -> str:
    """The name of a Host header, lower case, without port or IPv6 brackets (`[::1]:8000` -> `::1`)."""
    text = header.strip().lower()
    if text.startswith("["):
        return text[1:].split("]", 1)[0]
    if text.count(":") == 1:
        return text.split(":", 1)[0]
    return text  # a bare name, or a bare IPv6 address


def allowed_names(config: Mapping[str, Any]) -> frozenset[str]:
    """Every Host name the control API answers under this configuration."""
    extra: Iterable[str] = config.get("ALLOWED_HOSTS") or ()
    bound = host_name(str(config.get("BIND_HOST") or ""))
    names = {host_name(name) for name in extra if name}
    if bound not in _ANY_ADDRESS:
        names.add(bound)
    return LOOPBACK_NAMES | {IN_PROCESS_NAME} | names


def check_host(environ: Mapping[str, Any], config: Mapping[str, Any]) -> None:
    """Raise 403 HOST_NOT_ALLOWED unless the request's Host is one the control API answers."""
    header = environ.get("HTTP_HOST")
    if header is None:
        return
    name = host_name(str(header))
    if name in allowed_names(config):
        return
    shown = name[:100].encode("ascii", "replace").decode("ascii")
    raise ApiError("HOST_NOT_ALLOWED", f"Host {shown!r} is not allowed here (DNS rebinding guard): "
                   f"start the emulator with --allow-host {shown or 'NAME'} to allow it")
