"""The dashboard's Coverage page: what the traffic met, what it did not and how to provoke it, and the conduct
findings (the same document as GET /_mock/coverage, rendered on the server)."""

from __future__ import annotations

from typing import Any

from mockserver.web.coverage_views import items_of, poll_threshold
from mockserver.web.dashboard.views import _page, dashboard
from mockserver.web.ledger_hooks import ledger_on
from mockserver.web.shared import state


@dashboard.get("/ui/coverage")
def coverage_page() -> str:
    """Items met and not met by kind (each with how to provoke it) and the conduct findings: `?poll_threshold=`."""
    from mockserver.spec.catalogue import KINDS  # with the catalogue, on first use (web/coverage_views.py)
    from mockserver.spec.coverage import coverage_document

    st = state()
    document: dict[str, Any] | None = None
    if ledger_on(st):
        document = coverage_document(items_of(st), st.backend.ledger(), poll_threshold(st))
    groups = {kind: [row for row in document["items"] if row["kind"] == kind] for kind in KINDS} if document else {}
    return _page("coverage.html", "coverage", document=document, groups=groups)
