"""A backend's shared journal and coverage ledger: what each request adds (batched by a `JournalWriter`, no
round trip per request) and the reads that wait for every instance's writer first.

`Backend` (state/backend.py) is built on `JournalAccess`; callers use it through `Backend`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from mockserver.state.control import SharedControl
from mockserver.state.journal_entry import Entry, LazyEntry
from mockserver.state.journal_writer import JournalWriter
from mockserver.state.ledger import LedgerSnapshot
from mockserver.state.queries import JOURNAL_PAGE, JournalFilter
from mockserver.state.store import Store


class JournalAccess(SharedControl):
    """The journal and the coverage ledger of one instance over a shared store (and the control document
    it inherits); entries carry this instance's name and the emulator's clock."""

    def __init__(self, store: Store, clock: Callable[[], float], speed: float, instance: str,
                 journal_size: int, journal_bytes: int) -> None:
        super().__init__(store, clock, speed)
        self._instance = instance
        self._journal = JournalWriter(store, journal_size, journal_bytes)

    # -- journal -----------------------------------------------------------------------------------
    def record(self, entry: Entry, size: int = 1000) -> None:
        """Append one request/answer (strings already capped; about `size` bytes) to the shared, bounded
        journal."""
        self._stamp(entry)
        self._journal.add(entry, size)

    def _stamp(self, entry: Entry) -> None:
        # When and where it was served: on a lazy entry's attributes, or in the dict.
        if isinstance(entry, LazyEntry):
            entry.time, entry.instance = self.now(), self._instance
        else:
            entry.update(time=self.now(), instance=self._instance)

    def journal(self, after: int = 0, limit: int = 100, match: Callable[[dict[str, Any]], bool] | None = None
                ) -> list[dict[str, Any]]:
        """Up to `limit` entries after the cursor `after`, oldest first, that satisfy `match`."""
        self._journal.settle()
        found: list[dict[str, Any]] = []
        cursor = after
        while len(found) < limit:
            page = self.store.journal_after(cursor, JOURNAL_PAGE)
            if not page:
                break
            for entry in page:
                if match is None or match(entry):
                    found.append(entry)
                    if len(found) >= limit:
                        break
            cursor = page[-1]["seq"]
        return found

    def find_journal(self, query: JournalFilter, after: int = 0, limit: int = 100) -> list[dict[str, Any]]:
        """Up to `limit` entries after the cursor `after` that pass `query`, oldest first."""
        return self.journal(after, limit, query.matches if query else None)

    def newest_journal(self, query: JournalFilter, limit: int) -> tuple[list[dict[str, Any]], int]:
        """The newest `limit` entries that pass `query` (oldest first), read backwards page by page (the
        journal itself is bounded), and the cursor to poll from: the newest sequence number there is."""
        self._journal.settle()
        found: list[dict[str, Any]] = []
        cursor, before = 0, None
        while len(found) < limit:
            page = self.store.journal_before(before, JOURNAL_PAGE)
            if not page:
                break
            cursor = max(cursor, page[0]["seq"])
            found.extend(entry for entry in page if not query or query.matches(entry))
            before = page[-1]["seq"]
        return found[:limit][::-1], cursor

    def clear_journal(self) -> None:
        """Empty the journal (its sequence numbers keep counting, so cursors stay valid)."""
        self._journal.drop_pending()
        self._journal.settle()
        self.store.journal_clear()

    # -- coverage ledger (state/ledger.py, state/conduct.py) ---------------------------------------
    def record_with_ledger(self, entry: Entry | None, size: int, items: tuple[str, ...], token: str,
                           event: list[Any] | None) -> None:
        """`record` (when `entry` is not None) plus the catalogue items and the conduct event of the same
        request, written together (no extra round trip to a shared store)."""
        if entry is not None:
            self._stamp(entry)
        self._journal.add_with_ledger(entry, size, items, token, event)

    def flush_pending(self) -> None:
        """Write what this instance queued (journal and ledger) now; never raises (used at exit)."""
        try:
            self._journal.flush()
        except Exception:  # at exit, a store gone away must not turn into a traceback
            return

    def ledger(self) -> LedgerSnapshot:
        """The ledger of every instance: counts and each token's recent events (waits like a journal read)."""
        self._journal.settle()
        return self.store.ledger_read()

    def close(self) -> None:
        """Write the queued journal entries and release the store."""
        self._journal.close()
        self.store.close()
