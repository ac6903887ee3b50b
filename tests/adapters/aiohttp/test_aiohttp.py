"""corecors_aiohttp against real aiohttp applications, over real HTTP (pytest-aiohttp).

One behaviour per test. ``setup(app, policy)`` is the main entry point; the tests for
``cors_middleware`` alone are at the end, with the gaps it documents.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import partial
from pathlib import Path

import pytest
from aiohttp import WSServerHandshakeError, web
from aiohttp.typedefs import Handler
from multidict import CIMultiDict
from pytest_aiohttp import AiohttpClient

import corecors_aiohttp
from corecors import DEBUG_REASON_HEADER, CORSConfigError, CORSPolicy, PathPolicies

from .aiohttp_apps import (
    ACAC,
    ACAH,
    ACAM,
    ACAO,
    ACEH,
    ACMA,
    ACRH,
    ADMIN,
    APP,
    EVIL,
    PREFLIGHT_VARY,
    Client,
    Counter,
    api_policy,
    application,
    assert_allowed,
    assert_not_allowed,
    cors_headers,
    echo,
    logged,
    ok,
    preflight_headers,
    public_policy,
)


async def client_for(
    aiohttp_client: AiohttpClient,
    *routes: web.AbstractRouteDef,
    policy: CORSPolicy | PathPolicies | None = None,
    check_websocket_origin: bool = False,
) -> Client:
    """A client of an application serving ``routes`` under ``policy`` (``api_policy()``)."""
    policy = policy if policy is not None else api_policy()
    app = application(*routes, policy=policy, check_websocket_origin=check_websocket_origin)
    return await aiohttp_client(app)


@pytest.fixture
def counter() -> Counter:
    return Counter()


@pytest.fixture
async def data_client(aiohttp_client: AiohttpClient) -> Client:
    """``GET /data`` under ``api_policy()``."""
    return await client_for(aiohttp_client, web.get("/data", ok))


# -- every route, no registration ------------------------------------------------------------


async def test_plain_route_allowed_origin_gets_headers(aiohttp_client: AiohttpClient) -> None:
    client = await client_for(aiohttp_client, web.get("/hello", ok))
    response = await client.get("/hello", headers={"Origin": APP})
    assert response.status == 200
    assert await response.text() == "ok"
    assert_allowed(response)
    assert response.headers[ACEH] == "x-request-id"


async def test_request_without_origin_gets_only_vary(aiohttp_client: AiohttpClient) -> None:
    client = await client_for(aiohttp_client, web.get("/hello", ok))
    response = await client.get("/hello")
    assert response.status == 200
    assert_not_allowed(response)


async def test_disallowed_origin_reaches_app_without_cors_headers(
    aiohttp_client: AiohttpClient, counter: Counter
) -> None:
    client = await client_for(aiohttp_client, web.post("/hello", counter.handle))
    response = await client.post("/hello", headers={"Origin": EVIL})
    assert response.status == 200
    assert counter.calls == ["POST"]
    assert_not_allowed(response)


class Item(web.View):
    async def get(self) -> web.Response:
        return web.Response(text="item")

    async def put(self) -> web.Response:
        return web.Response(text="put")


async def test_view_class_gets_headers(aiohttp_client: AiohttpClient) -> None:
    client = await client_for(aiohttp_client, web.view("/item", Item))
    response = await client.put("/item", headers={"Origin": APP})
    assert response.status == 200
    assert await response.text() == "put"
    assert_allowed(response)


async def test_view_without_options_method_gets_preflight_answered(
    aiohttp_client: AiohttpClient,
) -> None:
    client = await client_for(aiohttp_client, web.view("/item", Item))
    response = await client.options("/item", headers=preflight_headers(method="PUT"))
    assert response.status == 204
    assert response.headers[ACAO] == APP
    assert response.headers[ACAM] == "GET, POST, PUT, DELETE"


@pytest.fixture
async def static_client(aiohttp_client: AiohttpClient, tmp_path: Path) -> Client:
    """``/static`` serves a folder that holds ``app.js``."""
    (tmp_path / "app.js").write_text("console.log('hi')")
    return await client_for(aiohttp_client, web.static("/static", tmp_path))


async def test_static_file_gets_headers(static_client: Client) -> None:
    response = await static_client.get("/static/app.js", headers={"Origin": APP})
    assert response.status == 200
    assert await response.text() == "console.log('hi')"
    assert_allowed(response)


async def test_static_file_not_modified_gets_headers(static_client: Client) -> None:
    first = await static_client.get("/static/app.js", headers={"Origin": APP})
    etag = first.headers["ETag"]
    response = await static_client.get(
        "/static/app.js", headers={"Origin": APP, "If-None-Match": etag}
    )
    assert response.status == 304
    assert_allowed(response)


async def test_static_missing_file_404_gets_headers(static_client: Client) -> None:
    response = await static_client.get("/static/missing.js", headers={"Origin": APP})
    assert response.status == 404
    assert_allowed(response)


async def test_static_route_preflight_answered(static_client: Client) -> None:
    response = await static_client.options(
        "/static/app.js", headers=preflight_headers(method="GET", request_headers="x-token")
    )
    assert response.status == 204
    assert response.headers[ACAH] == "content-type, x-token"


async def test_subapp_route_inherits_policy(aiohttp_client: AiohttpClient) -> None:
    app = application(policy=api_policy())
    app.add_subapp("/api", application(web.get("/users", ok)))
    client = await aiohttp_client(app)
    response = await client.get("/api/users", headers={"Origin": APP})
    assert response.status == 200
    assert_allowed(response)
    missing = await client.get("/api/missing", headers={"Origin": APP})
    assert missing.status == 404
    assert_allowed(missing)
    preflight = await client.options("/api/users", headers=preflight_headers())
    assert preflight.status == 204


async def test_domain_subapp_inherits_policy(aiohttp_client: AiohttpClient) -> None:
    app = application(policy=api_policy())
    app.add_domain("api.example.com", application(web.get("/users", ok)))
    client = await aiohttp_client(app)
    host = {"Host": "api.example.com"}
    response = await client.get("/users", headers={"Origin": APP, **host})
    assert response.status == 200
    assert_allowed(response)
    preflight = await client.options("/users", headers={**preflight_headers(), **host})
    assert preflight.status == 204
    assert preflight.headers[ACAO] == APP


async def test_routes_added_after_setup_are_covered(aiohttp_client: AiohttpClient) -> None:
    app = application(policy=api_policy())
    app.router.add_get("/later", ok)
    client = await aiohttp_client(app)
    response = await client.get("/later", headers={"Origin": APP})
    assert_allowed(response)


# -- preflights ---------------------------------------------------------------------------


async def test_preflight_to_get_only_path_answered_by_adapter(
    aiohttp_client: AiohttpClient, counter: Counter
) -> None:
    client = await client_for(aiohttp_client, web.get("/data", counter.handle))
    response = await client.options(
        "/data", headers=preflight_headers(method="PUT", request_headers="content-type")
    )
    assert response.status == 204
    assert counter.calls == []
    assert cors_headers(response) == {
        ACAO: APP,
        ACAC: "true",
        ACAM: "GET, POST, PUT, DELETE",
        ACAH: "content-type, x-token",
        ACMA: "600",
    }
    assert response.headers["Vary"] == PREFLIGHT_VARY
    assert await response.read() == b""


async def test_preflight_to_unknown_path_answered(data_client: Client) -> None:
    response = await data_client.options("/nowhere", headers=preflight_headers())
    assert response.status == 204
    assert response.headers[ACAO] == APP


async def test_rejected_preflight_is_403_without_cors_headers(
    aiohttp_client: AiohttpClient, counter: Counter
) -> None:
    client = await client_for(aiohttp_client, web.route("*", "/data", counter.handle))
    response = await client.options("/data", headers=preflight_headers(origin=EVIL))
    assert response.status == 403
    assert counter.calls == []
    assert cors_headers(response) == {}
    assert response.headers["Vary"] == PREFLIGHT_VARY


async def test_preflight_never_reaches_app_options_handler(
    aiohttp_client: AiohttpClient, counter: Counter
) -> None:
    client = await client_for(
        aiohttp_client, web.get("/data", ok), web.options("/data", counter.handle)
    )
    response = await client.options("/data", headers=preflight_headers())
    assert response.status == 204
    assert counter.calls == []


async def test_app_options_handler_receives_plain_options(
    aiohttp_client: AiohttpClient,
) -> None:
    counter = Counter({"Allow": "GET, OPTIONS"})
    client = await client_for(
        aiohttp_client, web.get("/data", ok), web.options("/data", counter.handle)
    )
    with_origin = await client.options("/data", headers={"Origin": APP})
    without_origin = await client.options("/data")
    assert counter.calls == ["OPTIONS", "OPTIONS"]
    assert with_origin.status == 200
    assert await with_origin.text() == "counted"
    assert with_origin.headers["Allow"] == "GET, OPTIONS"
    assert_allowed(with_origin)
    assert without_origin.headers["Allow"] == "GET, OPTIONS"
    assert_not_allowed(without_origin)


async def test_options_with_acrm_but_no_origin_reaches_app(
    aiohttp_client: AiohttpClient, counter: Counter
) -> None:
    client = await client_for(aiohttp_client, web.options("/data", counter.handle))
    response = await client.options("/data", headers={"Access-Control-Request-Method": "PUT"})
    assert counter.calls == ["OPTIONS"]
    assert_not_allowed(response)


async def test_preflight_answered_before_auth_middleware(aiohttp_client: AiohttpClient) -> None:
    @web.middleware
    async def require_login(request: web.Request, handler: Handler) -> web.StreamResponse:
        raise web.HTTPUnauthorized()

    app = web.Application(middlewares=[require_login])
    app.router.add_get("/data", ok)
    corecors_aiohttp.setup(app, api_policy())
    client = await aiohttp_client(app)
    preflight = await client.options("/data", headers=preflight_headers())
    assert preflight.status == 204
    actual = await client.get("/data", headers={"Origin": APP})
    assert actual.status == 401
    assert_allowed(actual)


async def test_repeated_request_headers_lines_are_joined(data_client: Client) -> None:
    headers = CIMultiDict(preflight_headers())
    headers.add(ACRH, "content-type")
    headers.add(ACRH, "x-token")
    response = await data_client.options("/data", headers=headers)
    assert response.status == 204
    assert response.headers[ACAH] == "content-type, x-token"


async def test_repeated_origin_lines_are_refused(data_client: Client) -> None:
    headers = CIMultiDict([("Origin", APP), ("Origin", APP)])
    response = await data_client.get("/data", headers=headers)
    assert response.status == 200
    assert_not_allowed(response)


async def test_preflight_with_repeated_origin_lines_is_refused(data_client: Client) -> None:
    headers = CIMultiDict(preflight_headers())
    headers.add("Origin", ADMIN)
    response = await data_client.options("/data", headers=headers)
    assert response.status == 403
    assert cors_headers(response) == {}


# -- every response kind ------------------------------------------------------------------


async def raise_not_found(request: web.Request) -> web.Response:
    raise web.HTTPNotFound(text="no such thing")


async def raise_unauthorized(request: web.Request) -> web.Response:
    raise web.HTTPUnauthorized(headers={"WWW-Authenticate": "Bearer"})


async def raise_method_not_allowed(request: web.Request) -> web.Response:
    raise web.HTTPMethodNotAllowed(request.method, ["GET"])


async def raise_redirect(request: web.Request) -> web.Response:
    raise web.HTTPFound("/elsewhere")


async def crash(request: web.Request) -> web.Response:
    raise ZeroDivisionError("handler bug")


@pytest.mark.parametrize(
    ("handler", "status"),
    [
        (raise_not_found, 404),
        (raise_unauthorized, 401),
        (raise_method_not_allowed, 405),
        (raise_redirect, 302),
    ],
    ids=["404", "401", "405", "redirect"],
)
async def test_raised_http_exception_gets_headers(
    aiohttp_client: AiohttpClient, handler: Handler, status: int
) -> None:
    client = await client_for(aiohttp_client, web.post("/fail", handler))
    response = await client.post("/fail", headers={"Origin": APP}, allow_redirects=False)
    assert response.status == status
    assert_allowed(response)


async def test_raised_exception_keeps_its_own_headers(aiohttp_client: AiohttpClient) -> None:
    client = await client_for(aiohttp_client, web.get("/fail", raise_unauthorized))
    response = await client.get("/fail", headers={"Origin": APP})
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert_allowed(response)


async def unprepared(request: web.Request) -> web.StreamResponse:
    return web.StreamResponse(status=202)


@pytest.mark.parametrize(
    ("route", "method", "path", "origin", "status"),
    [
        pytest.param(web.get("/data", ok), "GET", "/nowhere", APP, 404, id="router_404"),
        pytest.param(web.get("/data", ok), "DELETE", "/data", APP, 405, id="router_405"),
        pytest.param(
            web.get("/crash", crash), "GET", "/crash", APP, 500, id="unhandled_exception_500"
        ),
        pytest.param(
            web.get("/hello", ok), "HEAD", "/hello", ADMIN, 200, id="head_request_gets_headers"
        ),
        pytest.param(
            web.view("/item", Item),
            "DELETE",
            "/item",
            APP,
            405,
            id="view_missing_method_is_405_with_headers",
        ),
        pytest.param(
            web.view("/item", Item),
            "OPTIONS",
            "/item",
            APP,
            405,
            id="view_plain_options_without_handler_is_405_not_500",
        ),
        pytest.param(
            web.route("*", "/{tail:.*}", ok),
            "PATCH",
            "/anything/at/all",
            APP,
            200,
            id="catch_all_route_gets_headers",
        ),
        pytest.param(
            web.get("/stream", unprepared),
            "GET",
            "/stream",
            APP,
            202,
            id="stream_response_returned_unprepared_gets_headers",
        ),
    ],
)
async def test_response_gets_headers(
    aiohttp_client: AiohttpClient,
    route: web.RouteDef,
    method: str,
    path: str,
    origin: str,
    status: int,
) -> None:
    client = await client_for(aiohttp_client, route)
    response = await client.request(method, path, headers={"Origin": origin})
    assert response.status == status
    assert_allowed(response, origin)


async def stream(request: web.Request) -> web.StreamResponse:
    response = web.StreamResponse(headers={"Content-Type": "text/plain"})
    await response.prepare(request)
    await response.write(b"chunk one, ")
    await response.write(b"chunk two")
    await response.write_eof()
    return response


async def test_stream_response_prepared_in_handler_gets_headers(
    aiohttp_client: AiohttpClient,
) -> None:
    client = await client_for(aiohttp_client, web.get("/stream", stream))
    response = await client.get("/stream", headers={"Origin": APP})
    assert await response.text() == "chunk one, chunk two"
    assert_allowed(response)


async def test_file_response_gets_headers(aiohttp_client: AiohttpClient, tmp_path: Path) -> None:
    path = tmp_path / "report.csv"
    path.write_text("a,b\n1,2\n")

    async def report(request: web.Request) -> web.FileResponse:
        return web.FileResponse(path)

    client = await client_for(aiohttp_client, web.get("/report", report))
    response = await client.get("/report", headers={"Origin": APP})
    assert await response.text() == "a,b\n1,2\n"
    assert_allowed(response)


async def test_file_response_range_request_gets_headers(
    aiohttp_client: AiohttpClient, tmp_path: Path
) -> None:
    path = tmp_path / "report.csv"
    path.write_text("0123456789")

    async def report(request: web.Request) -> web.FileResponse:
        return web.FileResponse(path)

    client = await client_for(aiohttp_client, web.get("/report", report))
    response = await client.get("/report", headers={"Origin": APP, "Range": "bytes=2-4"})
    assert response.status == 206
    assert await response.text() == "234"
    assert_allowed(response)


async def test_json_response_gets_headers(aiohttp_client: AiohttpClient) -> None:
    async def data(request: web.Request) -> web.Response:
        return web.json_response({"items": [1, 2]}, headers={"X-Request-Id": "42"})

    client = await client_for(aiohttp_client, web.get("/data", data))
    response = await client.get("/data", headers={"Origin": APP})
    assert await response.json() == {"items": [1, 2]}
    assert response.headers["X-Request-Id"] == "42"
    assert_allowed(response)


async def test_compressed_response_gets_headers_and_vary_merged(
    aiohttp_client: AiohttpClient,
) -> None:
    async def big(request: web.Request) -> web.Response:
        response = web.Response(text="x" * 1000, headers={"Vary": "Accept-Encoding"})
        response.enable_compression()
        return response

    client = await client_for(aiohttp_client, web.get("/big", big))
    response = await client.get(
        "/big", headers={"Origin": APP, "Accept-Encoding": "gzip"}, auto_decompress=False
    )
    assert response.headers["Content-Encoding"] == "gzip"
    assert response.headers.getall("Vary") == ["Accept-Encoding, Origin"]
    assert response.headers[ACAO] == APP


# -- corecors owns the Access-Control-* headers --------------------------------------------


async def test_handler_set_allow_origin_replaced_not_duplicated(
    aiohttp_client: AiohttpClient,
) -> None:
    counter = Counter({ACAO: "*", ACAC: "true", ACAM: "GET", ACMA: "86400"})
    client = await client_for(aiohttp_client, web.get("/data", counter.handle))
    response = await client.get("/data", headers={"Origin": APP})
    assert response.status == 200
    assert cors_headers(response) == {ACAO: APP, ACAC: "true", ACEH: "x-request-id"}


async def test_handler_set_allow_origin_removed_for_disallowed_origin(
    aiohttp_client: AiohttpClient,
) -> None:
    counter = Counter({ACAO: EVIL, "access-control-allow-credentials": "true"})
    client = await client_for(aiohttp_client, web.get("/data", counter.handle))
    response = await client.get("/data", headers={"Origin": EVIL})
    assert_not_allowed(response)


async def test_handler_set_allow_origin_left_alone_where_cors_is_off(
    aiohttp_client: AiohttpClient,
) -> None:
    counter = Counter({ACAO: "https://partner.example", "Vary": "Accept"})
    policy = PathPolicies({"/legacy": None}, default=api_policy())
    client = await client_for(
        aiohttp_client, web.get("/legacy/data", counter.handle), policy=policy
    )
    response = await client.get("/legacy/data", headers={"Origin": APP})
    assert cors_headers(response) == {ACAO: "https://partner.example"}
    assert response.headers.getall("Vary") == ["Accept"]


async def test_handler_set_header_in_stream_response_replaced(
    aiohttp_client: AiohttpClient,
) -> None:
    async def own_headers(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={ACAO: "*"})
        await response.prepare(request)
        await response.write_eof(b"x")
        return response

    client = await client_for(aiohttp_client, web.get("/s", own_headers))
    response = await client.get("/s", headers={"Origin": APP})
    assert_allowed(response)


# -- Vary -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("handler_vary", "expected"),
    [
        (["Accept-Encoding"], ["Accept-Encoding, Origin"]),
        (["origin"], ["origin"]),
        (["Accept, ORIGIN"], ["Accept, ORIGIN"]),
        (["*"], ["*"]),
        (["Accept", "Cookie"], ["Accept, Cookie, Origin"]),
        (["Accept", "Origin"], ["Accept", "Origin"]),
    ],
    ids=["appended", "present", "present-in-list", "star", "two-lines", "two-lines-present"],
)
async def test_vary_merged_with_handler_vary(
    aiohttp_client: AiohttpClient, handler_vary: list[str], expected: list[str]
) -> None:
    async def varying(request: web.Request) -> web.Response:
        response = web.Response(text="v")
        for value in handler_vary:
            response.headers.add("Vary", value)
        return response

    client = await client_for(aiohttp_client, web.get("/v", varying))
    for origin in (APP, EVIL, None):
        headers = {"Origin": origin} if origin else {}
        response = await client.get("/v", headers=headers)
        assert response.headers.getall("Vary") == expected


async def test_static_wildcard_policy_adds_no_vary(aiohttp_client: AiohttpClient) -> None:
    client = await client_for(aiohttp_client, web.get("/v", ok), policy=public_policy())
    response = await client.get("/v", headers={"Origin": EVIL})
    assert response.headers[ACAO] == "*"
    assert "Vary" not in response.headers
    without_origin = await client.get("/v")
    assert without_origin.headers[ACAO] == "*"


# -- WebSockets --------------------------------------------------------------------------


async def test_websocket_passes_through_by_default(aiohttp_client: AiohttpClient) -> None:
    client = await client_for(aiohttp_client, web.get("/ws", echo))
    async with client.ws_connect("/ws", headers={"Origin": EVIL}) as socket:
        assert socket._response.status == 101
        assert cors_headers(socket._response) == {}
        assert "Vary" not in socket._response.headers
        await socket.send_str("hello")
        assert await socket.receive_str() == "hello"


@pytest.mark.parametrize(
    "checking_app",
    [
        pytest.param(
            partial(
                application, web.get("/ws", echo), policy=api_policy(), check_websocket_origin=True
            ),
            id="websocket_origin_check_refuses_foreign_origin",
        ),
        pytest.param(
            partial(
                application,
                web.get("/ws", echo),
                middlewares=[
                    corecors_aiohttp.cors_middleware(api_policy(), check_websocket_origin=True)
                ],
            ),
            id="middleware_only_websocket_origin_check",
        ),
    ],
)
async def test_websocket_origin_check_refuses(
    aiohttp_client: AiohttpClient, checking_app: Callable[[], web.Application]
) -> None:
    client = await aiohttp_client(checking_app())
    with pytest.raises(WSServerHandshakeError) as refused:
        await client.ws_connect("/ws", headers={"Origin": EVIL})
    assert refused.value.status == 403


@corecors_aiohttp.route_policy(public_policy())
async def public_echo(request: web.Request) -> web.WebSocketResponse:
    return await echo(request)


@pytest.mark.parametrize(
    ("route", "policy", "origin"),
    [
        pytest.param(web.get("/ws", echo), api_policy(), APP, id="admits_allowed_origin"),
        pytest.param(web.get("/ws", echo), api_policy(), None, id="admits_non_browser_client"),
        pytest.param(
            web.get("/open/ws", echo),
            PathPolicies({"/open": None}, default=api_policy()),
            EVIL,
            id="skipped_where_cors_is_off",
        ),
        pytest.param(web.get("/ws", public_echo), api_policy(), EVIL, id="follows_route_policy"),
    ],
)
async def test_websocket_origin_check(
    aiohttp_client: AiohttpClient,
    route: web.RouteDef,
    policy: CORSPolicy | PathPolicies,
    origin: str | None,
) -> None:
    client = await client_for(aiohttp_client, route, policy=policy, check_websocket_origin=True)
    headers = {"Origin": origin} if origin else {}
    async with client.ws_connect(route.path, headers=headers) as socket:
        await socket.send_str("hi")
        assert await socket.receive_str() == "hi"


async def test_websocket_origin_check_logs_reason_once(
    aiohttp_client: AiohttpClient, caplog: pytest.LogCaptureFixture
) -> None:
    client = await client_for(aiohttp_client, web.get("/ws", echo), check_websocket_origin=True)
    with logged(caplog) as records, pytest.raises(WSServerHandshakeError):
        await client.ws_connect("/ws", headers={"Origin": EVIL})
    assert len(records) == 1
    assert "WebSocket" in records[0].getMessage()
    assert "evil.example.net" in records[0].getMessage()


# -- per-route and per-path policies ----------------------------------------------------------


@corecors_aiohttp.route_policy(public_policy())
async def public_handler(request: web.Request) -> web.Response:
    return web.Response(text="public")


@corecors_aiohttp.route_policy(None)
async def hands_off_handler(request: web.Request) -> web.Response:
    return web.Response(text="mine", headers={ACAO: "https://partner.example"})


@corecors_aiohttp.route_policy(public_policy())
class PublicView(web.View):
    async def get(self) -> web.Response:
        return web.Response(text="view")


async def test_decorated_handler_uses_its_policy(aiohttp_client: AiohttpClient) -> None:
    client = await client_for(
        aiohttp_client, web.get("/public", public_handler), web.get("/private", ok)
    )
    public = await client.get("/public", headers={"Origin": EVIL})
    assert public.headers[ACAO] == "*"
    private = await client.get("/private", headers={"Origin": EVIL})
    assert_not_allowed(private)


async def test_decorated_view_uses_its_policy(aiohttp_client: AiohttpClient) -> None:
    client = await client_for(aiohttp_client, web.view("/view", PublicView))
    response = await client.get("/view", headers={"Origin": EVIL})
    assert response.headers[ACAO] == "*"


async def test_decorator_none_turns_cors_off(aiohttp_client: AiohttpClient) -> None:
    client = await client_for(aiohttp_client, web.get("/mine", hands_off_handler))
    response = await client.get("/mine", headers={"Origin": APP})
    assert cors_headers(response) == {ACAO: "https://partner.example"}
    assert "Vary" not in response.headers


async def test_preflight_follows_decorated_get_route(aiohttp_client: AiohttpClient) -> None:
    client = await client_for(aiohttp_client, web.get("/public", public_handler))
    response = await client.options(
        "/public", headers=preflight_headers(origin=EVIL, method="GET", request_headers="x-a")
    )
    # public_policy allows no request headers: refused by the route's policy, not the app's
    assert response.status == 403
    allowed = await client.options("/public", headers=preflight_headers(origin=EVIL, method="GET"))
    assert allowed.status == 204
    assert allowed.headers[ACAO] == "*"


async def test_preflight_follows_decorated_route_despite_app_options_handler(
    aiohttp_client: AiohttpClient, counter: Counter
) -> None:
    client = await client_for(
        aiohttp_client, web.get("/public", public_handler), web.options("/public", counter.handle)
    )
    response = await client.options("/public", headers=preflight_headers(origin=EVIL, method="GET"))
    assert response.status == 204
    assert response.headers[ACAO] == "*"
    assert counter.calls == []


async def test_preflight_to_disabled_route_reaches_app(
    aiohttp_client: AiohttpClient, counter: Counter
) -> None:
    @corecors_aiohttp.route_policy(None)
    async def legacy_options(request: web.Request) -> web.Response:
        return await counter.handle(request)

    client = await client_for(aiohttp_client, web.route("*", "/legacy", legacy_options))
    response = await client.options("/legacy", headers=preflight_headers())
    assert counter.calls == ["OPTIONS"]
    assert response.status == 200
    assert cors_headers(response) == {}
    assert "Vary" not in response.headers


async def test_routes_mapping_by_name(aiohttp_client: AiohttpClient) -> None:
    app = application(
        web.get("/feed", ok, name="feed"),
        web.get("/account", ok, name="account"),
        policy=api_policy(),
        route_policies={"feed": public_policy(), "account": None},
    )
    client = await aiohttp_client(app)
    feed = await client.get("/feed", headers={"Origin": EVIL})
    assert feed.headers[ACAO] == "*"
    account = await client.get("/account", headers={"Origin": APP})
    assert cors_headers(account) == {}
    preflight = await client.options("/feed", headers=preflight_headers(origin=EVIL, method="GET"))
    assert preflight.headers[ACAO] == "*"
    # the actual PUT would be the router's 405, under the application's policy
    put_preflight = await client.options("/feed", headers=preflight_headers(origin=EVIL))
    assert put_preflight.status == 403


async def test_routes_mapping_names_static_route(
    aiohttp_client: AiohttpClient, tmp_path: Path
) -> None:
    (tmp_path / "logo.svg").write_text("<svg/>")
    static = web.static("/assets", tmp_path, name="assets")
    app = application(static, policy=api_policy(), route_policies={"assets": public_policy()})
    client = await aiohttp_client(app)
    response = await client.get("/assets/logo.svg", headers={"Origin": EVIL})
    assert response.headers[ACAO] == "*"


async def test_decorator_takes_precedence_over_routes_mapping(
    aiohttp_client: AiohttpClient,
) -> None:
    route = web.get("/public", public_handler, name="public")
    app = application(route, policy=api_policy(), route_policies={"public": None})
    client = await aiohttp_client(app)
    response = await client.get("/public", headers={"Origin": EVIL})
    assert response.headers[ACAO] == "*"


async def test_unknown_route_name_fails_at_startup(aiohttp_client: AiohttpClient) -> None:
    route = web.get("/feed", ok, name="feed")
    app = application(route, policy=api_policy(), route_policies={"fede": public_policy()})
    with pytest.raises(CORSConfigError, match="'fede'"):
        await aiohttp_client(app)


async def test_path_policies(aiohttp_client: AiohttpClient) -> None:
    policy = PathPolicies({"/public": public_policy(), "/internal": None}, default=api_policy())
    client = await client_for(
        aiohttp_client,
        web.get("/public/feed", ok),
        web.get("/internal/metrics", ok),
        web.get("/api/me", ok),
        policy=policy,
    )
    public = await client.get("/public/feed", headers={"Origin": EVIL})
    assert public.headers[ACAO] == "*"
    internal = await client.get("/internal/metrics", headers={"Origin": APP})
    assert cors_headers(internal) == {}
    assert "Vary" not in internal.headers
    api = await client.get("/api/me", headers={"Origin": APP})
    assert_allowed(api)
    preflight = await client.options("/public/unknown", headers=preflight_headers(origin=EVIL))
    assert preflight.status == 204
    assert preflight.headers[ACAO] == "*"


async def test_path_policies_cover_subapp_paths(aiohttp_client: AiohttpClient) -> None:
    app = application(policy=PathPolicies({"/api/public": public_policy()}, api_policy()))
    app.add_subapp("/api", application(web.get("/public/feed", ok)))
    client = await aiohttp_client(app)
    response = await client.get("/api/public/feed", headers={"Origin": EVIL})
    assert response.headers[ACAO] == "*"


async def test_subapp_with_own_setup_uses_its_policy(aiohttp_client: AiohttpClient) -> None:
    app = application(web.get("/me", ok), policy=api_policy())
    app.add_subapp("/public", application(web.get("/feed", ok), policy=public_policy()))
    client = await aiohttp_client(app)

    feed = await client.get("/public/feed", headers={"Origin": EVIL})
    assert cors_headers(feed) == {ACAO: "*"}
    missing = await client.get("/public/missing", headers={"Origin": EVIL})
    assert missing.status == 404
    assert cors_headers(missing) == {ACAO: "*"}
    preflight = await client.options("/public/feed", headers=preflight_headers(origin=EVIL))
    assert preflight.status == 204
    assert cors_headers(preflight) == {ACAO: "*", ACAM: "GET, PUT"}
    me = await client.get("/me", headers={"Origin": EVIL})
    assert_not_allowed(me)


async def test_subapp_with_own_setup_inside_plain_app(aiohttp_client: AiohttpClient) -> None:
    app = application(web.get("/me", ok))
    app.add_subapp("/public", application(web.get("/feed", ok), policy=public_policy()))
    client = await aiohttp_client(app)
    feed = await client.get("/public/feed", headers={"Origin": EVIL})
    assert feed.headers[ACAO] == "*"
    me = await client.get("/me", headers={"Origin": EVIL})
    assert cors_headers(me) == {}
    assert "Vary" not in me.headers


async def test_subapp_route_name_in_parent_routes_mapping(aiohttp_client: AiohttpClient) -> None:
    app = application(policy=api_policy(), route_policies={"feed": public_policy()})
    app.add_subapp("/api", application(web.get("/feed", ok, name="feed")))
    client = await aiohttp_client(app)
    response = await client.get("/api/feed", headers={"Origin": EVIL})
    assert response.headers[ACAO] == "*"


# -- swapping the policy at run time -----------------------------------------------------------


async def test_set_policy_applies_to_next_request(aiohttp_client: AiohttpClient) -> None:
    app = application(web.get("/data", ok), policy=api_policy())
    cors = app[corecors_aiohttp.CORS_KEY]
    client = await aiohttp_client(app)
    before = await client.get("/data", headers={"Origin": EVIL})
    assert_not_allowed(before)

    cors.set_policy(api_policy(allow_origins=[APP, EVIL]))
    after = await client.get("/data", headers={"Origin": EVIL})
    assert_allowed(after, EVIL)
    preflight = await client.options("/data", headers=preflight_headers(origin=EVIL))
    assert preflight.status == 204


async def test_set_policy_through_app_key_from_a_handler(aiohttp_client: AiohttpClient) -> None:
    async def open_up(request: web.Request) -> web.Response:
        request.app[corecors_aiohttp.CORS_KEY].set_policy(public_policy())
        return web.Response(text="done")

    client = await client_for(aiohttp_client, web.post("/admin/open", open_up), web.get("/d", ok))
    await client.post("/admin/open")
    response = await client.get("/d", headers={"Origin": EVIL})
    assert response.headers[ACAO] == "*"


async def test_set_policy_swaps_routes_together(aiohttp_client: AiohttpClient) -> None:
    app = application(web.get("/feed", ok, name="feed"), policy=api_policy())
    cors = app[corecors_aiohttp.CORS_KEY]
    client = await aiohttp_client(app)
    cors.set_policy(api_policy(), routes={"feed": public_policy()})
    response = await client.get("/feed", headers={"Origin": EVIL})
    assert response.headers[ACAO] == "*"
    assert list(cors.routes) == ["feed"]
    with pytest.raises(CORSConfigError, match="'nope'"):
        cors.set_policy(api_policy(), routes={"nope": None})
    assert list(cors.routes) == ["feed"]


def test_set_policy_refuses_non_policy() -> None:
    cors = corecors_aiohttp.cors_middleware(api_policy())
    with pytest.raises(CORSConfigError, match="CORSPolicy"):
        cors.set_policy({"allow_origins": [APP]})  # type: ignore[arg-type]
    assert cors.policy is not None


# -- logging ------------------------------------------------------------------------------


async def test_rejected_request_logged_once_at_debug(
    data_client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    with logged(caplog) as records:
        await data_client.get("/data", headers={"Origin": EVIL})
    assert len(records) == 1
    assert records[0].levelno == logging.DEBUG
    assert "evil.example.net" in records[0].getMessage()
    assert "not allowed" in records[0].getMessage()


async def test_rejected_preflight_logged_once_with_reason(
    data_client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    with logged(caplog) as records:
        await data_client.options("/data", headers=preflight_headers(request_headers="x-secret"))
    assert len(records) == 1
    assert "x-secret" in records[0].getMessage()


async def test_allowed_request_logs_nothing(
    data_client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    with logged(caplog) as records:
        await data_client.get("/data", headers={"Origin": APP})
        await data_client.options("/data", headers=preflight_headers())
    assert records == []


async def test_debug_policy_exposes_reason_header(aiohttp_client: AiohttpClient) -> None:
    policy = api_policy(debug=True)
    client = await client_for(aiohttp_client, web.get("/data", ok), policy=policy)
    response = await client.options("/data", headers=preflight_headers(origin=EVIL))
    assert response.status == 403
    assert "not allowed" in response.headers[DEBUG_REASON_HEADER]


# -- configuration errors ------------------------------------------------------------------


def test_setup_twice_is_refused() -> None:
    app = web.Application()
    corecors_aiohttp.setup(app, api_policy())
    with pytest.raises(RuntimeError, match="already"):
        corecors_aiohttp.setup(app, api_policy())


def test_setup_on_added_subapp_is_refused() -> None:
    app = web.Application()
    sub = web.Application()
    app.add_subapp("/api", sub)
    with pytest.raises(RuntimeError, match="before"):
        corecors_aiohttp.setup(sub, api_policy())


def test_setup_with_cors_middleware_already_present_is_refused() -> None:
    app = web.Application(middlewares=[corecors_aiohttp.cors_middleware(api_policy())])
    with pytest.raises(RuntimeError, match="either"):
        corecors_aiohttp.setup(app, api_policy())


async def test_cors_middleware_added_after_setup_fails_at_startup(
    aiohttp_client: AiohttpClient,
) -> None:
    app = web.Application()
    corecors_aiohttp.setup(app, api_policy())
    app.middlewares.append(corecors_aiohttp.cors_middleware(api_policy()))
    with pytest.raises(RuntimeError, match="both"):
        await aiohttp_client(app)


def test_setup_refuses_a_mapping_as_policy() -> None:
    with pytest.raises(CORSConfigError, match="CORSPolicy"):
        corecors_aiohttp.setup(web.Application(), {"allow_origins": [APP]})  # type: ignore[arg-type]


def test_routes_mapping_refuses_non_policy() -> None:
    with pytest.raises(CORSConfigError, match=r"routes\['feed'\]"):
        corecors_aiohttp.cors_middleware(api_policy(), routes={"feed": "*"})  # type: ignore[dict-item]


def test_route_policy_refuses_non_policy() -> None:
    with pytest.raises(CORSConfigError, match="route_policy"):
        corecors_aiohttp.route_policy("*")  # type: ignore[arg-type]


def test_setup_adds_no_middleware() -> None:
    # Preflights are answered while routing and every other response gets its headers at
    # prepare time, so there is no middleware layer (nor aiohttp's per-404 chain rebuild).
    @web.middleware
    async def auth(request: web.Request, handler: Handler) -> web.StreamResponse:
        return await handler(request)

    app = web.Application(middlewares=[auth])
    cors = corecors_aiohttp.setup(app, api_policy())
    assert list(app.middlewares) == [auth]
    assert app[corecors_aiohttp.CORS_KEY] is cors
    assert cors.installed
    plain = web.Application()
    corecors_aiohttp.setup(plain, api_policy())
    plain.freeze()
    assert list(plain.middlewares) == []
    assert plain._run_middlewares is False


# -- cors_middleware alone -----------------------------------------------------------------


async def middleware_client(aiohttp_client: AiohttpClient, *routes: web.AbstractRouteDef) -> Client:
    middleware = corecors_aiohttp.cors_middleware(api_policy())
    return await aiohttp_client(application(*routes, middlewares=[middleware]))


async def test_middleware_only_returned_response(aiohttp_client: AiohttpClient) -> None:
    client = await middleware_client(aiohttp_client, web.get("/data", ok))
    response = await client.get("/data", headers={"Origin": APP})
    assert_allowed(response)
    assert_not_allowed(await client.get("/data", headers={"Origin": EVIL}))


async def test_middleware_only_preflights(aiohttp_client: AiohttpClient) -> None:
    client = await middleware_client(aiohttp_client, web.get("/data", ok))
    allowed = await client.options("/data", headers=preflight_headers())
    assert allowed.status == 204
    assert allowed.headers[ACAO] == APP
    unknown = await client.options("/nowhere", headers=preflight_headers(origin=EVIL))
    assert unknown.status == 403


async def test_middleware_only_raised_exceptions_and_router_errors(
    aiohttp_client: AiohttpClient,
) -> None:
    client = await middleware_client(
        aiohttp_client, web.get("/fail", raise_unauthorized), web.get("/data", ok)
    )
    for method, path, status in [
        ("GET", "/fail", 401),
        ("GET", "/nowhere", 404),
        ("DELETE", "/data", 405),
    ]:
        response = await client.request(method, path, headers={"Origin": APP})
        assert response.status == status
        assert_allowed(response)


async def test_middleware_only_covers_subapps(aiohttp_client: AiohttpClient) -> None:
    app = application(middlewares=[corecors_aiohttp.cors_middleware(api_policy())])
    app.add_subapp("/api", application(web.get("/users", ok)))
    client = await aiohttp_client(app)
    assert_allowed(await client.get("/api/users", headers={"Origin": APP}))


async def test_middleware_only_warns_once_for_prepared_response(
    aiohttp_client: AiohttpClient, caplog: pytest.LogCaptureFixture
) -> None:
    client = await middleware_client(aiohttp_client, web.get("/stream", stream))
    with logged(caplog, logging.WARNING, "corecors.aiohttp") as warnings:
        first = await client.get("/stream", headers={"Origin": APP})
        second = await client.get("/stream", headers={"Origin": APP})
    assert await first.text() == "chunk one, chunk two"
    assert ACAO not in first.headers  # the documented gap
    assert ACAO not in second.headers
    assert len(warnings) == 1
    assert warnings[0].levelno == logging.WARNING
    assert "setup" in warnings[0].getMessage()
    assert "/stream" in warnings[0].getMessage()


async def test_middleware_only_warns_once_for_unhandled_exception(
    aiohttp_client: AiohttpClient, caplog: pytest.LogCaptureFixture
) -> None:
    client = await middleware_client(aiohttp_client, web.get("/crash", crash))
    with logged(caplog, logging.WARNING, "corecors.aiohttp") as warnings:
        for _ in range(2):
            response = await client.get("/crash", headers={"Origin": APP})
            assert response.status == 500
    assert len(warnings) == 1
    assert "ZeroDivisionError" in warnings[0].getMessage()


async def test_middleware_only_websocket_no_warning(
    aiohttp_client: AiohttpClient, caplog: pytest.LogCaptureFixture
) -> None:
    client = await middleware_client(aiohttp_client, web.get("/ws", echo))
    with logged(caplog, logging.WARNING, "corecors.aiohttp") as warnings:
        async with client.ws_connect("/ws", headers={"Origin": EVIL}) as socket:
            await socket.send_str("x")
            assert await socket.receive_str() == "x"
    assert warnings == []


async def test_middleware_only_route_policy(aiohttp_client: AiohttpClient) -> None:
    client = await middleware_client(
        aiohttp_client, web.get("/public", public_handler), web.get("/mine", hands_off_handler)
    )
    public = await client.get("/public", headers={"Origin": EVIL})
    assert public.headers[ACAO] == "*"
    mine = await client.get("/mine", headers={"Origin": APP})
    assert cors_headers(mine) == {ACAO: "https://partner.example"}


async def test_apply_decision_for_code_the_middleware_cannot_reach(
    aiohttp_client: AiohttpClient,
) -> None:
    middleware = corecors_aiohttp.cors_middleware(api_policy())

    async def manual_stream(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse()
        decision = middleware.decide(request)
        if decision is not None:
            corecors_aiohttp.apply_decision(response.headers, decision)
        await response.prepare(request)
        await response.write_eof(b"streamed")
        return response

    client = await aiohttp_client(
        application(web.get("/s", manual_stream), middlewares=[middleware])
    )
    response = await client.get("/s", headers={"Origin": APP})
    assert_allowed(response)


# -- more edges -----------------------------------------------------------------------------


async def test_set_policy_routes_none_clears_route_policies(
    aiohttp_client: AiohttpClient,
) -> None:
    route = web.get("/feed", ok, name="feed")
    app = application(route, policy=api_policy(), route_policies={"feed": public_policy()})
    cors = app[corecors_aiohttp.CORS_KEY]
    client = await aiohttp_client(app)
    cors.set_policy(api_policy(), routes=None)
    assert dict(cors.routes) == {}
    assert_not_allowed(await client.get("/feed", headers={"Origin": EVIL}))


async def test_middleware_only_defers_to_subapp_setup(aiohttp_client: AiohttpClient) -> None:
    middleware = corecors_aiohttp.cors_middleware(api_policy())
    app = application(web.get("/me", ok), middlewares=[middleware])
    app.add_subapp("/public", application(web.get("/feed", stream), policy=public_policy()))
    client = await aiohttp_client(app)
    feed = await client.get("/public/feed", headers={"Origin": EVIL})
    assert cors_headers(feed) == {ACAO: "*"}
    preflight = await client.options("/public/feed", headers=preflight_headers(origin=EVIL))
    assert cors_headers(preflight) == {ACAO: "*", ACAM: "GET, PUT"}
    assert_not_allowed(await client.get("/me", headers={"Origin": EVIL}))


async def test_nested_subapps_innermost_setup_wins(aiohttp_client: AiohttpClient) -> None:
    app = application(policy=api_policy())
    middle = application(web.get("/m", ok))
    middle.add_subapp("/inner", application(web.get("/i", ok), policy=public_policy()))
    app.add_subapp("/middle", middle)
    client = await aiohttp_client(app)
    assert_allowed(await client.get("/middle/m", headers={"Origin": APP}))
    inner_response = await client.get("/middle/inner/i", headers={"Origin": EVIL})
    assert cors_headers(inner_response) == {ACAO: "*"}
    assert "Vary" not in inner_response.headers


async def test_preflight_route_lookup_never_raises(monkeypatch: pytest.MonkeyPatch) -> None:
    from aiohttp.test_utils import make_mocked_request

    from corecors_aiohttp.preflight import _resolve_as

    request = make_mocked_request("OPTIONS", "/x", headers=preflight_headers())

    def broken_clone(**kwargs: object) -> web.Request:
        raise RuntimeError("Cannot clone request after reading its content")

    monkeypatch.setattr(request, "clone", broken_clone)
    assert await _resolve_as(web.Application().router, request, "PUT") is None


def test_repr_names_the_mode() -> None:
    assert "middleware only" in repr(corecors_aiohttp.cors_middleware(api_policy()))
    assert "setup" in repr(corecors_aiohttp.setup(web.Application(), api_policy()))


# -- the router is left as it was ------------------------------------------------------------


def test_setup_adds_no_visible_route() -> None:
    app = web.Application()
    app.router.add_get("/data", ok, name="data")
    before = [(route.method, route.get_info()) for route in app.router.routes()]
    corecors_aiohttp.setup(app, api_policy())
    after = [(route.method, route.get_info()) for route in app.router.routes()]
    assert after == before
    assert list(app.router.named_resources()) == ["data"]
    assert str(app.router["data"].url_for()) == "/data"


async def test_plain_options_to_get_only_path_is_still_405(data_client: Client) -> None:
    response = await data_client.options("/data", headers={"Origin": APP})
    assert response.status == 405
    assert response.headers["Allow"] == "GET,HEAD"
    assert_allowed(response)


async def test_disabled_preflight_gets_the_routers_405_unchanged(
    aiohttp_client: AiohttpClient,
) -> None:
    policy = PathPolicies({"/legacy": None}, default=api_policy())
    client = await client_for(
        aiohttp_client, web.get("/legacy/data", ok), web.get("/api", ok), policy=policy
    )
    response = await client.options("/legacy/data", headers=preflight_headers())
    assert response.status == 405
    assert response.headers["Allow"] == "GET,HEAD"
    assert cors_headers(response) == {}
    assert "Vary" not in response.headers
    unknown = await client.options("/legacy/unknown", headers=preflight_headers())
    assert unknown.status == 404
    assert "Vary" not in unknown.headers


async def test_disabled_preflight_reaches_catch_all_added_after_setup(
    aiohttp_client: AiohttpClient, counter: Counter
) -> None:
    app = application(policy=PathPolicies({"/legacy": None}, default=api_policy()))
    app.router.add_route("*", "/{tail:.*}", counter.handle)
    client = await aiohttp_client(app)
    legacy = await client.options("/legacy/x", headers=preflight_headers())
    assert legacy.status == 200
    assert counter.calls == ["OPTIONS"]
    answered = await client.options("/api/x", headers=preflight_headers())
    assert answered.status == 204
    assert counter.calls == ["OPTIONS"]


async def test_preflight_to_get_only_path_in_subapp_with_own_setup(
    aiohttp_client: AiohttpClient,
) -> None:
    app = web.Application()
    app.add_subapp("/public", application(web.get("/feed", ok), policy=public_policy()))
    client = await aiohttp_client(app)
    response = await client.options("/public/feed", headers=preflight_headers(origin=EVIL))
    assert response.status == 204
    assert cors_headers(response) == {ACAO: "*", ACAM: "GET, PUT"}
    outside = await client.options("/elsewhere", headers=preflight_headers(origin=EVIL))
    assert outside.status == 404
    assert cors_headers(outside) == {}


async def test_domain_subapp_with_own_setup(aiohttp_client: AiohttpClient) -> None:
    app = application(policy=api_policy())
    app.add_domain("public.example.com", application(web.get("/feed", ok), policy=public_policy()))
    client = await aiohttp_client(app)
    host = {"Host": "public.example.com"}
    preflight = await client.options("/feed", headers={**preflight_headers(origin=EVIL), **host})
    assert cors_headers(preflight) == {ACAO: "*", ACAM: "GET, PUT"}
    actual = await client.get("/feed", headers={"Origin": EVIL, **host})
    assert cors_headers(actual) == {ACAO: "*"}
    other_host = await client.options("/feed", headers=preflight_headers(origin=EVIL))
    assert other_host.status == 403
