"""Fixtures for the dashboard tests: Debian's chromium under pytest-playwright, a live emulator, and a page
that fails the test on any console error or uncaught exception."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page

from mockserver.server import EmbeddedServer

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--no-first-run", "--disable-sync"]
CREATE = "/api/open-api/v1/seedance/videos"
TOKEN = "sk_test"
OTHER = "sk_other"
SCREENSHOTS = Path(__file__).resolve().parents[3] / "docs" / "screenshots" / "latest"


def chromium_path() -> str:
    """The system chromium (Debian's package): a missing browser fails the run, it never skips it."""
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        pytest.fail("chromium is not installed: `apt-get install chromium` (.ci/run does this)")
    return path


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    """pytest-playwright launches the system chromium (pip's `playwright install` cannot download here)."""
    return {**browser_type_launch_args, "executable_path": chromium_path(), "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict[str, Any]) -> dict[str, Any]:
    """A desktop-sized window, so that screenshots show the layout people get."""
    return {**browser_context_args, "viewport": {"width": 1440, "height": 900}}


@pytest.fixture(scope="session")
def server() -> Iterator[EmbeddedServer]:
    """One live emulator for the session (reset before each test)."""
    with EmbeddedServer({"SEED": 0, "API_KEYS": [TOKEN, OTHER], "INSTANCE": "worker-a"}) as srv:
        yield srv


@pytest.fixture
def url(server: EmbeddedServer) -> str:
    """The emulator's base URL, with its state reset."""
    answer = requests.post(f"{server.url}/_mock/reset", timeout=5)
    assert answer.status_code == 200, answer.text
    return server.url


@pytest.fixture
def dash(page: Page) -> Iterator[Page]:
    """The playwright page; the test fails if any console error or page error shows up."""
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(f"console: {msg.text}") if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(f"page error: {exc}"))
    page.set_default_timeout(5000)
    yield page
    assert errors == []


@pytest.fixture(scope="session")
def axe() -> Axe:
    """axe-core (bundled by axe-playwright-python: no network)."""
    return Axe()


def create(base: str, token: str = TOKEN, **fields: Any) -> requests.Response:
    """POST a create (a valid STD body with `fields` changed; a field set to None is left out)."""
    body: dict[str, Any] = {"model": "seedance2.0-std", "prompt": "a cat on a roof", "duration": 5}
    body.update(fields)
    body = {k: v for k, v in body.items() if v is not None}
    return requests.post(f"{base}{CREATE}", json=body, headers={"Authorization": f"Bearer {token}"}, timeout=10)


def create_id(base: str, token: str = TOKEN, **fields: Any) -> str:
    """Create a valid task and return its id."""
    answer = create(base, token, **fields)
    assert answer.status_code == 200, answer.text
    task_id: str = answer.json()["data"]["task_id"]
    return task_id


def query(base: str, task_id: str, token: str = TOKEN) -> dict[str, Any]:
    """The public GET of a task: its `data`."""
    answer = requests.get(f"{base}/api/open-api/v1/videos/{task_id}", headers={"Authorization": f"Bearer {token}"},
                          timeout=10)
    assert answer.status_code == 200, answer.text
    data: dict[str, Any] = answer.json()["data"]
    return data


def screenshot(page: Page, name: str) -> Path:
    """Save a full-page screenshot under docs/screenshots/latest/."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
