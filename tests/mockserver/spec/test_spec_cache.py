"""spec_cache.py: a spec read before comes back from JSON exactly as YAML read it; anything the cache cannot
hold or read means the YAML is parsed as before."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from mockserver.spec import loader, spec_cache
from mockserver.spec.loader import spec_path


@pytest.fixture(autouse=True)
def cache_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each test gets its own cache folder."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    return tmp_path / "xdg" / "seedance-mock"


def _load_uncached(path: Path) -> dict[str, Any]:
    """loader's file read, without its per-process memo."""
    found: dict[str, Any] = loader._load.__wrapped__(str(path))
    return found


def test_the_second_read_skips_yaml_and_gives_back_the_same_spec(monkeypatch: pytest.MonkeyPatch,
                                                                 cache_home: Path) -> None:
    path = spec_path()
    first = _load_uncached(path)
    assert first == yaml.safe_load(path.read_text(encoding="utf-8"))
    assert len(list(cache_home.glob("spec-*.json"))) == 1

    def no_yaml(text: str) -> Any:
        raise AssertionError("parsed the YAML again")

    monkeypatch.setattr(loader, "_parse_yaml", no_yaml)
    second = _load_uncached(path)
    assert second == first and list(second) == list(first)  # same keys, same order


def test_changed_bytes_are_parsed_again(tmp_path: Path, cache_home: Path) -> None:
    spec = tmp_path / "spec.yaml"
    spec.write_text("openapi: 3.1.0\ninfo: {title: a}\n", encoding="utf-8")
    assert _load_uncached(spec)["info"] == {"title": "a"}
    spec.write_text("openapi: 3.1.0\ninfo: {title: b}\n", encoding="utf-8")
    assert _load_uncached(spec)["info"] == {"title": "b"}
    assert len(list(cache_home.glob("spec-*.json"))) == 2


@pytest.mark.parametrize("text", ["200: ok\n", "when: 2026-12-06\n", "x: .nan\n", "x: !!binary aGk=\n"],
                         ids=["integer key", "date", "nan", "bytes"])
def test_what_json_cannot_hold_exactly_is_not_kept(text: str, cache_home: Path) -> None:
    spec = yaml.safe_load(text)
    spec_cache.write(text.encode(), spec)
    assert spec_cache.read(text.encode()) is None
    assert not list(cache_home.glob("spec-*.json"))


def test_a_damaged_entry_is_ignored(tmp_path: Path, cache_home: Path) -> None:
    spec = tmp_path / "spec.yaml"
    spec.write_text("openapi: 3.1.0\ninfo: {title: a}\n", encoding="utf-8")
    _load_uncached(spec)
    (entry,) = cache_home.glob("spec-*.json")
    entry.write_bytes(b'{"openapi": "3.1.0", "info": {"tit')
    assert spec_cache.read(spec.read_bytes()) is None
    assert _load_uncached(spec)["info"] == {"title": "a"}
    entry.write_bytes(b'["a list"]')
    assert spec_cache.read(spec.read_bytes()) is None


def test_an_unusable_cache_folder_changes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder", encoding="utf-8")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))
    spec = tmp_path / "spec.yaml"
    spec.write_text("openapi: 3.1.0\n", encoding="utf-8")
    assert _load_uncached(spec) == {"openapi": "3.1.0"}
    assert _load_uncached(spec) == {"openapi": "3.1.0"}


def test_the_folder_holds_at_most_max_files(cache_home: Path) -> None:
    for n in range(spec_cache.MAX_FILES + 3):
        spec_cache.write(f"n: {n}\n".encode(), {"n": n})
    assert len(list(cache_home.glob("spec-*.json"))) == spec_cache.MAX_FILES
    assert not list(cache_home.glob(".spec-*"))


def test_yaml_errors_still_name_the_line(tmp_path: Path) -> None:
    spec = tmp_path / "broken.yaml"
    spec.write_text("openapi: [\n", encoding="utf-8")
    with pytest.raises(ValueError, match="not valid YAML at line 2"):
        loader.load_checked_spec(spec)
