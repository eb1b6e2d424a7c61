"""Seedance emulator: a Flask twin of the video API, driven by openapi.yaml.

Importing the package imports nothing else: `create_app` loads Flask when it is called.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flask import Flask

__all__ = ["create_app"]


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the emulator app (see `mockserver.web.app.create_app`)."""
    from mockserver.web.app import create_app as build

    return build(config)
