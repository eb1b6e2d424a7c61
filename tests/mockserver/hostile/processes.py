"""Start `python -m mockserver ...` processes for tests: read the URL from the first stdout line, always kill."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass

START_TIMEOUT = 60.0


@dataclass
class Emulator:
    """A running emulator process and its base URL."""

    process: subprocess.Popen[str]
    url: str

    def terminate(self, timeout: float = 30.0) -> int:
        """SIGTERM, then the exit status (killed after `timeout`)."""
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            _kill_group(self.process)
            raise


def start(args: Sequence[str]) -> Emulator:
    """Start the emulator with `args` (plus --port 0 unless given) and wait for its URL line."""
    argv = [sys.executable, "-m", "mockserver", *args]
    if "--port" not in args:
        argv += ["--port", "0"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("SEEDANCE_MOCK_")}
    # Its own session: teardown kills the whole group, so granian's worker processes never outlive a test.
    process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                               start_new_session=True)
    assert process.stdout is not None
    timer = threading.Timer(START_TIMEOUT, process.kill)
    timer.start()
    try:
        url = process.stdout.readline().strip()
    finally:
        timer.cancel()
    if not url.startswith("http://"):
        _kill_group(process)
        _, err = process.communicate(timeout=10)
        raise AssertionError(f"no URL from {argv}: {err[-2000:]}")
    return Emulator(process, url)


def _kill_group(process: subprocess.Popen[str]) -> None:
    with suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)


def stop(emulator: Emulator) -> None:
    """Stop the process and its workers (teardown; SIGKILL to the group if SIGTERM is not enough) and reap it."""
    if emulator.process.poll() is None:
        emulator.process.send_signal(signal.SIGTERM)  # granian reaps its own workers on a clean stop
        with suppress(subprocess.TimeoutExpired):
            emulator.process.wait(timeout=15)
    _kill_group(emulator.process)
    emulator.process.communicate(timeout=30)


@contextmanager
def running(args: Sequence[str]) -> Iterator[Emulator]:
    """`with running([...]) as emu:` an emulator killed on exit whatever happens."""
    emulator = start(args)
    try:
        yield emulator
    finally:
        stop(emulator)
