"""Serving the emulator: the hardened waitress server (one process, and the in-thread server of the
tests), the multi-process runner behind `--workers`, and the WSGI wrappers both use."""
