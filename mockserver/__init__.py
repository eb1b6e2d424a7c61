"""Seedance emulator: a Flask twin of the video API, driven by openapi.yaml."""

from mockserver.app import create_app

__all__ = ["create_app"]
