"""Seedance emulator: a Flask twin of the video API, driven by openapi.yaml."""
