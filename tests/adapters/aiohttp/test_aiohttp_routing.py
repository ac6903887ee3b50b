"""``setup()`` without a middleware layer (issue 13): preflights and refused WebSocket
handshakes answered while routing, before any middleware; the application's own
``on_response_prepare`` receivers still see those answers; no reference cycle per answer;
no middleware for aiohttp to rebuild on every 404.
"""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator
from typing import Any

import pytest
from aiohttp import web
from aiohttp.typedefs import Handler
from pytest_aiohttp import AiohttpClient

import corecors_aiohttp
from corecors import PathPolicies

from .aiohttp_apps import (
    ACAM,
    ACAO,
    APP,
    EVIL,
    Counter,
    api_policy,
    cors_headers,
    ok,
    preflight_headers,
    public_policy,
)
from .test_aiohttp_edges import handshake_headers, raw_exchange, socket_handler, status_of


def stamp(name: str) -> web.Application:
    """An application whose own prepare receiver marks every response with ``name``."""
    app = web.Application()

    async def mark(request: web.Request, response: web.StreamResponse) -> None:
        response.headers["X-Stamp"] = name

    app.on_response_prepare.append(mark)
    return app


async def test_preflight_answer_reaches_the_applications_prepare_receivers(
    aiohttp_client: AiohttpClient,
) -> None:
    app = stamp("root")
    app.router.add_get("/data", ok)
    corecors_aiohttp.setup(app, api_policy())
    client = await aiohttp_client(app)
    for path in ("/data", "/nowhere"):
        allowed = await client.options(path, headers=preflight_headers())
        assert allowed.status == 204
        assert allowed.headers["X-Stamp"] == "root"
        refused = await client.options(path, headers=preflight_headers(origin=EVIL))
        assert refused.status == 403
        assert refused.headers["X-Stamp"] == "root"


async def test_preflight_into_a_subapp_reaches_both_receivers(
    aiohttp_client: AiohttpClient,
) -> None:
    for own_setup in (False, True):
        app = stamp("root")
        corecors_aiohttp.setup(app, api_policy())
        sub = stamp("sub")
        sub.router.add_get("/feed", ok)
        if own_setup:
            corecors_aiohttp.setup(sub, public_policy())
        app.add_subapp("/sub", sub)
        client = await aiohttp_client(app)
        response = await client.options("/sub/feed", headers=preflight_headers(method="GET"))
        assert response.status == 204
        assert response.headers.getall("X-Stamp") == ["sub"]  # root's, then sub's: replaced
        assert response.headers[ACAO] == ("*" if own_setup else APP)


async def test_refused_handshake_reaches_the_applications_prepare_receivers(
    aiohttp_client: AiohttpClient,
) -> None:
    app = stamp("root")
    app.router.add_get("/ws", socket_handler)
    corecors_aiohttp.setup(app, api_policy(), check_websocket_origin=True)
    client = await aiohttp_client(app)
    head = await raw_exchange(client, "GET /ws HTTP/1.1", handshake_headers(EVIL))
    assert status_of(head) == 403
    assert b"X-Stamp: root" in head


async def test_preflights_and_refused_handshakes_run_no_middleware(
    aiohttp_client: AiohttpClient,
) -> None:
    seen: list[str] = []

    @web.middleware
    async def spy(request: web.Request, handler: Handler) -> web.StreamResponse:
        seen.append(request.method)
        return await handler(request)

    counter = Counter()
    app = web.Application(middlewares=[spy])
    app.router.add_route("*", "/any", counter.handle)
    app.router.add_get("/ws", socket_handler)
    corecors_aiohttp.setup(app, api_policy(), check_websocket_origin=True)
    client = await aiohttp_client(app)
    for path in ("/any", "/nowhere"):
        assert (await client.options(path, headers=preflight_headers())).status == 204
        refused = await client.options(path, headers=preflight_headers(origin=EVIL))
        assert refused.status == 403
    head = await raw_exchange(client, "GET /ws HTTP/1.1", handshake_headers(EVIL))
    assert status_of(head) == 403
    assert seen == []
    assert counter.calls == []
    await client.get("/any", headers={"Origin": APP})
    assert seen == ["GET"]


