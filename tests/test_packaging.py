"""A non-editable install ships openapi.yaml where mockserver and contracts look for it."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Build the project's wheel offline (no build isolation: hatchling comes from the test extras)."""
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index", "-q", "-w", str(out),
         str(REPO)],
        check=True, capture_output=True, timeout=300,
    )
    (built,) = out.glob("*.whl")
    return built


def test_wheel_ships_the_one_spec_and_the_packages(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "seedance_openapi/openapi.yaml" in names
    for package in ("mockserver", "client", "contracts"):
        assert f"{package}/__init__.py" in names
        assert f"{package}/py.typed" in names
    shipped = zipfile.ZipFile(wheel).read("seedance_openapi/openapi.yaml")
    assert shipped == (REPO / "openapi.yaml").read_bytes()


def test_wheel_declares_the_console_scripts_and_plugin(wheel: Path) -> None:
    archive = zipfile.ZipFile(wheel)
    (entry_points,) = [n for n in archive.namelist() if n.endswith("entry_points.txt")]
    text = archive.read(entry_points).decode()
    for line in ("seedance-mock = mockserver.cli:main", "seedance = client.cli:main",
                 "seedance-contracts = contracts.cli:main", "seedance_mock = mockserver.pytest_plugin"):
        assert line in text


def test_installed_wheel_finds_its_spec(wheel: Path, tmp_path: Path) -> None:
    """Unpacked away from the repo, the spec loaders find the shipped copy."""
    target = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(target)
    code = (
        "import importlib.resources as r, sys; "
        "p = r.files('seedance_openapi') / 'openapi.yaml'; "
        "sys.exit(0 if p.is_file() and b'createVideo' in p.read_bytes() else 1)"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=tmp_path, env={"PYTHONPATH": str(target)}, timeout=60)
