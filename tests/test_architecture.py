"""The layers import only what ARCHITECTURE.md allows, and modules stay small and documented."""

from __future__ import annotations

import ast
import functools
import subprocess
import sys
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


# mockserver's layers, module by module (ARCHITECTURE.md): which of its own layers and which libraries each
# may import. A module's layer is the first folder under mockserver/ ("" for the top-level modules).
LAYER_MAY_IMPORT: dict[str, set[str]] = {
    "state": {"state"},
    "spec": {"spec", "state"},
    "media": {"media", "state"},
    "upstream": {"upstream", "state", "spec"},
    "web": {"web", "state", "spec", "media", "upstream", "version"},
    "serving": {"serving", "web", "state", "version", ""},
}
LAYER_MUST_NOT_USE: dict[str, set[str]] = {
    # The state layer is moto-style: no HTTP framework, no server, no schema library.
    "state": {"flask", "werkzeug", "waitress", "granian", "jsonschema", "jsonschema_rs", "yaml", "av", "requests"},
    "spec": {"flask", "werkzeug", "waitress", "granian", "redis", "av", "requests"},
    "media": {"flask", "werkzeug", "waitress", "granian", "redis", "jsonschema", "yaml", "requests"},
    "upstream": {"flask", "werkzeug", "waitress", "granian", "redis", "av", "pytest"},
    "web": {"granian", "redis", "requests", "pytest"},
    "serving": {"redis", "jsonschema", "av", "pytest"},
}


@functools.cache
def parsed(path: Path) -> ast.Module:
    """A source file's syntax tree, parsed once for every test here (the tests only read it)."""
    return ast.parse(path.read_text(encoding="utf-8"))


@functools.cache
def nodes(path: Path) -> tuple[ast.AST, ...]:
    """Every node of a source file's tree."""
    return tuple(ast.walk(parsed(path)))


def imports_of(path: Path) -> set[str]:
    """Dotted module names a source file imports (absolute imports only, at any depth)."""
    names: set[str] = set()
    for node in nodes(path):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
    return names


def imported_roots(path: Path) -> set[str]:
    """Top-level module names a source file imports (absolute imports only)."""
    return {name.split(".")[0] for name in imports_of(path)}


def layer_of(module: str) -> str:
    """`mockserver.web.api_views` -> "web"; `mockserver.cli` -> ""; `mockserver.version` -> "version"."""
    parts = module.split(".")
    if len(parts) < 2:
        return ""
    inner = REPO / "mockserver" / parts[1]
    return parts[1] if inner.is_dir() or parts[1] == "version" else ""


@pytest.mark.parametrize("layer", sorted(LAYER_MAY_IMPORT))
def test_mockserver_layers_import_only_what_they_may(layer: str) -> None:
    offenders: dict[str, list[str]] = {}
    for path in sorted((REPO / "mockserver" / layer).rglob("*.py")):
        bad = []
        for name in imports_of(path):
            if name == "mockserver" or name.startswith("mockserver."):
                target = layer_of(name) if name != "mockserver" else ""
                if target not in LAYER_MAY_IMPORT[layer]:
                    bad.append(name)
            elif name.split(".")[0] in LAYER_MUST_NOT_USE[layer]:
                bad.append(name)
        if not path.name.startswith("redis_") and any(n.split(".")[0] in ("redis", "hiredis")
                                                       for n in imports_of(path)):
            bad.append("redis (only state/redis_*.py)")
        if bad:
            offenders[str(path.relative_to(REPO))] = sorted(bad)
    assert offenders == {}