@pytest.fixture
def gc_off() -> Iterator[None]:
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


@pytest.mark.usefixtures("gc_off")
async def test_raised_answers_leave_no_reference_cycle(aiohttp_client: AiohttpClient) -> None:
    # A raised exception keeps its traceback, whose frames hold the exception: without
    # dropping it, every preflight would leave a cycle for the garbage collector.
    answers: list[weakref.ref[web.StreamResponse]] = []

    async def keep(request: web.Request, response: web.StreamResponse) -> None:
        answers.append(weakref.ref(response))

    for routed in (False, True):
        app = web.Application()
        app.router.add_get("/data", ok)
        app.router.add_get("/ws", socket_handler)
        corecors_aiohttp.setup(app, api_policy(), check_websocket_origin=True)
        if routed:  # a receiver of its own: answers are routed and exposed to it
            app.on_response_prepare.append(keep)
        client = await aiohttp_client(app)
        for origin in (APP, EVIL):
            response = await client.options("/data", headers=preflight_headers(origin=origin))
            response.release()
        head = await raw_exchange(client, "GET /ws HTTP/1.1", handshake_headers(EVIL))
        assert status_of(head) == 403
        await client.close()  # a keep-alive connection holds on to its last response
    assert len(answers) == 3
    assert [answer() for answer in answers] == [None, None, None]


async def test_router_404_runs_no_middleware_chain(aiohttp_client: AiohttpClient) -> None:
    app = web.Application()
    app.router.add_get("/data", ok)
    corecors_aiohttp.setup(app, api_policy())
    client = await aiohttp_client(app)
    missing = await client.get("/missing", headers={"Origin": APP})
    assert missing.status == 404
    assert cors_headers(missing)[ACAO] == APP
    assert app._run_middlewares is False


async def test_policy_swap_reaches_routing_time_answers(aiohttp_client: AiohttpClient) -> None:
    app = web.Application()
    app.router.add_get("/data", ok)
    cors = corecors_aiohttp.setup(app, api_policy())
    client = await aiohttp_client(app)
    before = await client.options("/data", headers=preflight_headers(origin=EVIL, method="GET"))
    assert before.status == 403
    cors.set_policy(PathPolicies({"/data": public_policy()}, default=api_policy()))
    after = await client.options("/data", headers=preflight_headers(origin=EVIL, method="GET"))
    assert after.status == 204
    assert cors_headers(after) == {ACAO: "*", ACAM: "GET, PUT"}
    cors.set_policy(api_policy(), routes=None)
    again = await client.options("/data", headers=preflight_headers(origin=EVIL, method="GET"))
    assert again.status == 403


class _Copies:
    count = 0


def copy_counter(monkeypatch: pytest.MonkeyPatch) -> _Copies:
    """Counts the copies of requests made from now on (``web.Request.clone``): a preflight's
    copies are how the middleware finds the routes of other methods on its URL."""
    copies = _Copies()
    clone = web.Request.clone

    def counting_clone(self: web.Request, **changes: Any) -> web.Request:
        copies.count += 1
        return clone(self, **changes)

    monkeypatch.setattr(web.Request, "clone", counting_clone)
    return copies


