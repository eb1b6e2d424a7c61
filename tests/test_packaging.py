"""A non-editable install ships openapi.yaml where mockserver and contracts look for it."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
# pip builds the wheel and every test runs Python in a subprocess on it: slow (CI runs them).
pytestmark = pytest.mark.slow


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
    """Unpacked away from the repo, both spec loaders (the emulator's and the contract kit's) read the shipped copy."""
    target = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(target)
    code = (
        "import sys; from mockserver.spec import loader; from contracts import spec; "
        "paths = {str(loader.spec_path()), str(spec.locate_spec())}; "
        "ok = all('seedance_openapi' in p for p in paths); "
        "ok = ok and loader.load_spec()['paths'] and spec.load_spec()['paths']; "
        "sys.exit(0 if ok else 1)"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env={"PYTHONPATH": str(target)},
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr


def test_wheel_ships_the_dashboard_templates_and_static_files(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    assert any(n.startswith("mockserver/web/dashboard/templates/") and n.endswith(".html") for n in names)
    assert any(n.startswith("mockserver/web/dashboard/static/") and n.endswith(".js") for n in names)


# The base install's dependencies (requests and what it needs): nothing of the extras.
BASE_DEPENDENCIES = ("requests", "urllib3", "idna", "certifi", "charset_normalizer")


def base_install(wheel: Path, target: Path) -> dict[str, str]:
    """The wheel unpacked beside only the base dependencies; the environment that sees nothing else."""
    import importlib.util

    site = target / "site"
    zipfile.ZipFile(wheel).extractall(site)
    for name in BASE_DEPENDENCIES:
        spec = importlib.util.find_spec(name)
        assert spec is not None and spec.origin is not None
        (site / name).symlink_to(Path(spec.origin).parent, target_is_directory=True)
    return {"PYTHONPATH": str(site), "PATH": "/usr/bin:/bin"}


def run_isolated(code: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """`python -S` (no site-packages at all) with PYTHONPATH = the base install only."""
    return subprocess.run([sys.executable, "-S", "-c", code], capture_output=True, text=True, env=env, cwd=cwd,
                          timeout=120)


def test_the_base_install_is_the_client_alone(wheel: Path, tmp_path: Path) -> None:
    env = base_install(wheel, tmp_path)
    probe = run_isolated(
        "import importlib.util as u, sys; import client; "
        "absent = [m for m in ('flask', 'av', 'schemathesis', 'hypothesis', 'yaml', 'werkzeug') if u.find_spec(m)]; "
        "print(absent, sorted(m for m in sys.modules if m.split('.')[0] in ('mockserver', 'contracts', 'flask')))",
        env, tmp_path)
    assert probe.returncode == 0, probe.stderr
    assert probe.stdout.strip() == "[] []"  # nothing of the extras is there, and the client pulls in nothing


def test_seedance_help_runs_on_the_base_install(wheel: Path, tmp_path: Path) -> None:
    env = base_install(wheel, tmp_path)
    done = run_isolated("import sys; sys.argv = ['seedance', '--help']; import client.cli; client.cli.main()", env,
                        tmp_path)
    assert "create" in done.stdout and "usage: seedance" in done.stdout, done.stderr


@pytest.mark.parametrize(
    ("module", "argv", "extra"),
    [("mockserver.cli", ["seedance-mock", "--port", "0"], "[mock]"),
     ("contracts.cli", ["seedance-contracts", "rules"], "[contracts]")],
)
def test_a_command_without_its_extra_names_the_extra_in_one_line(
    wheel: Path, tmp_path: Path, module: str, argv: list[str], extra: str
) -> None:
    env = base_install(wheel, tmp_path)
    done = run_isolated(f"import sys; sys.argv = {argv!r}; import {module}; sys.exit({module}.main())", env, tmp_path)
    assert done.returncode == 1, (done.stdout, done.stderr)
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and f"seedance-contract-kit{extra}" in lines[0], done.stderr


def test_the_async_client_without_its_extra_names_the_extra(wheel: Path, tmp_path: Path) -> None:
    """The base install has no httpx: `import client` works, `AsyncSeedanceClient` says which extra to install."""
    env = base_install(wheel, tmp_path)
    done = run_isolated(
        "import sys, client; assert 'httpx' not in sys.modules and 'anyio' not in sys.modules\n"
        "try:\n    from client import AsyncSeedanceClient\nexcept ImportError as exc:\n    print(exc)\n",
        env, tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "AsyncSeedanceClient needs httpx: pip install 'seedance-contract-kit[async]'"
