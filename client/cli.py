"""``seedance``: the command line over ``SeedanceClient`` (create, status, wait, download).

Exit codes (each explained in docs/client.md, section "Exit codes"):
  0 ok · 1 other error · 2 usage · 3 request rejected (validation, 400/413/415) · 4 authentication ·
  5 task failed · 6 wait timed out · 7 not found or result expired · 8 rate limited, server error,
  connection failure or an answer that breaks the protocol · 130 interrupted (143 on SIGTERM).
With --json every error, usage errors included, is one JSON object on stdout: {"error": {...}}.
"""

from __future__ import annotations

import argparse
import difflib
import json
import os
import sys
from collections.abc import Sequence
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any, TextIO

from client.api import DEFAULT_BASE_URL, SeedanceClient
from client.billing import usage_of
from client.display import Display
from client.errors import (
    APIConnectionError,
    AuthenticationError,
    NotFoundError,
    RateLimitError,
    SeedanceError,
    ServerError,
    TaskFailedError,
    ValidationError,
    WaitTimeout,
)
from client.models import Task
from client.validation import MODEL_FAMILY

__all__ = ["EXIT_CODES", "main", "package_version"]

DISTRIBUTION = "seedance-contract-kit"
REQUIRED_TO_CREATE = ("model", "prompt", "duration")

EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_REJECTED, EXIT_AUTH = 0, 1, 2, 3, 4
EXIT_FAILED, EXIT_TIMEOUT, EXIT_NOT_FOUND, EXIT_UNAVAILABLE, EXIT_INTERRUPTED = 5, 6, 7, 8, 130
# Most specific first: the first matching class decides the exit code.
EXIT_CODES: tuple[tuple[type[SeedanceError], int], ...] = (
    (ValidationError, EXIT_REJECTED),
    (AuthenticationError, EXIT_AUTH),
    (TaskFailedError, EXIT_FAILED),
    (WaitTimeout, EXIT_TIMEOUT),
    (NotFoundError, EXIT_NOT_FOUND),  # includes ResultExpiredError
    (RateLimitError, EXIT_UNAVAILABLE),
    (ServerError, EXIT_UNAVAILABLE),
    (APIConnectionError, EXIT_UNAVAILABLE),
)


def package_version() -> str:
    """The installed distribution's version ("0+unknown" in a checkout that was never installed)."""
    try:
        return version(DISTRIBUTION)
    except PackageNotFoundError:
        return "0+unknown"


def _number(text: str) -> int | float:
    """An int when integral, else a float, so pre-flight (not argparse) judges 5.5 with its rule id."""
    try:
        return int(text)
    except ValueError:
        try:
            return float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None


def _header(text: str) -> tuple[str, str]:
    name, sep, value = text.partition(":")
    if not sep or not name.strip():
        raise argparse.ArgumentTypeError(f"expected 'Name: value', got {text!r}")
    return name.strip(), value.strip()


