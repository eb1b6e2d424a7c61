"""docs/testing-error-handling.md carries the table generated from the catalogue, word for word."""

from __future__ import annotations

import inspect
from pathlib import Path

from mockserver.spec.catalogue import catalogue
from mockserver.spec.docs_table import one_liner, page_table, table
from mockserver.web.app import DEFAULTS
from tests.conftest import default_catalogue

PAGE = Path(__file__).resolve().parents[3] / "docs" / "testing-error-handling.md"


def test_the_page_shows_the_catalogue_as_generated() -> None:
    # `python -m mockserver.spec.docs_table` builds with catalogue()'s defaults: a default emulator's settings.
    defaults = inspect.signature(catalogue).parameters
    assert defaults["max_body_bytes"].default == DEFAULTS["MAX_BODY_BYTES"]
    assert defaults["retention"].default == DEFAULTS["RETENTION_SECONDS"]
    expected = table(default_catalogue())
    assert page_table(PAGE.read_text(encoding="utf-8")) == expected, (
        "regenerate the table: python -m mockserver.spec.docs_table, and paste it over the old one")


def test_every_item_has_a_row_with_a_one_liner() -> None:
    items = default_catalogue()
    text = PAGE.read_text(encoding="utf-8")
    for item in items:
        assert f"| `{item.id}` " in text
        assert one_liner(item)
