"""docs/testing-error-handling.md carries the table generated from the catalogue, word for word."""

from __future__ import annotations

from pathlib import Path

from mockserver.spec.catalogue import catalogue
from mockserver.spec.docs_table import one_liner, page_table, table
from mockserver.spec.loader import spec_path

PAGE = Path(__file__).resolve().parents[3] / "docs" / "testing-error-handling.md"


def test_the_page_shows_the_catalogue_as_generated() -> None:
    expected = table(catalogue(str(spec_path())))
    assert page_table(PAGE.read_text(encoding="utf-8")) == expected, (
        "regenerate the table: python -m mockserver.spec.docs_table, and paste it over the old one")


def test_every_item_has_a_row_with_a_one_liner() -> None:
    items = catalogue(str(spec_path()))
    text = PAGE.read_text(encoding="utf-8")
    for item in items:
        assert f"| `{item.id}` " in text
        assert one_liner(item)
