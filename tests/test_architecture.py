"""The layers import only what ARCHITECTURE.md allows, and modules stay small and documented."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PACKAGES = ("mockserver", "client", "contracts")
FORBIDDEN: dict[str, set[str]] = {
    # client is an independent reading of the documents: it must not see the spec or the other packages.
    "client": {"mockserver", "contracts", "yaml", "jsonschema", "jsonschema_rs", "flask", "schemathesis"},
    # An emulator that shared the oracle's code could not be caught by it.
    "mockserver": {"client", "contracts", "schemathesis", "hypothesis"},
    "contracts": {"client", "mockserver", "flask"},
}


def imported_roots(path: Path) -> set[str]:
    """Top-level module names a source file imports (absolute imports only)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    roots: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            roots.add(node.module.split(".")[0])
    return roots


def sources(package: str) -> list[Path]:
    """Every Python file of a package."""
    return sorted((REPO / package).rglob("*.py"))


@pytest.mark.parametrize("package", PACKAGES)
def test_package_imports_respect_the_layers(package: str) -> None:
    files = sources(package)
    assert files, f"{package} has no modules"
    offenders = {
        str(f.relative_to(REPO)): sorted(imported_roots(f) & FORBIDDEN[package]) for f in files
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_the_checker_sees_imports(tmp_path: Path) -> None:
    probe = tmp_path / "probe.py"
    probe.write_text("import mockserver.backend\nfrom contracts import x\nfrom . import sibling\n", encoding="utf-8")
    assert imported_roots(probe) == {"mockserver", "contracts"}


@pytest.mark.parametrize("package", PACKAGES)
def test_modules_are_small_and_typed(package: str) -> None:
    assert (REPO / package / "py.typed").is_file()
    for f in sources(package):
        lines = f.read_text(encoding="utf-8").count("\n")
        assert lines <= 450, f"{f.relative_to(REPO)} has {lines} lines"
        assert ast.get_docstring(ast.parse(f.read_text(encoding="utf-8"))), f"{f.relative_to(REPO)} lacks a docstring"


@pytest.mark.parametrize("package", PACKAGES)
def test_public_names_have_docstrings(package: str) -> None:
    missing = []
    for f in sources(package):
        tree = ast.parse(f.read_text(encoding="utf-8"))
        public = (n for n in tree.body if isinstance(n, ast.FunctionDef | ast.ClassDef) and not n.name.startswith("_"))
        missing.extend(f"{f.relative_to(REPO)}:{n.name}" for n in public if not ast.get_docstring(n))
    assert missing == []