class UsageError(Exception):
    """A usage error found by a parser (argparse's or ours): the parser whose usage line to show and why."""

    def __init__(self, parser: argparse.ArgumentParser, message: str) -> None:
        super().__init__(message)
        self.parser = parser
        self.message = message


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser that raises ``UsageError`` instead of printing and exiting (so --json can say it)."""

    def error(self, message: str) -> Any:  # argparse's hook for every usage error
        raise UsageError(self, message)


def _add_global_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--api-key", help="API key (default: $SEEDANCE_API_KEY)")
    parser.add_argument("--base-url", help="API base URL (default: $SEEDANCE_BASE_URL or the real service)")
    parser.add_argument("--timeout", type=float, help="total seconds per HTTP request, answer included (default 60)")
    parser.add_argument("--retries", type=int, help="retries of a failed request where safe (default 3)")
    parser.add_argument("--json", action="store_true", help="print machine-readable JSON on stdout")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="seedance", description="Create Seedance video tasks, wait for them, "
                                     "download the results.", epilog=(__doc__ or "").split("\n\n", 1)[-1],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"%(prog)s {package_version()}")
    _add_global_options(parser)
    parser.set_defaults(timeout=(10.0, 60.0), retries=3)  # the client's default: 10 s of the 60 to connect
    # Global options also work after the subcommand: the subparsers repeat them with SUPPRESS defaults,
    # so a value given before the subcommand is not overwritten by a subparser default.
    common = _Parser(add_help=False, argument_default=argparse.SUPPRESS)
    _add_global_options(common)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    waiting = _Parser(add_help=False)
    waiting.add_argument("--wait-timeout", type=float, default=600.0, help="give up after S seconds (600)")
    waiting.add_argument("--poll-interval", type=float, default=2.0, help="first poll interval in s (2, grows)")
    waiting.add_argument("--force", action="store_true", help="overwrite the --output file if it exists")

    create = commands.add_parser("create", parents=[common, waiting], help="create a video task")
    # Required unless --no-validate (which sends whatever is given, to see what the server says).
    create.add_argument("--model", help="model id, e.g. seedance2.0-std (required)")
    create.add_argument("--prompt", help="text prompt (required)")
    create.add_argument("--duration", type=_number, help="length in seconds (required)")
    create.add_argument("--ratio", help="aspect ratio, e.g. 16:9")
    create.add_argument("--resolution", help="480p, 720p or 1080p (SP / Mini routes)")
    create.add_argument("--orientation", help="landscape or portrait")
    create.add_argument("--image", dest="images", action="append", metavar="URL", help="reference image (repeat)")
    create.add_argument("--first-image", metavar="URL", help="first frame")
    create.add_argument("--last-image", metavar="URL", help="last frame")
    create.add_argument("--reference-video", dest="reference_videos", action="append", metavar="URL",
                        help="reference video (repeat)")
    create.add_argument("--reference-audio", dest="reference_audios", action="append", metavar="URL",
                        help="reference audio (repeat)")
    create.add_argument("--header", dest="headers", action="append", type=_header, metavar="'NAME: VALUE'",
                        help="extra request header (repeat), e.g. 'X-Seedance-Mock: complete'")
    create.add_argument("--no-validate", action="store_true", help="skip pre-flight checks")
    create.add_argument("--wait", action="store_true", help="wait until the task is finished")
    create.add_argument("--output", "-o", metavar="FILE", help="wait, then download the video to FILE")

    status = commands.add_parser("status", parents=[common], help="show a task")
    status.add_argument("task_id")

    wait = commands.add_parser("wait", parents=[common, waiting], help="wait until a task is finished")
    wait.add_argument("task_id")
    wait.add_argument("--output", "-o", metavar="FILE", help="then download the video to FILE")

    download = commands.add_parser("download", parents=[common], help="download a finished task's video")
    download.add_argument("target", metavar="TASK_ID_OR_URL")
    download.add_argument("--output", "-o", metavar="PATH", default=".", help="file or directory (default .)")
    download.add_argument("--force", action="store_true", help="overwrite the file if it exists")
    for command, sub in ((c, p) for c, p in (("create", create), ("status", status), ("wait", wait),
                                              ("download", download))):
        sub.set_defaults(command_parser=sub, command=command)
    return parser


def _check_usage(args: argparse.Namespace) -> None:
    """Usage errors argparse cannot see: exit 2 with the subcommand's usage line, as argparse does."""
    parser: argparse.ArgumentParser = args.command_parser
    if args.command == "create" and not args.no_validate:
        missing = [f"--{name}" for name in REQUIRED_TO_CREATE if getattr(args, name) is None]
        if missing:
            parser.error(f"the following arguments are required: {', '.join(missing)}")
    for name in ("task_id", "target"):
        if getattr(args, name, None) == "":
            parser.error(f"{name.upper()} must not be empty")


def _print_task(task: Task, out: TextIO, path: Path | None = None) -> None:
    rows: list[tuple[str, Any]] = [("task_id", task.task_id), ("status", task.status), ("model", task.model),
                                   ("created_at", task.created_at)]
    if task.video_url:
        rows += [("video_url", task.video_url), ("expires_at", task.expires_at)]
    if task.error:
        rows.append(("error", f"{task.error.code}: {task.error.message}"))
    if path is not None:
        rows.append(("saved", path))
    for key, value in rows:
        out.write(f"{key:<11} {value}\n")


def _emit(args: argparse.Namespace, out: TextIO, task: Task | None, path: Path | None = None,
          usage: dict[str, object] | None = None) -> None:
    if args.json:
        payload: dict[str, Any] = task.to_dict() if task is not None else {}
        if path is not None:
            payload["path"] = str(path)
        if usage is not None:  # what this task would be billed (unit and seconds; prices are not documented)
            payload["usage"] = usage
        out.write(json.dumps(payload) + "\n")
    elif task is not None:
        _print_task(task, out, path)
    elif path is not None:
        out.write(f"{path}\n")


def _run(args: argparse.Namespace, api: SeedanceClient, out: TextIO, display: Display) -> int:
    def wait(task_or_id: Task | str) -> Task:
        """Wait with the live display, always closing its line."""
        try:
            return api.wait(task_or_id, timeout=args.wait_timeout, poll_interval=args.poll_interval,
                            on_update=display.task)
        finally:
            display.end_line()

    def download(target: Task | str, where: str) -> Path:
        """Download with progress, always closing the progress line."""
        try:
            return api.download(target, where, on_progress=display.progress, overwrite=args.force)
        finally:
            display.end_line()

    if args.command == "create":
        fields = {name: getattr(args, name) for name in (
            "model", "prompt", "duration", "ratio", "resolution", "orientation", "images", "first_image",
            "last_image", "reference_videos", "reference_audios")}
        task = api.create_video(**fields, validate=False if args.no_validate else None,
                                headers=dict(args.headers or []))
        if args.wait or args.output:
            display.task(task)
            task = wait(task)
        path = download(task, args.output) if args.output else None
        _emit(args, out, task, path, usage_of(args.model, args.duration, args.resolution))
    elif args.command == "status":
        _emit(args, out, api.get_task(args.task_id))
    elif args.command == "wait":
        task = wait(args.task_id)
        _emit(args, out, task, download(task, args.output) if args.output else None)
    else:
        _emit(args, out, None, download(args.target, args.output))
    return EXIT_OK


