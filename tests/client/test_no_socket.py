"""In-process httpx (sync and async transports, both clients, 100 concurrent waits) with sockets disabled:
nosocket_cases.py run in a fresh pytest with pytest-socket's `--disable-socket --allow-unix-socket`."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]


@pytest.mark.slow
def test_the_in_process_cases_pass_with_sockets_disabled() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "pytest", str(HERE / "nosocket_cases.py"), "-o", "python_files=nosocket_cases.py",
         "--disable-socket", "--allow-unix-socket", "-p", "no:randomly", "-q", "--no-header"],
        cwd=REPO, capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert "5 passed" in done.stdout, done.stdout[-2000:]
