"""A journal read waits for other instances' writers only when there are other writers: one instance alone
on a shared store reads at once, two wait and each sees the other's entries; a reset keeps the registry,
and a writer that leaves or lapses stops counting."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from mockserver.state import journal_writer
from mockserver.state.backend import Backend, BackendConfig
from mockserver.state.journal_writer import WRITERS_KEY
from mockserver.state.stores import open_store
from tests.conftest import SHARED_STORE_KINDS, kind_params, store_spec_for


@pytest.fixture(params=kind_params(SHARED_STORE_KINDS))
def spec(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    return store_spec_for(str(request.param), tmp_path, request)


class RecordingTime:
    """The `time` module as journal_writer sees it, with its sleeps recorded (and still slept)."""

    def __init__(self) -> None:
        self.slept: list[float] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(time, name)

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        time.sleep(seconds)


@pytest.fixture
def waits(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Every sleep of the journal writer (only its readers sleep: READ_DELAY), not other modules'."""
    recording = RecordingTime()
    monkeypatch.setattr(journal_writer, "time", recording)
    return recording.slept


def backend(spec: str) -> Backend:
    return Backend(BackendConfig(), {}, open_store(spec))


def entry(path: str) -> dict[str, object]:
    return {"method": "GET", "path": path, "status": 200}


def test_one_instance_alone_reads_its_journal_without_waiting(spec: str, waits: list[float]) -> None:
    alone = backend(spec)
    alone.record(entry("/one"))
    assert [e["path"] for e in alone.journal()] == ["/one"]
    assert waits == []
    alone.close()


def test_two_instances_wait_for_each_other_and_see_each_others_entries(spec: str, waits: list[float]) -> None:
    first, second = backend(spec), backend(spec)
    first.record(entry("/first"))
    second.record(entry("/second"))  # queued in the second's writer: the first's read must wait for it
    assert sorted(e["path"] for e in first.journal()) == ["/first", "/second"]
    assert waits == [journal_writer.READ_DELAY]
    first.reset()  # a reset keeps who writes here
    assert set(first.store.read(WRITERS_KEY)) == {first._journal._id, second._journal._id}
    second.close()  # leaves the registry: the first is alone again
    waits.clear()
    first.journal()
    assert waits == []
    first.close()


def test_a_writer_that_stopped_refreshing_lapses(spec: str, waits: list[float]) -> None:
    first = backend(spec)
    first.record(entry("/first"))
    first.store.update(WRITERS_KEY, lambda doc: ({**doc, "crashed": time.time() + 30}, None))
    first.journal()
    assert waits == [journal_writer.READ_DELAY]  # a live registration: wait for it
    first.store.update(WRITERS_KEY, lambda doc: ({**doc, "crashed": time.time() - 1}, None))
    waits.clear()
    first.journal()
    assert waits == []
    first.close()


def test_the_writer_thread_outlives_a_failing_refresh_and_stops_at_close(
        spec: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(journal_writer, "REFRESH_SECONDS", 0.0)  # a refresh on every pass of the thread
    monkeypatch.setattr(journal_writer, "FLUSH_SECONDS", 0.005)
    first = backend(spec)
    first.record(entry("/first"))
    writer = first._journal
    failures: list[int] = []

    def broken(leaving: bool = False) -> None:
        failures.append(1)
        raise RuntimeError("not a StoreError: e.g. a closed cluster client")

    monkeypatch.setattr(writer, "_register", broken)
    deadline = time.monotonic() + 5
    while len(failures) < 3 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert len(failures) >= 3 and writer._thread is not None and writer._thread.is_alive()
    monkeypatch.undo()
    first.close()
    writer._thread.join(timeout=2)
    assert not writer._thread.is_alive()