def _json_error(out: TextIO, kind: str, message: str, code: int, **extra: Any) -> None:
    detail: dict[str, Any] = {"type": kind, "message": message, "status": None, "error_id": None,
                              "exit_code": code, **extra}
    out.write(json.dumps({"error": detail}) + "\n")


def _model_hint(error: ValidationError, model: object) -> list[str]:
    """The valid model ids closest to an unknown ``--model`` (all of them when none is close)."""
    if "MODEL_KNOWN" not in error.rules or not isinstance(model, str):
        return []
    return difflib.get_close_matches(model, list(MODEL_FAMILY), n=3, cutoff=0.6) or sorted(MODEL_FAMILY)


def _report(error: SeedanceError, args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    code = next((exit_code for cls, exit_code in EXIT_CODES if isinstance(error, cls)), EXIT_ERROR)
    violations = error.violations if isinstance(error, ValidationError) else ()
    pre_flight = isinstance(error, ValidationError) and error.status is None
    # Pre-flight messages list every violation; the lines below already do, one per rule.
    err.write(f"seedance: error: {'request rejected before sending' if pre_flight else error}\n")
    for violation in violations:
        where = f" ({violation.field})" if violation.field else ""
        err.write(f"  {violation.rule}{where}: {violation.message}\n")
    if isinstance(error, ValidationError) and not violations and error.rules:
        err.write(f"  rules: {', '.join(error.rules)}\n")
    models = _model_hint(error, getattr(args, "model", None)) if isinstance(error, ValidationError) else []
    if models:
        err.write(f"  {'did you mean' if len(models) <= 3 else 'valid models'}: {', '.join(models)}\n")
    task = getattr(error, "task", None)
    if isinstance(error, WaitTimeout) and task is not None:
        err.write(f"  resume with: seedance wait {task.task_id}\n")
    retry_after = getattr(error, "retry_after", None)
    if retry_after is not None:
        err.write(f"  the server asks to retry after {retry_after:g} s\n")
    if args.json:
        extra: dict[str, Any] = {"status": error.status, "error_id": error.error_id}
        if isinstance(error, ValidationError):
            extra["rules"] = list(error.rules)
            extra["violations"] = [{"rule": v.rule, "field": v.field, "message": v.message} for v in violations]
        if models:
            extra["models"] = models
        if isinstance(error, RateLimitError | ServerError):
            extra["retry_after"] = retry_after
        if isinstance(task, Task):
            extra["task"] = task.to_dict()
        _json_error(out, type(error).__name__, error.message, code, **extra)
    return code


def _usage(error: UsageError, want_json: bool, out: TextIO, err: TextIO) -> int:
    usage = error.parser.format_usage()
    err.write(f"{usage}{error.parser.prog}: error: {error.message}\n")
    if want_json:
        _json_error(out, "UsageError", error.message, EXIT_USAGE, usage=usage.strip())
    return EXIT_USAGE


def _fail(args: argparse.Namespace, out: TextIO, err: TextIO, kind: str, message: str, code: int) -> int:
    err.write(f"seedance: {message}\n")
    if args.json:
        _json_error(out, kind, message.removeprefix("error: "), code)
    return code


def _needs_key(args: argparse.Namespace) -> bool:
    """Every command sends the key, except downloading a result URL given whole."""
    return not (args.command == "download" and args.target.startswith(("http://", "https://")))


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``seedance`` command; return its exit code (see the module docstring)."""
    out, err = sys.stdout, sys.stderr
    words = list(sys.argv[1:] if argv is None else argv)
    try:
        args = _parser().parse_args(words)
        _check_usage(args)
    except UsageError as error:
        return _usage(error, "--json" in words, out, err)
    except SystemExit as exc:  # --help or --version
        return exc.code if isinstance(exc.code, int) else EXIT_OK
    if _needs_key(args) and not (args.api_key or os.environ.get("SEEDANCE_API_KEY")):
        return _fail(args, out, err, "AuthenticationError",
                     "error: no API key: pass --api-key KEY or set SEEDANCE_API_KEY", EXIT_AUTH)
    if not (args.base_url or os.environ.get("SEEDANCE_BASE_URL")):
        err.write(f"seedance: note: neither --base-url nor SEEDANCE_BASE_URL is set: calling the real (paid) "
                  f"service at {DEFAULT_BASE_URL}\n")
    display = Display(err)
    try:
        with SeedanceClient(args.api_key, args.base_url, timeout=args.timeout, max_retries=args.retries,
                            sleep=display.sleep) as api:
            return _run(args, api, out, display)
    except SeedanceError as error:
        display.end_line()
        return _report(error, args, out, err)
    except KeyboardInterrupt:
        display.end_line()
        return _fail(args, out, err, "Interrupted", "interrupted", EXIT_INTERRUPTED)
    except OSError as error:  # e.g. the output directory is not writable, or the file exists
        display.end_line()
        return _fail(args, out, err, type(error).__name__, f"error: {error}", EXIT_ERROR)


if __name__ == "__main__":
    raise SystemExit(main())