def test_the_state_layer_loads_without_flask_servers_or_schema_libraries() -> None:
    """In a fresh interpreter: importing the backend pulls in none of them (not even through __init__)."""
    code = (
        "import sys, mockserver.state.backend, mockserver.state.sqlite; "
        "heavy = {'flask', 'werkzeug', 'waitress', 'granian', 'jsonschema', 'jsonschema_rs', 'yaml', 'av'}; "
        "print(sorted(heavy & {m.split('.')[0] for m in sys.modules}))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO, timeout=60)
    assert out.stdout.strip() == "[]"


def own_imports(path: Path, package: str) -> set[str]:
    """Modules of `package` a file imports, when it loads or later inside a function (lazy imports count:
    they close a circle just the same, only later); `from package import submodule` counts as importing
    the submodule."""
    found: set[str] = set()
    for node in nodes(path):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.split(".")[0] == package)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and (node.module or "").split(".")[0] == package:
            module = str(node.module)
            folder = REPO.joinpath(*module.split("."))
            subs = [a.name for a in node.names if (folder / f"{a.name}.py").is_file()]
            if subs:
                found.update(f"{module}.{sub}" for sub in subs)
            else:
                found.add(module)
    return found


def in_cycles(graph: dict[str, set[str]]) -> list[str]:
    """The nodes of `graph` that can reach themselves."""

    def reach(start: str) -> set[str]:
        seen: set[str] = set()
        stack = list(graph.get(start, ()))
        while stack:
            current = stack.pop()
            if current not in seen:
                seen.add(current)
                stack.extend(graph.get(current, ()))
        return seen

    return sorted(node for node in graph if node in reach(node))


def test_the_cycle_finder_finds_cycles() -> None:
    assert in_cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == ["a", "b", "c"]
    assert in_cycles({"a": {"b"}, "b": set()}) == []


def module_name(path: Path) -> str:
    """`mockserver/web/app.py` -> `mockserver.web.app`; a package's `__init__.py` -> the package."""
    return ".".join(path.relative_to(REPO).with_suffix("").parts).removesuffix(".__init__")


@pytest.mark.parametrize("package", PACKAGES)
def test_no_import_circles_lazy_imports_included(package: str) -> None:
    graph = {module_name(path): own_imports(path, package) - {module_name(path)} for path in sources(package)}
    assert in_cycles(graph) == []


def test_the_import_reader_sees_lazy_imports(tmp_path: Path) -> None:
    probe = tmp_path / "probe.py"
    probe.write_text("def f():\n    from mockserver.state import store\n    import mockserver.web.app\n", "utf-8")
    assert own_imports(probe, "mockserver") == {"mockserver.state.store", "mockserver.web.app"}


@pytest.mark.parametrize("package", PACKAGES)
def test_architecture_names_every_module(package: str) -> None:
    """ARCHITECTURE.md names each module by its file name (`__init__.py` and `__main__.py` aside)."""
    text = (REPO / "ARCHITECTURE.md").read_text(encoding="utf-8")
    unnamed = [str(f.relative_to(REPO)) for f in sources(package)
               if f.name not in ("__init__.py", "__main__.py") and f"`{f.name}`" not in text
               and f"{f.parent.name}/{f.name}`" not in text]
    assert unnamed == []


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
    probe.write_text("import mockserver.state.backend\nfrom contracts import x\nfrom . import sib\n", encoding="utf-8")
    assert imported_roots(probe) == {"mockserver", "contracts"}


@pytest.mark.parametrize("package", PACKAGES)
def test_modules_are_small_and_typed(package: str) -> None:
    assert (REPO / package / "py.typed").is_file()
    for f in sources(package):
        lines = f.read_text(encoding="utf-8").count("\n")
        assert lines <= 450, f"{f.relative_to(REPO)} has {lines} lines"
        assert ast.get_docstring(parsed(f)), f"{f.relative_to(REPO)} lacks a docstring"


@pytest.mark.parametrize("package", PACKAGES)
def test_public_names_have_docstrings(package: str) -> None:
    missing = []
    for f in sources(package):
        tree = parsed(f)
        public = (n for n in tree.body if isinstance(n, ast.FunctionDef | ast.ClassDef) and not n.name.startswith("_"))
        missing.extend(f"{f.relative_to(REPO)}:{n.name}" for n in public if not ast.get_docstring(n))
    assert missing == []
