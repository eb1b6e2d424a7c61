"""The dashboard's journal marks, live, an answer of the real service that differs from the spec (--upstream)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from mockserver import create_app
from mockserver.server import EmbeddedServer
from tests.mockserver.dashboard.conftest import create
from tests.mockserver.upstream.helpers import planted_spec, schemas, settle

pytestmark = pytest.mark.slow  # a real browser


def test_a_planted_difference_gets_a_mismatch_chip_without_reload(tmp_path: Path, dash: Page) -> None:
    def tighten(spec: dict[str, Any]) -> None:
        schemas(spec)["STD_DURATION_RANGE"]["maximum"] = 10

    service_spec = planted_spec(tmp_path, "tight", tighten)
    with EmbeddedServer({"SEED": 1, "SPEC_PATH": str(service_spec)}) as service:
        proxy_app = create_app({"UPSTREAM": service.url})
        with EmbeddedServer(app=proxy_app) as proxy:
            dash.goto(f"{proxy.url}/_mock/ui/journal")
            assert create(proxy.url, duration=12).status_code == 400
            row = dash.locator("#journal tbody tr").first
            chip = row.locator(".rule.mismatch")
            expect(chip).to_be_visible(timeout=3000)
            expect(chip).to_have_attribute("title", "the real service differs from the spec: "
                                           "rule:STD_DURATION_RANGE (GET /_mock/fidelity)")
            expect(row.locator(".rule", has_text="STD_DURATION_RANGE")).to_be_visible()
            assert create(proxy.url, duration=8).status_code == 200
            expect(dash.locator("#journal tbody tr").first.locator(".rule.mismatch")).to_have_count(0, timeout=3000)
        proxy_app.extensions["seedance_mock.proxy"].forwarder.close()
        settle(service)
