"""`seedance-mock --coverage-report PATH`: the coverage document written when the emulator stops (JSON, or
JUnit XML when PATH ends in .xml), from the shared store, so every worker's traffic is in it."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from flask import Flask

from mockserver.web.coverage_views import report_bytes
from mockserver.web.shared import EXTENSION, MockState


def render_report(app: Flask, path: str | Path) -> bytes:
    """The report's bytes for `path` (JUnit XML when it ends in .xml, else JSON)."""
    st: MockState = app.extensions[EXTENSION]
    return report_bytes(st, junit=str(path).lower().endswith(".xml"))


def write_report(app: Flask, path: str | Path) -> None:
    """Write the report next to its target first, then rename it over (never a half-written file)."""
    target = Path(path)
    data = render_report(app, target)
    partial = target.with_name(f".{target.name}.{os.getpid()}.partial")
    partial.write_bytes(data)
    os.replace(partial, target)


def check_writable(path: str | Path) -> str | None:
    """Why `path` cannot take the report (checked at start, not when stopping), or None."""
    target = Path(path)
    folder = target.parent if str(target.parent) else Path(".")
    if target.is_dir():
        return f"--coverage-report {path}: is a directory"
    if not folder.is_dir():
        return f"--coverage-report {path}: folder {folder} does not exist"
    if not os.access(folder, os.W_OK):
        return f"--coverage-report {path}: folder {folder} is not writable"
    return None


def count_refusal(application: object, error_id: str) -> None:
    """Count an answer the HTTP server gave itself (a body over the limit: 413 BODY_TOO_LARGE) in the ledger of
    the app it serves: the app never saw that request, but the client met that error."""
    app = application
    for _ in range(5):  # unwrap WSGI wrappers (ServerHeader, ...) down to the Flask app
        if isinstance(app, Flask):
            break
        app = getattr(app, "app", None) or getattr(app, "wrapped", None)
    if not isinstance(app, Flask) or EXTENSION not in app.extensions:
        return
    st: MockState = app.extensions[EXTENSION]
    if st.config.get("LEDGER", True):
        with contextlib.suppress(Exception):  # the refusal is already answered: counting must not break it
            st.backend.record_with_ledger(None, 0, (f"error:{error_id}",), "", None)
