"""The ``seedance`` command: every subcommand, exit codes, --json, live status line and progress."""

from __future__ import annotations

import importlib.metadata
import io
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import responses

from client.cli import main
from client.display import TICK_SECONDS, Display
from client.models import Task

STD = "seedance2.0-std"
COMPLETE = "X-Seedance-Mock: complete"


class TTY(io.StringIO):
    """A stderr that claims to be a terminal."""

    def isatty(self) -> bool:
        return True


@pytest.fixture
def mock_env(seedance_mock_inprocess: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """The in-process emulator, with the CLI pointed at it through the environment."""
    monkeypatch.setenv("SEEDANCE_API_KEY", seedance_mock_inprocess.token)
    monkeypatch.setenv("SEEDANCE_BASE_URL", seedance_mock_inprocess.url)
    yield seedance_mock_inprocess


QUERY_URL = "http://api.test/api/open-api/v1/videos/vid_1"
TASK_DATA = {"task_id": "vid_1", "status": "completed", "model": STD, "created_at": 1,
             "result": {"video_url": "http://api.test/v.mp4", "expires_at": 2}}


def create_args(*extra: str) -> list[str]:
    return ["create", "--model", STD, "--prompt", "a fox in snow", "--duration", "5", *extra]


def run_json(capsys: pytest.CaptureFixture[str], argv: list[str]) -> tuple[int, Any]:
    code = main(["--json", *argv])
    out = capsys.readouterr().out
    return code, json.loads(out.strip().splitlines()[-1])


def test_create_prints_the_task(mock_env: Any, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(create_args("--ratio", "16:9", "--image", "https://x.example/a.png",
                            "--image", "https://x.example/b.png")) == 0
    out = capsys.readouterr().out
    assert "status      queued" in out and "task_id     vid_" in out


def test_create_every_field_is_sent(capsys: pytest.CaptureFixture[str]) -> None:
    task = {"task_id": "vid_1", "status": "queued", "model": "seedance2.0-sp", "created_at": 1}
    with responses.RequestsMock() as mocked:
        mocked.add(responses.POST, "http://api.test/api/open-api/v1/seedance/videos",
                   json={"code": "20000", "msg": "ok", "data": task})
        code, shown = run_json(capsys, [
            "--api-key", "k", "--base-url", "http://api.test",
            "create", "--model", "seedance2.0-sp", "--prompt", "p", "--duration", "6", "--ratio", "9:16",
            "--resolution", "480p", "--orientation", "portrait", "--image", "https://x.example/a.png",
            "--image", "https://x.example/b.png", "--reference-video", "https://x.example/v.mp4",
            "--reference-audio", "asset://a1", "--reference-audio", "https://x.example/a.mp3",
            "--header", "X-Trace: 42", "--no-validate", "--first-image", "https://x.example/f.png",
            "--last-image", "https://x.example/l.png"])
        sent = mocked.calls[0].request
    assert code == 0 and shown["task_id"] == "vid_1"
    assert sent.headers["X-Trace"] == "42"
    assert sent.body is not None and json.loads(sent.body) == {
        "model": "seedance2.0-sp", "prompt": "p", "duration": 6, "ratio": "9:16", "resolution": "480p",
        "orientation": "portrait", "images": ["https://x.example/a.png", "https://x.example/b.png"],
        "first_image": "https://x.example/f.png", "last_image": "https://x.example/l.png",
        "reference_videos": ["https://x.example/v.mp4"],
        "reference_audios": ["asset://a1", "https://x.example/a.mp3"]}


def test_create_md_frames_accepted_by_emulator(mock_env: Any, capsys: pytest.CaptureFixture[str]) -> None:
    code, task = run_json(capsys, ["create", "--model", "seedance2.0-md", "--prompt", "p", "--duration", "5",
                                   "--first-image", "https://x.example/a.png", "--last-image",
                                   "https://x.example/b.png"])
    assert code == 0 and task["model"] == "seedance2.0-md"


def test_create_wait_output_downloads(mock_env: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "fox.mp4"
    code, task = run_json(capsys, [*create_args("--header", COMPLETE, "--poll-interval", "0"),
                                   "--output", str(target)])
    assert code == 0 and task["status"] == "completed" and task["path"] == str(target)
    assert target.read_bytes()[4:8] == b"ftyp"


def test_status_wait_download_subcommands(mock_env: Any, tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    code, task = run_json(capsys, create_args())
    task_id = task["task_id"]
    assert run_json(capsys, ["status", task_id])[1]["status"] == "queued"
    mock_env.control.complete_task(task_id)
    code, done = run_json(capsys, ["wait", task_id, "--poll-interval", "0"])
    assert code == 0 and done["video_url"]
    assert main(["download", task_id, "-o", str(tmp_path)]) == 0
    assert capsys.readouterr().out.strip() == str(tmp_path / f"{task_id}.mp4")
    assert main(["download", done["video_url"], "--output", str(tmp_path / "by-url.mp4")]) == 0
    assert (tmp_path / "by-url.mp4").stat().st_size > 0
    assert main(["wait", task_id, "--poll-interval", "0", "-o", str(tmp_path / "w.mp4")]) == 0


def test_live_status_line_on_a_terminal(mock_env: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    tty = TTY()
    monkeypatch.setattr("sys.stderr", tty)
    assert main([*create_args("--header", COMPLETE, "--poll-interval", "0"), "-o", str(tmp_path / "v.mp4")]) == 0
    shown = tty.getvalue()
    assert "\r\x1b[K" in shown and " s" in shown and "completed" in shown
    assert "downloading" in shown and "kB" in shown
    assert shown.endswith("\n")


def test_plain_lines_when_not_a_terminal(mock_env: Any, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([*create_args("--header", COMPLETE, "--poll-interval", "0"), "--wait"]) == 0
    err = capsys.readouterr().err
    assert "\r" not in err and "\x1b" not in err
    lines = err.strip().splitlines()
    assert lines[0].endswith(" s)") and "queued" in lines[0] and "completed" in lines[-1]


def test_rejected_request_exit_3_with_rules(mock_env: Any, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["create", "--model", STD, "--prompt", " ", "--duration", "5.5"]) == 3
    err = capsys.readouterr().err
    assert "PROMPT_NOT_BLANK (prompt)" in err and "DURATION_INTEGER (duration)" in err
    assert mock_env.control.journal() == []  # pre-flight: nothing sent
    code, payload = run_json(capsys, ["create", "--no-validate", "--model", "nope", "--prompt", "p",
                                      "--duration", "5"])
    assert code == 3
    assert payload["error"]["rules"] == ["MODEL_KNOWN"] and payload["error"]["status"] == 400


def test_auth_failure_exit_4(mock_env: Any, monkeypatch: pytest.MonkeyPatch,
                             capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv("SEEDANCE_API_KEY")
    assert main(["status", "vid_1"]) == 4
    assert "SEEDANCE_API_KEY" in capsys.readouterr().err


def test_failed_task_exit_5(mock_env: Any, capsys: pytest.CaptureFixture[str]) -> None:
    code, task = run_json(capsys, create_args())
    mock_env.control.fail_task(task["task_id"], reason="out of credits", at="queue")
    mock_env.control.advance(3600)  # the emulator's clock, not ours: no real waiting
    code, payload = run_json(capsys, ["wait", task["task_id"], "--poll-interval", "0"])
    assert code == 5
    assert payload["error"]["type"] == "TaskFailedError"
    assert payload["error"]["task"]["status"] == "failed"
    assert "out of credits" in payload["error"]["task"]["error"]["message"]


def test_wait_timeout_exit_6(mock_env: Any, capsys: pytest.CaptureFixture[str]) -> None:
    _, task = run_json(capsys, create_args())
    assert main(["wait", task["task_id"], "--wait-timeout", "0"]) == 6
    assert f"seedance wait {task['task_id']}" in capsys.readouterr().err


def test_not_found_and_expired_exit_7(mock_env: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["status", "vid_nope"]) == 7
    _, task = run_json(capsys, [*create_args("--header", COMPLETE, "--poll-interval", "0"), "--wait"])
    mock_env.control.advance(4 * 86400)
    assert main(["download", task["video_url"], "-o", str(tmp_path)]) == 7
    assert "RESULT_EXPIRED" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_server_error_exit_8(mock_env: Any, capsys: pytest.CaptureFixture[str]) -> None:
    mock_env.control.inject_fault("500", operation="create")
    assert main(create_args()) == 8
    assert "HTTP 500" in capsys.readouterr().err


def test_rate_limit_and_connection_exit_8(capsys: pytest.CaptureFixture[str]) -> None:
    with responses.RequestsMock() as mocked:
        mocked.add(responses.GET, "http://api.test/api/open-api/v1/videos/vid_1", status=429,
                   headers={"Retry-After": "3600"}, json={"code": "42900", "msg": "slow down", "data": {}})
        assert main(["--api-key", "k", "--base-url", "http://api.test", "status", "vid_1"]) == 8
        code, payload = run_json(capsys, ["status", "vid_1", "--api-key", "k", "--base-url", "http://api.test"])
        assert code == 8 and payload["error"]["type"] == "RateLimitError"
    # A closed loopback port: connection refused, retried, then exit 8.
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    assert main(["--api-key", "k", "--base-url", f"http://127.0.0.1:{port}", "--timeout", "2",
                 "--retries", "0", "status", "vid_1"]) == 8


@pytest.mark.parametrize(("argv", "said"), [
    ([], "the following arguments are required: COMMAND"),
    (["create", "--duration", "five"], "not a number: 'five'"),
    (["nope"], "invalid choice: 'nope'"),
    (["status"], "the following arguments are required: task_id"),
    (["create", "--header", "nocolon"], "expected 'Name: value'"),
    (["create"], "the following arguments are required: --model, --prompt, --duration"),
    (["create", "--model", STD, "--duration", "5"], "the following arguments are required: --prompt"),
    (["create", "--model", STD, "--prompt", "p"], "the following arguments are required: --duration"),
    (["status", ""], "TASK_ID must not be empty"),
    (["wait", ""], "TASK_ID must not be empty"),
    (["download", ""], "TARGET must not be empty"),
])
def test_usage_errors_exit_2_with_the_usage_line(argv: list[str], said: str,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("usage: seedance") and said in err


def test_no_validate_sends_a_body_without_the_required_fields(mock_env: Any,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    code, payload = run_json(capsys, ["create", "--no-validate", "--prompt", "p", "--duration", "5"])
    assert code == 3 and payload["error"]["status"] == 400  # the server judged it: nothing stopped it here


def test_version_is_the_installed_package_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"seedance {importlib.metadata.version('seedance-contract-kit')}"


class FakeTime:
    """A clock that moves only when slept on, recording every sleep."""

    def __init__(self) -> None:
        self.now = 100.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


QUEUED = Task("vid_1", "queued", STD, 1)


def test_the_live_line_ticks_while_waiting_between_polls() -> None:
    fake, tty = FakeTime(), TTY()
    display = Display(tty, clock=fake.clock, sleep=fake.sleep)
    display.task(QUEUED)
    display.sleep(1.0)
    shown = re.findall(r"\r\x1b\[Kvid_1  queued\s+(\d+\.\d) s", tty.getvalue())
    assert shown == ["0.0", "0.2", "0.4", "0.6", "0.8", "1.0"]
    assert fake.sleeps == pytest.approx([TICK_SECONDS] * 5) and fake.now == pytest.approx(101.0)


def test_no_ticking_when_stderr_is_not_a_terminal_or_no_task_is_shown() -> None:
    fake, plain = FakeTime(), io.StringIO()
    display = Display(plain, clock=fake.clock, sleep=fake.sleep)
    display.task(QUEUED)
    display.sleep(1.0)
    assert plain.getvalue() == "vid_1 queued (0.0 s)\n" and fake.sleeps == [1.0]
    fake, tty = FakeTime(), TTY()
    display = Display(tty, clock=fake.clock, sleep=fake.sleep)
    display.sleep(0.5)  # e.g. a retry before any task line: one plain sleep, nothing drawn
    display.task(QUEUED)
    display.end_line()
    display.sleep(0.5)  # the line is finished: nothing to redraw
    assert fake.sleeps == [0.5, 0.5] and tty.getvalue().count("\r") == 1


def test_the_command_ticks_between_real_polls(monkeypatch: pytest.MonkeyPatch) -> None:
    tty = TTY()
    monkeypatch.setattr("sys.stderr", tty)
    processing = {**TASK_DATA, "status": "processing"}
    with responses.RequestsMock() as mocked:
        mocked.add(responses.GET, QUERY_URL, json={"code": "20000", "msg": "ok", "data": processing})
        mocked.add(responses.GET, QUERY_URL, json={"code": "20000", "msg": "ok", "data": TASK_DATA})
        assert main(["--api-key", "k", "--base-url", "http://api.test", "wait", "vid_1",
                     "--poll-interval", "0.5"]) == 0
    lines = re.findall(r"vid_1  (\w+)\s+(\d+\.\d) s", tty.getvalue())
    ticks = [t for status, t in lines if status == "processing"]
    assert len(ticks) >= 3 and len(set(ticks)) >= 3  # drawn at the poll, then redrawn with a moving time
    assert lines[-1][0] == "completed"


def test_help_exits_0_and_documents_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0
    assert "6 wait timed out" in capsys.readouterr().out
