"""The shared scenario table (tests/scenarios.py), through corecors_asgi.CORSMiddleware.

Every scenario is sent twice:

* as a hand-built ASGI scope, header values encoded latin-1 byte for byte -- this covers
  the scenarios whose values (CR, LF, NUL, non-ASCII) no HTTP client would send, which a
  misbehaving proxy or a raw socket still can;
* through httpx's ASGI transport, for the scenarios whose values an HTTP client can send.

The application behind the middleware answers 200 "ok"; the assertions are the scenario's:
the status, every expected header (``None``: absent), and ``Vary``.
"""

from __future__ import annotations

import pytest

from corecors import DecisionKind
from corecors_asgi import CORSMiddleware, Receive, Scope, Send
from tests.scenarios import SCENARIOS, Scenario, build_policy

from .asgi_apps import Sent, call, client


def _latin_1(value: str | None) -> bool:
    return value is None or all(ord(char) < 0x100 for char in value)


def _http_safe(value: str | None) -> bool:
    """Whether an HTTP client can send ``value`` unchanged: printable ASCII, space, tab."""
    return value is None or all(" " <= char <= "~" or char == "\t" for char in value)


def _fields(scenario: Scenario) -> tuple[str | None, ...]:
    return (scenario.origin, scenario.request_method, scenario.request_headers)


# ASGI header values are bytes and the middleware decodes them as latin-1, so a scenario
# whose text has a character above U+00FF cannot be expressed as a request at all.
ENCODABLE = [s for s in SCENARIOS if all(_latin_1(v) for v in _fields(s))]
TRANSPORTABLE = [s for s in ENCODABLE if all(_http_safe(v) for v in _fields(s))]


def test_only_scenarios_no_request_can_carry_are_left_out() -> None:
    for scenario in SCENARIOS:
        if scenario not in ENCODABLE:
            assert any(ord(char) > 0xFF for value in _fields(scenario) for char in value or "")
    assert TRANSPORTABLE, "the httpx run covers nothing"


class OkApp:
    """Answers 200 "ok" and counts the requests that reach it."""

    def __init__(self) -> None:
        self.calls = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.calls += 1
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})


def request_lines(scenario: Scenario) -> list[tuple[str, str]]:
    lines = []
    if scenario.origin is not None:
        lines.append(("origin", scenario.origin))
    if scenario.request_method is not None:
        lines.append(("access-control-request-method", scenario.request_method))
    if scenario.request_headers is not None:
        lines.append(("access-control-request-headers", scenario.request_headers))
    if scenario.private_network:
        lines.append(("access-control-request-private-network", "true"))
    return lines


def check(scenario: Scenario, status: int, lines: list[tuple[str, str]], reached_app: bool) -> None:
    """Assert the scenario's expectations on a response given as (lowercase name, value)."""

    def values(name: str) -> list[str]:
        return [value for line_name, value in lines if line_name == name.lower()]

    preflight = scenario.kind in (DecisionKind.PREFLIGHT_ALLOWED, DecisionKind.PREFLIGHT_REJECTED)
    assert status == (scenario.status if preflight else 200)
    assert reached_app is not preflight
    for name, expected in scenario.expect_headers.items():
        assert values(name) == ([] if expected is None else [expected]), name
    if scenario.vary is not None:
        assert values("vary") == ([", ".join(scenario.vary)] if scenario.vary else [])


@pytest.mark.parametrize("scenario", ENCODABLE, ids=lambda s: s.id)
async def test_scenario_as_asgi_scope(scenario: Scenario) -> None:
    app = OkApp()
    middleware = CORSMiddleware(app, policy=build_policy(scenario.policy))
    headers = [(n.encode("latin-1"), v.encode("latin-1")) for n, v in request_lines(scenario)]
    sent: Sent = await call(middleware, scenario.method, "/", headers)
    lines = [
        (name.decode("latin-1").lower(), value.decode("latin-1"))
        for name, value in sent.raw_headers
    ]
    check(scenario, sent.status, lines, app.calls == 1)
    if app.calls:
        assert sent.body == b"ok"
    elif sent.status == 204:
        assert sent.body == b""
    elif scenario.kind is DecisionKind.PREFLIGHT_ALLOWED:
        assert sent.body == b"OK"  # Starlette's text, where the status allows a body
    else:
        assert sent.body.startswith(b"Disallowed CORS ")


@pytest.mark.parametrize("scenario", TRANSPORTABLE, ids=lambda s: s.id)
async def test_scenario_over_httpx(scenario: Scenario) -> None:
    app = OkApp()
    middleware = CORSMiddleware(app, policy=build_policy(scenario.policy))
    async with client(middleware) as http:
        response = await http.request(scenario.method, "/", headers=request_lines(scenario))
    lines = [
        (name.decode().lower(), value.decode("latin-1")) for name, value in response.headers.raw
    ]
    check(scenario, response.status_code, lines, app.calls == 1)
