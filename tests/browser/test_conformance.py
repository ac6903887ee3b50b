"""What real browsers let a page read, for every scenario, adapter and engine.

Each scenario runs once per adapter (``aiohttp``: ``corecors_aiohttp.setup``;
``starlette-add-middleware`` and ``starlette-wrapped``: corecors_asgi under uvicorn) in
each engine (Chromium, Firefox ESR, WebKitGTK; see ``engines.py``), from a page on another
origin. A test then checks three witnesses: what JavaScript could read, what the engine said
on the console (where it lets a driver hear it), and what the server received and answered
(recorded by the outermost layer around the API).
"""

from __future__ import annotations

import json
import time

import pytest

from .apps import ADAPTERS
from .conftest import WEBSOCKET_REFUSED, Suite, default_settings_only
from .harness import Exchange
from .scenarios import JSON, SCENARIOS, Scenario

pytestmark = pytest.mark.browser

REASON_HEADER = "CORS-Rejection-Reason"


def _reasons(exchanges: list[Exchange]) -> list[str]:
    return [reason for e in exchanges if (reason := e.header(REASON_HEADER)) is not None]


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda scenario: scenario.name)
def test_scenario(suite: Suite, adapter: str, scenario: Scenario) -> None:
    run = suite.run(adapter)
    engine = run.engine
    expected = scenario.expected_in(engine.name)
    outcome = run.outcomes[scenario.name]
    exchanges = run.recorder.exchanges(scenario.name)

    # The server received exactly these requests and answered every one of them.
    assert [exchange.method for exchange in exchanges] == list(expected.server_saw), exchanges
    assert all(exchange.status is not None for exchange in exchanges), exchanges

    if expected.blocked:
        # Refused by the browser: fetch() rejects with the engine's TypeError (not a timeout
        # or an abort), and the engine's console, where it has one, names the failed check.
        assert not outcome.ok, outcome.describe()
        assert outcome.error == engine.fetch_failure, outcome.describe()
        assert expected.refusal is not None
        console = expected.refusal.console(engine.family)
        if console is not None:
            assert any(console in line for line in outcome.cors_errors), outcome.console
        reasons = _reasons(exchanges)
        if expected.reason is None:
            assert reasons == [], "the core allowed this; the browser alone refuses it"
        else:
            assert any(expected.reason in reason for reason in reasons), reasons
        return

    assert outcome.ok, outcome.describe()
    assert outcome.cors_errors == []
    assert outcome.status == expected.status, outcome.describe()
    assert _reasons(exchanges) == []
    if expected.body_contains is not None:
        assert outcome.body is not None
        assert expected.body_contains in outcome.body
    if expected.json is not None:
        document = json.loads(outcome.body or "null")
        assert {key: document.get(key) for key in expected.json} == dict(expected.json)
    for name, value in expected.read.items():
        assert outcome.headers.get(name) == value, (name, outcome.headers)
    for name in expected.read_headers:
        if name not in expected.read:  # a safelisted header: readable, whatever its value
            assert outcome.headers.get(name) is not None, (name, outcome.headers)


@default_settings_only
def test_cached_response_is_not_served_to_another_origin(suite: Suite, adapter: str) -> None:
    """``Vary: Origin`` in a browser: a response cached for one allowed origin (60 s
    ``Cache-Control``) is not reused for the other, whose request reaches the server again.
    Both page origins are the same site, so they share the browser's HTTP cache partition
    (a ``localhost`` origin would split it, and the test would pass without ``Vary``).
    """
    run = suite.run(adapter)
    first, again, other = run.plan(
        "vary",
        [("page", "/api/cacheable"), ("page", "/api/cacheable"), ("other", "/api/cacheable")],
    )

    assert (first.ok, first.body) == (True, "hits=1"), first.describe()
    # Served from the browser's cache, or this test would prove nothing about Vary.
    assert (again.ok, again.body) == (True, "hits=1"), again.describe()
    assert (other.ok, other.body) == (True, "hits=2"), other.describe()
    assert run.recorder.methods("vary") == ["GET", "GET"]


@default_settings_only
def test_revalidated_response_stays_readable(suite: Suite, adapter: str) -> None:
    """A 304 revalidation (``ETag``, ``Cache-Control: no-cache``) keeps the response readable:
    the browser merges the 304's headers into the stored response and checks it again."""
    run = suite.run(adapter)
    first, again = run.plan("etag", [("page", "/api/etag"), ("page", "/api/etag")])

    assert (first.ok, first.status, first.body) == (True, 200, "tagged"), first.describe()
    assert (again.ok, again.status, again.body) == (True, 200, "tagged"), again.describe()
    assert [exchange.status for exchange in run.recorder.exchanges("etag")] == [200, 304]


@default_settings_only
def test_websocket_handshake_from_a_disallowed_origin_is_refused(
    suite: Suite, adapter: str
) -> None:
    """``check_websocket_origin=True``: browsers apply no CORS check to WebSockets, so the
    server refuses foreign handshakes itself (403) and the app never sees them."""
    run = suite.run(adapter)
    allowed = run.socket("page", "/api/ws", "ws-page")
    refused = run.socket("foreign", "/api/ws", "ws-foreign")

    assert (allowed.ok, allowed.body) == (True, "hello"), allowed.describe()
    assert not refused.ok
    console = WEBSOCKET_REFUSED[run.engine.family]
    if console is not None:
        assert any(console in line for line in refused.console), refused
    assert [exchange.status for exchange in run.recorder.exchanges("ws-page")] == [101]
    assert [exchange.status for exchange in run.recorder.exchanges("ws-foreign")] == [403]


#: Longer than browsers cache a preflight without ``Access-Control-Max-Age`` (5 s).
PAST_THE_DEFAULT_PREFLIGHT_CACHE = 6.0


@default_settings_only
def test_preflight_cache_honours_max_age(suite: Suite) -> None:
    """``max_age=600`` keeps a preflight cached past the browser's 5 s default; without
    ``max_age`` the browser preflights again. One wait covers every adapter."""
    runs = [suite.run(adapter) for adapter in ADAPTERS]
    paths = ("/api/echo", "/nomaxage/echo")  # max_age=600, no max_age

    def one_round() -> None:
        for run in runs:
            for path in paths:
                outcome = run.fetch(
                    "page", path, "max-age", by_name=True, method="PUT", headers=JSON, body="{}"
                )
                assert outcome.ok, (run.adapter, outcome.describe())

    one_round()
    time.sleep(PAST_THE_DEFAULT_PREFLIGHT_CACHE)
    one_round()

    counts = {
        run.adapter: [run.recorder.preflights(path, "max-age") for path in paths] for run in runs
    }
    assert counts == {adapter: [1, 2] for adapter in ADAPTERS}
