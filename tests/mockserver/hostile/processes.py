"""Start `python -m mockserver ...` processes for tests: read the URL from the first stdout line, always kill."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

START_TIMEOUT = 60.0


@dataclass
class Emulator:
    """A running emulator process and its base URL."""

    process: subprocess.Popen[str]
    url: str
    log: Path

    def stderr(self) -> str:
        """What the process wrote to stderr so far."""
        return self.log.read_text(encoding="utf-8", errors="replace")

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
    # stderr goes to a file: a pipe nobody reads fills up under load and blocks the server mid-request.
    log = Path(tempfile.mkstemp(prefix="seedance-mock-", suffix=".log")[1])
    with log.open("w") as sink:
        process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=sink, text=True, env=env,
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
        process.communicate(timeout=10)
        raise AssertionError(f"no URL from {argv}: {log.read_text(errors='replace')[-2000:]}")
    return Emulator(process, url, log)


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
    emulator.log.unlink(missing_ok=True)


@contextmanager
def running(args: Sequence[str]) -> Iterator[Emulator]:
    """`with running([...]) as emu:` an emulator killed on exit whatever happens."""
    emulator = start(args)
    try:
        yield emulator
    finally:
        stop(emulator)
