"""The shared scenario table (tests/scenarios.py) through ``corecors_aiohttp.setup``.

Each scenario becomes one request to an application whose only handler answers 200
"ok" for any method on any path, and the response must carry exactly what the core
promises: the status (the preflight's, or the application's 200), every expected
header (``None``: absent), and ``Vary``.

Most scenarios travel over real HTTP. A few hold values that HTTP/1.1 cannot carry to
aiohttp unchanged (see :func:`travels_unchanged`); those run through the same
application with :func:`aiohttp.test_utils.make_mocked_request` instead, so every
scenario runs exactly once.
"""

from __future__ import annotations

import pytest
from aiohttp import web
from aiohttp.test_utils import make_mocked_request
from multidict import CIMultiDict, CIMultiDictProxy
from pytest_aiohttp import AiohttpClient

import corecors_aiohttp
from tests.scenarios import SCENARIOS, Scenario, build_policy

from .aiohttp_apps import ok


def travels_unchanged(value: str | None) -> bool:
    """Whether a header value reaches an aiohttp handler over HTTP/1.1 exactly as sent.

    Not when it holds CR, LF, NUL or another control character other than TAB (the
    client refuses to send them, or the server's parser rejects the request), a
    character outside printable ASCII (its bytes depend on the client's encoding),
    or leading/trailing spaces or tabs (parsers strip them: RFC 9110 section 5.5).
    """
    if value is None:
        return True
    if value != value.strip(" \t"):
        return False
    return all(char == "\t" or " " <= char <= "~" for char in value)


def over_http(scenario: Scenario) -> bool:
    return all(
        travels_unchanged(value)
        for value in (scenario.origin, scenario.request_method, scenario.request_headers)
    )


WIRE_SCENARIOS = [scenario for scenario in SCENARIOS if over_http(scenario)]
MOCKED_SCENARIOS = [scenario for scenario in SCENARIOS if not over_http(scenario)]


def scenario_app(scenario: Scenario, route_lookup: bool) -> web.Application:
    """The application for ``scenario``; with ``route_lookup``, one more route has a
    ``route_policy`` (the same policy), so every request looks its route's policy up."""
    app = web.Application()
    policy = build_policy(scenario.policy)
    if route_lookup:

        @corecors_aiohttp.route_policy(policy)
        async def decorated(request: web.Request) -> web.StreamResponse:
            return await ok(request)

        app.router.add_get("/decorated", decorated)
    app.router.add_route("*", "/{tail:.*}", ok)
    corecors_aiohttp.setup(app, policy)
    return app


def request_headers(scenario: Scenario) -> CIMultiDict[str]:
    headers: CIMultiDict[str] = CIMultiDict()
    if scenario.origin is not None:
        headers["Origin"] = scenario.origin
    if scenario.request_method is not None:
        headers["Access-Control-Request-Method"] = scenario.request_method
    if scenario.request_headers is not None:
        headers["Access-Control-Request-Headers"] = scenario.request_headers
    if scenario.private_network:
        headers["Access-Control-Request-Private-Network"] = "true"
    return headers


def check(
    scenario: Scenario, status: int, headers: CIMultiDict[str] | CIMultiDictProxy[str]
) -> None:
    expected_status = scenario.status if scenario.status is not None else 200
    assert status == expected_status
    for name, value in scenario.expect_headers.items():
        assert headers.getall(name, []) == ([] if value is None else [value]), name
    vary = ", ".join(scenario.vary or ())
    assert headers.getall("Vary", []) == ([vary] if vary else [])


def test_scenarios_are_split_exactly() -> None:
    assert len(WIRE_SCENARIOS) + len(MOCKED_SCENARIOS) == len(SCENARIOS)
    assert MOCKED_SCENARIOS, "the mocked path is exercised"
    assert len(MOCKED_SCENARIOS) < len(SCENARIOS) // 10


@pytest.fixture(params=[False, True], ids=["plain", "with-route-lookup"])
def route_lookup(request: pytest.FixtureRequest) -> bool:
    """Run each scenario with and without the per-route policy lookup: an application
    with a decorated handler anywhere looks every route up; both must answer the same."""
    enabled: bool = request.param
    return enabled


@pytest.mark.parametrize("scenario", WIRE_SCENARIOS, ids=lambda scenario: scenario.id)
async def test_scenario_over_http(
    aiohttp_client: AiohttpClient, scenario: Scenario, route_lookup: bool
) -> None:
    client = await aiohttp_client(scenario_app(scenario, route_lookup))
    response = await client.request(
        scenario.method, "/scenario/path", headers=request_headers(scenario)
    )
    check(scenario, response.status, response.headers)
    if scenario.status is None:
        assert await response.text() == ("" if scenario.method == "HEAD" else "ok")


@pytest.mark.parametrize("scenario", MOCKED_SCENARIOS, ids=lambda scenario: scenario.id)
async def test_scenario_with_mocked_request(scenario: Scenario, route_lookup: bool) -> None:
    app = scenario_app(scenario, route_lookup)
    app.freeze()
    request = make_mocked_request(
        scenario.method, "/scenario/path", headers=request_headers(scenario), app=app
    )
    try:
        response = await app._handle(request)
    except web.HTTPException as exc:
        response = exc
    await response.prepare(request)  # fires on_response_prepare, as the server does
    check(scenario, response.status, response.headers)
