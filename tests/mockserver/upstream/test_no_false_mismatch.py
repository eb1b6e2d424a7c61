"""With the same spec upstream, the proxy flags nothing: generated requests (valid bodies, every rule's
breakers, noise) are judged exactly as the service judges them."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings

from contracts.catalogue import Catalogue
from contracts.strategies import BodyStrategies
from tests.mockserver.upstream.helpers import AUTH, CREATE, Clock, fidelity, proxied

STRATEGIES = BodyStrategies(Catalogue.load())


@pytest.fixture(scope="module")
def proxy_http() -> Iterator[FlaskClient]:
    """A proxy in front of an emulator running the same spec (module-wide: Hypothesis reuses it)."""
    with proxied(Clock()) as (http, _app, _upstream):
        yield http


def send(http: FlaskClient, body: Any) -> None:
    raw = json.dumps(body).encode("utf-8")  # lone surrogates are escaped: the service answers INVALID_JSON
    http.post(CREATE, data=raw, headers={**AUTH, "Content-Type": "application/json"})


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck), database=None)
@given(body=STRATEGIES.any_body())
def test_a_few_generated_requests_raise_no_mismatch(proxy_http: FlaskClient, body: Any) -> None:
    send(proxy_http, body)
    assert fidelity(proxy_http)["mismatches"] == []


@pytest.mark.slow
def test_500_generated_requests_raise_no_mismatch() -> None:
    sent: list[Any] = []
    with proxied(Clock()) as (http, _app, _upstream):

        @settings(max_examples=520, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        @given(body=STRATEGIES.any_body())
        def check(body: Any) -> None:
            send(http, body)
            sent.append(body)

        check()
        data = fidelity(http)
    assert data["counts"]["judged"] >= 500
    assert data["mismatches"] == []
    assert all(r["agrees"] for r in data["rules"])
    accepted = sum(1 for b in sent if isinstance(b, dict) and not STRATEGIES.oracle.broken_rules(b))
    assert 0 < accepted < len(sent)  # valid and invalid ones both
    assert {a["verdict"] for a in data["assumptions"]} <= {"confirmed", "not seen"}
