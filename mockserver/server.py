"""`EmbeddedServer` (waitress in a thread, for tests and notebooks) at the address the docs show; the code
lives in `mockserver.serving.waitress_server`."""

from __future__ import annotations

from mockserver.serving.waitress_server import EmbeddedServer

__all__ = ["EmbeddedServer"]