async def test_preflight_for_an_options_request_resolves_once(
    aiohttp_client: AiohttpClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The route a preflight asks about is found by resolving a copy of the request with
    # the requested method; when that method is OPTIONS, the copy must not look like a
    # preflight again (it would resolve itself until the recursion limit).
    @corecors_aiohttp.route_policy(public_policy())
    async def public(request: web.Request) -> web.Response:
        return web.Response(text="public")

    copies = copy_counter(monkeypatch)
    for options_route in (False, True):
        counter = Counter()
        app = web.Application()
        app.router.add_get("/data", public)
        if options_route:
            app.router.add_options("/data", counter.handle)
        corecors_aiohttp.setup(app, api_policy(allow_methods=["GET", "OPTIONS"]))
        client = await aiohttp_client(app)
        copies.count = 0
        response = await client.options("/data", headers=preflight_headers(method="OPTIONS"))
        assert copies.count < 10
        assert response.status == 204
        if options_route:
            assert response.headers[ACAM] == "OPTIONS"  # two policies share /data
        assert counter.calls == []


async def test_route_policies_are_found_per_application(aiohttp_client: AiohttpClient) -> None:
    # One application decorates a handler; another, in the same process, does not. Each
    # learns that of its own routes when they freeze: the first looks the route's policy
    # up (and honours it), the second keeps the one-policy fast path.
    @corecors_aiohttp.route_policy(public_policy())
    async def public(request: web.Request) -> web.Response:
        return await ok(request)

    decorated = web.Application()
    decorated.router.add_get("/public", public)
    decorated.router.add_get("/api", ok)
    decorated_cors = corecors_aiohttp.setup(decorated, api_policy())
    plain = web.Application()
    plain.router.add_get("/api", ok)
    plain_cors = corecors_aiohttp.setup(plain, api_policy())

    decorated_client = await aiohttp_client(decorated)
    plain_client = await aiohttp_client(plain)
    response = await decorated_client.get("/public", headers={"Origin": EVIL})
    assert response.headers[ACAO] == "*"
    response = await decorated_client.get("/api", headers={"Origin": EVIL})
    assert ACAO not in response.headers
    response = await plain_client.get("/api", headers={"Origin": APP})
    assert response.headers[ACAO] == APP

    assert decorated_cors._fast is None
    assert plain_cors._fast is not None


async def test_a_decorated_handler_in_an_inheriting_subapp_is_found(
    aiohttp_client: AiohttpClient,
) -> None:
    @corecors_aiohttp.route_policy(public_policy())
    async def public(request: web.Request) -> web.Response:
        return await ok(request)

    sub = web.Application()
    sub.router.add_get("/public", public)
    app = web.Application()
    app.router.add_get("/api", ok)
    app.add_subapp("/sub", sub)
    cors = corecors_aiohttp.setup(app, api_policy())
    client = await aiohttp_client(app)

    response = await client.get("/sub/public", headers={"Origin": EVIL})
    assert response.headers[ACAO] == "*"
    preflight = await client.options("/sub/public", headers=preflight_headers(EVIL, "GET"))
    assert preflight.headers[ACAO] == "*"
    response = await client.get("/api", headers={"Origin": EVIL})
    assert ACAO not in response.headers
    assert cors._fast is None


async def test_cors_middleware_learns_per_application_that_no_route_has_a_policy(
    aiohttp_client: AiohttpClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Without a route_policy() anywhere in the application, a preflight through the
    # middleware is decided without resolving copies of the request (which finding the
    # route the actual request reaches, and the URL's other routes, costs); with one, the
    # route's own policy is found. Both applications live in the same process.
    @corecors_aiohttp.route_policy(public_policy())
    async def public(request: web.Request) -> web.Response:
        return await ok(request)

    copies = copy_counter(monkeypatch)
    plain = web.Application(middlewares=[corecors_aiohttp.cors_middleware(api_policy())])
    plain.router.add_get("/data", ok)
    decorated = web.Application(middlewares=[corecors_aiohttp.cors_middleware(api_policy())])
    decorated.router.add_get("/data", public)
    plain_client = await aiohttp_client(plain)
    decorated_client = await aiohttp_client(decorated)

    for _ in range(2):
        response = await plain_client.options("/data", headers=preflight_headers(EVIL, "GET"))
        assert response.status == 403
    assert copies.count == 0
    response = await decorated_client.options("/data", headers=preflight_headers(EVIL, "GET"))
    assert response.status == 204
    assert response.headers[ACAO] == "*"
    assert copies.count > 0
