"""Tasks and token fingerprints (state/tasks.py)."""

from __future__ import annotations

from mockserver.state.tasks import fingerprint


def test_fingerprints_are_short_stable_and_distinct() -> None:
    big = "sk_" + "x" * 200_000
    assert len(fingerprint(big)) == 21 and fingerprint(big) == fingerprint(big)
    assert fingerprint("sk_a") != fingerprint("sk_b") and fingerprint("sk_a").startswith("sk_a~")
